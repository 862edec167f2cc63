// NEON GEMM (aarch64): register blocks of 4 rows x 8 columns, then 4-column and scalar tails.
#if defined(__aarch64__)
#include <arm_neon.h>

#include "core/cpu.h"
#include "core/gemm/kernels.h"

namespace ppms {
namespace gemm {
namespace {

template <int R>
void rows(int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C) {
  int64_t j = 0;
  for (; j + 8 <= N; j += 8) {
    float32x4_t acc[R][2];
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = vdupq_n_f32(bias ? bias[r] : 0.0f);
    for (int64_t k = 0; k < K; ++k) {
      const float32x4_t b0 = vld1q_f32(B + k * N + j), b1 = vld1q_f32(B + k * N + j + 4);
      for (int r = 0; r < R; ++r) {
        const float a = A[r * K + k];
        acc[r][0] = vfmaq_n_f32(acc[r][0], b0, a);
        acc[r][1] = vfmaq_n_f32(acc[r][1], b1, a);
      }
    }
    for (int r = 0; r < R; ++r) {
      vst1q_f32(C + r * N + j, acc[r][0]);
      vst1q_f32(C + r * N + j + 4, acc[r][1]);
    }
  }
  for (; j + 4 <= N; j += 4) {
    float32x4_t acc[R];
    for (int r = 0; r < R; ++r) acc[r] = vdupq_n_f32(bias ? bias[r] : 0.0f);
    for (int64_t k = 0; k < K; ++k) {
      const float32x4_t b0 = vld1q_f32(B + k * N + j);
      for (int r = 0; r < R; ++r) acc[r] = vfmaq_n_f32(acc[r], b0, A[r * K + k]);
    }
    for (int r = 0; r < R; ++r) vst1q_f32(C + r * N + j, acc[r]);
  }
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
