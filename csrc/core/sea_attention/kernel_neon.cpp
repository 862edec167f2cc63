// SEA's stages on NEON. The depthwise 3x3 + ReLU6 (with the axial means), for planes a whole number of vectors wide
// (W = 8 or 16 at 512x512): from a zero-bordered copy of the plane, every tap is one unaligned load and one FMA, and the ReLU6 is
// fmax / fmin. The portable loop in stages.cpp (built without FMA contraction) took a multiply and an add per tap,
// and its clamp, kept NaN-propagating and exact for -0, 13 instructions: 45 instructions per 4 outputs, here 23.
#if defined(__aarch64__)
#include <arm_neon.h>

#include <vector>

#include "core/sea_attention/stages.h"

namespace ppms {
namespace sea {

namespace {
// clamp6 by fmax / fmin, which keep a NaN as it does; the compiler spends 13 instructions per vector on the scalar
// one, whose -0 it must keep (fmax(-0, 0) is +0 where std::max keeps -0: equal values for what follows).
inline float32x4_t clamp6(float32x4_t v) { return vminq_f32(vmaxq_f32(v, vdupq_n_f32(0.0f)), vdupq_n_f32(6.0f)); }
}  // namespace

void stride_dw_neon(const float* x, int64_t H0, int64_t W0, int64_t ldx, const float* w, const float* b, float* out,
                    int64_t c0, int64_t c1) {
  if (W0 % 8 != 0) return stride_dw(x, H0, W0, ldx, w, b, out, c0, c1);
  // stages.cpp's even / odd split, by ld2 (one load splits 8 inputs), and one FMA per tap
  const int64_t H = half_up(H0), W = W0 / 2, P = W + 1;
  std::vector<float> ev((H0 + 2) * P, 0.0f), od((H0 + 2) * P, 0.0f);
  for (int64_t c = c0; c < c1; ++c) {
    const float* xc = x + c * ldx;
    for (int64_t y = 0; y < H0; ++y)
      for (int64_t j = 0; j < W; j += 4) {
        const float32x4x2_t v = vld2q_f32(xc + y * W0 + 2 * j);  // x[2j] (odd taps o[j]), x[2j + 1] (e[j + 1])
        vst1q_f32(od.data() + (y + 1) * P + j, v.val[0]);
        vst1q_f32(ev.data() + (y + 1) * P + j + 1, v.val[1]);
      }
    float32x4_t k[9];
    for (int t = 0; t < 9; ++t) k[t] = vdupq_n_f32(w[c * 9 + t]);
    const float32x4_t bias = vdupq_n_f32(b[c]);
    for (int64_t i = 0; i < H; ++i) {
      const float *e0 = ev.data() + 2 * i * P, *o0 = od.data() + 2 * i * P;
      float* o = out + (c * H + i) * W;
      for (int64_t j = 0; j < W; j += 4) {
        float32x4_t s = bias;
        for (int r = 0; r < 3; ++r) {
          const float *e = e0 + r * P + j, *od_r = o0 + r * P + j;
          s = vfmaq_f32(s, vld1q_f32(e), k[3 * r]);
          s = vfmaq_f32(s, vld1q_f32(od_r), k[3 * r + 1]);
          s = vfmaq_f32(s, vld1q_f32(e + 1), k[3 * r + 2]);
        }
        vst1q_f32(o + j, s);
      }
    }
  }
}

void dw3x3_relu6_neon(const float* x, int64_t H, int64_t W, const float* w, const float* b, float* out, int64_t c0,
                      int64_t c1, float* mr, float* mc) {
  if (W % 4 != 0) return dw3x3_relu6(x, H, W, w, b, out, c0, c1, mr, mc);
  const int64_t P = W + 2;
  std::vector<float> pad((H + 2) * P, 0.0f);  // the border stays zero: it is the padding
  const float32x4_t zero = vdupq_n_f32(0.0f), six = vdupq_n_f32(6.0f);
  const float iw = 1.0f / static_cast<float>(W), ih = 1.0f / static_cast<float>(H);
  for (int64_t c = c0; c < c1; ++c) {
    const float* xc = x + c * H * W;
    // the copy, and with it axial_means' row and column sums (their own pass was a tenth of base's SEA stages)
    float* cols = mr ? mc + c * W : nullptr;
    for (int64_t i = 0; i < H; ++i) {
      float32x4_t sum = zero;
      for (int64_t j = 0; j < W; j += 4) {
        const float32x4_t v = vld1q_f32(xc + i * W + j);
        vst1q_f32(pad.data() + (i + 1) * P + 1 + j, v);
        if (!cols) continue;
        sum = vaddq_f32(sum, v);
        vst1q_f32(cols + j, i == 0 ? v : vaddq_f32(vld1q_f32(cols + j), v));
      }
      if (cols) mr[c * H + i] = vaddvq_f32(sum) * iw;
    }
    for (int64_t j = 0; cols && j < W; j += 4) vst1q_f32(cols + j, vmulq_n_f32(vld1q_f32(cols + j), ih));
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

void relu6_neon(float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(x + i, clamp6(vld1q_f32(x + i)));
  for (; i < n; ++i) x[i] = clamp6(x[i]);
}

void mix_relu6_neon(const float* v, const float* row, const float* col, int64_t H, int64_t W, float* out, int64_t c0,
                    int64_t c1) {
  for (int64_t c = c0; c < c1; ++c) {
    const float* cc = col + c * W;
    for (int64_t i = 0; i < H; ++i) {
      const float r = row[c * H + i];
      const float* vi = v + (c * H + i) * W;
      float* o = out + (c * H + i) * W;
      int64_t j = 0;
      for (; j + 4 <= W; j += 4)
        vst1q_f32(o + j, clamp6(vaddq_f32(vld1q_f32(vi + j), vaddq_f32(vdupq_n_f32(r), vld1q_f32(cc + j)))));
      for (; j < W; ++j) o[j] = clamp6(vi[j] + (r + cc[j]));
    }
  }
}

void gate_upsample_neon(const float* p, const float* detail, int64_t H, int64_t W, int64_t H0, int64_t W0, float* y,
                        int64_t ldy, int64_t c0, int64_t c1, float* scratch) {
  const auto gate = [](const float* pc, const float* dc, int64_t n, float* g) {
    int64_t q = 0;
    for (; q + 4 <= n; q += 4)
      vst1q_f32(g + q, vmulq_f32(vmulq_n_f32(clamp6(vaddq_f32(vld1q_f32(pc + q), vdupq_n_f32(3.0f))), 1.0f / 6.0f),
                                 vld1q_f32(dc + q)));
    for (; q < n; ++q) g[q] = clamp6(pc[q] + 3.0f) * (1.0f / 6.0f) * dc[q];
  };
  gate_upsample_with(gate, p, detail, H, W, H0, W0, y, ldy, c0, c1, scratch);
}

}  // namespace sea
}  // namespace ppms
#endif
