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

// Bias plus the first 4 * n4 (n4 >= 1) k steps of a 4 x 16 block, into sums [4][16], in assembly: a 4-register ld1
// has no offset form, only the post-increment, which GCC does not use for a run of them (it computes an address per
// load: 79 instructions per 64 FMAs, 74 here). Accumulators in v0-v15 (row r, columns 4c..4c+3 in v(4r + c)), each
// row's four inputs in v20-v23, panel rows alternately in v24-v27 and v28-v31 so that one loads while the other is in
// use. p is left past the panel rows read.
#define PPMS_FMLA4(d0, d1, d2, d3, w0, w1, w2, w3, a, L) \
  "fmla v" #d0 ".4s, v" #w0 ".4s, v" #a ".s[" #L "]\n\t" \
  "fmla v" #d1 ".4s, v" #w1 ".4s, v" #a ".s[" #L "]\n\t" \
  "fmla v" #d2 ".4s, v" #w2 ".4s, v" #a ".s[" #L "]\n\t" \
  "fmla v" #d3 ".4s, v" #w3 ".4s, v" #a ".s[" #L "]\n\t"
#define PPMS_STEP(L, w0, w1, w2, w3)                                                                       \
  PPMS_FMLA4(0, 1, 2, 3, w0, w1, w2, w3, 20, L) PPMS_FMLA4(4, 5, 6, 7, w0, w1, w2, w3, 21, L)             \
      PPMS_FMLA4(8, 9, 10, 11, w0, w1, w2, w3, 22, L) PPMS_FMLA4(12, 13, 14, 15, w0, w1, w2, w3, 23, L)
inline void k_steps4(const float* bias, const float* x, int64_t ldx, const float*& p, int64_t n4, float* sums) {
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  asm volatile(
      "ld1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[bias]]\n\t"
      "mov v4.16b, v0.16b\n\tmov v5.16b, v1.16b\n\tmov v6.16b, v2.16b\n\tmov v7.16b, v3.16b\n\t"
      "mov v8.16b, v0.16b\n\tmov v9.16b, v1.16b\n\tmov v10.16b, v2.16b\n\tmov v11.16b, v3.16b\n\t"
      "mov v12.16b, v0.16b\n\tmov v13.16b, v1.16b\n\tmov v14.16b, v2.16b\n\tmov v15.16b, v3.16b\n\t"
      "1:\n\t"
      "ldr q20, [%[x0]], #16\n\t"
      "ldr q21, [%[x1]], #16\n\t"
      "ldr q22, [%[x2]], #16\n\t"
      "ldr q23, [%[x3]], #16\n\t"
      "ld1 {v24.4s, v25.4s, v26.4s, v27.4s}, [%[p]], #64\n\t"
      "ld1 {v28.4s, v29.4s, v30.4s, v31.4s}, [%[p]], #64\n\t"
      PPMS_STEP(0, 24, 25, 26, 27)
      "ld1 {v24.4s, v25.4s, v26.4s, v27.4s}, [%[p]], #64\n\t"
      PPMS_STEP(1, 28, 29, 30, 31)
      "ld1 {v28.4s, v29.4s, v30.4s, v31.4s}, [%[p]], #64\n\t"
      PPMS_STEP(2, 24, 25, 26, 27)
      PPMS_STEP(3, 28, 29, 30, 31)
      "subs %[n], %[n], #1\n\t"
      "b.ne 1b\n\t"
      "st1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[sums]], #64\n\t"
      "st1 {v4.4s, v5.4s, v6.4s, v7.4s}, [%[sums]], #64\n\t"
      "st1 {v8.4s, v9.4s, v10.4s, v11.4s}, [%[sums]], #64\n\t"
      "st1 {v12.4s, v13.4s, v14.4s, v15.4s}, [%[sums]]\n\t"
      : [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [x3] "+r"(x3), [p] "+r"(p), [n] "+r"(n4), [sums] "+r"(sums)
      : [bias] "r"(bias)
      : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14",
        "v15", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
}
#undef PPMS_STEP
#undef PPMS_FMLA4

template <int R, Activation A, bool RES>
struct Rows {
  static void run(const Tile& t) {
    // Locals: the stores through y may alias t, so every field read after one would be reloaded (nor may acc spill).
    const float *x = t.x, *bias = t.bias, *residual = t.residual;
    const int64_t ldx = t.ldx, K = t.k, ldy = t.ldy, ldr = t.ldr, n = t.n;
    float* y = t.y;
    for (int64_t j = 0; j < n; j += kConv1x1Panel) {
      float32x4_t acc[R][4];
      const float* p = t.panel + (j / kConv1x1Panel) * t.panel_stride;
      int64_t k = 0;
      if (R == 4 && K >= 4) {
        alignas(16) float sums[4][kConv1x1Panel];
        k_steps4(bias + j, x, ldx, p, K / 4, sums[0]);
        k = K / 4 * 4;
        PPMS_UNROLL
        for (int r = 0; r < R; ++r)
          PPMS_UNROLL
          for (int c = 0; c < 4; ++c) acc[r][c] = vld1q_f32(sums[r] + 4 * c);
      } else {
        PPMS_UNROLL
        for (int c = 0; c < 4; ++c) {
          const float32x4_t b = vld1q_f32(bias + j + 4 * c);
          PPMS_UNROLL
          for (int r = 0; r < R; ++r) acc[r][c] = b;
        }
      }
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
