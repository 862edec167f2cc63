// AVX512_BF16 kernel (bf16 configs): tiles of 12 rows x 32 columns (two panels) in 24 float accumulators, as the f32
// AVX-512 kernel's, but each step takes two input channels: per k pair, two panel loads and twelve broadcast input
// pairs feed 24 vdpbf16ps (64 multiply-adds each, against the f32 kernel's 16 per FMA). A row block's inputs are
// rounded to bf16 pairs once (vcvtne2ps2bf16) into a scratch that stays in L1 while every panel streams past it; inputs
// already in pairs (TileT::x_pairs) are read where they are.
#if defined(__x86_64__) || defined(_M_X64)
// GCC 12's avx512fintrin.h builds masked loads from an undefined vector and warns about it in every instance.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <vector>

#include "core/common/activate_avx512.h"
#include "core/conv1x1/kernels.h"
#include "core/cpu.h"

namespace ppms {
namespace pw {
namespace {

constexpr int kRows = 12;
constexpr int64_t kAhead = 8;

// Rows [0, m) of x (rows ldx apart, k values), input channel i times scale[i] where scale is given, as bf16 pairs into
// xs (rows ldw words apart; the last word's high half 0 when k is odd).
template <bool Scaled>
PPMS_TARGET_AVX512BF16 void to_pairs(const float* x, int64_t ldx, int64_t m, int64_t k, const float* scale,
                                     uint32_t* xs, int64_t ldw) {
  for (int64_t r = 0; r < m; ++r) {
    const float* src = x + r * ldx;
    uint32_t* dst = xs + r * ldw;
    int64_t i = 0;
    for (; i + 32 <= k; i += 32) {
      __m512 lo = _mm512_loadu_ps(src + i), hi = _mm512_loadu_ps(src + i + 16);
      if (Scaled) lo = _mm512_mul_ps(lo, _mm512_loadu_ps(scale + i)), hi = _mm512_mul_ps(hi, _mm512_loadu_ps(scale + i + 16));
      _mm512_storeu_si512(dst + i / 2, reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo)));
    }
    if (i < k) {
      const __mmask16 ml = first16(k - i), mh = first16(k - i - 16);
      __m512 lo = _mm512_maskz_loadu_ps(ml, src + i), hi = _mm512_maskz_loadu_ps(mh, src + i + 16);
      if (Scaled)
        lo = _mm512_mul_ps(lo, _mm512_maskz_loadu_ps(ml, scale + i)),
        hi = _mm512_mul_ps(hi, _mm512_maskz_loadu_ps(mh, scale + i + 16));
      const __m512bh v = _mm512_cvtne2ps_pbh(hi, lo);
      _mm512_mask_storeu_epi32(dst + i / 2, first16((k - i + 1) / 2), reinterpret_cast<__m512i>(v));
    }
  }
}

// One pair step of a tile: two panel rows of words (at pp and pp + ps, prefetched kAhead rows on), each row's pair
// broadcast (row r at xg[r / 4] + (r % 4) * ld bytes), 2R dot products; then every pointer moves on by one pair.
template <int R, int NP>
PPMS_TARGET_AVX512BF16 __attribute__((always_inline)) inline void step(__m512 (&acc)[R][NP], const char*& pp,
                                                                       int64_t ps, const char* (&xg)[(R + 3) / 4],
                                                                       int64_t ld, int64_t ld3) {
  _mm_prefetch(pp + kAhead * 64, _MM_HINT_T0);
  if (NP > 1) _mm_prefetch(pp + ps + kAhead * 64, _MM_HINT_T0);
  const __m512bh w0 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(pp));
  const __m512bh w1 = NP > 1 ? reinterpret_cast<__m512bh>(_mm512_loadu_si512(pp + ps)) : w0;
  PPMS_UNROLL
  for (int r = 0; r < R; ++r) {
    const int64_t off = r % 4 == 0 ? 0 : r % 4 == 1 ? ld : r % 4 == 2 ? 2 * ld : ld3;
    const __m512bh a = reinterpret_cast<__m512bh>(_mm512_set1_epi32(*reinterpret_cast<const int*>(xg[r / 4] + off)));
    acc[r][0] = _mm512_dpbf16_ps(acc[r][0], a, w0);
    if (NP > 1) acc[r][NP - 1] = _mm512_dpbf16_ps(acc[r][NP - 1], a, w1);
  }
  pp += 64;
  PPMS_UNROLL
  for (int g = 0; g < (R + 3) / 4; ++g) {
    xg[g] += 4;
    asm("" : "+r"(xg[g]));  // opaque: kept as walking pointers, not recomputed from the tile's start per step
  }
}

