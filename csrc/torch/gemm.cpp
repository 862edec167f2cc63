// ppms::_gemm (private): one core GEMM kernel by name on float32 matrices, for tests and micro benchmarks.
#include <ATen/ATen.h>
#include <torch/library.h>

#include <optional>
#include <string>

#include "ppms/gemm.h"
#include "messages.h"

namespace ppms {

namespace {

at::Tensor gemm_cpu(const at::Tensor& a_, const at::Tensor& b_, const std::optional<at::Tensor>& bias_,
                    c10::string_view kernel) {
  TORCH_CHECK_VALUE(a_.dim() == 2 && b_.dim() == 2 && a_.size(1) == b_.size(0), "_gemm: a ", shape_str(a_.sizes()),
                    " and b ", shape_str(b_.sizes()), " do not multiply");
  TORCH_CHECK_TYPE(a_.scalar_type() == at::kFloat && b_.scalar_type() == at::kFloat, "_gemm: expected float32");
  const GemmFn fn = gemm_kernel(std::string(kernel).c_str());
  TORCH_CHECK_NOT_IMPLEMENTED(fn != nullptr, "_gemm: no kernel \"", std::string(kernel), "\" on this CPU");
  const auto a = a_.contiguous(), b = b_.contiguous();
  at::Tensor bias;
  if (bias_) {
    bias = bias_->contiguous();
    TORCH_CHECK_VALUE(bias.dim() == 1 && bias.size(0) == a.size(0) && bias.scalar_type() == at::kFloat,
                      "_gemm: bias must be float32 [", num(a.size(0)), "], got ", shape_str(bias.sizes()));
  }
  auto c = at::empty({a.size(0), b.size(1)}, a.options());
  fn(a.size(0), b.size(1), a.size(1), a.const_data_ptr<float>(), b.const_data_ptr<float>(),
     bias.defined() ? bias.const_data_ptr<float>() : nullptr, c.data_ptr<float>());
  return c;
}

}  // namespace

TORCH_LIBRARY_IMPL(ppms, CPU, m) { m.impl("_gemm", &gemm_cpu); }

}  // namespace ppms
