// AVX-512 kernel: tiles of 12 rows x 32 columns (two panels) in 24 accumulators; per k, two panel loads and twelve
// broadcasts feed 24 FMAs. Partial columns are stored through masks. On CPUs that split 512-bit FMAs in two (Zen 4)
// it runs at the AVX2 kernel's rate; on those with two 512-bit FMA units (Xeon) at twice it. The panel rows kAhead
// steps ahead and the next tile's input lines are prefetched: the weights of a wide layer live in L2, and the
// hardware prefetcher does not follow twelve input rows at once (measured: +5-10% on the network's shapes).
#if defined(__x86_64__) || defined(_M_X64)
// GCC 12's avx512fintrin.h builds masked loads from an undefined vector and warns about it in every instance.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include "core/conv1x1/kernels.h"
#include "core/cpu.h"

namespace ppms {
namespace pw {
namespace {

constexpr int kRows = 12;
constexpr int64_t kAhead = 8;

template <Activation A>
PPMS_TARGET_AVX512F inline __m512 activate16(__m512 v) {
  const __m512 zero = _mm512_setzero_ps(), six = _mm512_set1_ps(6.0f);
  if constexpr (A == Activation::relu) return _mm512_max_ps(v, zero);
  if constexpr (A == Activation::relu6) return _mm512_min_ps(_mm512_max_ps(v, zero), six);
  if constexpr (A == Activation::hardswish) {
    const __m512 g = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(v, _mm512_set1_ps(3.0f)), zero), six);
    return _mm512_mul_ps(_mm512_mul_ps(v, g), _mm512_set1_ps(1.0f / 6.0f));
  }
  return v;
}

inline __mmask16 first(int64_t n) { return n >= 16 ? __mmask16(0xffff) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1); }

// NP column panels (1 or 2) starting at column j.
template <int R, Activation A, bool RES, int NP>
PPMS_TARGET_AVX512F inline void panels(const Tile& t, int64_t j) {
  __m512 acc[R][NP];
  PPMS_UNROLL
  for (int c = 0; c < NP; ++c) {
    const __m512 b = _mm512_loadu_ps(t.bias + j + 16 * c);
    PPMS_UNROLL
    for (int r = 0; r < R; ++r) acc[r][c] = b;
  }
  const float* p0 = t.panel + (j / kConv1x1Panel) * t.panel_stride;
  const float* p1 = p0 + (NP > 1 ? t.panel_stride : 0);
  const float* x = t.x;
  const int64_t ldx = t.ldx, K = t.k;
  for (int64_t k = 0; k < K; ++k) {
    _mm_prefetch(reinterpret_cast<const char*>(p0 + (k + kAhead) * kConv1x1Panel), _MM_HINT_T0);
    if (NP > 1) _mm_prefetch(reinterpret_cast<const char*>(p1 + (k + kAhead) * kConv1x1Panel), _MM_HINT_T0);
    if ((k & 15) == 0)
      PPMS_UNROLL
      for (int r = 0; r < R; ++r) _mm_prefetch(reinterpret_cast<const char*>(x + (r + R) * ldx + k), _MM_HINT_T0);
    const __m512 w0 = _mm512_loadu_ps(p0 + k * kConv1x1Panel);
    const __m512 w1 = NP > 1 ? _mm512_loadu_ps(p1 + k * kConv1x1Panel) : w0;
    PPMS_UNROLL
    for (int r = 0; r < R; ++r) {
      const __m512 a = _mm512_set1_ps(x[r * ldx + k]);
      acc[r][0] = _mm512_fmadd_ps(a, w0, acc[r][0]);
      if (NP > 1) acc[r][NP - 1] = _mm512_fmadd_ps(a, w1, acc[r][NP - 1]);
    }
  }
  __mmask16 mask[NP];
  PPMS_UNROLL
  for (int c = 0; c < NP; ++c) mask[c] = first(t.n - j - 16 * c);
  // Locals: the stores through y may alias t, so every field read after one would be reloaded.
  const float* residual = t.residual;
  float* y = t.y;
  const int64_t ldr = t.ldr, ldy = t.ldy;
  PPMS_UNROLL
  for (int r = 0; r < R; ++r) {
    PPMS_UNROLL
    for (int c = 0; c < NP; ++c) {
      __m512 v = acc[r][c];
      if constexpr (RES) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask[c], residual + r * ldr + j + 16 * c));
      _mm512_mask_storeu_ps(y + r * ldy + j + 16 * c, mask[c], activate16<A>(v));
    }
  }
}

template <int R, Activation A, bool RES>
struct Rows {
  PPMS_TARGET_AVX512F static void run(const Tile& t) {
    int64_t j = 0;
    for (; j + kConv1x1Panel < t.n; j += 2 * kConv1x1Panel) panels<R, A, RES, 2>(t, j);
    if (j < t.n) panels<R, A, RES, 1>(t, j);  // the last, lone panel of an odd count
  }
};

void tile(const Tile& t) { dispatch<Rows, kRows>(t); }

}  // namespace

Kernel kernel_avx512() { return {tile, kRows}; }

}  // namespace pw
}  // namespace ppms
#endif
