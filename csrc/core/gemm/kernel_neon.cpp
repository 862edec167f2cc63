// NEON GEMM (aarch64): blocks of 4 rows x 16, 8 or 4 columns, then scalar columns. Four k steps at a time, each row of
// A's four values in one register and multiplied by lane (fmla by element) with a row of B (a scalar A load per row
// and k step cost twice the instructions). The 4 x 16 blocks are assembly (core/common/neon_block.h): B's rows by one
// ld1 each, post-incremented by the row stride, so 4 k steps cost 4 A loads, 4 B loads and 64 FMAs.
#if defined(__aarch64__)
#include <arm_neon.h>

#include "core/common/neon_block.h"
#include "core/cpu.h"
#include "core/gemm/kernels.h"

namespace ppms {
namespace gemm {
namespace {

// One k step of a block: B's row at b (V vectors) times lane L of each row's four A values.
template <int R, int V, int L>
inline void step(float32x4_t (&acc)[R][V], const float32x4_t (&a)[R], const float* b) {
  float32x4_t w[V];
  PPMS_UNROLL
  for (int v = 0; v < V; ++v) w[v] = vld1q_f32(b + 4 * v);
  PPMS_UNROLL
  for (int r = 0; r < R; ++r)
    PPMS_UNROLL
    for (int v = 0; v < V; ++v) acc[r][v] = vfmaq_laneq_f32(acc[r][v], w[v], a[r], L);
}

// C's columns [j, j + 4V) of R rows.
template <int R, int V>
inline void block(int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C, int64_t j) {
  float32x4_t acc[R][V];
  PPMS_UNROLL
  for (int r = 0; r < R; ++r) {
    const float32x4_t b = vdupq_n_f32(bias ? bias[r] : 0.0f);
    PPMS_UNROLL
    for (int v = 0; v < V; ++v) acc[r][v] = b;
  }
  const float* b = B + j;
  int64_t k = 0;
  for (; k + 4 <= K; k += 4) {
    float32x4_t a[R];
    PPMS_UNROLL
    for (int r = 0; r < R; ++r) a[r] = vld1q_f32(A + r * K + k);
    step<R, V, 0>(acc, a, b);
    step<R, V, 1>(acc, a, b + N);
    step<R, V, 2>(acc, a, b + 2 * N);
    step<R, V, 3>(acc, a, b + 3 * N);
    b += 4 * N;
  }
  for (; k < K; ++k, b += N) {
    PPMS_UNROLL
    for (int v = 0; v < V; ++v) {
      const float32x4_t w = vld1q_f32(b + 4 * v);
      PPMS_UNROLL
      for (int r = 0; r < R; ++r) acc[r][v] = vfmaq_n_f32(acc[r][v], w, A[r * K + k]);
    }
  }
  PPMS_UNROLL
  for (int r = 0; r < R; ++r)
    PPMS_UNROLL
    for (int v = 0; v < V; ++v) vst1q_f32(C + r * N + j + 4 * v, acc[r][v]);
}

#define PPMS_B_ROW(a, b, c, d) "ld1 {v" a ".4s, v" b ".4s, v" c ".4s, v" d ".4s}, [%[p]], %[ldb]\n\t"
#define PPMS_BIAS_ROW(a, b, c, d) \
  "ld1r {v" a ".4s}, [%[b]]\n\tld1r {v" b ".4s}, [%[b]]\n\tld1r {v" c ".4s}, [%[b]]\n\tld1r {v" d ".4s}, [%[b]], #4\n\t"
// C's columns [j, j + 16) of 4 rows.
inline void block4x16(int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C, int64_t j) {
  const float b4[4] = {bias ? bias[0] : 0.0f, bias ? bias[1] : 0.0f, bias ? bias[2] : 0.0f, bias ? bias[3] : 0.0f};
  const float *x0 = A, *x1 = A + K, *x2 = A + 2 * K, *x3 = A + 3 * K, *p = B + j, *b = b4;
  int64_t n = K / 8, kr = K % 8;
  asm volatile(PPMS_BIAS_ROW("0", "1", "2", "3") PPMS_BIAS_ROW("4", "5", "6", "7") PPMS_BIAS_ROW("8", "9", "10", "11")
                   PPMS_BIAS_ROW("12", "13", "14", "15") PPMS_NEON_K_LOOP(PPMS_B_ROW)
               "st1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[c0]]\n\tst1 {v4.4s, v5.4s, v6.4s, v7.4s}, [%[c1]]\n\t"
               "st1 {v8.4s, v9.4s, v10.4s, v11.4s}, [%[c2]]\n\tst1 {v12.4s, v13.4s, v14.4s, v15.4s}, [%[c3]]\n\t"
               : [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [x3] "+r"(x3), [p] "+r"(p), [n] "+r"(n), [kr] "+r"(kr),
                 [b] "+r"(b)
               : [ldb] "r"(N * 4), [c0] "r"(C + j), [c1] "r"(C + N + j), [c2] "r"(C + 2 * N + j),
                 [c3] "r"(C + 3 * N + j)
               : PPMS_NEON_CLOBBERS);
}
#undef PPMS_BIAS_ROW
#undef PPMS_B_ROW

template <int R>
void rows(int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C) {
  int64_t j = 0;
  for (; j + 16 <= N; j += 16) {
    if constexpr (R == 4)
      block4x16(N, K, A, B, bias, C, j);
    else
      block<R, 4>(N, K, A, B, bias, C, j);
  }
  if (j + 8 <= N) block<R, 2>(N, K, A, B, bias, C, j), j += 8;
  if (j + 4 <= N) block<R, 1>(N, K, A, B, bias, C, j), j += 4;
  for (; j < N; ++j)
    for (int r = 0; r < R; ++r) {
      float s = bias ? bias[r] : 0.0f;
      for (int64_t k = 0; k < K; ++k) s += A[r * K + k] * B[k * N + j];
      C[r * N + j] = s;
    }
}

}  // namespace

void kernel_neon(int64_t M, int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C) {
  int64_t i = 0;
  for (; i + 4 <= M; i += 4) rows<4>(N, K, A + i * K, B, bias ? bias + i : nullptr, C + i * N);
  for (; i < M; ++i) rows<1>(N, K, A + i * K, B, bias ? bias + i : nullptr, C + i * N);
}

}  // namespace gemm
}  // namespace ppms
#endif
