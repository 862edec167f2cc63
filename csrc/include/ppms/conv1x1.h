// 1x1 convolution on channels-last (NHWC) activations: y[p, :] = act(x[p, :] @ W^T + bias (+ residual[p, :])) for
// every pixel p, with the weights packed once. The engine's building block: pixels are GEMM rows, so a band of
// image rows is a contiguous block of the GEMM, and bias, activation and residual are applied while the output
// tile is in registers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ppms/parallel.h"
#include "ppms/status.h"
#include "ppms/types.h"

namespace ppms {

// The weights in column panels of kConv1x1Panel output channels, K rows each (zero-padded past cout), and the
// bias padded the same way.
constexpr int64_t kConv1x1Panel = 16;
// Packed weights as conv1x1() reads them (a view: the storage belongs to the caller, e.g. a PackedConv1x1).
// T: float, or uint16_t holding IEEE half bits (the f16 kernels').
template <class T>
struct Conv1x1WeightsT {
  int64_t cin = 0, cout = 0;
  const T* panels = nullptr;  // [ceil(cout / kConv1x1Panel)][cin][kConv1x1Panel]
  const T* bias = nullptr;    // [ceil(cout / kConv1x1Panel) * kConv1x1Panel]
};
using Conv1x1Weights = Conv1x1WeightsT<float>;

// How many floats the packed panels and bias of a cout x cin convolution take.
inline int64_t conv1x1_packed_floats(int64_t cout, int64_t cin) {
  const int64_t panels = (cout + kConv1x1Panel - 1) / kConv1x1Panel;
  return panels * kConv1x1Panel * (cin + 1);
}

// weight [cout, cin] (a 1x1 convolution's [cout, cin, 1, 1]), bias [cout] or null, packed into `out`
// (conv1x1_packed_floats() floats: the panels, then the bias).
Status conv1x1_pack(const float* weight, const float* bias, int64_t cout, int64_t cin, float* out);
Conv1x1Weights conv1x1_weights(const float* packed, int64_t cout, int64_t cin);
// w with input channel k scaled by scale[k] (SE's gate folded into the projection), packed into `out`
// (conv1x1_packed_floats(w.cout, w.cin) floats): a pass over the panels, whose rows are input channels. Only input
// channels [k0, k1) when given (the bias goes with the range that starts at 0): ranges that cover [0, cin) fill `out`
// together, so that threads can share the pass.
Conv1x1Weights conv1x1_scale_inputs(const Conv1x1Weights& w, const float* scale, float* out, int64_t k0 = 0,
                                    int64_t k1 = -1);

// Owns packed weights.
struct PackedConv1x1 {
  int64_t cin = 0, cout = 0;
  std::vector<float> data;
  Status pack(const float* weight, const float* bias, int64_t cout_, int64_t cin_) {
    if (cout_ < 1 || cin_ < 1) return conv1x1_pack(weight, bias, cout_, cin_, nullptr);
    data.assign(conv1x1_packed_floats(cout_, cin_), 0.0f);
    cout = cout_;
    cin = cin_;
    return conv1x1_pack(weight, bias, cout, cin, data.data());
  }
  Conv1x1Weights weights() const { return conv1x1_weights(data.data(), cout, cin); }
};

// x [pixels, cin] with rows ldx floats apart (>= 1: rows may overlap, as a convolution's sliding windows do); y [pixels, cout] with rows ldy apart; residual (or null)
// [pixels, cout] with rows ldr apart. y may alias residual (same pointer and ld). kernel: a name of
// conv1x1_kernels(), nullptr for the fastest.
Status conv1x1(const Conv1x1Weights& w, const float* x, int64_t ldx, int64_t pixels, float* y, int64_t ldy,
               Activation act, const float* residual = nullptr, int64_t ldr = 0, const Parallel& parallel = {},
               const char* kernel = nullptr);

// The kernels this CPU runs, by name: "scalar" (the reference) first, the fastest last.
std::vector<std::string> conv1x1_kernels();

}  // namespace ppms
