// The thread-pool hook: the core never creates threads itself. Every operator splits its work into independent
// items and hands them to the caller's Parallel, which may run them on any threads (PyTorch passes at::parallel_for;
// an app passes its own pool, or ThreadPool below). A default Parallel runs everything on the calling thread.
#pragma once

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

  template <typename F>
  void for_range(int64_t n, int64_t grain, F&& f) const {
    if (n <= 0) return;
    if (run == nullptr) return f(int64_t{0}, n);
    run(pool, n, grain, [](void* c, int64_t b, int64_t e) { (*static_cast<F*>(c))(b, e); }, &f);
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
