#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <limits>
#include <vector>

#include "ops/messages.h"
#include "valid_interpolate.h"

namespace ppms {

namespace {

constexpr int64_t kMaxSide = 1 << 15;

void check_args(const at::Tensor& logits, at::IntArrayRef size, const std::string& mode,
                std::optional<at::ScalarType> out_dtype) {
  TORCH_CHECK_VALUE(logits.dim() == 4, "valid_interpolate: logits must be 4-D [B, C, h, w], got shape ",
                    shape_str(logits.sizes()));
  const auto dt = logits.scalar_type();
  TORCH_CHECK_TYPE(dt == at::kFloat || dt == at::kHalf || dt == at::kBFloat16,
                   "valid_interpolate: logits must be float32, float16 or bfloat16, got ", dt);
  TORCH_CHECK_VALUE(logits.numel() > 0, "valid_interpolate: logits must be non-empty, got shape ",
                    shape_str(logits.sizes()));
  TORCH_CHECK_VALUE(size.size() == 2, "valid_interpolate: size must be [H, W], got ", shape_str(size));
  TORCH_CHECK_VALUE(size[0] >= 1 && size[1] >= 1 && size[0] <= kMaxSide && size[1] <= kMaxSide,
                    "valid_interpolate: size must be within [1, ", num(kMaxSide), "], got ", shape_str(size));
  TORCH_CHECK_VALUE(logits.size(1) <= std::numeric_limits<int32_t>::max(),
                    "valid_interpolate: too many classes: ", num(logits.size(1)));
  TORCH_CHECK_VALUE(mode == "exact" || mode == "paper",
                    "valid_interpolate: mode must be \"exact\" or \"paper\", got \"", mode, "\"");
  if (out_dtype) {
    const auto o = *out_dtype;
    TORCH_CHECK_TYPE(o == at::kLong || o == at::kInt || o == at::kByte,
                     "valid_interpolate: out_dtype must be int64, int32 or uint8, got ", o);
    TORCH_CHECK_VALUE(o != at::kByte || logits.size(1) <= 256,
                      "valid_interpolate: out_dtype uint8 holds at most 256 classes, logits have ",
                      num(logits.size(1)));
  }
}

}  // namespace

at::Tensor valid_interpolate_cpu_with(const at::Tensor& logits, at::IntArrayRef size, const std::string& mode,
                                      std::optional<at::ScalarType> out_dtype, vim::RowsFn kernel) {
  check_args(logits, size, mode, out_dtype);
  TORCH_CHECK_VALUE(logits.device().is_cpu(), "valid_interpolate: expected a CPU tensor, got ", logits.device().str());
  const auto x = logits.to(at::kFloat).contiguous();  // half/bfloat16 accumulate in float32
  const int64_t B = x.size(0), C = x.size(1), h = x.size(2), w = x.size(3), H = size[0], W = size[1];
  const auto otype = out_dtype.value_or(at::kLong);
  auto out = at::empty({B, H, W}, x.options().dtype(otype));

  std::vector<int32_t> classes;
  classes.reserve(C);
  if (mode == "paper") {
    std::vector<uint8_t> present(C);
    vim::present_classes(x.const_data_ptr<float>(), B, C, h * w, present.data());
    for (int64_t c = 0; c < C; ++c)
      if (present[c]) classes.push_back(static_cast<int32_t>(c));
  } else {
    for (int64_t c = 0; c < C; ++c) classes.push_back(static_cast<int32_t>(c));
  }
  const vim::Axis ys(h, H), xs(w, W);
  const vim::Args args{x.const_data_ptr<float>(), B, C, h, w, classes.data(), static_cast<int64_t>(classes.size()),
                       &ys, &xs, out.data_ptr(),
                       otype == at::kLong ? vim::OutType::I64 : otype == at::kInt ? vim::OutType::I32 : vim::OutType::U8};
  // One work item is one low-res row of cells and ~H/h output rows: grain 1 balances well.
  at::parallel_for(0, B * h, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> fs(vim::scratch_floats(args));
    std::vector<int32_t> is(vim::scratch_ints(args));
    kernel(args, begin, end, fs.data(), is.data());
  });
  return out;
}

namespace {

at::Tensor valid_interpolate_cpu(const at::Tensor& logits, at::IntArrayRef size, c10::string_view mode,
                                 std::optional<at::ScalarType> out_dtype) {
  return valid_interpolate_cpu_with(logits, size, std::string(mode), out_dtype, vim::best_rows());
}

}  // namespace

TORCH_LIBRARY_IMPL(ppms, CPU, m) { m.impl("valid_interpolate", &valid_interpolate_cpu); }

}  // namespace ppms
