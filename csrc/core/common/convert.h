// Arrays between float and half (common/half.h), at the edges of the layers an f16 config runs in half. Each may run
// in place on one buffer (the network's activations): to_half walks forwards, to_float backwards, so no value is
// overwritten before it is read.
#pragma once

#include <cstdint>

#include "core/common/half.h"

namespace ppms {

void to_half(const float* x, int64_t n, half* y);
void to_float(const half* x, int64_t n, float* y);

// Rows [k0, k1) of b [K][N] (rows N apart) into panels [ceil(N / 16)][K1][16] of half (conv1x1's weight layout, K1
// >= K rows a panel), the columns past N zero: what the f16 conv1x1 kernels read as their panels when a planar GEMM
// runs on them. Rows of different ranges may be written by different threads.
void to_half_panels(const float* b, int64_t N, int64_t k0, int64_t k1, int64_t K1, half* panels);

// Rows [k0, k1) of b [K][N] (rows N apart) into bf16 pair panels [ceil(N / 16)][rows][16] of 32-bit words (the bf16
// conv1x1 kernels' weight layout, rows >= K / 2 pair rows a panel: row k in the low half of pair row k / 2 when even,
// the high half when odd), rounded to nearest even, the columns past N zero. Rows of different ranges may be written
// by different threads (a pair split between two ranges is written a half by each).
void to_bf16_panels(const float* b, int64_t N, int64_t k0, int64_t k1, int64_t rows, uint16_t* panels);

// x's n values rounded to bf16 (nearest even), two a 32-bit word (value 2i in the low half), the last word's high half
// zero when n is odd.
void to_bf16_pairs(const float* x, int64_t n, uint32_t* out);

// Room for n values of T carved from float storage (the network's buffer is sized in floats).
template <class T>
constexpr int64_t floats_for(int64_t n) {
  return (n * static_cast<int64_t>(sizeof(T)) + 3) / 4;
}

}  // namespace ppms
