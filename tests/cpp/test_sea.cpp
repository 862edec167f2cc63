// Torch-free tests of the SEA attention core: every GEMM kernel this CPU runs against the scalar GEMM, and the
// whole block forward() with each GEMM against forward() with the scalar one.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "core/sea/sea.h"
#include "synthetic.h"

using namespace ppms::sea;

namespace {

struct Kernel {
  const char* name;
  Gemm fn;
};

std::vector<Kernel> kernels() {
  std::vector<Kernel> k;
#if defined(__x86_64__) || defined(_M_X64)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) k.push_back({"avx2", gemm_avx2});
#endif
#if defined(__aarch64__)
  k.push_back({"neon", gemm_neon});
#endif
  return k;
}

double rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num = std::max(num, static_cast<double>(std::fabs(a[i] - b[i])));
    den = std::max(den, static_cast<double>(std::fabs(b[i])));
  }
  return den > 0 ? num / den : num;
}

}  // namespace

int main() {
  std::mt19937 rng(7);
  int failures = 0, cases = 0;
  for (const auto& k : kernels()) {
    for (int t = 0; t < 200; ++t) {
      const int64_t M = 1 + rng() % 37, N = 1 + rng() % 70, K = 1 + rng() % 90;
      const auto A = ppms::synthetic::normal(M * K, 1.f, rng), B = ppms::synthetic::normal(K * N, 1.f, rng),
                 bias = ppms::synthetic::normal(M, 1.f, rng);
      std::vector<float> ref(M * N), out(M * N);
      gemm_scalar(M, N, K, A.data(), B.data(), bias.data(), ref.data());
      k.fn(M, N, K, A.data(), B.data(), bias.data(), out.data());
      ++cases;
      if (rel_err(out, ref) > 1e-5) {
        std::printf("FAIL gemm %s M=%ld N=%ld K=%ld: %.3g\n", k.name, (long)M, (long)N, (long)K, rel_err(out, ref));
        ++failures;
      }
    }
  }
  // (dim, heads, key_dim, H0, W0): the four real blocks at 512x512 and odd sizes.
  const int64_t shapes[][5] = {{128, 8, 16, 32, 32}, {192, 8, 24, 16, 16}, {64, 4, 16, 32, 32},
                               {128, 4, 24, 16, 16}, {32, 2, 8, 17, 9},    {16, 2, 4, 1, 2}};
  for (const auto& s : shapes) {
    const Dims d{s[0], s[1], s[2], 2 * s[1] * s[2]};
    const int64_t H0 = s[3], W0 = s[4], dim = d.dim;
    const ppms::synthetic::SeaWeights sw(d, 16, rng);
    const Weights& w = sw.w;
    const auto x = ppms::synthetic::normal(dim * H0 * W0, 1.f, rng);
    std::vector<float> scratch(scratch_floats(d, H0, W0)), ref(dim * H0 * W0), out(dim * H0 * W0);
    forward(d, w, x.data(), H0, W0, ref.data(), gemm_scalar, scratch.data());
    for (const auto& k : kernels()) {
      forward(d, w, x.data(), H0, W0, out.data(), k.fn, scratch.data());
      ++cases;
      if (rel_err(out, ref) > 1e-5) {
        std::printf("FAIL forward with %s gemm, dim=%ld %ldx%ld: %.3g\n", k.name, (long)dim, (long)H0, (long)W0,
                    rel_err(out, ref));
        ++failures;
      }
    }
  }
  std::printf("sea: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
