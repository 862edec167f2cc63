// AMX kernel (bf16 configs on CPUs with AMX-BF16): blocks of 32 rows x 32 columns in four 16 x 16 float tiles; per 32
// input channels, two tiles of inputs (16 rows x 32 bf16 each) and two of weights (16 pair rows x 16 columns, the
// panels' own layout) feed four tdpbf16ps of 8192 multiply-adds each. A row block's inputs are rounded to bf16 once
// into a scratch whose rows are zero past K up to the panels' whole tiles (bf16_pair_rows); the float tiles go through
// a 32 x 32 scratch, where bias, residual and activation are applied with AVX-512 on the way to y.
#if defined(__x86_64__) || defined(_M_X64)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/common/activate_avx512.h"
#include "core/conv1x1/kernels.h"
#include "core/cpu.h"

namespace ppms {
namespace pw {
namespace {

constexpr int kRows = 32;

// The tiles' shapes (palette 1): 0-3 the outputs, 16 rows of 16 floats; 4-5 the inputs, 16 rows of 32 bf16; 6-7 the
// weights, 16 pair rows of 16 columns. 64 bytes a row each.
struct TileShapes {
  uint8_t palette = 1, start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// Rows [0, m) of x (rows ldx apart, k values), input channel i times scale[i] where scale is given, as bf16 pairs into
// xs (rows ldw words apart), zero from word (k + 1) / 2 (and the high half of the last word when k is odd) to ldw.
PPMS_TARGET_AMX void to_pairs(const float* x, int64_t ldx, int64_t m, int64_t k, const float* scale, uint32_t* xs,
                              int64_t ldw) {
  for (int64_t r = 0; r < m; ++r) {
    const float* src = x + r * ldx;
    uint32_t* dst = xs + r * ldw;
    for (int64_t i = 0; i < 2 * ldw; i += 32) {
      const __mmask16 ml = first16(k - i), mh = first16(k - i - 16);
      __m512 lo = _mm512_maskz_loadu_ps(ml, src + i), hi = _mm512_maskz_loadu_ps(mh, src + i + 16);
      if (scale)
        lo = _mm512_mul_ps(lo, _mm512_maskz_loadu_ps(ml, scale + i)),
        hi = _mm512_mul_ps(hi, _mm512_maskz_loadu_ps(mh, scale + i + 16));
      _mm512_storeu_si512(dst + i / 2, reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo)));
    }
  }
}

// Rows [0, m) of x already in pairs (rows ldx words apart) into xs as to_pairs leaves them.
PPMS_TARGET_AMX void copy_pairs(const uint32_t* x, int64_t ldx, int64_t m, int64_t k, uint32_t* xs, int64_t ldw) {
  const int64_t words = (k + 1) / 2;
  for (int64_t r = 0; r < m; ++r) {
    std::copy(x + r * ldx, x + r * ldx + words, xs + r * ldw);
    std::fill(xs + r * ldw + words, xs + (r + 1) * ldw, 0u);
  }
}

// y rows [0, m), columns [j, j + 16 * np) from the float tiles in c (rows 32 floats apart): + bias (+ residual), A.
template <Activation A>
PPMS_TARGET_AMX void store(const Tile& t, const float* c, int64_t row0, int64_t m, int64_t j, int np) {
  const __mmask16 mask[2] = {first16(t.n - j), first16(t.n - j - 16)};
  const __m512 bias[2] = {_mm512_loadu_ps(t.bias + j), np > 1 ? _mm512_loadu_ps(t.bias + j + 16) : _mm512_setzero_ps()};
  for (int64_t r = 0; r < m; ++r)
    for (int h = 0; h < np; ++h) {
      __m512 v = _mm512_add_ps(_mm512_load_ps(c + r * kRows + 16 * h), bias[h]);
      if (t.residual) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask[h], t.residual + (row0 + r) * t.ldr + j + 16 * h));
      v = activate16<A>(v);
      if (t.y16)
        _mm256_mask_storeu_epi16(t.y16 + (row0 + r) * t.ldy + j + 16 * h, mask[h],
                                 reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(v)));
      else
        _mm512_mask_storeu_ps(t.y + (row0 + r) * t.ldy + j + 16 * h, mask[h], v);
    }
}

template <Activation A>
PPMS_TARGET_AMX void rows(const Tile& t) {
  const int64_t pairs = bf16_pair_rows(t.k), ldw = pairs;  // a scratch row: the panels' pair rows, 64-byte lines
  thread_local std::vector<uint32_t> room;
  thread_local std::vector<float> out_room;
  if (room.size() < static_cast<size_t>(kRows * ldw + 16)) room.assign(kRows * ldw + 16, 0);
  if (out_room.empty()) out_room.assign(kRows * kRows + 16, 0.0f);
  uint32_t* xs = room.data() + (16 - reinterpret_cast<uintptr_t>(room.data()) / 4 % 16) % 16;
  float* c = out_room.data() + (16 - reinterpret_cast<uintptr_t>(out_room.data()) / 4 % 16) % 16;
  const int64_t xstride = ldw * 4, cstride = kRows * 4;
  for (int64_t r0 = 0; r0 < t.m; r0 += kRows) {
    const int64_t m = std::min<int64_t>(kRows, t.m - r0);
    if (t.x_pairs)
      copy_pairs(reinterpret_cast<const uint32_t*>(t.x) + r0 * t.ldx, t.ldx, m, t.k, xs, ldw);
    else
      to_pairs(t.x + r0 * t.ldx, t.ldx, m, t.k, t.x_scale, xs, ldw);
    const bool low = m > 16;  // the second input tile
    for (int64_t j = 0; j < t.n; j += 32) {
      const bool two = j + 16 < t.n;  // the second weight tile
      const uint32_t* p0 = reinterpret_cast<const uint32_t*>(t.panel) + (j / kConv1x1Panel) * t.panel_stride;
      const uint32_t* p1 = p0 + t.panel_stride;
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      for (int64_t q = 0; q < pairs; q += 16) {
        _tile_loadd(4, xs + q, xstride);
        _tile_loadd(6, p0 + q * kConv1x1Panel, 64);
        _tile_dpbf16ps(0, 4, 6);
        if (two) {
          _tile_loadd(7, p1 + q * kConv1x1Panel, 64);
          _tile_dpbf16ps(1, 4, 7);
        }
        if (low) {
          _tile_loadd(5, xs + 16 * ldw + q, xstride);
          _tile_dpbf16ps(2, 5, 6);
          if (two) _tile_dpbf16ps(3, 5, 7);
        }
      }
      _tile_stored(0, c, cstride);
      _tile_stored(1, c + 16, cstride);
      if (low) {
        _tile_stored(2, c + 16 * kRows, cstride);
        _tile_stored(3, c + 16 * kRows + 16, cstride);
      }
      store<A>(t, c, r0, m, j, two ? 2 : 1);
    }
  }
}

PPMS_TARGET_AMX void tile(const Tile& t) {
  TileShapes shapes;
  for (int i = 0; i < 8; ++i) shapes.rows[i] = 16, shapes.colsb[i] = 64;
  _tile_loadconfig(&shapes);
  switch (t.act) {
    case Activation::none: rows<Activation::none>(t); break;
    case Activation::relu: rows<Activation::relu>(t); break;
    case Activation::relu6: rows<Activation::relu6>(t); break;
    case Activation::hardswish: rows<Activation::hardswish>(t); break;
  }
  _tile_release();
}

}  // namespace

Config kernel_bf16_amx() { return {"bf16_amx", tile, kRows, 0, 2, true}; }

}  // namespace pw
}  // namespace ppms
#endif
