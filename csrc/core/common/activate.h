// The fused activations of the kernels' epilogues, written once per vector type: here the scalar one (the reference),
// activate_neon.h (float32x4_t, and the same steps for the assembly blocks), activate_avx2.h (__m256),
// activate_avx512.h (__m512). hardswish is torch's x * relu6(x + 3) / 6 computed as x * clamp(x / 6 + 1 / 2, 0, 1):
// four operations with an FMA, where the other order takes five. The scalar one has no FMA (the build contracts
// nothing), so a SIMD kernel's gate differs from it by at most its last bit. A NaN stays NaN in all of them.
#pragma once

#include <algorithm>

#include "ppms/types.h"

namespace ppms {

// F: float; double where a reference rounds the activated sum once (the f16 scalar kernels: near -3 hardswish's
// gate cancels, and a float gate's error there passes half's rounding).
template <Activation A, class F>
inline F activate(F v) {
  if constexpr (A == Activation::relu) return std::max(v, F(0));
  if constexpr (A == Activation::relu6) return std::min(std::max(v, F(0)), F(6));
  if constexpr (A == Activation::hardswish) return v * std::min(std::max(v * (F(1) / F(6)) + F(0.5), F(0)), F(1));
  return v;
}

template <class F>
inline F activate(F v, Activation a) {
  switch (a) {
    case Activation::none: return v;
    case Activation::relu: return activate<Activation::relu>(v);
    case Activation::relu6: return activate<Activation::relu6>(v);
    case Activation::hardswish: return activate<Activation::hardswish>(v);
  }
  return v;
}

}  // namespace ppms
