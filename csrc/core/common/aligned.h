// Float arrays that start on a 64-byte cache line. A 64-byte AVX-512 load from an array that does not start on one
// straddles two lines; on the network's activations that cost 3-4.5% of a whole call (base and tiny, 1 and 2 threads).
#pragma once

#include <cstdint>
#include <memory>

namespace ppms {

constexpr int64_t kLineFloats = 16;  // floats in a 64-byte cache line

// n rounded up to whole lines: arrays carved one after another out of an aligned one stay aligned.
constexpr int64_t whole_lines(int64_t n) { return (n + kLineFloats - 1) / kLineFloats * kLineFloats; }

// Blocks of scratch: a network call allocates the same sizes of scratch every time (a block's rings of expanded rows,
// SE's folded weights, the activations), and glibc hands blocks of a few hundred KB back to the kernel when they are
// freed (munmap, or a heap trimmed from the top), so that every call paid their page faults again: 3% of base's time
// in bf16, one thread. Freed blocks of at least kCachedFloats are kept, up to kCacheFloats in all (the oldest freed
// first beyond that), and the next request of at most their size, and more than half of it, takes one. Under
// AddressSanitizer every block is freed, so that it sees a use after free.
namespace scratch {
constexpr int64_t kCachedFloats = int64_t{1} << 14;  // 64 KB
constexpr int64_t kCacheFloats = int64_t{1} << 24;   // 64 MB
float* take(int64_t n, int64_t* got);  // at least n floats, uninitialised; *got: how many
void give(float* p, int64_t n);        // p from take, n its *got (or p from new float[], n 0)
struct Give {
  int64_t n = 0;
  void operator()(float* p) const { give(p, n); }
};
}  // namespace scratch

// Uninitialised, like new float[n]: plain new (through scratch, unless the array lives as long as a model) with a
// line's slack, so that it needs no aligned allocation function (not in every Android libc++).
class AlignedFloats {
 public:
  AlignedFloats() = default;
  explicit AlignedFloats(int64_t n, bool scratch = true)
      : own_(make(n + kLineFloats, scratch)),
        data_(own_.get() + (kLineFloats - reinterpret_cast<uintptr_t>(own_.get()) / sizeof(float) % kLineFloats) %
                               kLineFloats) {}
  float* get() const { return data_; }

 private:
  using Own = std::unique_ptr<float[], scratch::Give>;
  static Own make(int64_t n, bool scratch) {
    if (!scratch) return Own(new float[n], scratch::Give{0});
    int64_t got;
    float* const p = scratch::take(n, &got);
    return Own(p, scratch::Give{got});
  }
  Own own_;
  float* data_ = nullptr;
};

}  // namespace ppms
