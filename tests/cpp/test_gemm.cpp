// Torch-free tests of the GEMM kernels: every kernel this CPU runs against the scalar reference, on random shapes
// (tails of every register block included), with and without bias.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "ppms/gemm.h"
#include "synthetic.h"

int main() {
  std::mt19937 rng(7);
  int failures = 0, cases = 0;
  const ppms::GemmFn scalar = ppms::gemm_kernel("scalar");
  for (const auto& name : ppms::gemm_kernels()) {
    const ppms::GemmFn fn = ppms::gemm_kernel(name.c_str());
    for (int t = 0; t < 200; ++t) {
      const int64_t M = 1 + rng() % 37, N = 1 + rng() % 70, K = 1 + rng() % 90;
      const auto A = ppms::synthetic::normal(M * K, 1.f, rng), B = ppms::synthetic::normal(K * N, 1.f, rng),
                 bias = ppms::synthetic::normal(M, 1.f, rng);
      const float* b = t % 4 == 3 ? nullptr : bias.data();
      std::vector<float> ref(M * N), out(M * N, NAN);
      scalar(M, N, K, A.data(), B.data(), b, ref.data());
      fn(M, N, K, A.data(), B.data(), b, out.data());
      double err = 0, mag = 0;
      for (size_t i = 0; i < ref.size(); ++i) {
        err = std::max(err, static_cast<double>(std::fabs(out[i] - ref[i])));  // NaN (unwritten) fails below
        if (!(out[i] == out[i])) err = INFINITY;
        mag = std::max(mag, static_cast<double>(std::fabs(ref[i])));
      }
      ++cases;
      if (!(err <= 1e-5 * std::max(mag, 1.0))) {
        std::printf("FAIL gemm %s M=%ld N=%ld K=%ld bias=%d: error %.3g\n", name.c_str(), (long)M, (long)N, (long)K,
                    b != nullptr, err);
        ++failures;
      }
    }
  }
  if (ppms::gemm_kernel("no-such-kernel") != nullptr) {
    std::printf("FAIL an unknown gemm kernel name was accepted\n");
    ++failures;
  }
  std::printf("gemm: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
