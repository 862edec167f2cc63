// The network's input value of a byte: (v / 255 - mean) / std per channel, in float32 as PyTorch computes it, so that
// the planes of every path (the Segmenter, the normalise op) equal those of the Python reference bit for bit.
#pragma once

#include <cstdint>

namespace ppms {

struct Normalise {
  float mean[3], std[3];
  float operator()(uint8_t v, int c) const { return (static_cast<float>(v) / 255.0f - mean[c]) / std[c]; }
};

}  // namespace ppms
