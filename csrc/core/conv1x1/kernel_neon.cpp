// NEON kernel (aarch64): tiles of 4 rows x 16 columns in 16 accumulators; each row's inputs four k steps to a
// register and multiplied by lane (fmla by element), each panel row loaded by one 4-register ld1. The full panels of
// 4 rows run as one asm statement (panels4; eight k steps per iteration: 4 ldp of inputs, 8 panel loads, 128 FMAs),
// a last panel of at most 8 columns its k loop in assembly too (k_loop8); wider partial panels and the last rows of a
// tile (fewer than 4) run the intrinsics below, four k steps at a time.
// (5 rows would need more than the 32 vector registers with two panel rows in flight.)
#if defined(__aarch64__)
#include <arm_neon.h>

#include "core/common/activate_neon.h"
#include "core/common/neon_block.h"
#include "core/conv1x1/kernels.h"
#include "core/cpu.h"

namespace ppms {
namespace pw {
namespace {

constexpr int kRows = 4;

// One k step: the first 4V columns of the panel row q times lane L of each row's four inputs.
template <int R, int V, int L>
inline void step(float32x4_t (&acc)[R][V], const float32x4_t (&a)[R], const float* q) {
  float32x4_t w[V];
  if constexpr (V == 4) {
    const float32x4x4_t l = vld1q_f32_x4(q);
    w[0] = l.val[0], w[1] = l.val[1], w[2] = l.val[2], w[3] = l.val[3];
  } else {
    static_assert(V == 2, "a panel's first 8 or all 16 columns");
    const float32x4x2_t l = vld1q_f32_x2(q);
    w[0] = l.val[0], w[1] = l.val[1];
  }
  PPMS_UNROLL
  for (int r = 0; r < R; ++r)
    PPMS_UNROLL
    for (int c = 0; c < V; ++c) acc[r][c] = vfmaq_laneq_f32(acc[r][c], w[c], a[r], L);
}

// The first 8 columns of a panel for 4 rows (a last panel of at most 8 columns: N = 24, the classifier's 150), bias
// and k loop in assembly, into tile [4][8]: neon_block.h's loop on 8 accumulators (row r in v(2r), v(2r + 1)), each
// panel row's first 8 columns by one 2-register ld1 that steps over the whole row (of B's four registers per row, the
// first two). 78 instructions per 64 FMAs where the intrinsics below took 94.
#define PPMS_FMLA2(d0, d1, w0, w1, a, L) \
  "fmla v" #d0 ".4s, v" #w0 ".4s, v" #a ".s[" #L "]\n\tfmla v" #d1 ".4s, v" #w1 ".4s, v" #a ".s[" #L "]\n\t"
#define PPMS_STEP8_A(a0, a1, a2, a3, L, w0, w1)                         \
  PPMS_FMLA2(0, 1, w0, w1, a0, L) PPMS_FMLA2(2, 3, w0, w1, a1, L) \
      PPMS_FMLA2(4, 5, w0, w1, a2, L) PPMS_FMLA2(6, 7, w0, w1, a3, L)
#define PPMS_STEP8(L, w0, w1, w2, w3) PPMS_STEP8_A(20, 21, 22, 23, L, w0, w1)
#define PPMS_STEP8_HI(L, w0, w1, w2, w3) PPMS_STEP8_A(16, 17, 18, 19, L, w0, w1)
#define PPMS_ROW8(a, b, c, d) "ld1 {v" a ".4s, v" b ".4s}, [%[p]], %[row]\n\t" /* an immediate step must be 32 */
inline void k_loop8(const float* bias, const float* x, int64_t ldx, const float* p, int64_t K, float (&tile)[4][8]) {
  int64_t n = K / 8, kr = K % 8;
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  float* t = tile[0];
  asm volatile(
      "ld1 {v0.4s, v1.4s}, [%[bias]]\n\tld1 {v2.4s, v3.4s}, [%[bias]]\n\t"
      "ld1 {v4.4s, v5.4s}, [%[bias]]\n\tld1 {v6.4s, v7.4s}, [%[bias]]\n\t"
      PPMS_NEON_K_LOOP_WITH(PPMS_ROW8, PPMS_STEP8, PPMS_STEP8_HI)
      "st1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[t]], #64\n\tst1 {v4.4s, v5.4s, v6.4s, v7.4s}, [%[t]]\n\t"
      : [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [x3] "+r"(x3), [p] "+r"(p), [n] "+r"(n), [kr] "+r"(kr),
        [t] "+r"(t)
      : [bias] "r"(bias), [row] "r"(int64_t{4 * kConv1x1Panel})
      : PPMS_NEON_CLOBBERS);
}
#undef PPMS_ROW8
#undef PPMS_STEP8_HI
#undef PPMS_STEP8
#undef PPMS_STEP8_A
#undef PPMS_FMLA2

// acc = bias + the k loop of columns [0, 4V) of a panel for R rows, by intrinsics.
template <int R, int V>
inline void accumulate(const float* x, int64_t ldx, const float* p, int64_t K, const float* bias,
                       float32x4_t (&acc)[R][V]) {
  PPMS_UNROLL
  for (int c = 0; c < V; ++c) {
    const float32x4_t b = vld1q_f32(bias + 4 * c);
    PPMS_UNROLL
    for (int r = 0; r < R; ++r) acc[r][c] = b;
  }
  int64_t k = 0;
  for (; k + 4 <= K; k += 4) {
    float32x4_t a[R];
    PPMS_UNROLL
    for (int r = 0; r < R; ++r) a[r] = vld1q_f32(x + r * ldx + k);
    // One pointer stepped after each panel row: a 4-register ld1 takes no offset, but a post-increment.
    step<R, V, 0>(acc, a, p), p += kConv1x1Panel;
    step<R, V, 1>(acc, a, p), p += kConv1x1Panel;
    step<R, V, 2>(acc, a, p), p += kConv1x1Panel;
    step<R, V, 3>(acc, a, p), p += kConv1x1Panel;
  }
  for (; k < K; ++k, p += kConv1x1Panel) {
    PPMS_UNROLL
    for (int r = 0; r < R; ++r) {
      const float av = x[r * ldx + k];
      PPMS_UNROLL
      for (int c = 0; c < V; ++c) acc[r][c] = vfmaq_n_f32(acc[r][c], vld1q_f32(p + 4 * c), av);
    }
  }
}

// Columns [j, j + w) of R rows, w <= 4V: the last rows of a tile, or a partial panel (w < 16, with V = 2 when w <= 8:
// no FMAs on the panel's zero columns past 8; its k loop by k_loop8 for 4 rows).
template <int R, int V, Activation A, bool RES>
inline void columns(const float* x, int64_t ldx, const float* p, int64_t K, const float* bias, float* y, int64_t ldy,
                    const float* residual, int64_t ldr, int64_t w) {
  float32x4_t acc[R][V];
  if constexpr (R == 4 && V == 2) {
    float t[4][8];
    k_loop8(bias, x, ldx, p, K, t);
    PPMS_UNROLL
    for (int r = 0; r < R; ++r) acc[r][0] = vld1q_f32(t[r]), acc[r][1] = vld1q_f32(t[r] + 4);
  } else {
    accumulate<R, V>(x, ldx, p, K, bias, acc);
  }
  if (w == 4 * V) {
    PPMS_UNROLL
    for (int r = 0; r < R; ++r)
      PPMS_UNROLL
      for (int c = 0; c < V; ++c) {
        float32x4_t v = acc[r][c];
        if constexpr (RES) v = vaddq_f32(v, vld1q_f32(residual + r * ldr + 4 * c));
        vst1q_f32(y + r * ldy + 4 * c, activate4<A>(v));
      }
    return;
  }
  float tile[R][4 * V];  // through memory, column by column
  PPMS_UNROLL
  for (int r = 0; r < R; ++r)
    PPMS_UNROLL
    for (int c = 0; c < V; ++c) vst1q_f32(tile[r] + 4 * c, acc[r][c]);
  for (int r = 0; r < R; ++r)
    for (int64_t c = 0; c < w; ++c) y[r * ldy + c] = activate(RES ? tile[r][c] + residual[r * ldr + c] : tile[r][c], A);
}

// All full panels of 4 rows in one asm statement (core/common/neon_block.h has the k loop and its registers): per
// panel the bias, k loop, residual, activation and one st1 per row of 16 outputs, then the next panel with no return
// to C++ (a call per 4 x 16 block cost 47 instructions outside the k loop, a third of the FMAs at K = 16; here 20).
// The panels lie one after another (K rows of 16 each), so p walks on through them; y and the residual rows step
// back by 4 rows less 16 columns after each panel.
#define PPMS_PANEL_ROW(a, b, c, d) "ld1 {v" a ".4s, v" b ".4s, v" c ".4s, v" d ".4s}, [%[p]], #64\n\t"
#define PPMS_LOOP                                                                                              \
  "0:\n\t"                                                                                                     \
  "mov %[x0], %[x]\n\tadd %[x1], %[x], %[ldxb]\n\tadd %[x2], %[x1], %[ldxb]\n\tadd %[x3], %[x2], %[ldxb]\n\t"     \
  "mov %[n], %[n8]\n\tmov %[kr], %[kr0]\n\t"                                                                    \
  "ld1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[bias]]\n\t" /* the bias into each row: 4 loads, not 1 load + 12 movs */ \
  "ld1 {v4.4s, v5.4s, v6.4s, v7.4s}, [%[bias]]\n\t"                                                           \
  "ld1 {v8.4s, v9.4s, v10.4s, v11.4s}, [%[bias]]\n\t"                                                         \
  "ld1 {v12.4s, v13.4s, v14.4s, v15.4s}, [%[bias]], #64\n\t" PPMS_NEON_K_LOOP(PPMS_PANEL_ROW)
#define PPMS_ADD_ROW(r, d0, d1, d2, d3)                               \
  "ld1 {v16.4s, v17.4s, v18.4s, v19.4s}, [%[r]], %[ldrb]\n\t"      \
  "fadd v" #d0 ".4s, v" #d0 ".4s, v16.4s\n\tfadd v" #d1 ".4s, v" #d1 ".4s, v17.4s\n\t" \
  "fadd v" #d2 ".4s, v" #d2 ".4s, v18.4s\n\tfadd v" #d3 ".4s, v" #d3 ".4s, v19.4s\n\t"
#define PPMS_RESIDUAL                                                                        \
  PPMS_ADD_ROW(0, 0, 1, 2, 3) PPMS_ADD_ROW(1, 4, 5, 6, 7) PPMS_ADD_ROW(2, 8, 9, 10, 11) \
      PPMS_ADD_ROW(3, 12, 13, 14, 15) "sub %[r], %[r], %[rback]\n\t"
// op applied to all 16 accumulators: op(d) expands to the instructions for register vd
#define PPMS_ALL(op) \
  op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15)
#define PPMS_MAX0(d) PPMS_NEON_RELU_ASM("4s", d, 24)
#define PPMS_MIN6(d) PPMS_NEON_MIN_ASM("4s", d, 25)
#define PPMS_HSWISH(d) PPMS_NEON_HSWISH_ASM("4s", d, 28, 24, 26, 27, 29)
#define PPMS_RELU "movi v24.4s, #0\n\t" PPMS_ALL(PPMS_MAX0)
#define PPMS_RELU6 "movi v24.4s, #0\n\tfmov v25.4s, #6.0\n\t" PPMS_ALL(PPMS_MAX0) PPMS_ALL(PPMS_MIN6)
#define PPMS_HARDSWISH \
  "movi v24.4s, #0\n\tfmov v26.4s, #0.5\n\tfmov v27.4s, #1.0\n\tdup v29.4s, %w[sixth]\n\t" PPMS_ALL(PPMS_HSWISH)
#define PPMS_STORE                                                                                           \
  "st1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[y]], %[ldyb]\n\tst1 {v4.4s, v5.4s, v6.4s, v7.4s}, [%[y]], %[ldyb]\n\t"     \
  "st1 {v8.4s, v9.4s, v10.4s, v11.4s}, [%[y]], %[ldyb]\n\tst1 {v12.4s, v13.4s, v14.4s, v15.4s}, [%[y]], %[ldyb]\n\t" \
  "sub %[y], %[y], %[yback]\n\tsubs %[panels], %[panels], #1\n\tb.ne 0b\n\t"
#define PPMS_BLOCK(epilogue)                                                                                      \
  asm volatile(PPMS_LOOP epilogue PPMS_STORE                                                                    \
               : [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [n] "=&r"(n), [kr] "=&r"(kr),   \
                 [p] "+r"(p), [bias] "+r"(bias), [y] "+r"(y), [r] "+r"(res), [panels] "+r"(panels)               \
               : [x] "r"(x), [ldxb] "r"(4 * ldx), [n8] "r"(K / 8), [kr0] "r"(K % 8), [ldyb] "r"(4 * ldy),         \
                 [yback] "r"(16 * ldy - 64), [ldrb] "r"(4 * ldr), [rback] "r"(16 * ldr - 64),                   \
                 [sixth] "r"(kSixthBits)                                                                        \
               : PPMS_NEON_CLOBBERS)
constexpr uint32_t kSixthBits = 0x3e2aaaab;  // 1.0f / 6.0f
// The first `panels` (>= 1) full panels of 4 rows.
template <Activation A, bool RES>
inline void panels4(const float* bias, const float* x, int64_t ldx, const float* p, int64_t K, float* y, int64_t ldy,
                    const float* res, int64_t ldr, int64_t panels) {
  const float *x0, *x1, *x2, *x3;
  int64_t n, kr;
  if constexpr (RES) {
    if constexpr (A == Activation::none) PPMS_BLOCK(PPMS_RESIDUAL);
    if constexpr (A == Activation::relu) PPMS_BLOCK(PPMS_RESIDUAL PPMS_RELU);
    if constexpr (A == Activation::relu6) PPMS_BLOCK(PPMS_RESIDUAL PPMS_RELU6);
    if constexpr (A == Activation::hardswish) PPMS_BLOCK(PPMS_RESIDUAL PPMS_HARDSWISH);
  } else {
    if constexpr (A == Activation::none) PPMS_BLOCK("");
    if constexpr (A == Activation::relu) PPMS_BLOCK(PPMS_RELU);
    if constexpr (A == Activation::relu6) PPMS_BLOCK(PPMS_RELU6);
    if constexpr (A == Activation::hardswish) PPMS_BLOCK(PPMS_HARDSWISH);
  }
}
#undef PPMS_BLOCK
#undef PPMS_STORE
#undef PPMS_HARDSWISH
#undef PPMS_RELU6
#undef PPMS_RELU
#undef PPMS_HSWISH
#undef PPMS_MIN6
#undef PPMS_MAX0
#undef PPMS_ALL
#undef PPMS_RESIDUAL
#undef PPMS_ADD_ROW
#undef PPMS_LOOP
#undef PPMS_PANEL_ROW

template <int R, Activation A, bool RES>
struct Rows {
  static constexpr bool kManyBlocks = true;
  static void run(const Tile& t) {  // t.m / R blocks of R rows
    // Locals: the stores through y may alias t, so every field read after one would be reloaded (nor may acc spill).
    const float *bias = t.bias, *panel = t.panel;
    const int64_t ldx = t.ldx, K = t.k, ldy = t.ldy, ldr = t.ldr, n = t.n, stride = t.panel_stride, m = t.m;
    const int64_t full = R == 4 ? n / kConv1x1Panel : 0;  // the panels of panels4
    const float *x = t.x, *residual = t.residual;
    float* y = t.y;
    for (int64_t i = 0; i + R <= m; i += R, x += R * ldx, y += R * ldy, residual += RES ? R * ldr : 0) {
      if (full > 0) panels4<A, RES>(bias, x, ldx, panel, K, y, ldy, residual, ldr, full);
      for (int64_t j = full * kConv1x1Panel; j < n; j += kConv1x1Panel) {
        const float* p = panel + j / kConv1x1Panel * stride;
        const int64_t w = std::min<int64_t>(n - j, kConv1x1Panel);
        const float* r = RES ? residual + j : nullptr;
        if (w <= 8)
          columns<R, 2, A, RES>(x, ldx, p, K, bias + j, y + j, ldy, r, ldr, w);
        else
          columns<R, 4, A, RES>(x, ldx, p, K, bias + j, y + j, ldy, r, ldr, w);
      }
    }
  }
};

void tile(const Tile& t) { dispatch<Rows, kRows>(t); }

}  // namespace

Config kernel_neon() { return {"neon", tile, kRows}; }

}  // namespace pw
}  // namespace ppms
#endif
