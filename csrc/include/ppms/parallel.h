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
  int threads = 0;  // how many threads run may use at once; 0: unknown

  template <typename F>
  void for_range(int64_t n, int64_t grain, F&& f) const {
    if (n <= 0) return;
    if (run == nullptr) return f(int64_t{0}, n);
    run(pool, n, grain, [](void* c, int64_t b, int64_t e) { (*static_cast<F*>(c))(b, e); }, &f);
  }

  // f(lane, row) for every row in [0, n), for work whose neighbouring rows share state (a ring of expanded input
  // rows): the rows are split into contiguous lanes, one per thread, each walked front to back by the task that runs
  // it (a task given several lanes walks them in order); a task done with its lanes takes rows one at a time from
  // the back of another lane, staying with it until it is empty, so a thread slowed by another process leaves its
  // rows to the others while every task still sees runs of neighbouring rows. Rows of one lane index reach one task
  // only, and a task's stolen rows come with the index of its first lane: f may keep per-lane state (lanes()).
  int64_t lanes(int64_t n) const {
    if (run == nullptr || n <= 1) return 1;
    return std::min<int64_t>(threads > 0 ? threads : kUnknownThreadsLanes, n);
  }
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
    auto left = [](uint64_t s) { return (s & 0xffffffffu) - std::min(s >> 32, s & 0xffffffffu); };
    for_range(L, 1, [&](int64_t l0, int64_t l1) {
      for (int64_t l = l0; l < l1; ++l)
        for (uint64_t s = span[l].load(); left(s) > 0;)
          if (span[l].compare_exchange_weak(s, s + (uint64_t{1} << 32))) {
            f(l, static_cast<int64_t>(s >> 32));
            s = span[l].load();
          }
      for (int64_t v = -1;;) {
        uint64_t s = v < 0 ? 0 : span[v].load();
        if (left(s) == 0) {  // the next victim: the lane with the most rows left
          v = -1;
          for (int64_t o = 0; o < L; ++o)
            if (left(span[o].load()) > left(s)) s = span[o].load(), v = o;
          if (v < 0) break;
        }
        if (left(s) > 0 && span[v].compare_exchange_weak(s, s - 1)) f(l0, static_cast<int64_t>((s & 0xffffffffu) - 1));
      }
    });
  }
  // lanes() when the thread count is unknown (threads == 0)
  static constexpr int64_t kUnknownThreadsLanes = 8;
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
