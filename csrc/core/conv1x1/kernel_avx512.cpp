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

#include "core/common/activate_avx512.h"
#include "core/conv1x1/kernels.h"
#include "core/cpu.h"

namespace ppms {
namespace pw {
namespace {

constexpr int kRows = 12;
constexpr int64_t kAhead = 8;

// v rounded to bf16 as bf16_bits rounds (nearest even, a NaN quietened), each lane's bits in its low half: the bf16
// outputs (TileT::y16) of the bf16 configs' projections that run on this kernel, without AVX512_BF16.
PPMS_TARGET_AVX512F inline __m512i bf16_bits16(__m512 v) {
  const __m512i b = _mm512_castps_si512(v), high = _mm512_srli_epi32(b, 16);
  const __m512i even = _mm512_add_epi32(_mm512_set1_epi32(0x7fff), _mm512_and_si512(high, _mm512_set1_epi32(1)));
  const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(b, even), 16);
  const __mmask16 nan =
      _mm512_cmpgt_epi32_mask(_mm512_and_si512(b, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
  return _mm512_mask_mov_epi32(rounded, nan, _mm512_or_si512(high, _mm512_set1_epi32(0x40)));
}

// One k step of a tile: two panel rows (at pp and pp + ps, prefetched kAhead rows on), each row's input broadcast
// (row r at xg[r / 4] + (r % 4) * ld bytes), 2R FMAs; then every pointer moves on by one k.
template <int R, int NP>
PPMS_TARGET_AVX512F __attribute__((always_inline)) inline void step(__m512 (&acc)[R][NP], const char*& pp, int64_t ps,
                                                                    const char* (&xg)[(R + 3) / 4], int64_t ld,
                                                                    int64_t ld3) {
  _mm_prefetch(pp + kAhead * 64, _MM_HINT_T0);
  if (NP > 1) _mm_prefetch(pp + ps + kAhead * 64, _MM_HINT_T0);
  const __m512 w0 = _mm512_loadu_ps(reinterpret_cast<const float*>(pp));
  const __m512 w1 = NP > 1 ? _mm512_loadu_ps(reinterpret_cast<const float*>(pp + ps)) : w0;
  PPMS_UNROLL
  for (int r = 0; r < R; ++r) {
    const int64_t off = r % 4 == 0 ? 0 : r % 4 == 1 ? ld : r % 4 == 2 ? 2 * ld : ld3;
    const __m512 a = _mm512_set1_ps(*reinterpret_cast<const float*>(xg[r / 4] + off));
    acc[r][0] = _mm512_fmadd_ps(a, w0, acc[r][0]);
    if (NP > 1) acc[r][NP - 1] = _mm512_fmadd_ps(a, w1, acc[r][NP - 1]);
  }
  pp += 64;
  PPMS_UNROLL
  for (int g = 0; g < (R + 3) / 4; ++g) {
    xg[g] += 4;
    asm("" : "+r"(xg[g]));  // opaque: kept as walking pointers, not recomputed from the tile's x per k
  }
}

// NP column panels (1 or 2) starting at column j; Y16: into t.y16.
template <int R, Activation A, bool RES, int NP, bool Y16>
PPMS_TARGET_AVX512F inline void panels(const Tile& t, int64_t j) {
  __m512 acc[R][NP];
  PPMS_UNROLL
  for (int c = 0; c < NP; ++c) {
    const __m512 b = _mm512_loadu_ps(t.bias + j + 16 * c);
    PPMS_UNROLL
    for (int r = 0; r < R; ++r) acc[r][c] = b;
  }
  // Rows 4g .. 4g + 3 at xg[g] + {0, 1, 2, 3} * ld bytes, the panels at pp and pp + ps: five walking pointers and
  // three offsets, which the 15 general registers hold (twelve row pointers did not: two spilled, reloaded per k).
  constexpr int G = (R + 3) / 4;
  const int64_t ld = t.ldx * 4, ld3 = 3 * ld, ps = NP > 1 ? t.panel_stride * 4 : 0;
  const char* xg[G];
  PPMS_UNROLL
  for (int g = 0; g < G; ++g) xg[g] = reinterpret_cast<const char*>(t.x) + 4 * g * ld;
  const char* pp = reinterpret_cast<const char*>(t.panel + (j / kConv1x1Panel) * t.panel_stride);
  const int64_t K = t.k;
  int64_t k = 0;
  for (; k + 16 <= K; k += 16) {
    // the next tile's input lines, one per row per 16 k (the hardware prefetcher does not follow twelve rows)
    PPMS_UNROLL
    for (int r = 0; r < R; ++r) {
      const int64_t off = r % 4 == 0 ? 0 : r % 4 == 1 ? ld : r % 4 == 2 ? 2 * ld : ld3;
      _mm_prefetch(xg[r / 4] + off + R * ld, _MM_HINT_T0);
    }
    PPMS_UNROLL
    for (int u = 0; u < 16; ++u) step<R, NP>(acc, pp, ps, xg, ld, ld3);
  }
  for (; k < K; ++k) step<R, NP>(acc, pp, ps, xg, ld, ld3);
  __mmask16 mask[NP];
  PPMS_UNROLL
  for (int c = 0; c < NP; ++c) mask[c] = first16(t.n - j - 16 * c);
  // Locals: the stores through y may alias t, so every field read after one would be reloaded.
  const float* residual = t.residual;
  float* y = t.y;
  bf16* y16 = t.y16;
  const int64_t ldr = t.ldr, ldy = t.ldy;
  PPMS_UNROLL
  for (int r = 0; r < R; ++r) {
    PPMS_UNROLL
    for (int c = 0; c < NP; ++c) {
      __m512 v = acc[r][c];
      if constexpr (RES) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask[c], residual + r * ldr + j + 16 * c));
      v = activate16<A>(v);
      if constexpr (Y16)
        _mm512_mask_cvtepi32_storeu_epi16(y16 + r * ldy + j + 16 * c, mask[c], bf16_bits16(v));
      else
        _mm512_mask_storeu_ps(y + r * ldy + j + 16 * c, mask[c], v);
    }
  }
}

template <int R, Activation A, bool RES>
struct Rows {
  static constexpr bool kManyBlocks = false;
  template <bool Y16>
  PPMS_TARGET_AVX512F static void columns(const Tile& t) {
    int64_t j = 0;
    for (; j + kConv1x1Panel < t.n; j += 2 * kConv1x1Panel) panels<R, A, RES, 2, Y16>(t, j);
    if (j < t.n) panels<R, A, RES, 1, Y16>(t, j);  // the last, lone panel of an odd count
  }
  PPMS_TARGET_AVX512F static void run(const Tile& t) { t.y16 ? columns<true>(t) : columns<false>(t); }
};

void tile(const Tile& t) { dispatch<Rows, kRows>(t); }

}  // namespace

Config kernel_avx512() { return {"avx512", tile, kRows, 0, 1, true}; }

}  // namespace pw
}  // namespace ppms
#endif
