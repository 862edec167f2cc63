// PP-MobileSeg's fusion module (AAM) and segmentation head on channels-last (NHWC) features, BatchNorm folded:
//   tiny (AAM, output at 1/16):  l1 = bilinear(x8, scale 1/2); l2 = bilinear(x16 -> l1's size)
//        out = sig(A0 l1) * sig(A1 l2) * bilinear(sig(A2 x32)) * (E0 l1 + E1 l2) + bilinear(E2 x32)
//   base (AAMSx8, at 1/8):       out = sig(A0 bilinear(x16 -> x8's size)) * bilinear(sig(A1 x32)) * E0 x8
//                                      + bilinear(E1 x32),  with A0 bilinear(x16) run as bilinear(A0 x16)
//   head:                        logits = conv_seg(relu(out))
// E*, A* are 1x1 convolutions, with the head's linear_fuse (a per-channel affine before its ReLU) folded into the E*
// (models/engine.py); every bilinear is align_corners=False as F.interpolate. The x32 terms are computed whole at
// 1/32 (and base's A0 x16 at 1/16); everything else in bands of output rows (each step is per pixel after the resizes), so no full-size
// temporary exists: the memory is the features, the logits and a few rows per thread.
#pragma once

#include <cstdint>

#include "ppms/conv1x1.h"
#include "ppms/kernels.h"
#include "ppms/parallel.h"
#include "ppms/status.h"

namespace ppms {

struct Feature {
  const float* data;  // [h][w][c]
  int64_t h, w, c;
};

struct AamHead {
  bool x8_output = false;  // true: base (AAMSx8); false: tiny (AAM)
  // tiny: e = {E0 (c8), E1 (c16), E2 (c32)}, a = {A0, A1, A2}; base: e = {E0 (c8), E1 (c32)}, a = {A0 (c16), A1 (c32)}
  Conv1x1Weights e[3], a[3];
  Conv1x1Weights classifier;          // conv_seg: channels -> classes
  struct {  // the same in half, for f16 configs (network_bind fills them)
    Conv1x1WeightsT<uint16_t> e[3], a[3], classifier;
  } f16;
  struct {  // in bf16 pairs, for bf16 configs (network_bind packs them)
    Conv1x1Weights e[3], a[3], classifier;
  } bf16;
  const KernelConfig* kernels = nullptr;  // ppms/kernels.h; null: the fastest config
};

// The logits' height and width for x8 [h8][w8].
void aam_head_size(const AamHead& m, int64_t h8, int64_t w8, int64_t* h, int64_t* w);
// The floats of aam_head's scratch: the x32 terms, and a band's temporaries per lane of bands (Parallel::lanes).
int64_t aam_head_scratch_floats(const AamHead& m, const Feature& x8, const Feature& x16, const Feature& x32,
                                const Parallel& parallel = {});
// logits: planar [classes][h][w] (aam_head_size), as NCHW: what the label step reads, and what torch returns.
// scratch: aam_head_scratch_floats (for the same parallel), or null: allocated for the call.
Status aam_head(const AamHead& m, const Feature& x8, const Feature& x16, const Feature& x32, float* logits,
                const Parallel& parallel = {}, float* scratch = nullptr);

}  // namespace ppms
