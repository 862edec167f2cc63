// The `ppms` operator namespace: every op's schema, declared once. Backends register kernels with
// TORCH_LIBRARY_IMPL(ppms, <Backend>, m) beside their implementation (csrc/ops/<op>/); Python adds the fake
// (meta) kernels, the Triton CUDA kernels and autograd in ppms_kernels/.
#include <torch/library.h>

TORCH_LIBRARY(ppms, m) {
  // Bilinear (align_corners=False) upsample of logits [B, C, h, w] to `size`, then argmax over classes,
  // without materialising the upsampled logits. mode "exact": the labels of F.interpolate(...).argmax(1);
  // "paper": PaddleSeg's VIM (only classes that win a low-res pixel somewhere in the batch).
  // Returns labels [B, H, W] of out_dtype (int64 by default; int32, or uint8 when C <= 256).
  m.def("valid_interpolate(Tensor logits, SymInt[2] size, str mode=\"exact\", ScalarType? out_dtype=None) -> Tensor");
}
