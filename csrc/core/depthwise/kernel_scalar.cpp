// Scalar reference: every output, taps summed row by row (ky outer, kx inner), then the activation.
#include "core/depthwise/kernels.h"

namespace ppms {
namespace dw {

void kernel_scalar(const Row& r) {
  const int64_t C = r.w->channels, k = r.w->k, pad = k / 2;
  for (int64_t wo = 0; wo < r.Wo; ++wo)
    for (int64_t c = 0; c < C; ++c) {
      float s = r.w->bias[c];
      for (int64_t ky = 0; ky < k; ++ky) {
        const float* row = r.rows[ky];
        if (!row) continue;
        for (int64_t kx = 0; kx < k; ++kx) {
          const int64_t ix = wo * r.stride - pad + kx;
          if (ix >= 0 && ix < r.W) s += row[ix * C + c] * r.w->taps[(ky * k + kx) * C + c];
        }
      }
      r.y[wo * C + c] = activate(s, r.act);
    }
}

}  // namespace dw
}  // namespace ppms
