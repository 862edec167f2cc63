// AVX2 + FMA depthwise rows: kernel_impl.h over 8-float vectors.
#if defined(__x86_64__) || defined(_M_X64)
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <immintrin.h>

#include "core/common/activate_avx2.h"
#include "core/depthwise/kernels.h"  // before the pragma: its inline functions are shared with the other files

#if defined(__clang__)  // the same region for clang, which ignores GCC's target pragma
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#include "core/depthwise/kernel_impl.h"

namespace ppms {
namespace dw {
namespace {
struct Avx2 {
  using T = float;
  using lane = float;
  using reg = __m256;
  static constexpr int N = 8;
  static constexpr int regs = 16;
  static constexpr bool offset_loads = false;
  static constexpr bool asm_blocks = false;
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, reg v) { _mm256_storeu_ps(p, v); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  template <Activation A>
  static reg activate(reg v) { return activate8<A>(v); }
};
}  // namespace

void kernel_avx2(const Row& r) { run<Avx2>(r); }

}  // namespace dw
}  // namespace ppms
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif
