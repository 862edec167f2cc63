// One transformer block of the StrideFormer stages on channels-last (NHWC) images, BatchNorm folded:
//   x1 = x + sea_attention(x);  y = x1 + mlp(x1)
// The SEA attention runs on channel planes (the core's sea::forward, channels_last: it transposes each channel range
// in the tasks that own it, and adds the residual on the way back); the MLP is the inverted-residual operator
// (expand, depthwise 3x3 + ReLU6, project, shortcut).
#pragma once

#include <cstdint>

#include "ppms/inverted_residual.h"
#include "ppms/parallel.h"
#include "ppms/sea_attention.h"
#include "ppms/status.h"

namespace ppms {

struct TransformerBlock {
  sea::Dims dims;
  sea::Weights attention;
  sea::Options attention_options;  // its GEMMs; the parallel loop is the call's
  InvertedResidual mlp;           // cin = cout = dims.dim, stride 1: the shortcut is the block's second residual
};

// The floats of transformer_block's scratch for an H x W image: x1 and the attention's scratch.
int64_t transformer_block_scratch_floats(const TransformerBlock& b, int64_t H, int64_t W);
// x [H][W][dim] -> y [H][W][dim]; y must not overlap x, scratch (or null: allocated for the call) neither.
Status transformer_block(const TransformerBlock& b, const float* x, int64_t H, int64_t W, float* y,
                         const Parallel& parallel = {}, float* scratch = nullptr);

}  // namespace ppms
