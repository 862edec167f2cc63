#include "core/common/convert.h"

#include <algorithm>

#include "core/common/bf16.h"
#include "core/cpu.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace ppms {

// Each step's loads before its stores: in place, a step's stores reach only values already read (to_half: y[i]
// overlaps x[i / 2]; to_float, from the end: y[i] overlaps x[2 i], x[2 i + 1]).
void to_half(const float* x, int64_t n, half* y) {
  int64_t i = 0;
#if defined(__aarch64__)
  for (; i + 16 <= n; i += 16) {  // 16 a step: the loop's own instructions were half of the 4-a-step version's
    const float32x4x4_t v = vld1q_f32_x4(x + i);
    const uint16x8x2_t h = {vreinterpretq_u16_f16(vcvt_high_f16_f32(vcvt_f16_f32(v.val[0]), v.val[1])),
                            vreinterpretq_u16_f16(vcvt_high_f16_f32(vcvt_f16_f32(v.val[2]), v.val[3]))};
    vst1q_u16_x2(y + i, h);
  }
  for (; i + 4 <= n; i += 4) vst1_u16(y + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x + i))));
#endif
  for (; i < n; ++i) y[i] = half_from_float(x[i]);
}

void to_float(const half* x, int64_t n, float* y) {
  int64_t i = n;
#if defined(__aarch64__)
  for (; i >= 16; i -= 16) {
    const uint16x8x2_t h = vld1q_u16_x2(x + i - 16);
    const float16x8_t a = vreinterpretq_f16_u16(h.val[0]), b = vreinterpretq_f16_u16(h.val[1]);
    const float32x4x4_t v = {vcvt_f32_f16(vget_low_f16(a)), vcvt_high_f32_f16(a), vcvt_f32_f16(vget_low_f16(b)),
                             vcvt_high_f32_f16(b)};
    vst1q_f32_x4(y + i - 16, v);
  }
  for (; i >= 4; i -= 4) vst1q_f32(y + i - 4, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(x + i - 4))));
#endif
  while (i > 0) --i, y[i] = half_to_float(x[i]);
}

void to_half_panels(const float* b, int64_t N, int64_t k0, int64_t k1, int64_t K1, half* panels) {
  constexpr int64_t P = 16;
  for (int64_t k = k0; k < k1; ++k) {
    const float* row = b + k * N;
    int64_t j = 0;
    for (; j + P <= N; j += P) to_half(row + j, P, panels + (j / P * K1 + k) * P);
    if (j < N) {
      half* dst = panels + (j / P * K1 + k) * P;
      to_half(row + j, N - j, dst);
      for (int64_t c = N - j; c < P; ++c) dst[c] = 0;
    }
  }
}

PPMS_CLONES void to_bf16_pairs(const float* x, int64_t n, uint32_t* out) {
  const int64_t pairs = n / 2;
#pragma omp simd
  for (int64_t i = 0; i < pairs; ++i) out[i] = bf16_bits(x[2 * i]) | bf16_bits(x[2 * i + 1]) << 16;
  if (n % 2) out[pairs] = bf16_bits(x[n - 1]);
}

// Whole pairs as words (two rows rounded and interleaved a vector at a time), a range's odd first or last row as halves.
PPMS_CLONES void to_bf16_panels(const float* b, int64_t N, int64_t k0, int64_t k1, int64_t rows, uint16_t* panels) {
  constexpr int64_t P = 16;
  auto* words = reinterpret_cast<uint32_t*>(panels);
  for (int64_t k = k0; k < k1;) {
    const float* r0 = b + k * N;
    if (k % 2 == 0 && k + 1 < k1) {
      const float* r1 = r0 + N;
      int64_t j = 0;
      for (; j + P <= N; j += P) {
        uint32_t* dst = words + (j / P * rows + k / 2) * P;
#pragma omp simd
        for (int64_t c = 0; c < P; ++c) dst[c] = bf16_bits(r0[j + c]) | bf16_bits(r1[j + c]) << 16;
      }
      for (int64_t c = 0; j < N && c < P; ++c)
        words[(j / P * rows + k / 2) * P + c] = j + c < N ? bf16_bits(r0[j + c]) | bf16_bits(r1[j + c]) << 16 : 0;
      k += 2;
    } else {
      for (int64_t j = 0; j < N; j += P) {
        uint16_t* dst = panels + ((j / P * rows + k / 2) * P) * 2 + k % 2;
        const int64_t n = std::min(P, N - j);
        for (int64_t c = 0; c < P; ++c) dst[2 * c] = c < n ? static_cast<uint16_t>(bf16_bits(r0[j + c])) : 0;
      }
      k += 1;
    }
  }
}

}  // namespace ppms
