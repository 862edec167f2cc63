// Torch-free tests of ThreadPool: every item runs exactly once, at any thread count and grain, also when loops
// follow each other quickly, when a task starts a nested loop on the same pool, and from several caller threads;
// for_rows' lanes.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "check.h"
#include "ppms/parallel.h"

namespace {

const int kThreads[] = {1, 2, 3, 8};

// Whether for_range ran each of n items once.
bool once(ppms::Parallel par, int64_t n, int64_t grain) {
  std::vector<std::atomic<int>> hits(n);
  par.for_range(n, grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
  });
  for (int64_t i = 0; i < n; ++i)
    if (hits[i].load() != 1) return false;
  return true;
}

// Whether for_rows ran every row once, and a lane index reached one thread only (its state is that thread's). `slow`
// makes the first lane's first row slow, so that its rows are taken by the others.
bool rows_once(ppms::Parallel par, int64_t n, bool slow) {
  const int64_t L = par.lanes(n);
  std::vector<std::atomic<int>> hits(std::max<int64_t>(n, 1));
  std::vector<std::atomic<std::thread::id>> owner(L);
  std::vector<std::vector<int64_t>> seen(L);
  std::atomic<int> bad{0};
  par.for_rows(n, [&](int64_t l, int64_t r) {
    if (l < 0 || l >= L || r < 0 || r >= n) return void(++bad);
    std::thread::id none{}, me = std::this_thread::get_id();
    if (!owner[l].compare_exchange_strong(none, me) && none != me) ++bad;
    if (slow && l == 0 && seen[0].empty()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    seen[l].push_back(r);
    hits[r].fetch_add(1);
  });
  for (int64_t i = 0; i < n; ++i) bad += hits[i].load() != 1;
  int64_t total = 0;
  for (const auto& rows : seen) total += static_cast<int64_t>(rows.size());
  bad += total != n;
  return bad.load() == 0;
}

}  // namespace

TEST_CASE("parallel: for_range runs every item once at any thread count and grain, loop after loop") {
  for (const int threads : kThreads) {
    ppms::ThreadPool pool(threads);
    for (const int64_t n : {0, 1, 2, 7, 64, 1000})
      for (const int64_t grain : {1, 3, 100}) {
        INFO(threads << " threads, n=" << n << " grain=" << grain);
        for (int rep = 0; rep < 20; ++rep) CHECK(once(pool.parallel(), n, grain));
      }
  }
}

TEST_CASE("parallel: a nested for_range on the same pool runs inside the task and covers its range once") {
  for (const int threads : kThreads) {
    INFO(threads << " threads");
    ppms::ThreadPool pool(threads);
    std::atomic<int64_t> total{0};
    pool.parallel().for_range(16, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        pool.parallel().for_range(10, 1, [&](int64_t b2, int64_t e2) { total += e2 - b2; });
    });
    CHECK(total.load() == 160);
  }
}

TEST_CASE("parallel: loops from several caller threads at once take turns") {
  for (const int threads : kThreads) {
    INFO(threads << " threads");
    ppms::ThreadPool pool(threads);
    std::vector<std::thread> callers;
    std::atomic<int> bad{0};
    for (int c = 0; c < 4; ++c)
      callers.emplace_back([&] {
        for (int rep = 0; rep < 50; ++rep) bad += !once(pool.parallel(), 257, 1);
      });
    for (auto& t : callers) t.join();
    CHECK(bad.load() == 0);
  }
}

TEST_CASE("parallel: for_rows runs every row once, each lane on one thread") {
  for (const int threads : kThreads) {
    ppms::ThreadPool pool(threads);
    for (const int64_t n : {0, 1, 2, 7, 64, 1000})
      for (const bool slow : {false, true}) {
        INFO(threads << " threads, n=" << n << (slow ? ", the first lane slow" : ""));
        for (int rep = 0; rep < 10; ++rep) CHECK(rows_once(pool.parallel(), n, slow));
      }
  }
}

// Run inline (a nested call on the same pool), for_rows walks its lanes in order: rows 0..n-1, neighbours all.
TEST_CASE("parallel: for_rows inside a task of its pool walks the rows in order") {
  ppms::ThreadPool a(3);
  std::atomic<int> out_of_order{0};
  a.parallel().for_range(6, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t i = b0; i < b1; ++i) {
      std::vector<int64_t> order;
      a.parallel().for_rows(50, [&](int64_t, int64_t r) { order.push_back(r); });
      for (int64_t j = 0; j < 50; ++j) out_of_order += order.size() != 50 || order[j] != j;
    }
  });
  CHECK(out_of_order.load() == 0);
}

// The second loop runs inline: no deadlock.
TEST_CASE("parallel: a task of one pool runs a loop on another, then one on its own") {
  ppms::ThreadPool a(3), b(2);
  std::atomic<int64_t> total{0};
  a.parallel().for_range(6, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t i = b0; i < b1; ++i) {
      b.parallel().for_range(4, 1, [&](int64_t c0, int64_t c1) { total += c1 - c0; });
      a.parallel().for_range(4, 1, [&](int64_t c0, int64_t c1) { total += c1 - c0; });
    }
  });
  CHECK(total.load() == 48);
}

TEST_CASE("parallel: the default Parallel runs serially") {
  CHECK(once(ppms::Parallel{}, 33, 1));
  CHECK(rows_once(ppms::Parallel{}, 33, false));
}
