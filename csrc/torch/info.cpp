// Private ops that tell Python what the core knows: its kernels per op, how it was built, and the contract facts
// (weight names, size limits, candidate margins) the Python and Triton code would otherwise have to repeat.
#include <torch/library.h>

#include <string>
#include <tuple>
#include <vector>

#include "ppms/ppms.h"

namespace ppms {

namespace {

std::vector<std::string> kernels(c10::string_view op) {
  const std::string o(op);
  if (o == "configs") return kernel_configs();
  if (o == "fp16 configs") return kernel_configs(DataType::f16);
  if (o == "bf16 configs") return kernel_configs(DataType::bf16);
  std::string ops;
  for (const char* k : kKernelOps) {
    if (o == k) return op_kernels(o);
    ops += std::string(ops.empty() ? "" : ", ") + k;
  }
  TORCH_CHECK_VALUE(false, "_kernels: op must be configs, fp16 configs, bf16 configs, ", ops, "; got \"", o, "\"");
}

std::string info() {
  std::string s = build_info();
#ifdef _OPENMP
  s += ", torch ops: at::parallel_for with OpenMP " + std::to_string(_OPENMP);
#else
  s += ", torch ops: at::parallel_for without OpenMP";
#endif
  return s + ", sea_attention wide GEMMs: ATen";
}

std::tuple<std::string, std::vector<std::string>, int64_t, int64_t, double, double> constants() {
  return {version(), std::vector<std::string>(sea::kWeightNames, sea::kWeightNames + sea::kNumWeights), sea::kMaxSide,
          kUpsampleArgmaxMaxSide, kCandidateTol, kCandidateFloor};
}

}  // namespace

// No tensor arguments, so nothing to dispatch on: one kernel for every backend.
TORCH_LIBRARY_IMPL(ppms, CompositeExplicitAutograd, m) {
  m.impl("_kernels", &kernels);
  m.impl("_build_info", &info);
  m.impl("_constants", &constants);
}

}  // namespace ppms
