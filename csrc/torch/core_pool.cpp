// core_parallel(): the core's ThreadPool, for the ops that run on it (adapt.h says which and why).
#include <unistd.h>

#include <map>
#include <memory>
#include <mutex>

#include "adapt.h"

namespace ppms {

Parallel core_parallel() {
  static std::mutex m;
  static std::map<int, std::unique_ptr<ThreadPool>> pools;  // one per thread count, kept for the process
  static pid_t owner = getpid();
  const int n = at::get_num_threads();
  std::lock_guard<std::mutex> g(m);
  if (getpid() != owner) {  // a forked child (a DataLoader worker, say): the parent's pool threads do not exist here
    for (auto& p : pools) p.second.release();  // never joined: destroying them would wait on those threads
    pools.clear();
    owner = getpid();
  }
  auto& p = pools[n];
  if (!p) p = std::make_unique<ThreadPool>(n);
  return p->parallel();
}

}  // namespace ppms
