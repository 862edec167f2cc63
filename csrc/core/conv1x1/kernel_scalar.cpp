// Scalar reference: one output at a time, the dot product summed in k order, then residual and activation.
#include "core/common/bf16.h"
#include "core/conv1x1/kernels.h"

namespace ppms {
namespace pw {

namespace {
void tile(const Tile& t) {
  for (int64_t i = 0; i < t.m; ++i)
    for (int64_t j = 0; j < t.n; ++j) {
      float s = t.bias[j];
      const float* p = t.panel + (j / kConv1x1Panel) * t.panel_stride + j % kConv1x1Panel;
      for (int64_t k = 0; k < t.k; ++k) s += t.x[i * t.ldx + k] * p[k * kConv1x1Panel];
      if (t.residual) s += t.residual[i * t.ldr + j];
      if (t.y16)
        t.y16[i * t.ldy + j] = to_bf16(activate(s, t.act));
      else
        t.y[i * t.ldy + j] = activate(s, t.act);
    }
}
// f16: the same sums in float from the half values, each output rounded to half once (or stored as it is to y32).
void tile_f16(const TileT<half>& t) {
  for (int64_t i = 0; i < t.m; ++i)
    for (int64_t j = 0; j < t.n; ++j) {
      float s = half_to_float(t.bias[j]);
      const half* p = t.panel + (j / kConv1x1Panel) * t.panel_stride + j % kConv1x1Panel;
      for (int64_t k = 0; k < t.k; ++k) s += half_to_float(t.x[i * t.ldx + k]) * half_to_float(p[k * kConv1x1Panel]);
      if (t.residual) s += half_to_float(t.residual[i * t.ldr + j]);
      if (t.y32)
        t.y32[i * t.ldy + j] = activate(s, t.act);
      else
        t.y[i * t.ldy + j] = half_from_float(activate(s, t.act));
    }
}
// bf16: the same sums in float of the inputs and weights rounded to bf16 (kernels.h's pairs).
void tile_bf16(const Tile& t) {
  const auto* words = reinterpret_cast<const uint32_t*>(t.panel);
  for (int64_t i = 0; i < t.m; ++i)
    for (int64_t j = 0; j < t.n; ++j) {
      float s = t.bias[j];
      const uint32_t* p = words + (j / kConv1x1Panel) * t.panel_stride + j % kConv1x1Panel;
      const auto* pairs = reinterpret_cast<const uint32_t*>(t.x + i * t.ldx);
      for (int64_t k = 0; k < t.k; ++k) {
        const float x = t.x_pairs ? bf16_to_float(pairs[k / 2] >> (k % 2 * 16) & 0xffff)
                                  : bf16_round(t.x[i * t.ldx + k] * (t.x_scale ? t.x_scale[k] : 1.0f));
        s += x * bf16_to_float(p[k / 2 * kConv1x1Panel] >> (k % 2 * 16) & 0xffff);
      }
      if (t.residual) s += t.residual[i * t.ldr + j];
      if (t.y16)
        t.y16[i * t.ldy + j] = to_bf16(activate(s, t.act));
      else
        t.y[i * t.ldy + j] = activate(s, t.act);
    }
}
}  // namespace

Config kernel_scalar() { return {"scalar", tile, 4, 0, 1, true}; }
Config kernel_bf16_scalar() { return {"bf16_scalar", tile_bf16, 4, 0, 2, true}; }
ConfigT<half> kernel_f16_scalar() { return {"scalar", tile_f16, 4}; }

}  // namespace pw
}  // namespace ppms
