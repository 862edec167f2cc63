// The whole network, an NCHW image -> low-resolution logits (NHWC), as one call over the engine's operators: the
// stem, the four MobileNetV3 stages, the two transformer stages (after the third and the fourth), AAM + head.
#pragma once

#include <cstdint>
#include <vector>

#include "ppms/aam.h"
#include "ppms/conv1x1.h"
#include "ppms/inverted_residual.h"
#include "ppms/parallel.h"
#include "ppms/status.h"
#include "ppms/transformer_block.h"

namespace ppms {

struct Network {
  Conv1x1Weights stem;  // 3x3 / 2 over the 3 input channels (packed as [c0, 3 * 9]), then hardswish
  std::vector<InvertedResidual> stages[4];
  std::vector<TransformerBlock> transformers[2];
  AamHead head;
};

// The logits' height and width for an H x W image.
void network_logits_size(const Network& n, int64_t H, int64_t W, int64_t* h, int64_t* w);

// image [3][H][W] -> logits [h][w][classes] (network_logits_size).
Status network_logits(const Network& n, const float* image, int64_t H, int64_t W, float* logits,
                      const Parallel& parallel = {});

}  // namespace ppms
