// The row kernels of depthwise (ppms/depthwise.h has the contract). kernel_scalar.cpp is the reference the SIMD
// kernels are tested against; core/config/config.cpp puts each in the configs of its ISA.
#pragma once

#include <cstdint>

#include "core/conv1x1/kernels.h"
#include "ppms/depthwise.h"

namespace ppms {
namespace dw {

struct Row {
  const DepthwiseWeights* w;
  const float* const* rows;  // k input rows, null for padding
  int64_t W, Wo, stride;
  float* y;
  Activation act;
  bool padded;  // every row readable (zero) for k / 2 columns either side
};

using RowFn = void (*)(const Row& r);

struct Config {
  const char* name;
  RowFn row;
};

void kernel_scalar(const Row& r);
#if defined(__x86_64__) || defined(_M_X64)
void kernel_avx2(const Row& r);
void kernel_avx512(const Row& r);
#endif
#if defined(__aarch64__)
void kernel_neon(const Row& r);
#endif

// Output columns [wo0, wo1) read only readable input columns: no column check in their tap loops.
inline void interior(const Row& r, int64_t* wo0, int64_t* wo1) {
  if (r.padded) {
    *wo0 = 0, *wo1 = r.Wo;
    return;
  }
  const int64_t pad = r.w->k / 2;
  *wo0 = std::min(r.Wo, (pad + r.stride - 1) / r.stride);
  *wo1 = std::max(*wo0, std::min(r.Wo, (r.W - 1 - pad) / r.stride + 1));
}

}  // namespace dw
}  // namespace ppms
