// SEA's depthwise 3x3 + ReLU6 (with the axial means) on AVX-512 for planes at most 16 wide, every real shape (W = 8
// or 16 at 512x512): a row is one vector and its neighbours are masked loads one float left and right, so the
// padding is the mask (stages.cpp copied each plane into a zero border, and its loops ran a quarter vector wide).
// Base's 512 planes of 16x16, hot in cache: 123 -> 45 us; 768 of 8x8: 85 -> 35 us.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "core/cpu.h"
#include "core/sea_attention/stages.h"

namespace ppms {
namespace sea {
namespace {

// Row i of a plane as (left neighbours, itself, right neighbours), zero past the plane's edges.
PPMS_TARGET_AVX512F inline void load(const float* plane, int64_t H, int64_t W, int64_t i, __m512* r) {
  if (i < 0 || i >= H) {
    r[0] = r[1] = r[2] = _mm512_setzero_ps();
    return;
  }
  const __mmask16 row = static_cast<__mmask16>((1u << W) - 1);
  const float* p = plane + i * W;
  r[0] = _mm512_maskz_loadu_ps(row & static_cast<__mmask16>(~1u), p - 1);
  r[1] = _mm512_maskz_loadu_ps(row, p);
  r[2] = _mm512_maskz_loadu_ps(row >> 1, p + 1);
}

// The sum of v's lanes. The halves through maskz extracts: _mm512_reduce_add_ps and _mm512_castps512_ps256 start from
// an undefined vector in GCC 12, which it then reports as maybe uninitialised.
PPMS_TARGET_AVX512F inline float lane_sum(__m512 v) {
  const __m256 lo = _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xff, _mm512_castps_pd(v), 0));
  const __m256 hi = _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xff, _mm512_castps_pd(v), 1));
  const __m256 s8 = _mm256_add_ps(lo, hi);
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

PPMS_TARGET_AVX512F void dw3x3(const float* x, int64_t H, int64_t W, const float* w, const float* b, float* out,
                               int64_t c0, int64_t c1, float* mr, float* mc) {
  const __mmask16 row = static_cast<__mmask16>((1u << W) - 1);
  const __m512 zero = _mm512_setzero_ps(), six = _mm512_set1_ps(6.0f);
  const float iw = 1.0f / static_cast<float>(W), ih = 1.0f / static_cast<float>(H);
  for (int64_t c = c0; c < c1; ++c) {
    const float* xc = x + c * H * W;
    __m512 k[9];
    for (int t = 0; t < 9; ++t) k[t] = _mm512_set1_ps(w[c * 9 + t]);
    const __m512 bias = _mm512_set1_ps(b[c]);
    // rows i - 1, i, i + 1, each as (left neighbours, itself, right neighbours); zero past the top and bottom
    __m512 v[3][3];
    load(xc, H, W, -1, v[0]);
    load(xc, H, W, 0, v[1]);
    __m512 cols = zero;
    for (int64_t i = 0; i < H; ++i) {
      load(xc, H, W, i + 1, v[2]);
      // three independent sums, one per input row
      __m512 s0 = _mm512_fmadd_ps(v[0][0], k[0], bias), s1 = _mm512_mul_ps(v[1][0], k[3]),
             s2 = _mm512_mul_ps(v[2][0], k[6]);
      s0 = _mm512_fmadd_ps(v[0][1], k[1], s0), s1 = _mm512_fmadd_ps(v[1][1], k[4], s1);
      s2 = _mm512_fmadd_ps(v[2][1], k[7], s2);
      s0 = _mm512_fmadd_ps(v[0][2], k[2], s0), s1 = _mm512_fmadd_ps(v[1][2], k[5], s1);
      s2 = _mm512_fmadd_ps(v[2][2], k[8], s2);
      const __m512 y = _mm512_add_ps(_mm512_add_ps(s0, s1), s2);
      _mm512_mask_storeu_ps(out + (c * H + i) * W, row,
                            _mm512_maskz_min_ps(row, _mm512_maskz_max_ps(row, y, zero), six));
      if (mr) {
        mr[c * H + i] = lane_sum(v[1][1]) * iw;
        cols = _mm512_add_ps(cols, v[1][1]);
      }
      for (int j = 0; j < 3; ++j) v[0][j] = v[1][j], v[1][j] = v[2][j];
    }
    if (mr) _mm512_mask_storeu_ps(mc + c * W, row, _mm512_mul_ps(cols, _mm512_set1_ps(ih)));
  }
}

}  // namespace

void dw3x3_relu6_avx512(const float* x, int64_t H, int64_t W, const float* w, const float* b, float* out, int64_t c0,
                        int64_t c1, float* mr, float* mc) {
  if (W > 16) return dw3x3_relu6(x, H, W, w, b, out, c0, c1, mr, mc);
  dw3x3(x, H, W, w, b, out, c0, c1, mr, mc);
}

}  // namespace sea
}  // namespace ppms
#endif
