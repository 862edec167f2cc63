#include "ppms/image_conv.h"

#include <string>
#include <vector>

namespace ppms {

Status image_conv(const Conv1x1Weights& w, const float* x, int64_t cin, int64_t H, int64_t W, int64_t k,
                  int64_t stride, float* y, Activation act, const Parallel& parallel) {
  auto n = [](int64_t v) { return std::to_string(v); };
  if (cin < 1 || k < 1 || k % 2 == 0 || w.cin != cin * k * k)
    return Status::invalid("image_conv: weights for " + n(w.cin) + " inputs do not fit cin " + n(cin) + " x k " + n(k) +
                           " x " + n(k) + " (k must be odd)");
  if (stride != 1 && stride != 2) return Status::invalid("image_conv: stride must be 1 or 2, got " + n(stride));
  if (H < 1 || W < 1) return Status::invalid("image_conv: H and W must be >= 1, got " + n(H) + "x" + n(W));
  if (x == nullptr || y == nullptr) return Status::invalid("image_conv: x and y must not be null");
  const int64_t Ho = (H - 1) / stride + 1, Wo = (W - 1) / stride + 1, K = w.cin, pad = k / 2;
  parallel.for_range(Ho, 1, [&](int64_t h0, int64_t h1) {
    std::vector<float> patches(Wo * K);
    for (int64_t ho = h0; ho < h1; ++ho) {
      for (int64_t wo = 0; wo < Wo; ++wo) {
        float* p = patches.data() + wo * K;
        for (int64_t c = 0; c < cin; ++c)
          for (int64_t ky = 0; ky < k; ++ky) {
            const int64_t iy = ho * stride - pad + ky;
            for (int64_t kx = 0; kx < k; ++kx) {
              const int64_t ix = wo * stride - pad + kx;
              *p++ = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[(c * H + iy) * W + ix] : 0.0f;
            }
          }
      }
      conv1x1(w, patches.data(), K, Wo, y + ho * Wo * w.cout, w.cout, act);
    }
  });
  return Status();
}

}  // namespace ppms
