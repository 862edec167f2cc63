// ppms_latency: latency of the torch-free core on the model's real shapes, through its public API, for boards and
// phones without Python (adb push it and run it from `adb shell`). Reports the median and the minimum over
// --iters runs after --warmup runs, and each kernel's speed-up over the scalar one in the same run.
//
//   ppms_latency [--iters N] [--warmup N] [--threads N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "ppms/ppms.h"
#include "synthetic.h"

using namespace ppms;

namespace {

struct Timing {
  double median_ms, min_ms;
};

Timing measure(const std::function<void()>& f, int warmup, int iters) {
  for (int i = 0; i < warmup; ++i) f();
  std::vector<double> t(iters);
  for (auto& v : t) {
    const auto s = std::chrono::steady_clock::now();
    f();
    v = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count();
  }
  std::sort(t.begin(), t.end());
  return {t[t.size() / 2], t.front()};
}

void row(const std::string& what, const std::string& kernel, const Timing& t, const Timing* scalar) {
  std::printf("%-60s %-12s %10.3f %10.3f", what.c_str(), kernel.c_str(), t.median_ms, t.min_ms);
  if (scalar) std::printf("   %5.1fx", scalar->median_ms / t.median_ms);
  std::printf("\n");
}

const char* isa() {
#if defined(__aarch64__) && defined(__ARM_FEATURE_FP16_VECTOR_ARITHMETIC)
  return "aarch64 (fp16 arithmetic)";
#elif defined(__aarch64__)
  return "aarch64";
#elif defined(__x86_64__)
  return "x86-64";
#else
  return "unknown";
#endif
}

void bench_upsample_argmax(int warmup, int iters, const Parallel& par) {
  struct Shape {
    const char* name;
    int64_t C, h, w, H, W;
  };
  const Shape shapes[] = {{"base 150x64x64 -> 512x512", 150, 64, 64, 512, 512},
                          {"tiny 150x32x32 -> 512x512", 150, 32, 32, 512, 512}};
  std::mt19937 rng(1);
  for (const auto& s : shapes) {
    std::vector<float> x(s.C * s.h * s.w);
    synthetic::smooth_logits(x, 1, s.C, s.h, s.w, rng);
    std::vector<int64_t> out(s.H * s.W);
    for (const auto mode : {VimMode::exact, VimMode::paper}) {
      const std::string what = std::string("upsample_argmax ") + (mode == VimMode::exact ? "exact " : "paper ") + s.name;
      Timing scalar{};
      for (const auto& k : upsample_argmax_kernels()) {
        const Timing t = measure([&] {
          upsample_argmax(x.data(), 1, s.C, s.h, s.w, s.H, s.W, mode, LabelType::i64, out.data(), par, k.c_str());
        }, warmup, iters);
        if (k == "scalar") scalar = t;
        row(what, k, t, k == "scalar" ? nullptr : &scalar);
      }
    }
  }
}

void bench_sea_attention(int warmup, int iters, const Parallel& par) {
  struct Shape {
    const char* name;
    int64_t dim, heads, key_dim, side;
  };
  const Shape shapes[] = {{"base trans1 128x32x32", 128, 8, 16, 32}, {"base trans2 192x16x16", 192, 8, 24, 16},
                          {"tiny trans1 64x32x32", 64, 4, 16, 32}, {"tiny trans2 128x16x16", 128, 4, 24, 16}};
  std::mt19937 rng(2);
  for (const auto& s : shapes) {
    const sea::Dims d{s.dim, s.heads, s.key_dim, 2 * s.heads * s.key_dim};
    const synthetic::SeaWeights sw(d, 16, rng);
    const auto x = synthetic::normal(d.dim * s.side * s.side, 1.f, rng);
    std::vector<float> y(x.size());
    const std::string what = std::string("sea_attention ") + s.name;
    Timing scalar{};
    for (const auto& k : gemm_kernels()) {
      sea::Options o;
      o.parallel = par;
      o.gemm = gemm_kernel(k.c_str());
      const Timing t = measure([&] { sea::forward(d, sw.w, x.data(), 1, s.side, s.side, y.data(), o); }, warmup, iters);
      if (k == "scalar") scalar = t;
      row(what, "gemm " + k, t, k == "scalar" ? nullptr : &scalar);
    }
  }
}

// The engine's MobileNetV3 blocks of base at a 512x512 image (channels-last): GFLOP/s in the row name.
void bench_inverted_residual(int warmup, int iters, const Parallel& par) {
  struct Shape {
    const char* name;
    int64_t side, cin, cmid, cout, k, stride;
    bool se;
    Activation act;
  };
  const Shape shapes[] = {{"smb1.1 16-16-16 k3 SE 256x256", 256, 16, 16, 16, 3, 1, true, Activation::relu},
                          {"smb1.2 16-64-32 k3/2 256x256", 256, 16, 64, 32, 3, 2, false, Activation::relu},
                          {"smb1.3 32-96-32 k3 128x128", 128, 32, 96, 32, 3, 1, false, Activation::relu},
                          {"smb2.1 32-128-64 k5/2 SE 128x128", 128, 32, 128, 64, 5, 2, true, Activation::hardswish},
                          {"smb2.2 64-240-64 k5 SE 64x64", 64, 64, 240, 64, 5, 1, true, Activation::hardswish},
                          {"smb4.2 192-768-192 k5 SE 16x16", 16, 192, 768, 192, 5, 1, true, Activation::hardswish}};
  std::mt19937 rng(3);
  for (const auto& s : shapes) {
    const auto x = synthetic::normal(s.side * s.side * s.cin, 1.f, rng);
    const auto ew = synthetic::normal(s.cmid * s.cin, 0.2f, rng), dw = synthetic::normal(s.cmid * s.k * s.k, 0.2f, rng);
    const auto pw = synthetic::normal(s.cout * s.cmid, 0.1f, rng), bias = synthetic::normal(s.cmid, 0.1f, rng);
    const int64_t cse = s.se ? s.cmid / 4 : 0;
    const auto s1 = synthetic::normal(std::max<int64_t>(cse, 1) * s.cmid, 0.1f, rng);
    const auto s2 = synthetic::normal(s.cmid * std::max<int64_t>(cse, 1), 0.1f, rng);
    PackedConv1x1 expand, project;
    expand.pack(ew.data(), bias.data(), s.cmid, s.cin);
    project.pack(pw.data(), bias.data(), s.cout, s.cmid);
    std::vector<float> dwp(s.cmid * (s.k * s.k + 1));
    depthwise_pack(dw.data(), bias.data(), s.cmid, s.k, dwp.data());
    InvertedResidual b;
    b.cin = s.cin, b.cmid = s.cmid, b.cout = s.cout, b.k = s.k, b.stride = s.stride;
    b.expand_act = b.depthwise_act = s.act;
    b.expand = expand.weights(), b.depthwise = depthwise_weights(dwp.data(), s.cmid, s.k), b.project = project.weights();
    if (s.se) {
      b.cse = cse, b.se1_w = s1.data(), b.se1_b = bias.data(), b.se2_w = s2.data(), b.se2_b = bias.data();
    }
    const int64_t o = (s.side - 1) / s.stride + 1;
    std::vector<float> y(o * o * s.cout);
    const double flops = 2.0 * (s.side * s.side * s.cin * s.cmid + o * o * s.cmid * (s.k * s.k + s.cout));
    const Timing t = measure([&] { inverted_residual(b, x.data(), s.side, s.side, y.data(), par); }, warmup, iters);
    char name[96];
    std::snprintf(name, sizeof name, "inverted_residual %s (%.0f GFLOP/s)", s.name, flops / t.median_ms / 1e6);
    row(name, "best", t, nullptr);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int warmup = 3, iters = 20, threads = 1;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--iters") && has_value) {
      iters = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--warmup") && has_value) {
      warmup = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--threads") && has_value) {
      threads = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--iters N] [--warmup N] [--threads N]\n", argv[0]);
      return 2;
    }
  }
  if (iters < 1 || warmup < 0 || threads < 1) {
    std::fprintf(stderr, "--iters and --threads must be >= 1 and --warmup >= 0\n");
    return 2;
  }
  ThreadPool pool(threads);
  std::printf("ppms_latency: %s, %d thread(s), batch 1, median/min of %d runs (ms); speed-up vs scalar\n", isa(),
              threads, iters);
  std::printf("%s\n%-60s %-12s %10s %10s\n", build_info().c_str(), "op and shape", "kernel", "median", "min");
  bench_upsample_argmax(warmup, iters, pool.parallel());
  bench_sea_attention(warmup, iters, pool.parallel());
  bench_inverted_residual(warmup, iters, pool.parallel());
  return 0;
}
