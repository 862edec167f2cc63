// fast_math.h's exp and sigmoid on 16 floats in an AVX-512 register: the same polynomial with FMAs, 2^n by vscalefps,
// and the sigmoid's reciprocal by vrcp14ps and one Newton step (about 1 ulp) instead of vdivps, whose 512-bit form
// issues once every few cycles: the loop of AAM's fused row waited on it for a third of its time.
#pragma once

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "core/common/fast_math.h"
#include "core/cpu.h"

namespace ppms {

// Max and min with the constant first: they return their second operand where either is NaN, so a NaN stays NaN.
// The maskz forms with every lane set, as in activate_avx512.h (GCC 12 warns on the plain ones).
PPMS_TARGET_AVX512F inline __m512 fast_exp16(__m512 x) {
  using namespace exp_poly;
  const __mmask16 all = 0xffff;
  x = _mm512_maskz_min_ps(all, _mm512_set1_ps(kMax), _mm512_maskz_max_ps(all, _mm512_set1_ps(kMin), x));
  const __m512 n =
      _mm512_maskz_roundscale_ps(all, _mm512_mul_ps(x, _mm512_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT);
  const __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x));
  __m512 p = _mm512_set1_ps(kC[0]);
  for (int i = 1; i < 6; ++i) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kC[i]));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_maskz_scalef_ps(all, p, n);
}

PPMS_TARGET_AVX512F inline __m512 fast_sigmoid16(__m512 x) {
  const __m512 d = _mm512_add_ps(_mm512_set1_ps(1.0f), fast_exp16(_mm512_sub_ps(_mm512_setzero_ps(), x)));
  const __m512 r = _mm512_maskz_rcp14_ps(0xffff, d);
  return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}

}  // namespace ppms
#endif
