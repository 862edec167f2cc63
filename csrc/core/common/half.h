// IEEE binary16 ("half") values as their bits, on every architecture: what fp16 weights and activations are stored
// as. Conversions round to nearest, ties to even, as the hardware's do; infinities and NaNs keep their kind.
#pragma once

#include <cstdint>
#include <cstring>

namespace ppms {

using half = uint16_t;

inline float half_to_float(half h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    int e = -1;
    uint32_t m = man;
    do ++e, m <<= 1; while ((m & 0x400) == 0);
    bits = sign | ((112 - e) << 23) | ((m & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

inline half half_from_float(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  const uint32_t sign = (bits >> 16) & 0x8000, abs = bits & 0x7fffffffu;
  if (abs >= 0x7f800000u) return half(sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 | ((abs >> 13) & 0x3ff) : 0));
  if (abs >= 0x477ff000u) return half(sign | 0x7c00);  // rounds past 65504: infinity
  if (abs < 0x38800000u) {  // below the smallest normal half: a subnormal (or zero), rounded at bit 24 - e
    if (abs < 0x33000000u) return half(sign);  // below half the smallest subnormal
    const uint32_t e = abs >> 23, m = (abs & 0x7fffff) | 0x800000, shift = 126 - e;
    uint32_t v = m >> shift;
    const uint32_t rest = m & ((1u << shift) - 1), halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (v & 1))) ++v;
    return half(sign | v);
  }
  uint32_t v = abs - 0x38000000u;  // rebias the exponent: 127 - 15 = 112 = 0x70 << 23
  const uint32_t rest = v & 0x1fff;
  v >>= 13;
  if (rest > 0x1000 || (rest == 0x1000 && (v & 1))) ++v;  // a carry into the exponent is right
  return half(sign | v);
}

}  // namespace ppms
