// Arrays between float and half (common/half.h), at the edges of the layers an f16 config runs in half. Each may run
// in place on one buffer (the network's activations): to_half walks forwards, to_float backwards, so no value is
// overwritten before it is read.
#pragma once

#include <cstdint>

#include "core/common/half.h"

namespace ppms {

void to_half(const float* x, int64_t n, half* y);
void to_float(const half* x, int64_t n, float* y);

// Room for n values of T carved from float storage (the network's buffer is sized in floats).
template <class T>
constexpr int64_t floats_for(int64_t n) {
  return (n * static_cast<int64_t>(sizeof(T)) + 3) / 4;
}

}  // namespace ppms
