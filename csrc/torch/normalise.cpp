// ppms::normalise on CPU: decoded uint8 images in, the network's float input out (the core's normalise_rgb).
#include <ATen/ATen.h>
#include <torch/library.h>

#include "adapt.h"
#include "messages.h"
#include "ppms/model.h"

namespace ppms {

namespace {

// Everything but the device, on any tensor: the CPU kernel runs it, and the fake and CUDA kernels through
// _normalise_check. mean and std come back as the kernel reads them, float32.
void check(const at::Tensor& images, at::ArrayRef<double> mean, at::ArrayRef<double> std, float* m, float* s) {
  TORCH_CHECK_TYPE(images.scalar_type() == at::kByte, "normalise: images must be uint8, got ", images.scalar_type());
  TORCH_CHECK_VALUE(images.dim() == 4 && images.sym_size(3) == 3,
                    "normalise: images must be [B, H, W, 3] (RGB, channels last), got shape ",
                    shape_str(images.sizes()));
  TORCH_CHECK_VALUE(images.sym_numel() != 0, "normalise: images must be non-empty, got shape ",
                    shape_str(images.sizes()));
  TORCH_CHECK_VALUE(mean.size() == 3 && std.size() == 3, "normalise: mean and std must hold 3 values (R, G, B), got ",
                    num(static_cast<int64_t>(mean.size())), " and ", num(static_cast<int64_t>(std.size())));
  for (int c = 0; c < 3; ++c) m[c] = static_cast<float>(mean[c]), s[c] = static_cast<float>(std[c]);
  throw_if_error(check_normalisation(m, s), "normalise");
}

void check_op(const at::Tensor& images, at::ArrayRef<double> mean, at::ArrayRef<double> std) {
  float m[3], s[3];
  check(images, mean, std, m, s);
}

at::Tensor normalise_cpu(const at::Tensor& images, at::ArrayRef<double> mean, at::ArrayRef<double> std) {
  float m[3], s[3];
  check(images, mean, std, m, s);
  const auto x = images.contiguous();
  const int64_t B = x.size(0), H = x.size(1), W = x.size(2);
  auto out = at::empty({B, 3, H, W}, x.options().dtype(at::kFloat));
  throw_if_error(normalise_rgb(x.const_data_ptr<uint8_t>(), B, H, W, 3 * W, m, s, out.data_ptr<float>(),
                               core_parallel()),
                 "normalise");
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(ppms, CPU, m) { m.impl("normalise", &normalise_cpu); }
TORCH_LIBRARY_IMPL(ppms, CompositeExplicitAutograd, m) { m.impl("_normalise_check", &check_op); }

}  // namespace ppms
