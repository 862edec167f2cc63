// AVX-512 GEMM: register blocks of 12 rows x 32 columns (24 accumulators; 8 rows ran at 146 GFLOP/s on a 2-FMA-unit
// Xeon, 12 at 167-173), then 8, 4 and 1 rows, 16-column and masked tails. Twice the
// AVX2 kernel's columns per instruction: SEA's 1x1 convolutions over the half-size map (N = 256 to 1024 pixels) run
// in this kernel inside the engine.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "core/cpu.h"
#include "core/gemm/kernels.h"

namespace ppms {
namespace gemm {
namespace {

constexpr int64_t kAhead = 8;

// C[R][j, j + 16 * V) for the columns of `mask` in the last vector.
template <int R, int V>
PPMS_TARGET_AVX512F void block(int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C,
                               int64_t j, __mmask16 last) {
  __m512 acc[R][V];
  PPMS_UNROLL
  for (int r = 0; r < R; ++r)
    PPMS_UNROLL
    for (int v = 0; v < V; ++v) acc[r][v] = _mm512_set1_ps(bias ? bias[r] : 0.0f);
  // A's rows 4g .. 4g + 3 at ag[g] + {0, 1, 2, 3} * K floats and B's row k at bk: walking pointers and three
  // offsets in general registers (eight row pointers and B's offset spilled).
  constexpr int G = (R + 3) / 4;
  const float* ag[G];
  PPMS_UNROLL
  for (int g = 0; g < G; ++g) ag[g] = A + 4 * g * K;
  const float* bk = B + j;
  const int64_t K2 = 2 * K, K3 = 3 * K;
  for (int64_t k = 0; k < K; ++k) {
    // B's rows are N floats apart: the line kAhead rows down, which no hardware prefetcher predicts in time
    PPMS_UNROLL
    for (int v = 0; v < V; ++v) _mm_prefetch(reinterpret_cast<const char*>(bk + kAhead * N + 16 * v), _MM_HINT_T0);
    __m512 b[V];
    PPMS_UNROLL
    for (int v = 0; v < V; ++v) b[v] = v + 1 < V ? _mm512_loadu_ps(bk + 16 * v) : _mm512_maskz_loadu_ps(last, bk + 16 * v);
    PPMS_UNROLL
    for (int r = 0; r < R; ++r) {
      const int64_t off = r % 4 == 0 ? 0 : r % 4 == 1 ? K : r % 4 == 2 ? K2 : K3;
      const __m512 a = _mm512_set1_ps(ag[r / 4][off]);
      PPMS_UNROLL
      for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
    }
    bk += N;
    PPMS_UNROLL
    for (int g = 0; g < G; ++g) {
      ++ag[g];
      asm("" : "+r"(ag[g]));  // opaque: kept as walking pointers, not recomputed from A per k
    }
  }
  PPMS_UNROLL
  for (int r = 0; r < R; ++r)
    PPMS_UNROLL
    for (int v = 0; v < V; ++v) {
      float* c = C + r * N + j + 16 * v;
      if (v + 1 < V)
        _mm512_storeu_ps(c, acc[r][v]);
      else
        _mm512_mask_storeu_ps(c, last, acc[r][v]);
    }
}

template <int R>
PPMS_TARGET_AVX512F void rows(int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C) {
  int64_t j = 0;
  for (; j + 32 <= N; j += 32) block<R, 2>(N, K, A, B, bias, C, j, 0xffff);
  for (; j < N; j += 16) {
    const int64_t n = N - j < 16 ? N - j : 16;
    block<R, 1>(N, K, A, B, bias, C, j, static_cast<__mmask16>((1u << n) - 1));
  }
}

}  // namespace

PPMS_TARGET_AVX512F void kernel_avx512(int64_t M, int64_t N, int64_t K, const float* A, const float* B,
                                       const float* bias, float* C) {
  int64_t i = 0;
  for (; i + 12 <= M; i += 12) rows<12>(N, K, A + i * K, B, bias ? bias + i : nullptr, C + i * N);
  for (; i + 8 <= M; i += 8) rows<8>(N, K, A + i * K, B, bias ? bias + i : nullptr, C + i * N);
  for (; i + 4 <= M; i += 4) rows<4>(N, K, A + i * K, B, bias ? bias + i : nullptr, C + i * N);
  for (; i < M; ++i) rows<1>(N, K, A + i * K, B, bias ? bias + i : nullptr, C + i * N);
}

}  // namespace gemm
}  // namespace ppms
#endif
