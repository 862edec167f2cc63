// The kernels of conv1x1 (ppms/conv1x1.h has the contract): each computes rows [0, m) (m <= its row block) of all
// n output columns, panel after panel, while those input rows stay in L1. kernel_scalar.cpp is the reference the
// SIMD kernels are tested against; conv1x1.cpp lists them in the table cpu::pick() chooses from.
#pragma once

#include <algorithm>
#include <cstdint>

#include "ppms/conv1x1.h"

namespace ppms {
namespace pw {

struct Tile {
  const float* x;  // row 0 of the tile, rows ldx apart
  int64_t ldx, k;
  const float* panel;  // [k][kConv1x1Panel] per panel, panel_stride floats apart
  int64_t panel_stride;
  const float* bias;   // [panels * kConv1x1Panel]
  float* y;            // rows ldy apart
  int64_t ldy;
  const float* residual;  // or null; rows ldr apart
  int64_t ldr;
  Activation act;
  int64_t m, n;  // rows and columns to store: n is all the output channels
};

using TileFn = void (*)(const Tile& t);

struct Kernel {
  TileFn fn;
  int64_t rows;  // the row block the kernel computes at once (m <= rows)
};

Kernel kernel_scalar();
#if defined(__x86_64__) || defined(_M_X64)
Kernel kernel_avx2();
Kernel kernel_avx512();
#endif
#if defined(__aarch64__)
Kernel kernel_neon();
#endif

// Calls F<r, a, residual>::run(t) with the tile's row count, activation and whether it has a residual as compile-time
// constants (r <= R), so that the loops over k and over panels carry no branch on them.
template <template <int, Activation, bool> class F, int R>
inline void dispatch(const Tile& t) {
  if constexpr (R > 1) {
    if (t.m < R) return dispatch<F, R - 1>(t);
  }
  const bool res = t.residual != nullptr;
  switch (t.act) {
    case Activation::none: return res ? F<R, Activation::none, true>::run(t) : F<R, Activation::none, false>::run(t);
    case Activation::relu: return res ? F<R, Activation::relu, true>::run(t) : F<R, Activation::relu, false>::run(t);
    case Activation::relu6:
      return res ? F<R, Activation::relu6, true>::run(t) : F<R, Activation::relu6, false>::run(t);
    case Activation::hardswish:
      return res ? F<R, Activation::hardswish, true>::run(t) : F<R, Activation::hardswish, false>::run(t);
  }
}

// torch's hardswish: x * relu6(x + 3) / 6.
inline float activate(float v, Activation a) {
  switch (a) {
    case Activation::none: return v;
    case Activation::relu: return std::max(v, 0.0f);
    case Activation::relu6: return std::min(std::max(v, 0.0f), 6.0f);
    case Activation::hardswish: return v * std::min(std::max(v + 3.0f, 0.0f), 6.0f) * (1.0f / 6.0f);
  }
  return v;
}

}  // namespace pw
}  // namespace ppms
