// NEON GEMM (aarch64): blocks of 4 rows x 16, 8 or 4 columns, then scalar columns. Four k steps at a time, each row of
// A's four values in one register and multiplied by lane (fmla by element), so 4 k steps of a 4 x 16 block cost 4 A
// loads, 8 paired B loads and 64 FMAs (a scalar A load per row and k step cost twice the instructions).
#if defined(__aarch64__)
#include <arm_neon.h>

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

template <int R>
void rows(int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C) {
  int64_t j = 0;
  for (; j + 16 <= N; j += 16) block<R, 4>(N, K, A, B, bias, C, j);
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
