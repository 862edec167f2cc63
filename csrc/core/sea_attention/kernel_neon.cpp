// SEA's depthwise 3x3 + ReLU6 on NEON for planes a whole number of vectors wide (W = 8 or 16 at 512x512): from a
// zero-bordered copy of the plane, every tap is one unaligned load and one FMA, and the ReLU6 is fmax / fmin. The
// portable loop in stages.cpp (built without FMA contraction) took a multiply and an add per tap, and its clamp, kept
// NaN-propagating and exact for -0, 13 instructions: 45 instructions per 4 outputs, here 23.
#if defined(__aarch64__)
#include <arm_neon.h>

#include <vector>

#include "core/sea_attention/stages.h"

namespace ppms {
namespace sea {

void dw3x3_relu6_neon(const float* x, int64_t H, int64_t W, const float* w, const float* b, float* out, int64_t c0,
                      int64_t c1, float* mr, float* mc) {
  const int64_t P = W + 2;
  std::vector<float> pad((H + 2) * P, 0.0f);  // the border stays zero: it is the padding
  const float32x4_t zero = vdupq_n_f32(0.0f), six = vdupq_n_f32(6.0f);
  for (int64_t c = c0; c < c1; ++c) {
    const float* xc = x + c * H * W;
    for (int64_t i = 0; i < H; ++i)
      for (int64_t j = 0; j < W; j += 4) vst1q_f32(pad.data() + (i + 1) * P + 1 + j, vld1q_f32(xc + i * W + j));
    if (mr) axial_means(x, H, W, mr, mc, c, c + 1);  // this plane is in L1 now
    float32x4_t k[9];
    for (int t = 0; t < 9; ++t) k[t] = vdupq_n_f32(w[c * 9 + t]);
    const float32x4_t bias = vdupq_n_f32(b[c]);
    for (int64_t i = 0; i < H; ++i) {
      const float* r0 = pad.data() + i * P;  // column -1 of input row i - 1
      const float *r1 = r0 + P, *r2 = r1 + P;
      float* o = out + (c * H + i) * W;
      for (int64_t j = 0; j < W; j += 4) {
        float32x4_t s = vfmaq_f32(bias, vld1q_f32(r0 + j), k[0]);
        s = vfmaq_f32(s, vld1q_f32(r0 + j + 1), k[1]);
        s = vfmaq_f32(s, vld1q_f32(r0 + j + 2), k[2]);
        s = vfmaq_f32(s, vld1q_f32(r1 + j), k[3]);
        s = vfmaq_f32(s, vld1q_f32(r1 + j + 1), k[4]);
        s = vfmaq_f32(s, vld1q_f32(r1 + j + 2), k[5]);
        s = vfmaq_f32(s, vld1q_f32(r2 + j), k[6]);
        s = vfmaq_f32(s, vld1q_f32(r2 + j + 1), k[7]);
        s = vfmaq_f32(s, vld1q_f32(r2 + j + 2), k[8]);
        vst1q_f32(o + j, vminq_f32(vmaxq_f32(s, zero), six));  // a NaN stays NaN, as in clamp6
      }
    }
  }
}

}  // namespace sea
}  // namespace ppms
#endif
