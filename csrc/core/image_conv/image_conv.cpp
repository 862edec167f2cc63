#include "ppms/image_conv.h"

#include <algorithm>
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace ppms {

namespace {

// Input row iy as channels-last pixels [pixels][cin], pixel i holding column i - pad (zero past the edges): then
// output pixel wo's taps in this row are the k * cin floats from pixel wo * stride on.
void channels_last_row(const float* x, int64_t cin, int64_t H, int64_t W, int64_t iy, int64_t pad, int64_t pixels,
                       float* row) {
  const int64_t inside = std::min(W, pixels - pad);
  std::fill(row, row + pad * cin, 0.0f);
  std::fill(row + (pad + inside) * cin, row + pixels * cin, 0.0f);
  for (int64_t c = 0; c < cin; ++c) {
    const float* src = x + (c * H + iy) * W;
    float* dst = row + pad * cin + c;
    for (int64_t ix = 0; ix < inside; ++ix) dst[ix * cin] = src[ix];
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
  const int64_t Ho = (H - 1) / stride + 1, Wo = (W - 1) / stride + 1, cout = w.cout, pad = k / 2, kc = k * cin;
  const int64_t P = kConv1x1Panel, panels = (cout + P - 1) / P, floats = conv1x1_packed_floats(cout, kc);
  // Per kernel row ky, taps (kx, c) as a kc -> cout 1x1 convolution over rows of x whose windows overlap (ldx =
  // stride * cin): one GEMM per kernel row, accumulated in y, with the bias in the centre row's.
  std::vector<float> rows(k * floats, 0.0f);
  std::vector<Conv1x1Weights> by_row(k);
  for (int64_t ky = 0; ky < k; ++ky) {
    float* dst = rows.data() + ky * floats;
    for (int64_t p = 0; p < panels; ++p)
      for (int64_t kx = 0; kx < k; ++kx)
        for (int64_t c = 0; c < cin; ++c)
          std::copy_n(w.panels + (p * w.cin + (c * k + ky) * k + kx) * P, P, dst + (p * kc + kx * cin + c) * P);
    if (ky == pad) std::copy_n(w.bias, panels * P, dst + panels * kc * P);
    by_row[ky] = conv1x1_weights(dst, cout, kc);
  }
  const int64_t pixels = (Wo - 1) * stride + k;
  parallel.for_range(Ho, 1, [&](int64_t h0, int64_t h1) {
    // the last k input rows made channels-last, row iy in slot iy % k (rows shared by neighbouring outputs once)
    const std::unique_ptr<float[]> ring(new float[k * pixels * cin]);
    std::vector<int64_t> have(k, -1);
    for (int64_t ho = h0; ho < h1; ++ho) {
      float* out = y + ho * Wo * cout;
      // the centre row first (always inside the image: it sets the bias), the activation with the last
      const int64_t lo = std::max<int64_t>(0, pad - ho * stride), hi = std::min<int64_t>(k, H + pad - ho * stride);
      for (int64_t i = 0; i < hi - lo; ++i) {
        const int64_t ky = i == 0 ? pad : lo + i - (lo + i <= pad), iy = ho * stride - pad + ky;
        float* row = ring.get() + (iy % k) * pixels * cin;
        if (have[iy % k] != iy) {
          channels_last_row(x, cin, H, W, iy, pad, pixels, row);
          have[iy % k] = iy;
        }
        conv1x1(by_row[ky], row, stride * cin, Wo, out, cout, i + 1 == hi - lo ? act : Activation::none,
                i == 0 ? nullptr : out, cout);
      }
    }
  });
  return Status();
}

}  // namespace ppms
