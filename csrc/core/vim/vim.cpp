#include "vim.h"

#include <algorithm>
#include <cmath>

namespace ppms {
namespace vim {

int64_t scratch_floats(const Args& a) { return (a.num_classes + 2) * a.w + 16; }
int64_t scratch_ints(const Args& a) { return a.num_classes + 16; }

#if defined(__x86_64__) || defined(_M_X64)
RowsFn best_rows() { return __builtin_cpu_supports("avx2") ? rows_avx2 : rows_scalar; }
const char* best_rows_name() { return __builtin_cpu_supports("avx2") ? "avx2" : "scalar"; }
#elif defined(__aarch64__)
RowsFn best_rows() { return rows_neon; }
const char* best_rows_name() { return "neon"; }
#else
RowsFn best_rows() { return rows_scalar; }
const char* best_rows_name() { return "scalar"; }
#endif

void present_classes(const float* logits, int64_t B, int64_t C, int64_t hw, uint8_t* present) {
  std::vector<float> best(hw);
  std::vector<int32_t> arg(hw);
  std::fill(present, present + C, 0);
  for (int64_t b = 0; b < B; ++b) {
    const float* x = logits + b * C * hw;
    std::copy(x, x + hw, best.begin());
    std::fill(arg.begin(), arg.end(), 0);
    for (int64_t c = 1; c < C; ++c) {
      const float* p = x + c * hw;
      for (int64_t i = 0; i < hw; ++i) {
        const float v = p[i];
        const bool take = v > best[i] || (v != v && best[i] == best[i]);
        best[i] = take ? v : best[i];
        arg[i] = take ? static_cast<int32_t>(c) : arg[i];
      }
    }
    for (int64_t i = 0; i < hw; ++i) present[arg[i]] = 1;
  }
}

}  // namespace vim
}  // namespace ppms
