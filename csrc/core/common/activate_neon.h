// activate.h's activations on 4 floats (and 8 halves) in a NEON register, and the same steps as assembly text for the kernels whose
// blocks are asm statements (conv1x1, depthwise): v<d> in place, with a scratch register t and constants in
// registers (zero, six; half = 0.5, one = 1.0, sixth = 1 / 6).
#pragma once

#if defined(__aarch64__)
#include <arm_neon.h>

#include "ppms/types.h"

namespace ppms {

template <Activation A>
inline float32x4_t activate4(float32x4_t v) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  if constexpr (A == Activation::relu) return vmaxq_f32(v, zero);
  if constexpr (A == Activation::relu6) return vminq_f32(vmaxq_f32(v, zero), vdupq_n_f32(6.0f));
  if constexpr (A == Activation::hardswish) {
    const float32x4_t g = vfmaq_f32(vdupq_n_f32(0.5f), v, vdupq_n_f32(1.0f / 6.0f));
    return vmulq_f32(v, vminq_f32(vmaxq_f32(g, zero), vdupq_n_f32(1.0f)));
  }
  return v;
}

// On 8 halves, in half arithmetic (FP16 CPUs only: the caller's function carries the target too).
template <Activation A>
__attribute__((target("arch=armv8.2-a+fp16"))) inline float16x8_t activate8h(float16x8_t v) {
  const float16x8_t zero = vdupq_n_f16(0.0f);
  if constexpr (A == Activation::relu) return vmaxq_f16(v, zero);
  if constexpr (A == Activation::relu6) return vminq_f16(vmaxq_f16(v, zero), vdupq_n_f16(6.0f));
  if constexpr (A == Activation::hardswish) {
    const float16x8_t g = vfmaq_f16(vdupq_n_f16(0.5f), v, vdupq_n_f16(1.0f / 6.0f));
    return vmulq_f16(v, vminq_f16(vmaxq_f16(g, zero), vdupq_n_f16(1.0f)));
  }
  return v;
}

}  // namespace ppms

// relu is RELU_ASM, relu6 RELU_ASM then MIN_ASM with cap = six. T: the arrangement, "4s" (floats) or "8h" (halves).
#define PPMS_NEON_RELU_ASM(T, d, zero) "fmax v" #d "." T ", v" #d "." T ", v" #zero "." T "\n\t"
#define PPMS_NEON_MIN_ASM(T, d, cap) "fmin v" #d "." T ", v" #d "." T ", v" #cap "." T "\n\t"
#define PPMS_NEON_HSWISH_ASM(T, d, t, zero, half, one, sixth)                                               \
  "mov v" #t ".16b, v" #half ".16b\n\tfmla v" #t "." T ", v" #d "." T ", v" #sixth "." T "\n\t"             \
  "fmax v" #t "." T ", v" #t "." T ", v" #zero "." T "\n\tfmin v" #t "." T ", v" #t "." T ", v" #one "." T "\n\t" \
  "fmul v" #d "." T ", v" #d "." T ", v" #t "." T "\n\t"
#endif
