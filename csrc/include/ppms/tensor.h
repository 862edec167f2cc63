// A read-only view of a contiguous float32 array and its shape: how the core API takes weights, so that it can
// check every shape itself and name the one that is wrong.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

namespace ppms {

struct View {
  static constexpr int kMaxRank = 4;
  const float* data = nullptr;
  int rank = 0;
  int64_t dims[kMaxRank] = {0, 0, 0, 0};

  View() = default;
  View(const float* d, std::initializer_list<int64_t> shape) : data(d) {
    for (int64_t s : shape)
      if (rank < kMaxRank) dims[rank++] = s;
  }
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < rank; ++i) n *= dims[i];
    return n;
  }
  std::string shape_str() const {
    std::string s = "[";
    for (int i = 0; i < rank; ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
  }
};

}  // namespace ppms
