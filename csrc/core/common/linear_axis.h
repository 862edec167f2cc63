// Linear interpolation coordinates (align_corners=False), computed exactly as ATen's bilinear/linear kernels.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace ppms {

// Source coordinates of each output index along one axis; T is the opmath type (float, or double for double).
template <typename T>
struct LinearAxisT {
  std::vector<int32_t> i0, i1;  // [out] low-res neighbours
  std::vector<T> l0, l1;        // [out] their weights
  std::vector<int64_t> start;   // [in + 1]: the outputs with i0 == i are [start[i], start[i + 1])

  // ratio: input units per output unit; 0 means in / out (a resize to a size). F.interpolate with a scale_factor
  // (and no recompute_scale_factor) uses 1 / scale_factor instead, which differs for odd inputs.
  LinearAxisT(int64_t in, int64_t out, double ratio = 0)
      : i0(out), i1(out), l0(out), l1(out), start(in + 1, 0) {
    // area_pixel_compute_scale / area_pixel_compute_source_index / guard_index_and_lambda.
    const T scale = ratio > 0 ? static_cast<T>(ratio) : static_cast<T>(in) / static_cast<T>(out);
    for (int64_t o = 0; o < out; ++o) {
      int64_t i;
      T lambda1;
      if (in == out) {  // ATen copies equal sizes, whatever the ratio
        i = o;
        lambda1 = T(0);
      } else {
        // One rounding, as ATen's kernels get it where they are built with FMA (its AVX2 and aarch64 builds, and
        // CUDA): an exact 0 weight (src == i) decides whether -inf * weight is NaN, and so which label wins.
        T src = std::fma(scale, static_cast<T>(o) + T(0.5), T(-0.5));
        src = src < T(0) ? T(0) : src;
        i = std::min(static_cast<int64_t>(std::floor(src)), in - 1);
        lambda1 = std::min(std::max(src - static_cast<T>(i), T(0)), T(1));
      }
      i0[o] = static_cast<int32_t>(i);
      i1[o] = static_cast<int32_t>(in == out ? i : i + (i < in - 1));
      l1[o] = lambda1;
      l0[o] = T(1) - lambda1;
      start[i + 1] = o + 1;  // i0 is non-decreasing
    }
    for (int64_t i = 1; i <= in; ++i) start[i] = std::max(start[i], start[i - 1]);
  }
};

using LinearAxis = LinearAxisT<float>;

}  // namespace ppms
