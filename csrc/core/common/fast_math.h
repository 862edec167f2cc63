// exp and sigmoid in plain float arithmetic with no branch and no libm call, so that the compiler vectorises loops of
// them (std::exp is a scalar call per element: 3 ms of tiny's AAM gates).
#pragma once

#include <cstdint>
#include <cstring>

namespace ppms {

// e^x within 2 ulp (Cephes expf: x = n ln2 + r with |r| <= ln2 / 2, a degree-7 polynomial for e^r, 2^n written into
// the exponent), for x clamped to [-87.3, 88.3], where the result is a normal float.
inline float fast_exp(float x) {
  x = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);  // selects, not branches: the loop stays vectorisable
  const float t = x * 1.44269504088896341f;
  const float n = static_cast<float>(static_cast<int32_t>(t + (t < 0.0f ? -0.5f : 0.5f)));  // round(t), SSE2 only
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;  // ln 2 in two parts (Cody-Waite)
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

inline float fast_sigmoid(float x) { return 1.0f / (1.0f + fast_exp(-x)); }

}  // namespace ppms
