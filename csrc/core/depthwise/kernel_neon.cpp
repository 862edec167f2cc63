// NEON depthwise rows (aarch64): kernel_impl.h over 4-float vectors.
#if defined(__aarch64__)
#include <arm_neon.h>

#include "core/depthwise/kernel_impl.h"

namespace ppms {
namespace dw {
namespace {
struct Neon {
  using reg = float32x4_t;
  static constexpr int N = 4;
  static constexpr int regs = 32;
  static constexpr bool offset_loads = true;  // 31 general registers hold the offsets
  static reg load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, reg v) { vst1q_f32(p, v); }
  static reg set1(float v) { return vdupq_n_f32(v); }
  static reg fma(reg a, reg b, reg c) { return vfmaq_f32(c, a, b); }
  static reg min(reg a, reg b) { return vminq_f32(a, b); }
  static reg max(reg a, reg b) { return vmaxq_f32(a, b); }
  static reg add(reg a, reg b) { return vaddq_f32(a, b); }
  static reg mul(reg a, reg b) { return vmulq_f32(a, b); }
};
}  // namespace

void kernel_neon(const Row& r) { run<Neon>(r); }

}  // namespace dw
}  // namespace ppms
#endif
