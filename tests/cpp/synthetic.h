// Synthetic inputs shared by the C++ tests and the latency tool, and the activations in double precision that the
// tests compute references with.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "ppms/conv1x1.h"
#include "ppms/sea_attention.h"

namespace ppms {
namespace synthetic {

// torch's activations, in double: what the references apply.
inline double activate(double v, Activation a) {
  switch (a) {
    case Activation::none: return v;
    case Activation::relu: return std::max(v, 0.0);
    case Activation::relu6: return std::min(std::max(v, 0.0), 6.0);
    case Activation::hardswish: return v * std::min(std::max(v + 3.0, 0.0), 6.0) / 6.0;
  }
  return v;
}

inline std::vector<float> normal(int64_t n, float scale, std::mt19937& rng) {
  std::normal_distribution<float> d(0.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = scale * d(rng);
  return v;
}

// Random packed SEA attention weights (BatchNorm already folded), positional embeddings of length L, scaled so
// that activations stay O(1) through the block.
struct SeaWeights {
  std::vector<std::vector<float>> t;
  sea::Weights w;

  SeaWeights(const sea::Dims& d, int64_t L, std::mt19937& rng) {
    const int64_t Q = d.qkv(), dim = d.dim, dh = d.dh;
    const int64_t sizes[15] = {dim * 9, dim, Q * dim, Q, Q * 9, Q, dim * Q, dim, dh * dh, dh, dh * dh, dh,
                               dim * dh, dim, 4 * d.nh_kd() * L};
    const float scales[15] = {.3f, .2f, .1f, .2f, .3f, .2f, .05f, .2f, .05f, .2f, .05f, .2f, .05f, .2f, 1.f};
    for (int i = 0; i < 15; ++i) t.push_back(normal(sizes[i], scales[i], rng));
    w = {t[0].data(), t[1].data(), t[2].data(),  t[3].data(),  t[4].data(),  t[5].data(),  t[6].data(), t[7].data(),
         t[8].data(), t[9].data(), t[10].data(), t[11].data(), t[12].data(), t[13].data(), t[14].data(), L};
  }
};

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
