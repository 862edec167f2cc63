// activate.h's activations on 8 floats in an AVX2 register.
#pragma once

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "core/cpu.h"
#include "ppms/types.h"

namespace ppms {

template <Activation A>
PPMS_TARGET_AVX2_FMA inline __m256 activate8(__m256 v) {
  const __m256 zero = _mm256_setzero_ps();
  if constexpr (A == Activation::relu) return _mm256_max_ps(v, zero);
  if constexpr (A == Activation::relu6) return _mm256_min_ps(_mm256_max_ps(v, zero), _mm256_set1_ps(6.0f));
  if constexpr (A == Activation::hardswish) {
    const __m256 g = _mm256_fmadd_ps(v, _mm256_set1_ps(1.0f / 6.0f), _mm256_set1_ps(0.5f));
    return _mm256_mul_ps(v, _mm256_min_ps(_mm256_max_ps(g, zero), _mm256_set1_ps(1.0f)));
  }
  return v;
}

}  // namespace ppms
#endif
