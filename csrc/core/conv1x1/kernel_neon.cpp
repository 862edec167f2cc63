// NEON kernel (aarch64): tiles of 4 rows x 16 columns in 16 accumulators; four k steps at a time, each row's four
// inputs in one register and multiplied by lane (fmla by element), and each panel row loaded by one 4-register
// ld1, so a 4-step block costs 4 row loads, 4 panel loads and 64 FMAs. (5 rows would need more than the 32 vector
// registers once the compiler loads two panel rows ahead, and spills.)
#if defined(__aarch64__)
#include <arm_neon.h>

#include "core/conv1x1/kernels.h"
#include "core/cpu.h"

namespace ppms {
namespace pw {
namespace {

constexpr int kRows = 4;

template <Activation A>
inline float32x4_t activate4(float32x4_t v) {
  const float32x4_t zero = vdupq_n_f32(0.0f), six = vdupq_n_f32(6.0f);
  if constexpr (A == Activation::relu) return vmaxq_f32(v, zero);
  if constexpr (A == Activation::relu6) return vminq_f32(vmaxq_f32(v, zero), six);
  if constexpr (A == Activation::hardswish) {  // v * clamp(v / 6 + 1 / 2, 0, 1): 4 instructions, not 5
    const float32x4_t g = vfmaq_f32(vdupq_n_f32(0.5f), v, vdupq_n_f32(1.0f / 6.0f));
    return vmulq_f32(v, vminq_f32(vmaxq_f32(g, zero), vdupq_n_f32(1.0f)));
  }
  return v;
}

// One k step: the panel row q times lane L of each row's four inputs.
template <int R, int L>
inline void step(float32x4_t (&acc)[R][4], const float32x4_t (&a)[R], const float* q) {
  const float32x4x4_t w = vld1q_f32_x4(q);
  PPMS_UNROLL
  for (int r = 0; r < R; ++r) {
    acc[r][0] = vfmaq_laneq_f32(acc[r][0], w.val[0], a[r], L);
    acc[r][1] = vfmaq_laneq_f32(acc[r][1], w.val[1], a[r], L);
    acc[r][2] = vfmaq_laneq_f32(acc[r][2], w.val[2], a[r], L);
    acc[r][3] = vfmaq_laneq_f32(acc[r][3], w.val[3], a[r], L);
  }
}

template <int R, Activation A, bool RES>
struct Rows {
  static void run(const Tile& t) {
    // Locals: the stores through y may alias t, so every field read after one would be reloaded (nor may acc spill).
    const float *x = t.x, *bias = t.bias, *residual = t.residual;
    const int64_t ldx = t.ldx, K = t.k, ldy = t.ldy, ldr = t.ldr, n = t.n;
    float* y = t.y;
    for (int64_t j = 0; j < n; j += kConv1x1Panel) {
      float32x4_t acc[R][4];
      PPMS_UNROLL
      for (int c = 0; c < 4; ++c) {
        const float32x4_t b = vld1q_f32(bias + j + 4 * c);
        PPMS_UNROLL
        for (int r = 0; r < R; ++r) acc[r][c] = b;
      }
      const float* p = t.panel + (j / kConv1x1Panel) * t.panel_stride;
      int64_t k = 0;
      for (; k + 4 <= K; k += 4) {
        float32x4_t a[R];
        PPMS_UNROLL
        for (int r = 0; r < R; ++r) a[r] = vld1q_f32(x + r * ldx + k);
        // One pointer stepped after each panel row: a 4-register ld1 takes no offset, but a post-increment.
        step<R, 0>(acc, a, p), p += kConv1x1Panel;
        step<R, 1>(acc, a, p), p += kConv1x1Panel;
        step<R, 2>(acc, a, p), p += kConv1x1Panel;
        step<R, 3>(acc, a, p), p += kConv1x1Panel;
      }
      for (; k < K; ++k, p += kConv1x1Panel) {
        const float32x4x4_t w = vld1q_f32_x4(p);
        PPMS_UNROLL
        for (int r = 0; r < R; ++r) {
          const float av = x[r * ldx + k];
          PPMS_UNROLL
          for (int c = 0; c < 4; ++c) acc[r][c] = vfmaq_n_f32(acc[r][c], w.val[c], av);
        }
      }
      if (n - j >= kConv1x1Panel) {
        PPMS_UNROLL
        for (int r = 0; r < R; ++r)
          PPMS_UNROLL
          for (int c = 0; c < 4; ++c) {
            float32x4_t v = acc[r][c];
            if constexpr (RES) v = vaddq_f32(v, vld1q_f32(residual + r * ldr + j + 4 * c));
            vst1q_f32(y + r * ldy + j + 4 * c, activate4<A>(v));
          }
        continue;
      }
      float tile[R][kConv1x1Panel];  // the last, partial panel: through memory, column by column
      PPMS_UNROLL
      for (int r = 0; r < R; ++r)
        PPMS_UNROLL
        for (int c = 0; c < 4; ++c) vst1q_f32(tile[r] + 4 * c, acc[r][c]);
      for (int r = 0; r < R; ++r)
        for (int64_t c = 0; c < n - j; ++c)
          y[r * ldy + j + c] = activate(RES ? tile[r][c] + residual[r * ldr + j + c] : tile[r][c], A);
    }
  }
};

void tile(const Tile& t) { dispatch<Rows, kRows>(t); }

}  // namespace

Kernel kernel_neon() { return {tile, kRows}; }

}  // namespace pw
}  // namespace ppms
#endif
