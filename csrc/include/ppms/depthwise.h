// Depthwise k x k convolution (k odd, padding k / 2, stride 1 or 2) on channels-last (NHWC) activations, one output
// row at a time: y[wo, c] = act(bias[c] + sum over taps of x[ho * s - k/2 + ky][wo * s - k/2 + kx, c] * w[ky, kx, c]).
// The caller hands it the k input rows an output row needs (null for a padding row), so an engine can feed rows
// from a ring buffer that holds only a band of the image.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ppms/conv1x1.h"
#include "ppms/parallel.h"
#include "ppms/status.h"

namespace ppms {

// The weights tap-major, channels contiguous: [k * k][channels], then the bias [channels]. T: float, or half
// (core/common/half.h) for the f16 kernels, in the same layout converted elementwise.
template <class T>
struct DepthwiseWeightsT {
  int64_t channels = 0, k = 0;
  const T* taps = nullptr;
  const T* bias = nullptr;
};
using DepthwiseWeights = DepthwiseWeightsT<float>;

constexpr int64_t kDepthwiseMaxK = 7;

// weight [channels, 1, k, k] (PyTorch's layout), bias [channels] or null -> out: channels * (k * k + 1) floats.
Status depthwise_pack(const float* weight, const float* bias, int64_t channels, int64_t k, float* out);
DepthwiseWeights depthwise_weights(const float* packed, int64_t channels, int64_t k);

// One output row: rows[ky] (ky < k) is input row ho * stride - k/2 + ky as [W][channels] (contiguous), or null
// where that row is padding; y: [Wo][channels], Wo = (W - 1) / stride + 1. padded: every row has k / 2 columns of
// zeros before column 0 and after column W - 1 (a ring's rows can), so no output column needs the slower border
// path.
Status depthwise_row(const DepthwiseWeights& w, const float* const* rows, int64_t W, int64_t stride, float* y,
                     Activation act, bool padded = false, const char* kernel = nullptr);

// A whole image: x [H][W][channels] -> y [Ho][Wo][channels], output rows spread over `parallel`.
Status depthwise(const DepthwiseWeights& w, const float* x, int64_t H, int64_t W, int64_t stride, float* y,
                 Activation act, const Parallel& parallel = {}, const char* kernel = nullptr);

// The kernels this CPU runs, by name: "scalar" (the reference) first, the fastest last.
std::vector<std::string> depthwise_kernels();

}  // namespace ppms
