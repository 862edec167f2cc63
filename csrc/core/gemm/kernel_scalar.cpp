// Scalar reference GEMM: row by row, k outer, so that the compiler vectorises over columns without reassociating.
#include "core/gemm/kernels.h"

namespace ppms {
namespace gemm {

void kernel_scalar(int64_t M, int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C) {
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * N;
    const float b = bias ? bias[i] : 0.0f;
    for (int64_t j = 0; j < N; ++j) c[j] = 0.0f;
    for (int64_t k = 0; k < K; ++k) {
      const float a = A[i * K + k];
      const float* r = B + k * N;
      for (int64_t j = 0; j < N; ++j) c[j] += a * r[j];
    }
    for (int64_t j = 0; j < N; ++j) c[j] += b;
  }
}

}  // namespace gemm
}  // namespace ppms
