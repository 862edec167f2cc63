// AAM's fused per-pixel step (aam.cpp runs it per output row): the portable kernel is the reference ("scalar"),
// kernel_neon.cpp the NEON one; core/config/config.cpp puts each in the configs of its ISA.
#pragma once

#include <cstdint>

#include "core/common/fast_math.h"
#include "core/common/linear_axis.h"

namespace ppms {
namespace aam {

// One row of AAM's output and the head's ReLU: out = relu(bilinear(low_e) + g * e) with g = sig(a0) * bilinear(low_a)
// and e = e0 (base), g = sig(a0) * bilinear(low_a) * sig(a1) and e = e0 + e1 (tiny). The low-resolution terms come
// as their rows interpolated vertically for this output row (ve, va [w][C]; base's a0 too, as v16 on x16's grid), so
// each output pixel blends two neighbours of a row: 4 loads and 4 operations per vector and term, where the whole
// bilinear took 8 and 6, and base's a0 went through a band of its own first. Tiny: a0, a1, e0, e1 are this row's
// [W][C]; base: e0.
using FuseFn = void (*)(const float* ve, const float* va, const float* v16, const LinearAxis& xs,
                        const LinearAxis& x16s, int64_t C, int64_t W, const float* a0, const float* a1,
                        const float* e0, const float* e1, float* out);

struct Config {
  const char* name;
  FuseFn tiny, base;
};

void fuse_tiny(const float* ve, const float* va, const float* v16, const LinearAxis& xs, const LinearAxis& x16s,
               int64_t C, int64_t W, const float* a0, const float* a1, const float* e0, const float* e1, float* out);
void fuse_base(const float* ve, const float* va, const float* v16, const LinearAxis& xs, const LinearAxis& x16s,
               int64_t C, int64_t W, const float* a0, const float* a1, const float* e0, const float* e1, float* out);
#if defined(__x86_64__) || defined(_M_X64)
void fuse_tiny_avx512(const float* ve, const float* va, const float* v16, const LinearAxis& xs,
                      const LinearAxis& x16s, int64_t C, int64_t W, const float* a0, const float* a1, const float* e0,
                      const float* e1, float* out);
void fuse_base_avx512(const float* ve, const float* va, const float* v16, const LinearAxis& xs,
                      const LinearAxis& x16s, int64_t C, int64_t W, const float* a0, const float* a1, const float* e0,
                      const float* e1, float* out);
#endif
#if defined(__aarch64__)
void fuse_tiny_neon(const float* ve, const float* va, const float* v16, const LinearAxis& xs, const LinearAxis& x16s,
                    int64_t C, int64_t W, const float* a0, const float* a1, const float* e0, const float* e1,
                    float* out);
void fuse_base_neon(const float* ve, const float* va, const float* v16, const LinearAxis& xs, const LinearAxis& x16s,
                    int64_t C, int64_t W, const float* a0, const float* a1, const float* e0, const float* e1,
                    float* out);
#endif

// Pixel X's interpolation: its two neighbours in the row (p0, p1 on x32's grid, q0, q1 on x16's, as offsets of
// [w][C] rows) and their weights.
struct Taps {
  int64_t p0, p1, q0, q1;
  float c0, c1, d0, d1;
};
template <bool Tiny>
inline Taps taps(const LinearAxis& xs, const LinearAxis& x16s, int64_t C, int64_t X) {
  return {xs.i0[X] * C,  xs.i1[X] * C, Tiny ? 0 : x16s.i0[X] * C, Tiny ? 0 : x16s.i1[X] * C,
          xs.l0[X],      xs.l1[X],     Tiny ? 0.0f : x16s.l0[X],  Tiny ? 0.0f : x16s.l1[X]};
}

// Channels [first, C) of pixel X (o = X * C) of the row, one at a time (the loop vectorises where it can).
template <bool Tiny>
__attribute__((always_inline)) inline void fuse_channels(const float* ve, const float* va, const float* v16,
                                                         const Taps& t, const float* a0, const float* a1,
                                                         const float* e0, const float* e1, float* __restrict out,
                                                         int64_t o, int64_t first, int64_t C) {
  const int64_t p0 = t.p0, p1 = t.p1, q0 = t.q0, q1 = t.q1;
  const float c0 = t.c0, c1 = t.c1, d0 = t.d0, d1 = t.d1;
#pragma omp simd
  for (int64_t c = first; c < C; ++c) {
    const float h = c0 * ve[p0 + c] + c1 * ve[p1 + c], ga = c0 * va[p0 + c] + c1 * va[p1 + c];
    float g, e = e0[o + c];
    if (Tiny) {
      g = fast_sigmoid(a0[o + c]) * ga * fast_sigmoid(a1[o + c]);
      e += e1[o + c];
    } else {
      g = fast_sigmoid(d0 * v16[q0 + c] + d1 * v16[q1 + c]) * ga;
    }
    const float v = h + g * e;
    out[o + c] = v < 0.0f ? 0.0f : v;
  }
}

}  // namespace aam
}  // namespace ppms
