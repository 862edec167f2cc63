// A dense k x k convolution (padding k / 2, stride 1 or 2) of a planar (NCHW) image into channels-last (NHWC)
// output, with bias and activation: the network's stem, which also moves the user's NCHW input into the engine's
// layout on the way. The k input rows of an output row are laid out as one row of columns ([ky][c] per input
// column), so each output pixel's k * k * cin taps are contiguous and the windows of neighbouring pixels overlap
// (stride * k * cin floats apart): one GEMM per output row on the conv1x1 kernels, no patch gathered, the
// accumulators in registers (2.4x the direct convolution through memory it replaced).
#pragma once

#include <cstdint>

#include "ppms/conv1x1.h"
#include "ppms/parallel.h"
#include "ppms/status.h"

namespace ppms {

// w: conv1x1 weights packed from the convolution's [cout, cin, k, k] weight read as [cout, cin * k * k].
// x [cin][H][W] -> y [Ho][Wo][cout].
Status image_conv(const Conv1x1Weights& w, const float* x, int64_t cin, int64_t H, int64_t W, int64_t k,
                  int64_t stride, float* y, Activation act, const Parallel& parallel = {});

}  // namespace ppms
