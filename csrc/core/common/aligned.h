// Float arrays that start on a 64-byte cache line. A 64-byte AVX-512 load from an array that does not start on one
// straddles two lines; on the network's activations that cost 3-4.5% of a whole call (base and tiny, 1 and 2 threads).
#pragma once

#include <cstdint>
#include <memory>

namespace ppms {

constexpr int64_t kLineFloats = 16;  // floats in a 64-byte cache line

// n rounded up to whole lines: arrays carved one after another out of an aligned one stay aligned.
constexpr int64_t whole_lines(int64_t n) { return (n + kLineFloats - 1) / kLineFloats * kLineFloats; }

// Uninitialised, like new float[n]: plain new with a line's slack, so that it needs no aligned allocation function
// (not in every Android libc++).
class AlignedFloats {
 public:
  AlignedFloats() = default;
  explicit AlignedFloats(int64_t n)
      : own_(new float[n + kLineFloats]),
        data_(own_.get() + (kLineFloats - reinterpret_cast<uintptr_t>(own_.get()) / sizeof(float) % kLineFloats) %
                               kLineFloats) {}
  float* get() const { return data_; }

 private:
  std::unique_ptr<float[]> own_;
  float* data_ = nullptr;
};

}  // namespace ppms
