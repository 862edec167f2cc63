// ppms_gemm_rates: GFLOP/s of every f32 and bf16 conv1x1 kernel this CPU runs, on one thread, at the network's
// 1x1 shapes (pixels x cin -> cout, hardswish epilogue): whether a data type's kernel pays on a given CPU (bf16's
// vdpbf16ps gives half the FMA's multiply-adds per second on some Xeons, nearly twice them on Zen 5). The median of
// --iters calls after --warmup.
//
//   ppms_gemm_rates [--iters N] [--warmup N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "core/config/config.h"
#include "core/conv1x1/kernels.h"
#include "core/cpu.h"

using namespace ppms;

namespace {

struct Shape {
  int64_t pixels, cin, cout;
};
constexpr Shape kShapes[] = {{65536, 16, 64},  {16384, 64, 32},  {4096, 64, 240},   {4096, 240, 64},
                             {1024, 128, 384}, {1024, 384, 128}, {1024, 512, 128}, {4096, 256, 150}};

double gflops(const pw::Config& k, const Conv1x1Weights& w, const float* x, float* y, const Shape& s, int warmup,
              int iters) {
  std::vector<double> t(iters);
  for (int i = -warmup; i < iters; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    pw::run(k, w, x, s.cin, s.pixels, y, s.cout, Activation::hardswish);
    if (i >= 0) t[i] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  std::sort(t.begin(), t.end());
  return 2.0 * s.pixels * s.cin * s.cout / t[t.size() / 2] / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  int iters = 30, warmup = 3;
  for (int i = 1; i < argc; ++i) {
    if (i + 1 < argc && !std::strcmp(argv[i], "--iters")) {
      iters = std::max(1, std::atoi(argv[++i]));
    } else if (i + 1 < argc && !std::strcmp(argv[i], "--warmup")) {
      warmup = std::max(0, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: ppms_gemm_rates [--iters N] [--warmup N]\n");
      return 2;
    }
  }
  // f32 configs, then bf16's (a bf16 config's own 1x1 kernel; its weights in pairs), the scalar references left out
  std::vector<const KernelConfig*> configs;
  for (DataType type : {DataType::f32, DataType::bf16})
    for (const KernelConfig& c : config::all(type))
      if (c.isa != cpu::Isa::scalar && cpu::supports(c.isa)) configs.push_back(&c);
  std::printf("%-22s", "pixels x cin -> cout");
  for (const KernelConfig* c : configs)
    std::printf(" %16s", (c->type == DataType::bf16 ? c->bf16.conv1x1 : c->conv1x1).name);
  std::printf("   (GFLOP/s, one thread)\n");
  std::mt19937 g(0);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (const Shape& s : kShapes) {
    std::vector<float> w(s.cout * s.cin), b(s.cout), x(s.pixels * s.cin), y(s.pixels * s.cout);
    for (auto* v : {&w, &b, &x})
      for (float& e : *v) e = u(g);
    std::vector<float> f32(conv1x1_packed_floats(s.cout, s.cin)), pairs(pw::bf16_packed_floats(s.cout, s.cin));
    if (!conv1x1_pack(w.data(), b.data(), s.cout, s.cin, f32.data()).ok()) return 1;
    const Conv1x1Weights wf = conv1x1_weights(f32.data(), s.cout, s.cin);
    const Conv1x1Weights wb = pw::pack_bf16(wf, pairs.data());
    char name[32];
    std::snprintf(name, sizeof name, "%ld x %ld -> %ld", static_cast<long>(s.pixels), static_cast<long>(s.cin),
                  static_cast<long>(s.cout));
    std::printf("%-22s", name);
    for (const KernelConfig* c : configs) {
      const bool bf16 = c->type == DataType::bf16;
      std::printf(" %16.0f", gflops(bf16 ? c->bf16.conv1x1 : c->conv1x1, bf16 ? wb : wf, x.data(), y.data(), s,
                                    warmup, iters));
    }
    std::printf("\n");
  }
  return 0;
}
