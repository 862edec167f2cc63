// The fused activations on 4 floats in a NEON register, for the kernels' epilogues (conv1x1, image_conv). hardswish as
// v * clamp(v / 6 + 1 / 2, 0, 1): 4 instructions, not 5.
#pragma once

#if defined(__aarch64__)
#include <arm_neon.h>

#include "ppms/conv1x1.h"

namespace ppms {

template <Activation A>
inline float32x4_t activate4(float32x4_t v) {
  const float32x4_t zero = vdupq_n_f32(0.0f), six = vdupq_n_f32(6.0f);
  if constexpr (A == Activation::relu) return vmaxq_f32(v, zero);
  if constexpr (A == Activation::relu6) return vminq_f32(vmaxq_f32(v, zero), six);
  if constexpr (A == Activation::hardswish) {
    const float32x4_t g = vfmaq_f32(vdupq_n_f32(0.5f), v, vdupq_n_f32(1.0f / 6.0f));
    return vmulq_f32(v, vminq_f32(vmaxq_f32(g, zero), vdupq_n_f32(1.0f)));
  }
  return v;
}

}  // namespace ppms
#endif
