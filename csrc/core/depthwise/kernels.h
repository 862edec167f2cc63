// The row kernels of depthwise (ppms/depthwise.h has the contract). kernel_scalar.cpp is the reference the SIMD
// kernels are tested against; core/config/config.cpp puts each in the configs of its ISA.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/common/half.h"
#include "core/conv1x1/kernels.h"
#include "ppms/depthwise.h"

namespace ppms {
namespace dw {

// T: float, or half (common/half.h) for the f16 kernels.
template <class T>
struct RowT {
  const DepthwiseWeightsT<T>* w;
  const T* const* rows;  // k input rows, null for padding
  int64_t W, Wo, stride;
  T* y;
  Activation act;
  bool padded;  // every row readable (zero) for k / 2 columns either side
};
using Row = RowT<float>;

using RowFn = void (*)(const Row& r);

template <class T>
struct ConfigT {
  const char* name;
  void (*row)(const RowT<T>& r);
};
using Config = ConfigT<float>;

void kernel_scalar(const Row& r);
#if defined(__x86_64__) || defined(_M_X64)
void kernel_avx2(const Row& r);
void kernel_avx512(const Row& r);
#endif
#if defined(__aarch64__)
void kernel_neon(const Row& r);
#endif

// f16: weights and activations in half. The scalar kernel sums in double and rounds each output once; the NEON one
// (kernel_impl.h over 8 halves) accumulates in half (FMLA on .8h) and activates in half.
ConfigT<half> kernel_f16_scalar();
#if defined(__aarch64__)
ConfigT<half> kernel_f16_neonfp16arith();
#endif
// The f16 kernels this CPU runs, the scalar one first.
std::vector<ConfigT<half>> f16_kernels();

// Output columns [wo0, wo1) read only readable input columns: no column check in their tap loops.
template <class T>
inline void interior(const RowT<T>& r, int64_t* wo0, int64_t* wo1) {
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
