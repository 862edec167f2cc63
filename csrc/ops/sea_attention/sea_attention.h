#pragma once

#include <ATen/core/Tensor.h>

#include <string>

#include "core/sea/sea.h"

namespace ppms {

// ppms::sea_attention on CPU, run by the torch-free core's single-threaded forward() with a named GEMM
// ("scalar", "avx2", "neon"): the standalone (phone) path, for tests.
at::Tensor sea_attention_core(const at::Tensor& x, at::TensorList weights, int64_t num_heads, int64_t key_dim,
                              const std::string& gemm);

}  // namespace ppms
