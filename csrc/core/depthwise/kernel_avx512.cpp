// AVX-512 depthwise rows: kernel_impl.h over 16-float vectors.
#if defined(__x86_64__) || defined(_M_X64)
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

// GCC 12 warns inside its own avx512fintrin.h (masked loads built from an undefined vector).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include "core/common/activate_avx512.h"
#include "core/depthwise/kernels.h"  // before the pragma: its inline functions are shared with the other files

#if defined(__clang__)  // the same region for clang, which ignores GCC's target pragma
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
#endif
#include "core/depthwise/kernel_impl.h"

namespace ppms {
namespace dw {
namespace {
struct Avx512 {
  using T = float;
  using lane = float;
  using reg = __m512;
  static constexpr int N = 16;
  static constexpr int regs = 32;
  static constexpr bool offset_loads = false;
  static constexpr bool asm_blocks = false;
  static reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, reg v) { _mm512_storeu_ps(p, v); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  template <Activation A>
  static reg activate(reg v) { return activate16<A>(v); }
};
// bf16 input rows: 16 values (32 bytes) widened to floats by a zero-extension and a shift (bf16 is a float's top half).
struct Avx512Bf16Rows : Avx512 {
  using In = bf16;
  static reg load_in(const bf16* p) {
    const __m512i v = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
  }
};
}  // namespace

void kernel_avx512(const Row& r) { run<Avx512>(r); }
void kernel_bf16_rows_avx512(const RowT<float, bf16>& r) { run<Avx512Bf16Rows>(r); }

}  // namespace dw
}  // namespace ppms
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif
