// AAM's fused row on NEON: the sigmoids on registers (fast_math.h), with FMAs, 4 channels at a time: a third of the
// portable loop's instructions.
#if defined(__aarch64__)
#include <arm_neon.h>

#include "core/aam/kernels.h"

namespace ppms {
namespace aam {
namespace {

// The channels past the last vector, out of line: inlined, its vector code took the registers that hold the loop's
// constants, which were then loaded again on every step (+13% instructions).
template <bool Tiny>
__attribute__((noinline)) void tail(const float* ve, const float* va, const float* v16, const Taps& t, const float* a0,
                                    const float* a1, const float* e0, const float* e1, float* out, int64_t o,
                                    int64_t first, int64_t C) {
  fuse_channels<Tiny>(ve, va, v16, t, a0, a1, e0, e1, out, o, first, C);
}

template <bool Tiny>
void fuse(const float* ve, const float* va, const float* v16, const LinearAxis& xs, const LinearAxis& x16s, int64_t C,
          int64_t W, const float* a0, const float* a1, const float* e0, const float* e1, float* __restrict out) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  for (int64_t X = 0; X < W; ++X) {
    const Taps t = taps<Tiny>(xs, x16s, C, X);
    const int64_t o = X * C;
    int64_t c = 0;
    for (; c + 4 <= C; c += 4) {
      const auto blend = [&](const float* r, int64_t i0, int64_t i1, float l0, float l1) {
        return vfmaq_n_f32(vmulq_n_f32(vld1q_f32(r + i0 + c), l0), vld1q_f32(r + i1 + c), l1);
      };
      const float32x4_t h = blend(ve, t.p0, t.p1, t.c0, t.c1);
      float32x4_t g, e = vld1q_f32(e0 + o + c);
      if (Tiny) {
        g = vmulq_f32(vmulq_f32(fast_sigmoid(vld1q_f32(a0 + o + c)), blend(va, t.p0, t.p1, t.c0, t.c1)),
                      fast_sigmoid(vld1q_f32(a1 + o + c)));
        e = vaddq_f32(e, vld1q_f32(e1 + o + c));
      } else {
        g = vmulq_f32(fast_sigmoid(blend(v16, t.q0, t.q1, t.d0, t.d1)), blend(va, t.p0, t.p1, t.c0, t.c1));
      }
      vst1q_f32(out + o + c, vmaxq_f32(vfmaq_f32(h, g, e), zero));  // a NaN stays NaN
    }
    if (c < C) tail<Tiny>(ve, va, v16, t, a0, a1, e0, e1, out, o, c, C);
  }
}

}  // namespace

void fuse_tiny_neon(const float* ve, const float* va, const float* v16, const LinearAxis& xs, const LinearAxis& x16s,
                    int64_t C, int64_t W, const float* a0, const float* a1, const float* e0, const float* e1,
                    float* out) {
  fuse<true>(ve, va, v16, xs, x16s, C, W, a0, a1, e0, e1, out);
}

void fuse_base_neon(const float* ve, const float* va, const float* v16, const LinearAxis& xs, const LinearAxis& x16s,
                    int64_t C, int64_t W, const float* a0, const float* a1, const float* e0, const float* e1,
                    float* out) {
  fuse<false>(ve, va, v16, xs, x16s, C, W, a0, a1, e0, e1, out);
}

}  // namespace aam
}  // namespace ppms
#endif
