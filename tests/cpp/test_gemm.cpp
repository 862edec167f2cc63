// Torch-free tests of the GEMM kernels: every kernel this CPU runs against the scalar reference, on random shapes
// (tails of every register block included), with and without bias.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "ppms/gemm.h"
#include "synthetic.h"

TEST_CASE("gemm: every kernel against the scalar kernel on random shapes") {
  std::mt19937 rng(7);
  const ppms::GemmFn scalar = ppms::gemm_kernel("scalar");
  REQUIRE((scalar != nullptr));  // parenthesised: doctest cannot print a function pointer
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
      INFO(name << " M=" << M << " N=" << N << " K=" << K << (b ? " with bias" : " without bias"));
      CHECK(ppms::check::max_error(out, ref) <= 1e-5 * ppms::check::max_abs(ref, 1.0));
    }
  }
}

TEST_CASE("gemm: an unknown kernel name is refused") { CHECK((ppms::gemm_kernel("no-such-kernel") == nullptr)); }
