// The .ppms model file (ppms/model.h) for Python: ppms::_model_file writes one from a network blob (what
// `ppms export` saves), ppms::_model_file_info reads one back through the core's checker (what ppms_run loads).
#include <ATen/ATen.h>
#include <torch/library.h>

#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "adapt.h"
#include "messages.h"
#include "ppms/kernels.h"
#include "ppms/model.h"

namespace ppms {

namespace {

const uint8_t* bytes(const at::Tensor& t, const char* what, const char* op) {
  TORCH_CHECK_TYPE(t.scalar_type() == at::kByte, op, ": ", what, " must be uint8 bytes, got ", t.scalar_type());
  TORCH_CHECK_VALUE(t.device().is_cpu() && t.dim() == 1 && t.is_contiguous(), op, ": ", what,
                    " must be a 1-d contiguous CPU tensor");
  return t.const_data_ptr<uint8_t>();
}

at::Tensor model_file_cpu(const at::Tensor& packed, const std::string& variant, int64_t classes,
                          at::ArrayRef<double> mean, at::ArrayRef<double> std, const std::string& precision) {
  const char* op = "_model_file";
  TORCH_CHECK_VALUE(mean.size() == 3 && std.size() == 3, op, ": mean and std take 3 values each (R, G, B)");
  ModelInfo info;
  TORCH_CHECK_VALUE(data_type(precision, &info.precision).ok(), op, ": precision must be fp32, fp16 or bf16, got \"",
                    precision, "\"");
  info.variant = variant;
  info.classes = classes;
  for (int c = 0; c < 3; ++c) info.mean[c] = static_cast<float>(mean[c]), info.std[c] = static_cast<float>(std[c]);
  std::vector<uint8_t> file;
  throw_if_error(model_file(bytes(packed, "packed", op), packed.numel(), info, &file), op);
  auto out = at::empty({static_cast<int64_t>(file.size())}, at::TensorOptions().dtype(at::kByte));
  std::memcpy(out.data_ptr<uint8_t>(), file.data(), file.size());
  return out;
}

std::tuple<std::string, int64_t, std::vector<double>, std::vector<double>, std::string> model_file_info_cpu(
    const at::Tensor& file) {
  const char* op = "_model_file_info";
  const uint8_t* p = bytes(file, "file", op);
  // model_bind wants the file 4-byte aligned (its floats are used in place); a view into a larger buffer may not be
  const at::Tensor aligned = reinterpret_cast<uintptr_t>(p) % 4 == 0 ? file : file.clone();
  ModelInfo info;
  Network net;
  std::shared_ptr<const void> expanded;
  throw_if_error(model_bind(aligned.const_data_ptr<uint8_t>(), aligned.numel(), &info, &net, &expanded), op);
  return {info.variant, info.classes, {info.mean[0], info.mean[1], info.mean[2]},
          {info.std[0], info.std[1], info.std[2]}, data_type_name(info.precision)};
}

}  // namespace

TORCH_LIBRARY_IMPL(ppms, CPU, m) {
  m.impl("_model_file", &model_file_cpu);
  m.impl("_model_file_info", &model_file_info_cpu);
}

}  // namespace ppms
