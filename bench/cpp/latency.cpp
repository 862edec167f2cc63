// ppms_latency: single-thread latency of the torch-free kernel core on the model's real shapes, for boards and
// phones without Python (adb push it and run it from `adb shell`). Reports the median and the minimum over
// --iters runs after --warmup runs, and each SIMD kernel's speed-up over the scalar one in the same run.
//
//   ppms_latency [--iters N] [--warmup N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/sea/sea.h"
#include "core/vim/vim.h"
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
  std::printf("%-44s %-7s %10.3f %10.3f", what.c_str(), kernel.c_str(), t.median_ms, t.min_ms);
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

void bench_vim(int warmup, int iters) {
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
    const vim::Axis ys(s.h, s.H), xs(s.w, s.W);
    std::vector<int64_t> out(s.H * s.W);
    std::vector<uint8_t> present(s.C);
    vim::present_classes(x.data(), 1, s.C, s.h * s.w, present.data());
    std::vector<int32_t> all, paper;
    for (int32_t c = 0; c < s.C; ++c) {
      all.push_back(c);
      if (present[c]) paper.push_back(c);
    }
    for (const auto* classes : {&all, &paper}) {
      const vim::Args a{x.data(), 1, s.C, s.h, s.w, classes->data(), static_cast<int64_t>(classes->size()),
                        &ys, &xs, out.data(), vim::OutType::I64};
      std::vector<float> fs(vim::scratch_floats(a));
      std::vector<int32_t> is(vim::scratch_ints(a));
      const std::string what = std::string("vim ") + (classes == &all ? "exact " : "paper ") + s.name;
      auto run = [&](vim::RowsFn fn) { return [&, fn] { fn(a, 0, s.h, fs.data(), is.data()); }; };
      const Timing scalar = measure(run(vim::rows_scalar), warmup, iters);
      row(what, "scalar", scalar, nullptr);
      if (vim::best_rows() != vim::rows_scalar) row(what, vim::best_rows_name(), measure(run(vim::best_rows()), warmup, iters), &scalar);
    }
  }
}

void bench_sea(int warmup, int iters) {
  struct Shape {
    const char* name;
    int64_t dim, heads, key_dim, side;
  };
  const Shape shapes[] = {{"base trans1 128x32x32", 128, 8, 16, 32}, {"base trans2 192x16x16", 192, 8, 24, 16},
                          {"tiny trans1 64x32x32", 64, 4, 16, 32}, {"tiny trans2 128x16x16", 128, 4, 24, 16}};
  std::mt19937 rng(2);
  const char* native = sea::native_gemm() == sea::gemm_scalar ? "scalar"
#if defined(__aarch64__)
                                                               : "neon";
#else
                                                               : "avx2";
#endif
  for (const auto& s : shapes) {
    const sea::Dims d{s.dim, s.heads, s.key_dim, 2 * s.heads * s.key_dim};
    const synthetic::SeaWeights sw(d, 16, rng);
    const sea::Weights& w = sw.w;
    const auto x = synthetic::normal(d.dim * s.side * s.side, 1.f, rng);
    std::vector<float> scratch(sea::scratch_floats(d, s.side, s.side)), y(x.size());
    auto run = [&](sea::Gemm g) {
      return [&, g] { sea::forward(d, w, x.data(), s.side, s.side, y.data(), g, scratch.data()); };
    };
    const std::string what = std::string("sea_attention ") + s.name;
    const Timing scalar = measure(run(sea::gemm_scalar), warmup, iters);
    row(what, "scalar", scalar, nullptr);
    if (sea::native_gemm() != sea::gemm_scalar) row(what, native, measure(run(sea::native_gemm()), warmup, iters), &scalar);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int warmup = 3, iters = 20;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--iters") && has_value) {
      iters = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--warmup") && has_value) {
      warmup = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--iters N] [--warmup N]\n", argv[0]);
      return 2;
    }
  }
  if (iters < 1 || warmup < 0) {
    std::fprintf(stderr, "--iters must be >= 1 and --warmup >= 0\n");
    return 2;
  }
  std::printf("ppms_latency: %s, 1 thread, batch 1, median/min of %d runs (ms); speed-up vs scalar\n", isa(), iters);
  std::printf("%-44s %-7s %10s %10s\n", "op and shape", "kernel", "median", "min");
  bench_vim(warmup, iters);
  bench_sea(warmup, iters);
  return 0;
}
