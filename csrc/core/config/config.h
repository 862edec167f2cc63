// A KernelConfig per (data type, ISA): every op's microkernels, tiles and weight layout, in the style of XNNPACK's
// configs. config.cpp holds the table; each op's kernels.h declares its part (its Config) and its kernels.
#pragma once

#include <string>
#include <vector>

#include "core/aam/kernels.h"
#include "core/conv1x1/kernels.h"
#include "core/cpu.h"
#include "core/depthwise/kernels.h"
#include "core/gemm/kernels.h"
#include "core/image_conv/kernels.h"
#include "core/sea_attention/stages.h"
#include "core/upsample_argmax/kernels.h"
#include "ppms/kernels.h"

namespace ppms {

// The kernels of the ops an f16 config runs in half: weights and activations stored as half (common/half.h). An f16
// config runs its other ops on its f32 kernels, converting at their edges (network.cpp); f32 configs leave these null.
struct HalfKernels {
  pw::ConfigT<half> conv1x1;
  dw::ConfigT<half> depthwise;
  image_conv_detail::HalfConfig stem;
  bool attention = false;  // SEA's wide convolutions (qkv, pw, proj) on conv1x1's half kernels
};

// The kernels of the ops a bf16 config runs in bf16 in place of its f32 ones (the 1x1 convolutions: f32 activations in
// and out, bf16 weights that network_bind packs; the depthwise: bf16 rows in, f32 weights and outputs); f32 and f16
// configs leave them null.
struct Bf16Kernels {
  pw::Config conv1x1;  // the 1x1 convolutions of the MobileNetV3 blocks, the MLPs, AAM and the head
  // The fewest output channels a MobileNetV3 block's 1x1 convolution runs with on conv1x1; fewer run on the f32
  // kernel. With one panel of outputs, a row's conversion to pairs is shared by too few products (Zen 5, stage 1's
  // first block at 512 x 512, 16 -> 16 -> 16 channels, 1 thread: 0.85 ms with both on f32, 0.94 in bf16; its next
  // block's 16 -> 64 expansion is 0.13 ms faster in bf16).
  int64_t min_cout;
  // The depthwise convolution of a block whose expansion runs on conv1x1: its expanded rows stored in bf16.
  dw::Bf16RowsFn depthwise;
};

struct KernelConfig {
  const char* name;  // the ISA's: "scalar", "avx2", "avx512", "avx512bf16", "amx", "neon", "neonfp16arith"
  DataType type;
  cpu::Isa isa;
  pw::Config conv1x1;
  dw::Config depthwise;
  gemm::Config gemm;
  image_conv_detail::Config image_conv;
  sea::Config sea;
  aam::Config aam;
  vim::Config upsample_argmax;
  HalfKernels f16;
  Bf16Kernels bf16;
};

namespace config {

// The configs of this build for `type`, "scalar" first, the fastest last, whether or not this CPU runs them.
const std::vector<KernelConfig>& all(DataType type);
// The fastest config this CPU runs for `type` (decided once per process): for f16 and bf16, null where the CPU has no
// FP16 arithmetic or no AVX512_BF16 (their "scalar" configs, the references, compute in float: not a way to run them).
const KernelConfig* fastest(DataType type);
// The fastest f32 config.
const KernelConfig& fastest();
// c, or the fastest when c is null: ops called without a bound config.
inline const KernelConfig& or_fastest(const KernelConfig* c) { return c ? *c : fastest(); }

// An op's kernel by its name among the f32 configs this CPU runs (op: one of kKernelOps): the fastest config when
// its kernel has that name (or name is null or ""), else the last one that has it; null when none has.
const KernelConfig* with_op(const std::string& op, const char* name);

}  // namespace config
}  // namespace ppms
