// Synthetic inputs shared by the C++ tests and the latency tool.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace ppms {
namespace synthetic {

// Smooth regions of a few classes over a low background, like a segmentation head's logits [B, C, h, w].
inline void smooth_logits(std::vector<float>& x, int64_t B, int64_t C, int64_t h, int64_t w, std::mt19937& rng) {
  std::normal_distribution<float> n(0.f, 1.f);
  std::uniform_real_distribution<float> u(0.f, 6.2831853f);
  for (int64_t bc = 0; bc < B * C; ++bc) {
    const bool present = rng() % 4 == 0;
    const float fy = u(rng) / h, fx = u(rng) / w, ph = u(rng), amp = present ? 4.f : 0.5f, off = present ? 0.f : -6.f;
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j)
        x[(bc * h + i) * w + j] = off + amp * std::sin(fy * i * 3 + fx * j * 3 + ph) + 0.05f * n(rng);
  }
}

}  // namespace synthetic
}  // namespace ppms
