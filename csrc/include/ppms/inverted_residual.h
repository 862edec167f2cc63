// The MobileNetV3 inverted-residual block as one operator, on channels-last (NHWC) images:
//   y = project(se(depthwise_act(depthwise_k,s(expand_act(expand(x)))))) (+ x when stride is 1 and cin == cout)
// which is also the transformer stages' MLP (expand without activation, depthwise with bias, ReLU6, no SE).
// BatchNorm folded into the convolutions. Without SE, the expanded activations live only in a ring of k rows per
// task: each output row expands the input rows it needs, runs the depthwise row and projects it, so the expanded
// tensor is never written out whole. With SE, the scale needs the whole depthwise output first: it is kept, pooled
// on the way, and the scale is folded into the projection weights (cout x cmid values) instead of a pass over it (a
// bf16 projection multiplies its inputs by it as it rounds them to bf16 instead).
#pragma once

#include <cstdint>

#include "ppms/conv1x1.h"
#include "ppms/depthwise.h"
#include "ppms/kernels.h"
#include "ppms/parallel.h"
#include "ppms/status.h"

namespace ppms {

struct InvertedResidual {
  int64_t cin = 0, cmid = 0, cout = 0, k = 3, stride = 1;
  Activation expand_act = Activation::relu, depthwise_act = Activation::relu;
  Conv1x1Weights expand;              // cin -> cmid, packed
  DepthwiseWeights depthwise;         // cmid, k x k, packed
  Conv1x1Weights project;             // cmid -> cout, packed (with SE, its scale is folded into a copy per image)
  // SE (optional, cmid -> cmid / 4 -> cmid, Paddle's hardsigmoid 0.2 x + 0.5): [cse, cmid], [cse], [cmid, cse], [cmid]
  int64_t cse = 0;
  const float *se1_w = nullptr, *se1_b = nullptr, *se2_w = nullptr, *se2_b = nullptr;
  const KernelConfig* kernels = nullptr;  // ppms/kernels.h; null: the fastest config
  // On an f16 config: expand, depthwise and project in IEEE half (uint16_t bits), which network_bind converts from
  // the f32 ones (SE keeps f32).
  struct {
    Conv1x1WeightsT<uint16_t> expand, project;
    DepthwiseWeightsT<uint16_t> depthwise;
  } f16;
  // On a bf16 config: expand and project in bf16 pairs (core/conv1x1/kernels.h pack_bf16), which network_bind packs
  // from the f32 ones.
  struct {
    Conv1x1Weights expand, project;
  } bf16;

  bool has_se() const { return cse > 0; }
  bool has_shortcut() const { return stride == 1 && cin == cout; }
};

// x [H][W][cin] -> y [Ho][Wo][cout], Ho = (H - 1) / stride + 1; y must not overlap x. mid (SE only): room for the
// depthwise output, Ho * Wo * cmid floats, overlapping neither x nor y, or y itself when cout == cmid (then each row
// is projected in place); null: allocated for the call.
Status inverted_residual(const InvertedResidual& b, const float* x, int64_t H, int64_t W, float* y,
                         const Parallel& parallel = {}, float* mid = nullptr);
// The floats a call allocates for itself (the lanes' rings and rows, SE's scaled projection), mid excluded.
int64_t inverted_residual_own_floats(const InvertedResidual& b, int64_t H, int64_t W, const Parallel& parallel = {});

}  // namespace ppms
