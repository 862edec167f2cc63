// activate.h's activations on 16 floats in an AVX-512 register, and the lane masks of partial vectors. Max and min in their maskz forms with every lane set
// (the same instructions): the plain ones start from _mm512_undefined_ps(), which GCC 12 reports as maybe
// uninitialised wherever they are inlined.
#pragma once

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <cstdint>

#include "core/cpu.h"
#include "ppms/types.h"

namespace ppms {

// The mask of the first n of 16 lanes (none for n <= 0): a partial panel's columns, a row's last values.
inline __mmask16 first16(int64_t n) { return n >= 16 ? __mmask16(0xffff) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1); }

template <Activation A>
PPMS_TARGET_AVX512F inline __m512 activate16(__m512 v) {
  const __m512 zero = _mm512_setzero_ps();
  const __mmask16 all = 0xffff;
  if constexpr (A == Activation::relu) return _mm512_maskz_max_ps(all, v, zero);
  if constexpr (A == Activation::relu6)
    return _mm512_maskz_min_ps(all, _mm512_maskz_max_ps(all, v, zero), _mm512_set1_ps(6.0f));
  if constexpr (A == Activation::hardswish) {
    const __m512 g = _mm512_fmadd_ps(v, _mm512_set1_ps(1.0f / 6.0f), _mm512_set1_ps(0.5f));
    return _mm512_mul_ps(v, _mm512_maskz_min_ps(all, _mm512_maskz_max_ps(all, g, zero), _mm512_set1_ps(1.0f)));
  }
  return v;
}

}  // namespace ppms
#endif
