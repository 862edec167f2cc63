#include "core/common/convert.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace ppms {

// Four values per step, each step's loads before its stores: in place, a step's stores reach only values already
// read (to_half: y[i] overlaps x[i / 2]; to_float, from the end: y[i] overlaps x[2 i], x[2 i + 1]).
void to_half(const float* x, int64_t n, half* y) {
  int64_t i = 0;
#if defined(__aarch64__)
  for (; i + 4 <= n; i += 4) vst1_u16(y + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x + i))));
#endif
  for (; i < n; ++i) y[i] = half_from_float(x[i]);
}

void to_float(const half* x, int64_t n, float* y) {
  int64_t i = n;
#if defined(__aarch64__)
  for (; i >= 4; i -= 4) vst1q_f32(y + i - 4, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(x + i - 4))));
#endif
  while (i > 0) --i, y[i] = half_to_float(x[i]);
}

}  // namespace ppms
