// The row kernels of depthwise (ppms/depthwise.h has the contract). kernel_scalar.cpp is the reference the SIMD
// kernels are tested against; core/config/config.cpp puts each in the configs of its ISA.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/common/bf16.h"
#include "core/common/half.h"
#include "core/conv1x1/kernels.h"
#include "ppms/depthwise.h"

namespace ppms {
namespace dw {

// T: float, or half (common/half.h) for the f16 kernels. In: the input rows' type, T's, or bf16 for the bf16
// configs' (their expanded rows, stored rounded to bf16 by the expansion; sums and outputs in float).
template <class T, class In = T>
struct RowT {
  const DepthwiseWeightsT<T>* w;
  const In* const* rows;  // k input rows, null for padding
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

// bf16 input rows (RowT<float, bf16>), float weights and outputs: the scalar reference and the AVX-512 kernel (each
// input widened to float as it is loaded; a row in bf16 is half the bytes the sweep streams from L2).
using Bf16RowsFn = void (*)(const RowT<float, bf16>& r);
void kernel_bf16_rows_scalar(const RowT<float, bf16>& r);
#if defined(__x86_64__) || defined(_M_X64)
void kernel_bf16_rows_avx512(const RowT<float, bf16>& r);
#endif

// Output columns [wo0, wo1) read only readable input columns: no column check in their tap loops.
template <class T, class In>
inline void interior(const RowT<T, In>& r, int64_t* wo0, int64_t* wo1) {
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
