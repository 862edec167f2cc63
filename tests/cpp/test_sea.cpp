// Torch-free tests of the SEA attention core: every GEMM kernel this CPU runs against the scalar GEMM, and the
// whole block forward() with each GEMM against forward() with the scalar one.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "core/sea/sea.h"

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
  std::normal_distribution<float> n(0.f, 1.f);
  auto random = [&](int64_t k, float s) {
    std::vector<float> v(k);
    for (auto& x : v) x = s * n(rng);
    return v;
  };
  int failures = 0, cases = 0;
  for (const auto& k : kernels()) {
    for (int t = 0; t < 200; ++t) {
      const int64_t M = 1 + rng() % 37, N = 1 + rng() % 70, K = 1 + rng() % 90;
      const auto A = random(M * K, 1.f), B = random(K * N, 1.f), bias = random(M, 1.f);
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
    const int64_t H0 = s[3], W0 = s[4], Q = d.qkv(), dim = d.dim, dh = d.dh;
    const auto sw = random(dim * 9, 0.3f), sb = random(dim, 0.2f), qw = random(Q * dim, 0.1f), qb = random(Q, 0.2f),
               dw = random(Q * 9, 0.3f), db = random(Q, 0.2f), pw = random(dim * Q, 0.05f), pb = random(dim, 0.2f),
               rw = random(dh * dh, 0.05f), rb = random(dh, 0.2f), cw = random(dh * dh, 0.05f), cb = random(dh, 0.2f),
               jw = random(dim * dh, 0.05f), jb = random(dim, 0.2f), pos = random(4 * d.nh_kd() * 16, 1.f),
               x = random(dim * H0 * W0, 1.f);
    const Weights w{sw.data(), sb.data(), qw.data(), qb.data(), dw.data(), db.data(), pw.data(), pb.data(),
                    rw.data(), rb.data(), cw.data(), cb.data(), jw.data(), jb.data(), pos.data(), 16};
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
