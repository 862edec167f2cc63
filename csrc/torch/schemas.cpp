// The `ppms` operator namespace: every op's schema, declared once. Each backend registers its kernels with
// TORCH_LIBRARY_IMPL(ppms, <Backend>, m) beside its adapter in csrc/torch/; Python adds the fake (meta) kernels,
// the Triton CUDA kernels and autograd (ppms_kernels/ops/). Ops whose names start with "_" are private: test hooks
// and the facts (kernel lists, limits, weight names) the Python side reads instead of repeating them.
#include <torch/library.h>

TORCH_LIBRARY(ppms, m) {
  // Bilinear (align_corners=False) upsample of logits [B, C, h, w] to `size`, then argmax over classes, without
  // materialising the upsampled logits. mode "exact": the labels of F.interpolate(...).argmax(1); "paper":
  // PaddleSeg's VIM (only classes that win a low-res pixel somewhere in the batch). Returns labels [B, H, W] of
  // out_dtype (int64 by default; int32, or uint8 when C <= 256).
  m.def("upsample_argmax(Tensor logits, SymInt[2] size, str mode=\"exact\", ScalarType? out_dtype=None) -> Tensor");
  // The op's first name, kept so that code and exported graphs that call it keep working: upsample_argmax itself.
  m.def("valid_interpolate(Tensor logits, SymInt[2] size, str mode=\"exact\", ScalarType? out_dtype=None) -> Tensor");

  // Inference forward of one strided SEA attention block (PP-MobileSeg), BatchNorm folded: x [B, dim, H, W]
  // -> [B, dim, H, W]. weights: the 15 packed tensors of ppms_kernels.models.fuse.pack() (_constants() names them).
  m.def("sea_attention(Tensor x, Tensor[] weights, int num_heads, int key_dim) -> Tensor");

  // The network's input from decoded images: uint8 [B, H, W, 3] (RGB, channels last) -> float32 [B, 3, H, W] =
  // (images / 255 - mean) / std per channel, bit for bit as PyTorch computes that expression, in one pass.
  m.def("normalise(Tensor images, float[] mean, float[] std) -> Tensor");

  // Squeeze-axial attention core (trainable): q, k [B, heads*key_dim, H, W], v [B, heads*dv, H, W],
  // pos_* [1, heads*key_dim, L] -> row [B, heads*dv, H, 1], column [B, heads*dv, 1, W].
  m.def("axial_attention(Tensor q, Tensor k, Tensor v, Tensor pos_rowq, Tensor pos_rowk, Tensor pos_colq, "
        "Tensor pos_colk, int num_heads) -> (Tensor, Tensor)");

  // Private: each CPU kernel by name (the names of _kernels(op); _kernels("configs"): the kernel configs, which pick
  // every op's kernels for one ISA), so tests hold every SIMD kernel to the scalar one.
  m.def("_kernels(str op) -> str[]");
  m.def("_upsample_argmax_with_kernel(Tensor logits, SymInt[2] size, str mode, str kernel) -> Tensor");
  m.def("_gemm(Tensor a, Tensor b, Tensor? bias, str kernel) -> Tensor");
  // The engine's 1x1 convolution on channels-last rows: weight [cout, cin] (+ bias) packed once by _conv1x1_pack,
  // then x [pixels, cin] -> act(x @ weight^T + bias (+ residual)) [pixels, cout]. act: none, relu, relu6, hardswish;
  // kernel: a name of _kernels("conv1x1"), or "" for the fastest.
  m.def("_conv1x1_pack(Tensor weight, Tensor? bias) -> Tensor");
  m.def("_conv1x1(Tensor x, Tensor packed, int cout, Tensor? residual, str act, str kernel) -> Tensor");
  // The engine's depthwise k x k convolution (padding k / 2) on NHWC images: weight [C, 1, k, k] (+ bias) packed by
  // _depthwise_pack, then x [B, H, W, C] -> act(conv) [B, Ho, Wo, C].
  m.def("_depthwise_pack(Tensor weight, Tensor? bias) -> Tensor");
  m.def("_depthwise(Tensor x, Tensor packed, int k, int stride, str act, str kernel) -> Tensor");
  // The engine's MobileNetV3 block on NHWC images x [B, H, W, cin], BatchNorm folded: weights expand_w [cmid, cin],
  // expand_b, dw_w [cmid, 1, k, k], dw_b, project_w [cout, cmid], project_b, then for SE se1_w [cmid / 4, cmid],
  // se1_b, se2_w [cmid, cmid / 4], se2_b. act after expand, depthwise_act after the depthwise convolution.
  m.def("_inverted_residual(Tensor x, Tensor[] weights, int stride, str act, str depthwise_act) -> Tensor");
  // The engine's stem: a dense k x k convolution of an NCHW image x [B, C, H, W] into NHWC [B, Ho, Wo, cout].
  m.def("_image_conv(Tensor x, Tensor weight, Tensor? bias, int stride, str act) -> Tensor");
  // The engine's StrideFormer block on NHWC x [B, H, W, dim]: x + sea_attention(x) (the 15 packed weights), then
  // + MLP (6 weights as _inverted_residual's: expand without activation, depthwise 3x3 + ReLU6, project).
  m.def("_transformer_block(Tensor x, Tensor[] attention, Tensor[] mlp, int num_heads, int key_dim) -> Tensor");
  // The engine's AAM + head on NHWC features -> NHWC logits. weights: the embeddings E then the gates A as
  // (weight [C, cin], bias) pairs (tiny: 3 each; base, x8_output: 2 each; the head's linear_fuse folded into the
  // E, as models/engine.py does), then conv_seg's weight [classes, C] and bias.
  m.def("_aam_head(Tensor x8, Tensor x16, Tensor x32, Tensor[] weights, bool x8_output) -> Tensor");
  // The native engine's whole network. network_pack: the folded weights and the layer config
  // (ppms_kernels.models.engine.pack_network(model); the layout: csrc/include/ppms/network.h) -> one uint8 blob with
  // every weight packed. network: image x [B, 3, H, W] -> low-res logits [B, classes, h, w] over a blob; signature
  // (_network_signature(packed)) gives the output's size to fake kernels, and the blob must agree with it. precision:
  // "fp32", "fp16" (fp32 where the CPU has no FP16 arithmetic) or "bf16" (fp32 where it has no AVX512_BF16).
  m.def("network_pack(Tensor[] weights, int[] config) -> Tensor");
  m.def("network(Tensor x, Tensor packed, int[] signature, str precision=\"fp32\") -> Tensor");
  m.def("_network_signature(Tensor packed) -> int[]");
  // network on the kernel config `kernels` of `precision` ("fp32": a name of _kernels("configs"), "fp16": of
  // _kernels("fp16 configs"), "bf16": of _kernels("bf16 configs"); "scalar": every op's reference kernels; "": the
  // fastest).
  m.def("_network_with_kernels(Tensor x, Tensor packed, str kernels, str precision=\"fp32\") -> Tensor");
  // One image through network, timed layer by layer: names, seconds, FLOPs (core NetworkProfile).
  m.def("_network_profile(Tensor x, Tensor packed, str precision=\"fp32\") -> (str[], float[], float[])");
  // The most bytes one H x W image holds in network beside its input and logits, on the current thread count.
  m.def("_network_memory(Tensor packed, int H, int W) -> int");
  // The .ppms model file (csrc/include/ppms/model.h): _model_file wraps a network_pack blob with the model's variant
  // ("tiny" or "base"), class count and input normalisation (mean, std of RGB / 255) into the file's bytes, the
  // weights stored as precision says ("fp32" or "fp16"); _model_file_info checks a file's bytes as the C++ loader
  // does and returns that description.
  m.def("_model_file(Tensor packed, str variant, int classes, float[] mean, float[] std, str precision=\"fp32\") -> "
        "Tensor");
  m.def("_model_file_info(Tensor file) -> (str variant, int classes, float[] mean, float[] std, str precision)");
  // sea_attention with the core's own GEMM `gemm` for every 1x1 convolution (the phone path), not ATen's.
  m.def("_sea_attention_with_gemm(Tensor x, Tensor[] weights, int num_heads, int key_dim, str gemm) -> Tensor");
  // The argument checks of upsample_argmax, sea_attention and normalise on any device, shapes only: the CPU kernels run them,
  // and so do the Triton kernels and the fake kernels.
  m.def("_upsample_argmax_check(Tensor logits, SymInt[2] size, str mode, ScalarType? out_dtype) -> ()");
  m.def("_sea_attention_check(Tensor x, Tensor[] weights, int num_heads, int key_dim) -> ()");
  m.def("_normalise_check(Tensor images, float[] mean, float[] std) -> ()");
  m.def("_build_info() -> str");
  m.def("_constants() -> (str version, str[] sea_weights, int sea_max_side, int upsample_argmax_max_side, "
        "float candidate_tol, float candidate_floor)");
}
