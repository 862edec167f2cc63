// The depthwise row kernel, written once over a vector type V (V::N floats; load, store, set1, fma, min, max, add,
// mul): the kernel files include it inside their target pragma, and everything here has internal linkage, so no
// function built for one instruction set can be shared with a file built for another.
//
// Per channel vector, four output columns at a time: each tap's weights are loaded once for the four, so a tap costs
// five loads and four FMAs. Border columns (whose taps reach the padding) take the checked path, one at a time;
// channels past the last full vector take the scalar one.
#pragma once

#include "core/depthwise/kernels.h"

namespace ppms {
namespace dw {
namespace {

template <class V, Activation A>
inline typename V::reg activate(typename V::reg v) {
  if constexpr (A == Activation::relu) return V::max(v, V::set1(0.0f));
  if constexpr (A == Activation::relu6) return V::min(V::max(v, V::set1(0.0f)), V::set1(6.0f));
  if constexpr (A == Activation::hardswish) {
    const auto g = V::min(V::max(V::add(v, V::set1(3.0f)), V::set1(0.0f)), V::set1(6.0f));
    return V::mul(V::mul(v, g), V::set1(1.0f / 6.0f));
  }
  return v;
}

// Output columns [wo, wo + B) of channels [c, c + V::N), all taps in range when Checked is false.
template <class V, Activation A, int K, int B, bool Checked>
inline void columns(const Row& r, int64_t wo, int64_t c) {
  const int64_t C = r.w->channels, pad = K / 2, s = r.stride;
  typename V::reg acc[B];
  const auto b = V::load(r.w->bias + c);
  for (int i = 0; i < B; ++i) acc[i] = b;
  for (int ky = 0; ky < K; ++ky) {
    const float* row = r.rows[ky];
    if (!row) continue;
    for (int kx = 0; kx < K; ++kx) {
      const auto w = V::load(r.w->taps + (ky * K + kx) * C + c);
      for (int i = 0; i < B; ++i) {
        const int64_t ix = (wo + i) * s - pad + kx;
        if (Checked && (ix < 0 || ix >= r.W)) continue;
        acc[i] = V::fma(V::load(row + ix * C + c), w, acc[i]);
      }
    }
  }
  for (int i = 0; i < B; ++i) V::store(r.y + (wo + i) * C + c, activate<V, A>(acc[i]));
}

template <class V, Activation A, int K>
inline void row(const Row& r) {
  int64_t lo, hi;
  interior(r, &lo, &hi);
  const int64_t C = r.w->channels, full = C - C % V::N;
  for (int64_t c = 0; c < full; c += V::N) {
    int64_t wo = 0;
    for (; wo < lo; ++wo) columns<V, A, K, 1, true>(r, wo, c);
    for (; wo + 4 <= hi; wo += 4) columns<V, A, K, 4, false>(r, wo, c);
    for (; wo < hi; ++wo) columns<V, A, K, 1, false>(r, wo, c);
    for (; wo < r.Wo; ++wo) columns<V, A, K, 1, true>(r, wo, c);
  }
  if (full == C) return;
  const int64_t pad = K / 2;  // the last channels, scalar
  for (int64_t wo = 0; wo < r.Wo; ++wo)
    for (int64_t c = full; c < C; ++c) {
      float sum = r.w->bias[c];
      for (int ky = 0; ky < K; ++ky) {
        if (!r.rows[ky]) continue;
        for (int kx = 0; kx < K; ++kx) {
          const int64_t ix = wo * r.stride - pad + kx;
          if (ix >= 0 && ix < r.W) sum += r.rows[ky][ix * C + c] * r.w->taps[(ky * K + kx) * C + c];
        }
      }
      r.y[wo * C + c] = pw::activate(sum, A);
    }
}

// The row kernel for any supported k (3, 5, 7) and activation, as compile-time constants.
template <class V, int K>
inline void row_k(const Row& r) {
  switch (r.act) {
    case Activation::none: return row<V, Activation::none, K>(r);
    case Activation::relu: return row<V, Activation::relu, K>(r);
    case Activation::relu6: return row<V, Activation::relu6, K>(r);
    case Activation::hardswish: return row<V, Activation::hardswish, K>(r);
  }
}

template <class V>
inline void run(const Row& r) {
  switch (r.w->k) {
    case 1: return row_k<V, 1>(r);
    case 3: return row_k<V, 3>(r);
    case 5: return row_k<V, 5>(r);
    default: return row_k<V, 7>(r);
  }
}

}  // namespace
}  // namespace dw
}  // namespace ppms
