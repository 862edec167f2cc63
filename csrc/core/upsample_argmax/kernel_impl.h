// Pieces shared by the scalar, AVX2 and NEON kernels. Floating-point order is fixed and free of FMA
// contraction (built with -ffp-contract=off), so every kernel gives bit-identical labels.
#pragma once

#include <cmath>
#include <cstring>
#include <limits>

#include "core/upsample_argmax/kernels.h"

namespace ppms {
namespace vim {
namespace detail {

// A class is a candidate when its max corner is within kTol * (largest finite |corner|) + kFloor of L: it absorbs
// the rounding of the weights (which sum to 1 within 1 ulp) and of the interpolation (a few ulps); kFloor covers
// subnormal logits, where rounding errors stop being relative.
constexpr float kTol = kCandidateTol;
constexpr float kFloor = kCandidateFloor;
constexpr float kInf = std::numeric_limits<float>::infinity();

struct Cell {
  const float* p00;  // logits of class 0 at (r, j); class c at p00 + c * plane
  int64_t d01, d10, d11;  // offsets of the other three corners from p00
};

inline float interp(const float* p, const Cell& q, float lx0, float lx1, float ly0, float ly1) {
  return (p[0] * lx0 + p[q.d01] * lx1) * ly0 + (p[q.d10] * lx0 + p[q.d11] * lx1) * ly1;
}

// Running min/max statistics of one (class, cell): NaN corners make the class a candidate and leave L, M alone.
inline void corner_stats(float a, float b, float c, float d, float& L, float& M, float& mx_out) {
  if (a != a || b != b || c != c || d != d) {
    mx_out = std::numeric_limits<float>::quiet_NaN();
    return;
  }
  // no NaN here, so plain comparisons (std::fmin / fmax were calls into libm, 2% of the label step)
  auto lo = [](float x, float y) { return y < x ? y : x; };
  auto hi = [](float x, float y) { return y > x ? y : x; };
  const float mn = lo(lo(a, b), lo(c, d));
  const float mx = hi(hi(a, b), hi(c, d));
  L = L > mn ? L : mn;
  const float m = hi(std::fabs(mn), std::fabs(mx));
  M = M > m ? M : m;
  mx_out = mx;
}

// Candidates of cell column j, ascending: indices into a.classes written to cand; returns their count.
inline int64_t candidates(const Args& a, const float* mx, const float* L, const float* M, int64_t j,
                          int32_t* cand) {
  const int64_t K = a.num_classes, w = a.w;
  const float thr = L[j] - (kTol * M[j] + kFloor);
  int64_t n = 0;
  if (!(thr > -kInf)) {  // infinities or all-NaN cell: no bound holds, keep every class
    for (int64_t k = 0; k < K; ++k) cand[n++] = static_cast<int32_t>(k);
    return n;
  }
  for (int64_t k = 0; k < K; ++k) {
    const float v = mx[k * w + j];
    if (v >= thr || v != v) cand[n++] = static_cast<int32_t>(k);
  }
  return n;
}

// Past the skeleton's scratch (mx, L, M: (K + 2) * w floats): room for a cell's interpolated top and bottom rows,
// kPixelLanes columns of each a candidate (scratch_floats counts it), which a SIMD kernel computes once per cell
// instead of once per output row.
constexpr int64_t kPixelLanes = 8;
inline float* pixel_scratch(const Args& a, float* fs) { return fs + (a.num_classes + 2) * a.w; }

// torch.argmax order: the first maximum wins, and a NaN beats everything (the first NaN).
inline bool beats(float v, float best) { return v > best || (v != v && best == best); }

template <typename Out>
inline void fill_cell(const Args& a, Out* out, int64_t Y0, int64_t Y1, int64_t X0, int64_t X1, int32_t label) {
  const int64_t W = static_cast<int64_t>(a.xs->i0.size());
  for (int64_t Y = Y0; Y < Y1; ++Y) {
    Out* o = out + Y * W;
    for (int64_t X = X0; X < X1; ++X) o[X] = static_cast<Out>(label);
  }
}

// Scalar argmax of pixels [X0, X1) of output row Y over the n candidates of a cell.
template <typename Out>
inline void argmax_pixels(const Args& a, const Cell& q, int64_t plane, const int32_t* cand, int64_t n, int64_t Y,
                          int64_t X0, int64_t X1, Out* orow) {
  const float ly0 = a.ys->l0[Y], ly1 = a.ys->l1[Y];
  const float* lx0 = a.xs->l0.data();
  const float* lx1 = a.xs->l1.data();
  for (int64_t X = X0; X < X1; ++X) {
    int32_t best_k = cand[0];
    float best = interp(q.p00 + a.classes[best_k] * plane, q, lx0[X], lx1[X], ly0, ly1);
    for (int64_t i = 1; i < n; ++i) {
      const float v = interp(q.p00 + a.classes[cand[i]] * plane, q, lx0[X], lx1[X], ly0, ly1);
      if (beats(v, best)) {
        best = v;
        best_k = cand[i];
      }
    }
    orow[X] = static_cast<Out>(a.classes[best_k]);
  }
}

// Singles that leaves every cell to candidates(): single[j] = -1 for the w cells of a row.
struct NoSingles {
  void operator()(const float*, const float*, const float*, int32_t* single, int64_t w) const {
    for (int64_t j = 0; j < w; ++j) single[j] = -1;
  }
};

// The kernel skeleton: Stats fills per-class max corners and per-cell L, M for one cell row; Singles may label the
// cells of one row with a single candidate at once (single[j]: its index into a.classes, or -1: left to
// candidates()); Pixels labels the pixels of a multi-candidate cell: output rows [Y0, Y1) (row Y at out + Y * W),
// columns [X0, X1).
template <typename Out, typename Stats, typename Pixels, typename Singles = NoSingles>
inline void rows(const Args& a, int64_t begin, int64_t end, float* fs, int32_t* cand, Stats stats, Pixels pixels,
                 Singles singles = {}) {
  const int64_t h = a.h, w = a.w, C = a.C, plane = h * w;
  const int64_t H = static_cast<int64_t>(a.ys->i0.size()), W = static_cast<int64_t>(a.xs->i0.size());
  float* mx = fs;                      // [K, w]
  float* L = mx + a.num_classes * w;   // [w]
  float* M = L + w;                    // [w]
  Out* out = static_cast<Out*>(a.out);
  int32_t* single = cand + a.num_classes;  // [w]
  for (int64_t item = begin; item < end; ++item) {
    const int64_t b = item / h, r = item % h;
    const int64_t Y0 = a.ys->start[r], Y1 = a.ys->start[r + 1];
    if (Y0 == Y1) continue;
    const int64_t r1 = a.ys->i1[Y0];
    const float* base = a.logits + b * C * plane;
    stats(base + r * w, base + r1 * w, plane, mx, L, M);
    singles(mx, L, M, single, w);
    Out* ob = out + b * H * W;
    for (int64_t j = 0; j < w; ++j) {
      const int64_t X0 = a.xs->start[j], X1 = a.xs->start[j + 1];
      if (X0 == X1) continue;
      if (single[j] >= 0) {
        fill_cell(a, ob, Y0, Y1, X0, X1, a.classes[single[j]]);
        continue;
      }
      const int64_t n = candidates(a, mx, L, M, j, cand);
      if (n == 1) {
        fill_cell(a, ob, Y0, Y1, X0, X1, a.classes[cand[0]]);
        continue;
      }
      const int64_t j1 = a.xs->i1[X0];
      const Cell q{base + r * w + j, j1 - j, (r1 - r) * w, (r1 - r) * w + j1 - j};
      pixels(q, plane, cand, n, Y0, Y1, X0, X1, ob);
    }
  }
}

// Scalar statistics of one class over the cell columns [j_begin, w) of one cell row.
inline void stats_class(const float* p0, const float* p1, int64_t w, int64_t j_begin, float* m, float* L, float* M) {
  for (int64_t j = j_begin; j < w; ++j) {
    const int64_t j1 = j + (j < w - 1);
    corner_stats(p0[j], p0[j1], p1[j], p1[j1], L[j], M[j], m[j]);
  }
}

// Calls f with a value of the C++ type of out_type, so kernels instantiate once per label type.
template <typename F>
inline void with_out_type(LabelType t, F&& f) {
  switch (t) {
    case LabelType::i64: return f(int64_t{});
    case LabelType::i32: return f(int32_t{});
    case LabelType::u8: return f(uint8_t{});
  }
}

inline void init_bounds(int64_t w, float* L, float* M) {
  for (int64_t j = 0; j < w; ++j) {
    L[j] = -kInf;
    M[j] = 0.0f;
  }
}

}  // namespace detail
}  // namespace vim
}  // namespace ppms
