// A dense k x k convolution (padding k / 2, stride 1 or 2) of a planar (NCHW) image into channels-last (NHWC)
// output, with bias and activation: the network's stem, which also moves the user's NCHW input into the engine's
// layout on the way. The k input rows of an output row are laid out as one row of columns ([ky][c] per input
// column), so each output pixel's k * k * cin taps are contiguous and the windows of neighbouring pixels overlap
// (stride * k * cin floats apart): one GEMM per output row on the conv1x1 kernels, no patch gathered, the
// accumulators in registers (2.4x the direct convolution through memory it replaced). On AVX-512 and NEON the stem's
// shape has a direct kernel instead (core/image_conv/kernel_avx512.cpp, kernel_neon.cpp), with the columns path as
// its reference.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ppms/conv1x1.h"
#include "ppms/parallel.h"
#include "ppms/status.h"

namespace ppms {

// The kernels this CPU has: "columns" (every shape), "stem_avx512" or "stem_neon" (3 input channels, 3x3, stride 2,
// at most 16 outputs: the stem, directly, output channels in vectors per pixel).
std::vector<std::string> image_conv_kernels();

// w: conv1x1 weights packed from the convolution's [cout, cin, k, k] weight read as [cout, cin * k * k].
// x [cin][H][W] -> y [Ho][Wo][cout]. kernel: a name of image_conv_kernels(), nullptr for the fastest that takes
// the shape.
Status image_conv(const Conv1x1Weights& w, const float* x, int64_t cin, int64_t H, int64_t W, int64_t k,
                  int64_t stride, float* y, Activation act, const Parallel& parallel = {},
                  const char* kernel = nullptr);

}  // namespace ppms
