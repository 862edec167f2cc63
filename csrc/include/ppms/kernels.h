// Which microkernels the engine runs. A KernelConfig holds, for one data type and instruction set, every op's kernels,
// tiles and weight layout; it is chosen once, when a network is bound (network_bind, Segmenter::create), and kept in
// the bound network, so no call asks again which CPU it runs on. "scalar" is the reference of every op and shape and
// runs on every CPU; the others hold the fast paths of an ISA (ppms_kernels' op tests compare each with it).
#pragma once

#include <string>
#include <vector>

#include "ppms/status.h"
#include "ppms/types.h"

namespace ppms {

struct KernelConfig;  // core/config/config.h

// "fp32", "fp16" and "bf16", the names users give precisions by (ppms_run --precision, optimize(precision=...)).
const char* data_type_name(DataType type);
Status data_type(const std::string& name, DataType* type);

// The configs this CPU runs for `type`, by name: "scalar" first, the fastest last.
std::vector<std::string> kernel_configs(DataType type = DataType::f32);
// The config called `name` (nullptr or "": the fastest this CPU runs; for f16 on a CPU without FP16 arithmetic, or bf16
// without AVX512_BF16, the fastest f32 config, which they run as there) into *config; unsupported when this CPU cannot run it or there is
// none of that name.
Status kernel_config(const char* name, DataType type, const KernelConfig** config);
const char* kernel_config_name(const KernelConfig& config);

// The ops whose kernels the configs choose.
constexpr const char* kKernelOps[] = {"conv1x1",       "depthwise", "gemm",           "image_conv",
                                      "sea_attention", "aam_head",  "upsample_argmax"};
// The names of op's kernels in the configs this CPU runs, each once: the reference first, the fastest last (empty for
// an op not in kKernelOps). Each op's API takes these names to run one of them.
std::vector<std::string> op_kernels(const std::string& op);

}  // namespace ppms
