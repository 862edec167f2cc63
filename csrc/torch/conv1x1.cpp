// ppms::_conv1x1_pack and ppms::_conv1x1 (private): the engine's 1x1 convolution from Python, for tests and the
// micro benchmark against ATen's GEMM.
#include <ATen/ATen.h>
#include <torch/library.h>

#include <optional>
#include <string>

#include "adapt.h"
#include "messages.h"
#include "ppms/conv1x1.h"

namespace ppms {

namespace {

Activation activation(const std::string& a) {
  if (a == "none") return Activation::none;
  if (a == "relu") return Activation::relu;
  if (a == "relu6") return Activation::relu6;
  TORCH_CHECK_VALUE(a == "hardswish", "_conv1x1: act must be none, relu, relu6 or hardswish, got \"", a, "\"");
  return Activation::hardswish;
}

void check_float(const at::Tensor& t, const char* name) {
  TORCH_CHECK_TYPE(t.scalar_type() == at::kFloat, "_conv1x1: ", name, " must be float32, got ", t.scalar_type());
  TORCH_CHECK_VALUE(t.device().is_cpu(), "_conv1x1: ", name, " must be on the CPU, got ", t.device().str());
}

at::Tensor pack_cpu(const at::Tensor& weight, const std::optional<at::Tensor>& bias) {
  check_float(weight, "weight");
  const auto w = weight.dim() == 4 ? weight.flatten(1) : weight;
  TORCH_CHECK_VALUE(w.dim() == 2 && w.numel() > 0, "_conv1x1_pack: weight must be [cout, cin] or [cout, cin, 1, 1], got ",
                    shape_str(weight.sizes()));
  const auto wc = w.contiguous();
  at::Tensor b;
  if (bias) {
    check_float(*bias, "bias");
    b = bias->contiguous();
    TORCH_CHECK_VALUE(b.dim() == 1 && b.size(0) == w.size(0), "_conv1x1_pack: bias must be [", num(w.size(0)),
                      "], got ", shape_str(b.sizes()));
  }
  auto out = at::empty({conv1x1_packed_floats(w.size(0), w.size(1))}, w.options());
  throw_if_error(conv1x1_pack(wc.const_data_ptr<float>(), b.defined() ? b.const_data_ptr<float>() : nullptr, w.size(0),
                              w.size(1), out.data_ptr<float>()),
                 "_conv1x1_pack");
  return out;
}

at::Tensor conv1x1_cpu(const at::Tensor& x_, const at::Tensor& packed, int64_t cout,
                       const std::optional<at::Tensor>& residual, c10::string_view act, c10::string_view kernel) {
  check_float(x_, "x");
  check_float(packed, "packed");
  TORCH_CHECK_VALUE(x_.dim() == 2, "_conv1x1: x must be [pixels, cin], got ", shape_str(x_.sizes()));
  const int64_t P = x_.size(0), cin = x_.size(1);
  TORCH_CHECK_VALUE(cout >= 1 && cin >= 1 && packed.dim() == 1 && packed.is_contiguous() &&
                        packed.numel() == conv1x1_packed_floats(cout, cin),
                    "_conv1x1: packed holds ", num(packed.numel()), " floats, not the weights of a ", num(cout), "x",
                    num(cin), " convolution");
  const auto x = x_.contiguous();
  at::Tensor r;
  if (residual) {
    check_float(*residual, "residual");
    r = residual->contiguous();
    TORCH_CHECK_VALUE(r.dim() == 2 && r.size(0) == P && r.size(1) == cout, "_conv1x1: residual must be [",
                      num(P), ", ", num(cout), "], got ", shape_str(r.sizes()));
  }
  auto y = at::empty({P, cout}, x.options());
  const std::string k(kernel);  // "" : the fastest
  throw_if_error(conv1x1(conv1x1_weights(packed.const_data_ptr<float>(), cout, cin), x.const_data_ptr<float>(), cin,
                         P, y.data_ptr<float>(), cout, activation(std::string(act)),
                         r.defined() ? r.const_data_ptr<float>() : nullptr, cout, aten_parallel(),
                         k.empty() ? nullptr : k.c_str()),
                 "_conv1x1");
  return y;
}

}  // namespace

TORCH_LIBRARY_IMPL(ppms, CPU, m) {
  m.impl("_conv1x1_pack", &pack_cpu);
  m.impl("_conv1x1", &conv1x1_cpu);
}

}  // namespace ppms
