#include "ppms/image_conv.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/cpu.h"

namespace ppms {

namespace {

constexpr int64_t P = kConv1x1Panel;

// acc [Wo][P] = bias + the taps of one panel of outputs for output row ho, tap by tap: each tap adds its weight
// vector times one input pixel to every output pixel, so the inner loop runs over P contiguous outputs (vectorised)
// and the row of accumulators stays in L1. Taps over the zero padding are skipped.
PPMS_CLONES void panel_row(const float* x, int64_t cin, int64_t H, int64_t W, int64_t k, int64_t stride, int64_t ho,
                           int64_t Wo, const float* taps, const float* bias, float* __restrict acc) {
  for (int64_t wo = 0; wo < Wo; ++wo)
#pragma omp simd
    for (int64_t o = 0; o < P; ++o) acc[wo * P + o] = bias[o];
  const int64_t pad = k / 2;
  for (int64_t c = 0; c < cin; ++c)
    for (int64_t ky = 0; ky < k; ++ky) {
      const int64_t iy = ho * stride - pad + ky;
      if (iy < 0 || iy >= H) continue;
      const float* row = x + (c * H + iy) * W;
      for (int64_t kx = 0; kx < k; ++kx) {
        float w[P];  // in registers across the pixels
        std::copy(taps + ((c * k + ky) * k + kx) * P, taps + ((c * k + ky) * k + kx + 1) * P, w);
        // the output pixels whose input column wo * stride - pad + kx lies in [0, W)
        const int64_t lo = std::max<int64_t>(0, (pad - kx + stride - 1) / stride);
        const int64_t last = W - 1 + pad - kx;  // the last such wo is last / stride (none when negative)
        const int64_t hi = last < 0 ? 0 : std::min<int64_t>(Wo, last / stride + 1);
        for (int64_t wo = lo; wo < hi; ++wo) {
          const float v = row[wo * stride - pad + kx];
#pragma omp simd
          for (int64_t o = 0; o < P; ++o) acc[wo * P + o] += w[o] * v;
        }
      }
    }
}

// out[wo][0, m) = act(acc[wo][0, m)), rows cout apart; the activation chosen outside the loops.
PPMS_CLONES void store(const float* acc, int64_t Wo, int64_t m, Activation act, float* __restrict out, int64_t cout) {
  for (int64_t wo = 0; wo < Wo; ++wo) {
    const float* a = acc + wo * P;
    float* o = out + wo * cout;
    switch (act) {
      case Activation::none:
#pragma omp simd
        for (int64_t j = 0; j < m; ++j) o[j] = a[j];
        break;
      case Activation::relu:
#pragma omp simd
        for (int64_t j = 0; j < m; ++j) o[j] = a[j] < 0.0f ? 0.0f : a[j];  // NaN stays NaN, as in torch
        break;
      case Activation::relu6:
#pragma omp simd
        for (int64_t j = 0; j < m; ++j) o[j] = a[j] < 0.0f ? 0.0f : (a[j] > 6.0f ? 6.0f : a[j]);
        break;
      case Activation::hardswish:
#pragma omp simd
        for (int64_t j = 0; j < m; ++j) {
          const float r = a[j] + 3.0f;
          o[j] = a[j] * (r < 0.0f ? 0.0f : (r > 6.0f ? 6.0f : r)) * (1.0f / 6.0f);
        }
        break;
    }
  }
}

}  // namespace

Status image_conv(const Conv1x1Weights& w, const float* x, int64_t cin, int64_t H, int64_t W, int64_t k,
                  int64_t stride, float* y, Activation act, const Parallel& parallel) {
  auto n = [](int64_t v) { return std::to_string(v); };
  if (cin < 1 || k < 1 || k % 2 == 0 || w.cin != cin * k * k)
    return Status::invalid("image_conv: weights for " + n(w.cin) + " inputs do not fit cin " + n(cin) + " x k " + n(k) +
                           " x " + n(k) + " (k must be odd)");
  if (stride != 1 && stride != 2) return Status::invalid("image_conv: stride must be 1 or 2, got " + n(stride));
  if (H < 1 || W < 1) return Status::invalid("image_conv: H and W must be >= 1, got " + n(H) + "x" + n(W));
  if (x == nullptr || y == nullptr) return Status::invalid("image_conv: x and y must not be null");
  const int64_t Ho = (H - 1) / stride + 1, Wo = (W - 1) / stride + 1, cout = w.cout;
  parallel.for_range(Ho, 1, [&](int64_t h0, int64_t h1) {
    std::vector<float> acc(Wo * P);
    for (int64_t ho = h0; ho < h1; ++ho)
      for (int64_t p = 0; p * P < cout; ++p) {
        panel_row(x, cin, H, W, k, stride, ho, Wo, w.panels + p * w.cin * P, w.bias + p * P, acc.data());
        store(acc.data(), Wo, std::min(P, cout - p * P), act, y + ho * Wo * cout + p * P, cout);
      }
  });
  return Status();
}

}  // namespace ppms
