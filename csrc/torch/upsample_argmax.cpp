// ppms::upsample_argmax on CPU: dtype, layout and device handling around the core's upsample_argmax().
#include <ATen/ATen.h>
#include <torch/library.h>

#include <optional>
#include <string>

#include "ppms/upsample_argmax.h"
#include "adapt.h"
#include "messages.h"

namespace ppms {

namespace {

// Everything but the device: the shapes, dtypes and options the op accepts. Sizes are refused before anything is
// allocated (the core checks them too, but only once the output exists).
void check(const at::Tensor& logits, c10::SymIntArrayRef sym_size, const std::string& mode,
           std::optional<at::ScalarType> out_dtype) {
  TORCH_CHECK_VALUE(logits.dim() == 4, "upsample_argmax: logits must be 4-D [B, C, h, w], got shape ",
                    shape_str(logits.sizes()));
  const auto dt = logits.scalar_type();
  TORCH_CHECK_TYPE(dt == at::kFloat || dt == at::kHalf || dt == at::kBFloat16,
                   "upsample_argmax: logits must be float32, float16 or bfloat16, got ", dt);
  TORCH_CHECK_VALUE(sym_size.size() == 2, "upsample_argmax: size must be [H, W]");
  const auto H = sym_size[0].maybe_as_int(), W = sym_size[1].maybe_as_int();
  if (!H || !W) return;  // symbolic sizes (tracing): checked when the op runs
  const int64_t size_[2] = {*H, *W};
  const at::IntArrayRef size(size_);
  TORCH_CHECK_VALUE(size.size() == 2, "upsample_argmax: size must be [H, W], got ", shape_str(size));
  TORCH_CHECK_VALUE(mode == "exact" || mode == "paper",
                    "upsample_argmax: mode must be \"exact\" or \"paper\", got \"", mode, "\"");
  const auto otype = out_dtype.value_or(at::kLong);
  TORCH_CHECK_TYPE(otype == at::kLong || otype == at::kInt || otype == at::kByte,
                   "upsample_argmax: out_dtype must be int64, int32 or uint8, got ", otype);
  TORCH_CHECK_VALUE(size[0] >= 1 && size[1] >= 1 && size[0] <= kUpsampleArgmaxMaxSide && size[1] <= kUpsampleArgmaxMaxSide,
                    "upsample_argmax: size must be within [1, ", num(kUpsampleArgmaxMaxSide), "], got ", shape_str(size));
  TORCH_CHECK_VALUE(logits.sym_numel() != 0, "upsample_argmax: logits must be non-empty, got shape ",
                    shape_str(logits.sizes()));
  TORCH_CHECK_VALUE(otype != at::kByte || logits.sym_size(1) <= 256,
                    "upsample_argmax: out_dtype uint8 holds at most 256 classes, logits have ", num(logits.size(1)));
}

at::Tensor run(const at::Tensor& logits, at::IntArrayRef size, c10::string_view mode_,
               std::optional<at::ScalarType> out_dtype, const char* kernel) {
  const std::string mode(mode_);
  check(logits, c10::fromIntArrayRefSlow(size), mode, out_dtype);
  TORCH_CHECK_VALUE(logits.device().is_cpu(), "upsample_argmax: expected a CPU tensor, got ", logits.device().str());
  const auto otype = out_dtype.value_or(at::kLong);
  const auto x = logits.to(at::kFloat).contiguous();  // half/bfloat16 accumulate in float32
  auto out = at::empty({x.size(0), size[0], size[1]}, x.options().dtype(otype));
  const LabelType lt = otype == at::kLong ? LabelType::i64 : otype == at::kInt ? LabelType::i32 : LabelType::u8;
  throw_if_error(upsample_argmax(x.const_data_ptr<float>(), x.size(0), x.size(1), x.size(2), x.size(3), size[0],
                                 size[1], mode == "paper" ? VimMode::paper : VimMode::exact, lt, out.data_ptr(),
                                 core_parallel(), kernel),
                 "upsample_argmax");
  return out;
}

at::Tensor upsample_argmax_cpu(const at::Tensor& logits, at::IntArrayRef size, c10::string_view mode,
                               std::optional<at::ScalarType> out_dtype) {
  return run(logits, size, mode, out_dtype, nullptr);
}

at::Tensor with_kernel_cpu(const at::Tensor& logits, at::IntArrayRef size, c10::string_view mode,
                           c10::string_view kernel) {
  return run(logits, size, mode, std::nullopt, std::string(kernel).c_str());
}

void check_op(const at::Tensor& logits, c10::SymIntArrayRef size, c10::string_view mode,
              std::optional<at::ScalarType> out_dtype) {
  check(logits, size, std::string(mode), out_dtype);
}

at::Tensor valid_interpolate(const at::Tensor& logits, c10::SymIntArrayRef size, c10::string_view mode,
                             std::optional<at::ScalarType> out_dtype) {
  static const auto op = c10::Dispatcher::singleton()
                             .findSchemaOrThrow("ppms::upsample_argmax", "")
                             .typed<at::Tensor(const at::Tensor&, c10::SymIntArrayRef, c10::string_view,
                                               std::optional<at::ScalarType>)>();
  return op.call(logits, size, mode, out_dtype);
}

}  // namespace

TORCH_LIBRARY_IMPL(ppms, CPU, m) {
  m.impl("upsample_argmax", &upsample_argmax_cpu);
  m.impl("_upsample_argmax_with_kernel", &with_kernel_cpu);
}

// Every backend's valid_interpolate is its upsample_argmax (traced graphs show upsample_argmax).
TORCH_LIBRARY_IMPL(ppms, CompositeImplicitAutograd, m) { m.impl("valid_interpolate", &valid_interpolate); }

TORCH_LIBRARY_IMPL(ppms, CompositeExplicitAutograd, m) { m.impl("_upsample_argmax_check", &check_op); }

}  // namespace ppms
