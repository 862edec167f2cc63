#pragma once

#include <ATen/core/Tensor.h>

#include <optional>
#include <string>

#include "core/vim/vim.h"

namespace ppms {

// CPU implementation of ppms::valid_interpolate with an explicit kernel (the op uses vim::best_rows()).
at::Tensor valid_interpolate_cpu_with(const at::Tensor& logits, at::IntArrayRef size, const std::string& mode,
                                      std::optional<at::ScalarType> out_dtype, vim::RowsFn kernel);

}  // namespace ppms
