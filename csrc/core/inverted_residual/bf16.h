// The MobileNetV3 block on a bf16 config with bf16 maps at its ends, which network.cpp picks where the layer on the
// other side reads or writes them only through the bf16 kernels: half the bytes of stage 1's 4 MiB maps.
#pragma once

#include "core/common/bf16.h"
#include "ppms/inverted_residual.h"

namespace ppms {

// Each null: that map in float, as inverted_residual's.
struct Bf16Maps {
  // The input in bf16 (rows of cin values, cin even): the block then has no shortcut, and its expansion runs on the
  // bf16 kernel (cmid >= Bf16Kernels::min_cout).
  const bf16* x = nullptr;
  // The output in bf16 (rows of cout values, cout even): from the bf16 kernel where cout >= min_cout, else from the
  // f32 one, rounded.
  bf16* y = nullptr;
};

// inverted_residual (ppms/inverted_residual.h) on a bf16 config with the maps `m` names in bf16; x, y and mid as
// there for the others (the float x null where m.x is given, y where m.y is; mid may be m.y's room, as y's there).
Status inverted_residual_bf16(const InvertedResidual& b, const float* x, int64_t H, int64_t W, float* y,
                              const Bf16Maps& m, const Parallel& parallel = {}, float* mid = nullptr);

}  // namespace ppms
