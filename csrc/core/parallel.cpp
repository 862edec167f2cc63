#include "ppms/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace ppms {

namespace {
thread_local const void* tl_running_pool = nullptr;  // the pool whose task this thread is running

// How long the calling thread polls for the end of a loop before it sleeps on a condition variable. The network runs
// 50-80 loops per call, and waking the caller took tens of microseconds each time (in a VM): at 2 threads 1.5-2.5 ms
// of a 25 ms base network.
constexpr auto kSpin = std::chrono::microseconds(50);

// How long a worker waits for the next loop before it sleeps: waking it took 20-25 us a loop (44 loops a tiny call,
// 56 a base one), and with it waiting 2-thread calls ran 7% (tiny) and 3% (base) faster. It waits by yielding its
// CPU, and the yield's own duration says whether another process wants that CPU: a yield that took longer than
// kBusyYield gave that process a time slice, so the worker sleeps between loops for kBackOff instead. (A worker that
// polled without yielding, or backed off on its preemption count or its CPU, slowed 2-thread calls with one core busy
// elsewhere 1.3-1.6x -> 1.8x: it looked busy on its core, so the scheduler made the caller share the other one.)
constexpr auto kWorkerWait = std::chrono::microseconds(200);
constexpr auto kBusyYield = std::chrono::microseconds(50);
constexpr auto kBackOff = std::chrono::milliseconds(100);

inline void relax() {
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

// Polls ready() for up to kSpin; whether it became true.
template <typename F>
bool spin(F ready) {
  const auto end = std::chrono::steady_clock::now() + kSpin;
  for (int i = 1;; ++i) {
    if (ready()) return true;
    relax();
    if (i % 64 == 0 && std::chrono::steady_clock::now() > end) return false;
  }
}
}

struct ThreadPool::State {
  int threads = 1;
  std::vector<std::thread> workers;
  std::mutex call;  // one parallel loop at a time per pool
  std::mutex m;
  std::condition_variable wake, finished;
  uint64_t generation = 0;
  std::atomic<uint64_t> posted{0};  // generation, for workers that wait without the lock
  bool stop = false;
  // The current loop.
  Parallel::Task task = nullptr;
  void* ctx = nullptr;
  int64_t n = 0, chunk = 1, chunks = 0;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};    // chunks finished
  std::atomic<int64_t> active{0};  // workers inside drain(), entered under m: a loop is set up and returns only
                                   // when none is

  // Takes chunks until none is left; returns how many this thread ran.
  int64_t drain() {
    int64_t ran = 0;
    for (int64_t c; (c = next.fetch_add(1)) < chunks; ++ran) {
      const int64_t b = c * chunk;
      task(ctx, b, std::min(n, b + chunk));
    }
    return ran;
  }

  bool complete() const { return done.load() == chunks && active.load() == 0; }

  // Yields the CPU until the next loop is posted, for up to kWorkerWait (see there); calm: when it may next.
  void await_loop(uint64_t seen, std::chrono::steady_clock::time_point* calm) const {
    auto t = std::chrono::steady_clock::now();
    if (t < *calm) return;
    const auto end = t + kWorkerWait;
    while (posted.load() == seen && t < end) {
      std::this_thread::yield();
      const auto u = std::chrono::steady_clock::now();
      if (u - t > kBusyYield) return void(*calm = u + kBackOff);
      t = u;
    }
  }

  void worker() {
    uint64_t seen = 0;
    std::chrono::steady_clock::time_point calm{};
    for (;;) {
      await_loop(seen, &calm);
      {
        std::unique_lock<std::mutex> l(m);
        wake.wait(l, [&] { return stop || generation != seen; });
        if (stop) return;
        seen = generation;
        ++active;
      }
      tl_running_pool = this;
      done += drain();
      --active;
      tl_running_pool = nullptr;
      std::lock_guard<std::mutex> g(m);  // the caller checks complete() under m before it sleeps: no wake-up is lost
      finished.notify_all();
    }
  }

  static void run(void* pool, int64_t n, int64_t grain, Parallel::Task task, void* ctx) {
    auto* s = static_cast<State*>(pool);
    if (s->threads <= 1 || tl_running_pool == s || n <= std::max<int64_t>(grain, 1)) return task(ctx, 0, n);
    std::lock_guard<std::mutex> one(s->call);
    {
      std::unique_lock<std::mutex> l(s->m);
      s->finished.wait(l, [&] { return s->active == 0; });  // a late worker of the last loop has left
      // Several chunks a thread, so that a thread slowed by another process leaves its share to the others.
      s->chunk = std::max<int64_t>(std::max<int64_t>(grain, 1), (n + 4 * s->threads - 1) / (4 * s->threads));
      s->chunks = (n + s->chunk - 1) / s->chunk;
      s->n = n;
      s->task = task;
      s->ctx = ctx;
      s->done.store(0);
      s->next.store(0);
      s->posted.store(++s->generation);
    }
    s->wake.notify_all();
    const void* outer = tl_running_pool;  // a task of another pool may be calling: its marker is restored after
    tl_running_pool = s;
    s->done += s->drain();
    tl_running_pool = outer;
    if (spin([&] { return s->complete(); })) return;
    std::unique_lock<std::mutex> l(s->m);
    s->finished.wait(l, [&] { return s->complete(); });
  }
};

ThreadPool::ThreadPool(int threads) : state_(new State) {
  state_->threads = std::max(threads, 1);
  for (int i = 1; i < state_->threads; ++i) state_->workers.emplace_back([s = state_.get()] { s->worker(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> g(state_->m);
    state_->stop = true;
  }
  state_->wake.notify_all();
  for (auto& t : state_->workers) t.join();
}

int ThreadPool::threads() const { return state_->threads; }

Parallel ThreadPool::parallel() { return Parallel{&State::run, state_.get(), state_->threads}; }

}  // namespace ppms
