#include "core/common/aligned.h"

#include <mutex>
#include <utility>
#include <vector>

namespace ppms {
namespace scratch {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCache = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kCache = false;
#else
constexpr bool kCache = true;
#endif
#else
constexpr bool kCache = true;
#endif

struct Cache {
  std::mutex m;
  std::vector<std::pair<float*, int64_t>> blocks;  // the oldest freed first
  int64_t held = 0;                                // their floats
};

// Never destroyed: blocks are given back by static objects' destructors too; the blocks it holds at exit stay
// reachable (no leak for LeakSanitizer).
Cache& cache() {
  static Cache* const c = new Cache;
  return *c;
}

}  // namespace

float* take(int64_t n, int64_t* got) {
  *got = n;
  if (kCache && n >= kCachedFloats) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.m);
    // the smallest that fits; of those, the last freed, whose lines are likeliest still in cache
    size_t best = c.blocks.size();
    for (size_t i = c.blocks.size(); i-- > 0;) {
      const int64_t size = c.blocks[i].second;
      if (size >= n && size < 2 * n && (best == c.blocks.size() || size < c.blocks[best].second)) best = i;
    }
    if (best < c.blocks.size()) {
      float* const p = c.blocks[best].first;
      *got = c.blocks[best].second;
      c.held -= *got;
      c.blocks.erase(c.blocks.begin() + static_cast<std::ptrdiff_t>(best));
      return p;
    }
  }
  return new float[n];
}

void give(float* p, int64_t n) {
  if (p == nullptr) return;
  if (!kCache || n < kCachedFloats || n > kCacheFloats) {
    delete[] p;
    return;
  }
  std::vector<float*> old;  // freed outside the lock
  {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.m);
    c.blocks.emplace_back(p, n);
    c.held += n;
    size_t drop = 0;
    for (; c.held > kCacheFloats; ++drop) old.push_back(c.blocks[drop].first), c.held -= c.blocks[drop].second;
    c.blocks.erase(c.blocks.begin(), c.blocks.begin() + static_cast<std::ptrdiff_t>(drop));
  }
  for (float* q : old) delete[] q;
}

}  // namespace scratch
}  // namespace ppms
