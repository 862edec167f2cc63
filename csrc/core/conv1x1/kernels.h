// The tile kernels of conv1x1 (ppms/conv1x1.h has the contract): each computes rows [0, m) (m <= its row block) of
// up to `panels` consecutive kConv1x1Panel-wide column panels, storing the first n columns. kernel_scalar.cpp is the
// reference the SIMD kernels are tested against; conv1x1.cpp lists them in the table cpu::pick() chooses from.
#pragma once

#include <algorithm>
#include <cstdint>

#include "ppms/conv1x1.h"

namespace ppms {
namespace pw {

struct Tile {
  const float* x;  // row 0 of the tile, rows ldx apart
  int64_t ldx, k;
  const float* panel;  // [k][kConv1x1Panel], the next panel panel_stride floats further
  int64_t panel_stride;
  const float* bias;   // [panels * kConv1x1Panel]
  float* y;            // rows ldy apart
  int64_t ldy;
  const float* residual;  // or null; rows ldr apart
  int64_t ldr;
  Activation act;
  int64_t m, n;  // rows and columns to store
};

using TileFn = void (*)(const Tile& t);

struct Kernel {
  TileFn fn;
  int64_t rows;    // the row block the kernel computes at once (m <= rows)
  int64_t panels;  // the column panels it computes at once (n <= panels * kConv1x1Panel)
};

Kernel kernel_scalar();
#if defined(__x86_64__) || defined(_M_X64)
Kernel kernel_avx2();
Kernel kernel_avx512();
#endif
#if defined(__aarch64__)
Kernel kernel_neon();
#endif

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
