// bfloat16 values as their bits: the upper half of an IEEE float (8 exponent bits, 8 significant bits). What the bf16
// configs' 1x1 convolutions multiply (AVX512_BF16's vdpbf16ps takes a pair of them per 32-bit lane). Rounding is to
// nearest, ties to even, as vcvtne2ps2bf16's; a NaN stays a NaN (quietened).
#pragma once

#include <cstdint>
#include <cstring>

namespace ppms {

inline uint32_t bf16_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof(b));
  const uint32_t rounded = (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
  return (b & 0x7fffffffu) > 0x7f800000u ? (b >> 16) | 0x40u : rounded;  // a select, so loops of it vectorise
}

inline float bf16_to_float(uint32_t bits) {
  const uint32_t b = bits << 16;
  float f;
  std::memcpy(&f, &b, sizeof(f));
  return f;
}

// f rounded to bf16 and back: the value a bf16 kernel multiplies.
inline float bf16_round(float f) { return bf16_to_float(bf16_bits(f)); }

// A stored bf16 value (the bf16 configs' expanded rows, which their depthwise reads): its bits; reads as a float.
struct bf16 {
  uint16_t bits;
  operator float() const { return bf16_to_float(bits); }
};
inline bf16 to_bf16(float f) { return {static_cast<uint16_t>(bf16_bits(f))}; }

}  // namespace ppms
