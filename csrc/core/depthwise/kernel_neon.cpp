// NEON depthwise rows (aarch64): kernel_impl.h over 4-float vectors.
#if defined(__aarch64__)
#include <arm_neon.h>

#include "core/common/activate_neon.h"
#include "core/depthwise/kernel_impl.h"
#define PPMS_DW_ARR "4s"
#include "core/depthwise/kernel_neon_asm.h"

namespace ppms {
namespace dw {
namespace {
struct Neon {
  using T = float;
  using lane = float;
  using reg = float32x4_t;
  static constexpr int N = 4;
  static constexpr int regs = 32;
  static constexpr bool offset_loads = true;  // 31 general registers hold the offsets
  static reg load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, reg v) { vst1q_f32(p, v); }
  static reg fma(reg a, reg b, reg c) { return vfmaq_f32(c, a, b); }
  template <Activation A>
  static reg activate(reg v) { return activate4<A>(v); }
  static constexpr bool asm_blocks = true;
  template <Activation A, int K, int S>
  static int64_t blocks_asm(const Row& r, int64_t wo, int64_t hi, int64_t c) {
    return neon_blocks<float, A, K, S>(r, wo, hi, c);
  }
};
}  // namespace

void kernel_neon(const Row& r) { run<Neon>(r); }

}  // namespace dw
}  // namespace ppms
#endif
