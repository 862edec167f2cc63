// Scalar reference: every output, taps summed row by row (ky outer, kx inner), then the activation.
#include "core/depthwise/kernels.h"

namespace ppms {
namespace dw {

namespace {
inline float in(float v) { return v; }
inline float in(half v) { return half_to_float(v); }
inline float in(bf16 v) { return v; }
inline void put(float v, float* y) { *y = v; }
// through float: the two roundings differ from one only where the float lands on a tie of halves
inline void put(double v, half* y) { *y = half_from_float(float(v)); }

// Sum: float for f32; double for f16, the activation too, so that each output's one rounding is its rounding to half
// (a half product is exact in float, its sums are not).
template <class T, class Sum, class In = T>
void row(const RowT<T, In>& r) {
  const int64_t C = r.w->channels, k = r.w->k, pad = k / 2;
  for (int64_t wo = 0; wo < r.Wo; ++wo)
    for (int64_t c = 0; c < C; ++c) {
      Sum s = in(r.w->bias[c]);
      for (int64_t ky = 0; ky < k; ++ky) {
        const In* row = r.rows[ky];
        if (!row) continue;
        for (int64_t kx = 0; kx < k; ++kx) {
          const int64_t ix = wo * r.stride - pad + kx;
          if (ix >= 0 && ix < r.W) s += Sum(in(row[ix * C + c])) * in(r.w->taps[(ky * k + kx) * C + c]);
        }
      }
      put(activate(s, r.act), &r.y[wo * C + c]);
    }
}
}  // namespace

void kernel_scalar(const Row& r) { row<float, float>(r); }
ConfigT<half> kernel_f16_scalar() { return {"scalar", row<half, double>}; }
void kernel_bf16_rows_scalar(const RowT<float, bf16>& r) { row<float, float, bf16>(r); }

}  // namespace dw
}  // namespace ppms
