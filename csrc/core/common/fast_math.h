// exp and sigmoid in plain float arithmetic with no branch and no libm call, so that the compiler vectorises loops of
// them (std::exp is a scalar call per element: 3 ms of tiny's AAM gates); and the same on NEON registers, with FMAs
// and NaN-propagating min/max (the build's -ffp-contract=off keeps the compiler from fusing the scalar one, and its
// clamps from becoming min/max: 35 instructions per 4 elements where these take 20).
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace ppms {

// e^x within 2 ulp (Cephes expf: x = n ln2 + r with |r| <= ln2 / 2, a degree-7 polynomial for e^r, 2^n written into
// the exponent), for x clamped to [kMin, kMax], where the result is a normal float.
namespace exp_poly {
constexpr float kMin = -87.3f, kMax = 88.3f, kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;  // ln 2 in two parts (Cody-Waite)
constexpr float kC[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                         4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};
}  // namespace exp_poly

inline float fast_exp(float x) {
  using namespace exp_poly;
  x = x < kMin ? kMin : (x > kMax ? kMax : x);  // selects, not branches: the loop stays vectorisable
  const float t = (x == x ? x : 0.0f) * kLog2e;  // n of a NaN would be undefined behaviour; r carries the NaN
  const float n = static_cast<float>(static_cast<int32_t>(t + (t < 0.0f ? -0.5f : 0.5f)));  // round(t), SSE2 only
  const float r = (x - n * kLn2Hi) - n * kLn2Lo;
  float p = kC[0];
  for (int i = 1; i < 6; ++i) p = p * r + kC[i];
  p = p * (r * r) + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

inline float fast_sigmoid(float x) { return 1.0f / (1.0f + fast_exp(-x)); }

#if defined(__aarch64__)
inline float32x4_t fast_exp(float32x4_t x) {
  using namespace exp_poly;
  x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(kMin)), vdupq_n_f32(kMax));  // a NaN stays NaN, as in the selects above
  const int32x4_t ni = vcvtaq_s32_f32(vmulq_f32(x, vdupq_n_f32(kLog2e)));  // round half away, as above
  const float32x4_t n = vcvtq_f32_s32(ni);
  const float32x4_t r = vfmsq_f32(vfmsq_f32(x, n, vdupq_n_f32(kLn2Hi)), n, vdupq_n_f32(kLn2Lo));
  float32x4_t p = vdupq_n_f32(kC[0]);
  for (int i = 1; i < 6; ++i) p = vfmaq_f32(vdupq_n_f32(kC[i]), p, r);
  p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), p, vmulq_f32(r, r));
  return vmulq_f32(p, vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(ni, vdupq_n_s32(127)), 23)));
}

inline float32x4_t fast_sigmoid(float32x4_t x) {
  const float32x4_t one = vdupq_n_f32(1.0f);
  return vdivq_f32(one, vaddq_f32(one, fast_exp(vnegq_f32(x))));
}
#endif

}  // namespace ppms
