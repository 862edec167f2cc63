// NEON tile (aarch64): 4 rows x 16 columns in 16 accumulators; four k steps at a time, each row's four inputs in
// one register and multiplied by lane (fmla by element), so a 4-step block costs 4 row loads, 16 panel loads and
// 64 FMAs.
#if defined(__aarch64__)
#include <arm_neon.h>

#include "core/conv1x1/kernels.h"
#include "core/cpu.h"

namespace ppms {
namespace pw {
namespace {

constexpr int kRows = 4;

inline float32x4_t activate4(float32x4_t v, Activation a) {
  const float32x4_t zero = vdupq_n_f32(0.0f), six = vdupq_n_f32(6.0f);
  switch (a) {
    case Activation::none: return v;
    case Activation::relu: return vmaxq_f32(v, zero);
    case Activation::relu6: return vminq_f32(vmaxq_f32(v, zero), six);
    case Activation::hardswish: {
      const float32x4_t g = vminq_f32(vmaxq_f32(vaddq_f32(v, vdupq_n_f32(3.0f)), zero), six);
      return vmulq_f32(vmulq_f32(v, g), vdupq_n_f32(1.0f / 6.0f));
    }
  }
  return v;
}

template <int R>
void rows(const Tile& t) {
  float32x4_t acc[R][4];
  PPMS_UNROLL
  for (int c = 0; c < 4; ++c) {
    const float32x4_t b = vld1q_f32(t.bias + 4 * c);
    PPMS_UNROLL
    for (int r = 0; r < R; ++r) acc[r][c] = b;
  }
  const float* p = t.panel;
  const float* x = t.x;
  const int64_t ldx = t.ldx, K = t.k;  // locals: the loop must not reload them (nor spill acc) on every step
  int64_t k = 0;
  for (; k + 4 <= K; k += 4) {
    float32x4_t a[R];
    PPMS_UNROLL
    for (int r = 0; r < R; ++r) a[r] = vld1q_f32(x + r * ldx + k);
#define PPMS_STEP(L)                                                        \
  {                                                                         \
    const float* q = p + (k + L) * kConv1x1Panel;                           \
    const float32x4_t w0 = vld1q_f32(q), w1 = vld1q_f32(q + 4), w2 = vld1q_f32(q + 8), w3 = vld1q_f32(q + 12); \
    PPMS_UNROLL
    for (int r = 0; r < R; ++r) {                                           \
      acc[r][0] = vfmaq_laneq_f32(acc[r][0], w0, a[r], L);                  \
      acc[r][1] = vfmaq_laneq_f32(acc[r][1], w1, a[r], L);                  \
      acc[r][2] = vfmaq_laneq_f32(acc[r][2], w2, a[r], L);                  \
      acc[r][3] = vfmaq_laneq_f32(acc[r][3], w3, a[r], L);                  \
    }                                                                       \
  }
    PPMS_STEP(0) PPMS_STEP(1) PPMS_STEP(2) PPMS_STEP(3)
#undef PPMS_STEP
  }
  for (; k < K; ++k) {
    const float* q = p + k * kConv1x1Panel;
    const float32x4_t w0 = vld1q_f32(q), w1 = vld1q_f32(q + 4), w2 = vld1q_f32(q + 8), w3 = vld1q_f32(q + 12);
    PPMS_UNROLL
    for (int r = 0; r < R; ++r) {
      const float av = x[r * ldx + k];
      acc[r][0] = vfmaq_n_f32(acc[r][0], w0, av);
      acc[r][1] = vfmaq_n_f32(acc[r][1], w1, av);
      acc[r][2] = vfmaq_n_f32(acc[r][2], w2, av);
      acc[r][3] = vfmaq_n_f32(acc[r][3], w3, av);
    }
  }
  // The epilogue reads the tile from memory once (see kernel_avx2.cpp).
  float tile[R][kConv1x1Panel];
  PPMS_UNROLL
  for (int r = 0; r < R; ++r)
    PPMS_UNROLL
    for (int c = 0; c < 4; ++c) vst1q_f32(tile[r] + 4 * c, acc[r][c]);
  PPMS_UNROLL
  for (int r = 0; r < R; ++r) {
    float* y = t.y + r * t.ldy;
    const float* res = t.residual ? t.residual + r * t.ldr : nullptr;
    if (t.n == kConv1x1Panel) {
      PPMS_UNROLL
      for (int c = 0; c < 4; ++c) {
        float32x4_t v = vld1q_f32(tile[r] + 4 * c);
        if (res) v = vaddq_f32(v, vld1q_f32(res + 4 * c));
        vst1q_f32(y + 4 * c, activate4(v, t.act));
      }
    } else {
      for (int64_t j = 0; j < t.n; ++j) y[j] = activate(res ? tile[r][j] + res[j] : tile[r][j], t.act);
    }
  }
}

void tile(const Tile& t) {
  switch (t.m) {
    case 4: return rows<4>(t);
    case 3: return rows<3>(t);
    case 2: return rows<2>(t);
    default: return rows<1>(t);
  }
}

}  // namespace

Kernel kernel_neon() { return {tile, kRows, 1}; }

}  // namespace pw
}  // namespace ppms
#endif
