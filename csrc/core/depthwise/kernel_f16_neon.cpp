// The f16 depthwise rows on NEON with FP16 arithmetic (Armv8.2-A; chosen only where the CPU reports it):
// kernel_impl.h over 8-half vectors, accumulating with FMLA on .8h and activating in half; its interior 3 x 3 and
// 5 x 5 blocks are the f32 kernel's assembly on .8h (kernel_neon_asm.h).
#if defined(__aarch64__)
#include <arm_neon.h>

#include "core/common/activate_neon.h"
#include "core/depthwise/kernels.h"  // before the pragma: its inline functions are shared with the other files

#pragma GCC push_options
#pragma GCC target("arch=armv8.2-a+fp16")
#include "core/depthwise/kernel_impl.h"
#define PPMS_DW_ARR "8h"
#include "core/depthwise/kernel_neon_asm.h"

namespace ppms {
namespace dw {
namespace {
struct NeonF16 {
  using T = half;
  using lane = __fp16;
  using reg = float16x8_t;
  static constexpr int N = 8;
  static constexpr int regs = 32;
  static constexpr bool offset_loads = true;
  static constexpr bool asm_blocks = true;
  static reg load(const half* p) { return vld1q_f16(reinterpret_cast<const __fp16*>(p)); }
  static void store(half* p, reg v) { vst1q_f16(reinterpret_cast<__fp16*>(p), v); }
  static reg fma(reg a, reg b, reg c) { return vfmaq_f16(c, a, b); }
  template <Activation A>
  static reg activate(reg v) { return activate8h<A>(v); }
  template <Activation A, int K, int S>
  static int64_t blocks_asm(const RowT<half>& r, int64_t wo, int64_t hi, int64_t c) {
    return neon_blocks<half, A, K, S>(r, wo, hi, c);
  }
};
}  // namespace

ConfigT<half> kernel_f16_neonfp16arith() { return {"neonfp16arith", run<NeonF16>}; }

}  // namespace dw
}  // namespace ppms
#pragma GCC pop_options
#endif
