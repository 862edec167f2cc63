// AVX2 + FMA GEMM: register blocks of 4 rows x 16 columns, then 8-column and scalar tails.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "core/cpu.h"
#include "core/gemm/kernels.h"

namespace ppms {
namespace gemm {
namespace {

constexpr int64_t kAhead = 8;

template <int R>
PPMS_TARGET_AVX2_FMA void rows(int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C) {
  int64_t j = 0;
  for (; j + 16 <= N; j += 16) {
    __m256 acc[R][2];
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_set1_ps(bias ? bias[r] : 0.0f);
    for (int64_t k = 0; k < K; ++k) {
      _mm_prefetch(reinterpret_cast<const char*>(B + (k + kAhead) * N + j), _MM_HINT_T0);  // as in kernel_avx512.cpp
      const __m256 b0 = _mm256_loadu_ps(B + k * N + j), b1 = _mm256_loadu_ps(B + k * N + j + 8);
      for (int r = 0; r < R; ++r) {
        const __m256 a = _mm256_broadcast_ss(A + r * K + k);
        acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
      }
    }
    for (int r = 0; r < R; ++r) {
      _mm256_storeu_ps(C + r * N + j, acc[r][0]);
      _mm256_storeu_ps(C + r * N + j + 8, acc[r][1]);
    }
  }
  for (; j + 8 <= N; j += 8) {
    // Even and odd k accumulate apart: 2R independent FMA chains instead of R keep both FMA pipes busy when
    // N is only 8 (the axial projections of an 8x8 map).
    __m256 acc[R][2];
    for (int r = 0; r < R; ++r) {
      acc[r][0] = _mm256_set1_ps(bias ? bias[r] : 0.0f);
      acc[r][1] = _mm256_setzero_ps();
    }
    int64_t k = 0;
    for (; k + 2 <= K; k += 2) {
      const __m256 b0 = _mm256_loadu_ps(B + k * N + j), b1 = _mm256_loadu_ps(B + (k + 1) * N + j);
      for (int r = 0; r < R; ++r) {
        acc[r][0] = _mm256_fmadd_ps(_mm256_broadcast_ss(A + r * K + k), b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(_mm256_broadcast_ss(A + r * K + k + 1), b1, acc[r][1]);
      }
    }
    if (k < K) {
      const __m256 b0 = _mm256_loadu_ps(B + k * N + j);
      for (int r = 0; r < R; ++r) acc[r][0] = _mm256_fmadd_ps(_mm256_broadcast_ss(A + r * K + k), b0, acc[r][0]);
    }
    for (int r = 0; r < R; ++r) _mm256_storeu_ps(C + r * N + j, _mm256_add_ps(acc[r][0], acc[r][1]));
  }
  for (; j < N; ++j)
    for (int r = 0; r < R; ++r) {
      float s = bias ? bias[r] : 0.0f;
      for (int64_t k = 0; k < K; ++k) s += A[r * K + k] * B[k * N + j];
      C[r * N + j] = s;
    }
}

}  // namespace

PPMS_TARGET_AVX2_FMA void kernel_avx2(int64_t M, int64_t N, int64_t K, const float* A, const float* B, const float* bias,
                         float* C) {
  int64_t i = 0;
  for (; i + 4 <= M; i += 4) rows<4>(N, K, A + i * K, B, bias ? bias + i : nullptr, C + i * N);
  for (; i < M; ++i) rows<1>(N, K, A + i * K, B, bias ? bias + i : nullptr, C + i * N);
}

}  // namespace gemm
}  // namespace ppms
#endif
