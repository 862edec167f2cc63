// dst[j][i] = src[i][j] (+ add[j][i]) for a rows x cols block of a matrix, serially (callers parallelise over
// blocks): what turns channels-last activations into channel planes and back, inside the task that owns the channels.
#pragma once

#include <cstdint>

#if defined(__aarch64__)
#include <arm_neon.h>
#elif defined(__SSE2__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

namespace ppms {

namespace transpose_detail {

// One 4 x 4 block in registers on the instruction sets every build of the core has (SSE on x86-64, NEON on
// aarch64; 4 loads, 8 shuffles, 4 stores for 16 floats, where element by element took about 6.5 aarch64
// instructions each).
template <bool ADD>
inline void block4(const float* src, int64_t lds, float* dst, int64_t ldd, const float* add, int64_t lda) {
#if defined(__aarch64__)
  const float32x4_t a = vld1q_f32(src), b = vld1q_f32(src + lds), c = vld1q_f32(src + 2 * lds),
                    d = vld1q_f32(src + 3 * lds);
  const float64x2_t ab0 = vreinterpretq_f64_f32(vtrn1q_f32(a, b)), ab1 = vreinterpretq_f64_f32(vtrn2q_f32(a, b)),
                    cd0 = vreinterpretq_f64_f32(vtrn1q_f32(c, d)), cd1 = vreinterpretq_f64_f32(vtrn2q_f32(c, d));
  const float32x4_t t[4] = {vreinterpretq_f32_f64(vtrn1q_f64(ab0, cd0)), vreinterpretq_f32_f64(vtrn1q_f64(ab1, cd1)),
                            vreinterpretq_f32_f64(vtrn2q_f64(ab0, cd0)), vreinterpretq_f32_f64(vtrn2q_f64(ab1, cd1))};
  for (int r = 0; r < 4; ++r) vst1q_f32(dst + r * ldd, ADD ? vaddq_f32(t[r], vld1q_f32(add + r * lda)) : t[r]);
#elif defined(__SSE2__) || defined(_M_X64)
  __m128 a = _mm_loadu_ps(src), b = _mm_loadu_ps(src + lds), c = _mm_loadu_ps(src + 2 * lds),
         d = _mm_loadu_ps(src + 3 * lds);
  _MM_TRANSPOSE4_PS(a, b, c, d);
  const __m128 t[4] = {a, b, c, d};
  for (int r = 0; r < 4; ++r) _mm_storeu_ps(dst + r * ldd, ADD ? _mm_add_ps(t[r], _mm_loadu_ps(add + r * lda)) : t[r]);
#else
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) dst[c * ldd + r] = src[r * lds + c] + (ADD ? add[c * lda + r] : 0.0f);
#endif
}

}  // namespace transpose_detail

// src rows lds floats apart, dst rows ldd, add rows lda (add in dst's layout; ignored unless ADD). In strips of 16
// source rows: each destination run is 16 floats, about a cache line, written whole. (32 x 32 tiles walked the other
// way wrote 32 lines rows * 4 bytes apart, all in one L1 set when rows is a multiple of 1024, and ran at 1 GB/s.)
template <bool ADD>
inline void transpose(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst, int64_t ldd,
                      const float* add = nullptr, int64_t lda = 0) {
  constexpr int64_t T = 16;
  const int64_t j4 = cols / 4 * 4;
  for (int64_t i0 = 0; i0 < rows; i0 += T) {
    const int64_t i1 = i0 + T < rows ? i0 + T : rows, i4 = i0 + (i1 - i0) / 4 * 4;
    for (int64_t j = 0; j < j4; j += 4)
      for (int64_t i = i0; i < i4; i += 4)
        transpose_detail::block4<ADD>(src + i * lds + j, lds, dst + j * ldd + i, ldd, ADD ? add + j * lda + i : nullptr,
                                      lda);
    for (int64_t j = 0; j < cols; ++j)  // what the blocks left: the last rows % 4, the last columns % 4
      for (int64_t i = j < j4 ? i4 : i0; i < i1; ++i)
        dst[j * ldd + i] = src[i * lds + j] + (ADD ? add[j * lda + i] : 0.0f);
  }
}

}  // namespace ppms