// NP column panels (1 or 2) starting at column j, over the R rows of pairs at xs (rows ldw words apart).
template <int R, Activation A, bool RES, int NP>
PPMS_TARGET_AVX512BF16 inline void panels(const Tile& t, const uint32_t* xs, int64_t ldw, int64_t j) {
  __m512 acc[R][NP];
  PPMS_UNROLL
  for (int c = 0; c < NP; ++c) {
    const __m512 b = _mm512_loadu_ps(t.bias + j + 16 * c);
    PPMS_UNROLL
    for (int r = 0; r < R; ++r) acc[r][c] = b;
  }
  constexpr int G = (R + 3) / 4;
  const int64_t ld = ldw * 4, ld3 = 3 * ld, ps = NP > 1 ? t.panel_stride * 4 : 0;
  const char* xg[G];
  PPMS_UNROLL
  for (int g = 0; g < G; ++g) xg[g] = reinterpret_cast<const char*>(xs) + 4 * g * ld;
  const char* pp = reinterpret_cast<const char*>(t.panel + (j / kConv1x1Panel) * t.panel_stride);
  const int64_t K2 = (t.k + 1) / 2;
  int64_t k = 0;
  for (; k + 8 <= K2; k += 8) {
    PPMS_UNROLL
    for (int u = 0; u < 8; ++u) step<R, NP>(acc, pp, ps, xg, ld, ld3);
  }
  for (; k < K2; ++k) step<R, NP>(acc, pp, ps, xg, ld, ld3);
  __mmask16 mask[NP];
  PPMS_UNROLL
  for (int c = 0; c < NP; ++c) mask[c] = first16(t.n - j - 16 * c);
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
      acc[r][c] = activate16<A>(v);
    }
  }
  if (y16) {
    PPMS_UNROLL
    for (int r = 0; r < R; ++r) {
      PPMS_UNROLL
      for (int c = 0; c < NP; ++c)
        _mm256_mask_storeu_epi16(y16 + r * ldy + j + 16 * c, mask[c], reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(acc[r][c])));
    }
    return;
  }
  PPMS_UNROLL
  for (int r = 0; r < R; ++r) {
    PPMS_UNROLL
    for (int c = 0; c < NP; ++c) _mm512_mask_storeu_ps(y + r * ldy + j + 16 * c, mask[c], acc[r][c]);
  }
}

// The scratch of a thread's row block: kRows rows of pairs, each row on its own 64-byte lines.
uint32_t* scratch(int64_t ldw) {
  thread_local std::vector<uint32_t> room;
  const size_t need = static_cast<size_t>(kRows * ldw + 16);
  if (room.size() < need) room.assign(need, 0);
  return room.data() + (16 - reinterpret_cast<uintptr_t>(room.data()) / 4 % 16) % 16;
}

template <int R, Activation A, bool RES>
struct Rows {
  static constexpr bool kManyBlocks = false;
  PPMS_TARGET_AVX512BF16 static void run(const Tile& t) {
    int64_t ldw = t.ldx;
    const uint32_t* xs = reinterpret_cast<const uint32_t*>(t.x);
    if (!t.x_pairs) {
      ldw = ((t.k + 1) / 2 + 15) / 16 * 16;
      uint32_t* room = scratch(ldw);
      if (t.x_scale)
        to_pairs<true>(t.x, t.ldx, t.m, t.k, t.x_scale, room, ldw);
      else
        to_pairs<false>(t.x, t.ldx, t.m, t.k, nullptr, room, ldw);
      xs = room;
    }
    int64_t j = 0;
    for (; j + kConv1x1Panel < t.n; j += 2 * kConv1x1Panel) panels<R, A, RES, 2>(t, xs, ldw, j);
    if (j < t.n) panels<R, A, RES, 1>(t, xs, ldw, j);
  }
};

void tile(const Tile& t) { dispatch<Rows, kRows>(t); }

}  // namespace

Config kernel_bf16_avx512bf16() { return {"bf16_avx512bf16", tile, kRows, 0, 2, true}; }

}  // namespace pw
}  // namespace ppms
#endif
