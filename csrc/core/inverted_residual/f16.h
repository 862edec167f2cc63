// The MobileNetV3 block in half: inverted_residual (ppms/inverted_residual.h) on an f16 config, x, y and mid in half
// and the block's f16 weights (InvertedResidual::f16); SE pools and scales in float.
#pragma once

#include "core/common/half.h"
#include "ppms/inverted_residual.h"

namespace ppms {

Status inverted_residual_f16(const InvertedResidual& b, const half* x, int64_t H, int64_t W, half* y,
                             const Parallel& parallel = {}, half* mid = nullptr);

}  // namespace ppms
