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

  // Inference forward of one strided SEA attention block (PP-MobileSeg), BatchNorm folded: x [B, dim, H, W]
  // -> [B, dim, H, W]. weights: the 15 packed tensors of ppms_kernels.sea.pack() (SEA_WEIGHTS names them).
  m.def("sea_attention(Tensor x, Tensor[] weights, int num_heads, int key_dim) -> Tensor");

  // Squeeze-axial attention core (trainable): q, k [B, heads*key_dim, H, W], v [B, heads*dv, H, W],
  // pos_* [1, heads*key_dim, L] -> row [B, heads*dv, H, 1], column [B, heads*dv, 1, W].
  m.def("axial_attention(Tensor q, Tensor k, Tensor v, Tensor pos_rowq, Tensor pos_rowk, Tensor pos_colq, "
        "Tensor pos_colk, int num_heads) -> (Tensor, Tensor)");
}
