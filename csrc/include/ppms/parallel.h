// The thread-pool hook: the core never creates threads itself. Every operator splits its work into independent
// items and hands them to the caller's Parallel, which may run them on any threads (PyTorch passes at::parallel_for;
// an app passes its own pool, or ThreadPool below). A default Parallel runs everything on the calling thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>

namespace ppms {

struct Parallel {
  // Runs task(ctx, begin, end) over disjoint ranges that together cover [0, n), each at least `grain` items long
  // (except possibly the last), possibly concurrently, and returns when all have finished.
  using Task = void (*)(void* ctx, int64_t begin, int64_t end);
  using Run = void (*)(void* pool, int64_t n, int64_t grain, Task task, void* ctx);

  Run run = nullptr;  // nullptr: serial, on the calling thread
  void* pool = nullptr;
  int threads = 1;  // how many threads run may use at once

  template <typename F>
  void for_range(int64_t n, int64_t grain, F&& f) const {
    if (n <= 0) return;
    if (run == nullptr) return f(int64_t{0}, n);
    run(pool, n, grain, [](void* c, int64_t b, int64_t e) { (*static_cast<F*>(c))(b, e); }, &f);
  }

  // f(lane, row) for every row in [0, n), for work whose neighbouring rows share state (a ring of expanded input
  // rows): the rows are split into one contiguous lane per thread, each walked front to back by the task that runs
  // it; a task done with its lane takes rows one at a time from the back of the lane with the most left, so a thread
  // slowed by another process leaves its rows to the others while every task still sees runs of neighbouring rows.
  // Rows of one lane index reach one task only: f may keep per-lane state (lanes() of them).
  int64_t lanes(int64_t n) const { return run == nullptr ? 1 : std::max<int64_t>(1, std::min<int64_t>(threads, n)); }
  template <typename F>
  void for_rows(int64_t n, F&& f) const {
    const int64_t L = lanes(n);
    if (n <= 0) return;
    if (L == 1) {
      for (int64_t r = 0; r < n; ++r) f(int64_t{0}, r);
      return;
    }
    // lane l's rows left: [front, back) packed as front << 32 | back, taken with compare-exchange
    const std::unique_ptr<std::atomic<uint64_t>[]> span(new std::atomic<uint64_t>[L]);
    for (int64_t l = 0; l < L; ++l) span[l] = static_cast<uint64_t>(n * l / L) << 32 | static_cast<uint64_t>(n * (l + 1) / L);
    for_range(L, 1, [&](int64_t l0, int64_t l1) {
      for (int64_t l = l0; l < l1; ++l) {
        for (uint64_t s = span[l].load(); (s >> 32) < (s & 0xffffffffu);)
          if (span[l].compare_exchange_weak(s, s + (uint64_t{1} << 32))) {
            f(l, static_cast<int64_t>(s >> 32));
            s = span[l].load();
          }
        for (;;) {
          int64_t v = -1;
          uint64_t most = 0;
          for (int64_t o = 0; o < L; ++o) {
            const uint64_t s = span[o].load(), left = (s & 0xffffffffu) - std::min(s >> 32, s & 0xffffffffu);
            if (left > most) most = left, v = o;
          }
          if (v < 0) break;
          uint64_t s = span[v].load();
          if ((s >> 32) < (s & 0xffffffffu) && span[v].compare_exchange_weak(s, s - 1))
            f(l, static_cast<int64_t>((s & 0xffffffffu) - 1));
        }
      }
    });
  }
};

// A plain std::thread pool for callers without one (the C++ tests, the latency tool, a phone app). Work is shared
// dynamically: idle threads take the next chunk, so a core taken by another process slows the call by its share
// only. The calling thread works too. A task that calls parallel() of its own pool runs its loop serially.
class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // total threads including the caller's; <= 1: serial
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const;
  Parallel parallel();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ppms
