// ppms::sea_attention and ppms::axial_attention on CPU: dtype, layout and device handling around the core's
// sea::forward() (at::parallel_for as its parallel loop, ATen's GEMM for the wide 1x1 convolutions) and
// sea::axial_attention().
#include <ATen/ATen.h>
#include <torch/library.h>

#include <string>
#include <tuple>
#include <vector>

#include "ppms/sea_attention.h"
#include "adapt.h"
#include "messages.h"

namespace ppms {

namespace {

// On any device, shapes only: x and the 15 weights agree with each other, num_heads and key_dim.
sea::Dims check(const at::Tensor& x, at::TensorList ws, int64_t num_heads, int64_t key_dim) {
  TORCH_CHECK_VALUE(ws.size() == sea::kNumWeights, "sea_attention: expected ", num(sea::kNumWeights),
                    " packed weights (ppms_kernels.models.fuse.pack), got ", num(ws.size()));
  for (size_t i = 0; i < ws.size(); ++i) {
    const char* name = sea::kWeightNames[i];
    TORCH_CHECK_TYPE(ws[i].scalar_type() == at::kFloat, "sea_attention: weight ", name, " must be float32, got ",
                     ws[i].scalar_type());
    TORCH_CHECK_VALUE(ws[i].device() == x.device(), "sea_attention: weight ", name, " is on ", ws[i].device().str(),
                      ", x on ", x.device().str());
    TORCH_CHECK_VALUE(ws[i].is_contiguous(), "sea_attention: weight ", name, " must be contiguous");
    TORCH_CHECK_VALUE(ws[i].dim() <= View::kMaxRank, "sea_attention: weight ", name, " has shape ",
                      shape_str(ws[i].sizes()));
  }
  TORCH_CHECK_VALUE(x.dim() == 4, "sea_attention: x must be 4-D [B, C, H, W], got shape ", shape_str(x.sizes()));
  TORCH_CHECK_TYPE(x.scalar_type() == at::kFloat, "sea_attention: x must be float32, got ", x.scalar_type());
  TORCH_CHECK_VALUE(x.numel() > 0, "sea_attention: x must be non-empty, got shape ", shape_str(x.sizes()));
  TORCH_CHECK_VALUE(x.size(2) <= sea::kMaxSide && x.size(3) <= sea::kMaxSide, "sea_attention: x is ", num(x.size(2)),
                    "x", num(x.size(3)), "; H and W must be at most ", num(sea::kMaxSide));
  std::vector<View> shapes;
  for (const auto& t : ws) shapes.push_back(shape_view(t));
  sea::Dims d;
  throw_if_error(sea::check_weights(shapes.data(), static_cast<int64_t>(shapes.size()), num_heads, key_dim, &d),
                 "sea_attention");
  TORCH_CHECK_VALUE(x.size(1) == d.dim, "sea_attention: x has ", num(x.size(1)),
                    " channels, the packed weights expect ", num(d.dim));
  return d;
}

void check_op(const at::Tensor& x, at::TensorList ws, int64_t num_heads, int64_t key_dim) {
  check(x, ws, num_heads, key_dim);
}

at::Tensor forward(const at::Tensor& x_, at::TensorList weights, int64_t num_heads, int64_t key_dim,
                   const sea::Options& options) {
  check(x_, weights, num_heads, key_dim);
  std::vector<View> views;
  for (const auto& t : weights) views.push_back(view(t));
  sea::Dims d;
  sea::Weights w;
  throw_if_error(sea::bind(views.data(), static_cast<int64_t>(views.size()), num_heads, key_dim, &d, &w),
                 "sea_attention");
  const auto x = x_.contiguous();
  auto out = at::empty_like(x);
  throw_if_error(sea::forward(d, w, x.const_data_ptr<float>(), x.size(0), x.size(2), x.size(3),
                              out.data_ptr<float>(), options),
                 "sea_attention");
  return out;
}

at::Tensor sea_attention_cpu(const at::Tensor& x, at::TensorList weights, int64_t num_heads, int64_t key_dim) {
  sea::Options o;
  o.parallel = aten_parallel();
  o.wide_gemm = aten_gemm;  // the H/2 x W/2-wide GEMMs; the narrow axial projections stay on the core's kernel
  return forward(x, weights, num_heads, key_dim, o);
}

at::Tensor with_gemm_cpu(const at::Tensor& x, at::TensorList weights, int64_t num_heads, int64_t key_dim,
                         c10::string_view gemm) {
  sea::Options o;
  o.parallel = aten_parallel();
  o.gemm = gemm_kernel(std::string(gemm).c_str());
  TORCH_CHECK_NOT_IMPLEMENTED(o.gemm != nullptr, "no gemm kernel \"", std::string(gemm), "\" on this CPU");
  return forward(x, weights, num_heads, key_dim, o);
}

std::tuple<at::Tensor, at::Tensor> axial_attention_cpu(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                       const at::Tensor& prq, const at::Tensor& prk,
                                                       const at::Tensor& pcq, const at::Tensor& pck,
                                                       int64_t num_heads) {
  TORCH_CHECK_VALUE(q.dim() == 4 && k.dim() == 4 && v.dim() == 4, "axial_attention: q, k, v must be 4-D");
  TORCH_CHECK_VALUE(q.sizes() == k.sizes(), "axial_attention: q ", shape_str(q.sizes()), " and k ",
                    shape_str(k.sizes()), " differ");
  TORCH_CHECK_VALUE(v.size(0) == q.size(0) && v.size(2) == q.size(2) && v.size(3) == q.size(3),
                    "axial_attention: v ", shape_str(v.sizes()), " does not match q ", shape_str(q.sizes()));
  TORCH_CHECK_VALUE(q.numel() > 0 && v.numel() > 0, "axial_attention: empty input");
  TORCH_CHECK_VALUE(q.size(2) <= sea::kMaxSide / 2 && q.size(3) <= sea::kMaxSide / 2, "axial_attention: q is ",
                    num(q.size(2)), "x", num(q.size(3)), "; H and W must be at most ", num(sea::kMaxSide / 2));
  TORCH_CHECK_VALUE(num_heads >= 1 && q.size(1) % num_heads == 0 && v.size(1) % num_heads == 0,
                    "axial_attention: channels of q (", num(q.size(1)), ") and v (", num(v.size(1)),
                    ") must be multiples of num_heads = ", num(num_heads));
  const auto dt = q.scalar_type();
  TORCH_CHECK_TYPE(dt == at::kFloat || dt == at::kDouble, "axial_attention: expected float32 or float64, got ", dt);
  for (const auto* t : {&k, &v, &prq, &prk, &pcq, &pck})
    TORCH_CHECK_TYPE(t->scalar_type() == dt, "axial_attention: all inputs must be ", dt, ", got ", t->scalar_type());
  for (const auto* t : {&prq, &prk, &pcq, &pck})
    TORCH_CHECK_VALUE(t->dim() == 3 && t->size(0) == 1 && t->size(1) == q.size(1) && t->size(2) >= 1 &&
                          t->sizes() == prq.sizes(),
                      "axial_attention: positional embeddings must be [1, ", num(q.size(1)), ", L >= 1], got ",
                      shape_str(t->sizes()));
  for (const auto* t : {&k, &v, &prq, &prk, &pcq, &pck})
    TORCH_CHECK_VALUE(t->device() == q.device(), "axial_attention: all inputs must be on ", q.device().str(), ", got ",
                      t->device().str());
  const int64_t B = q.size(0), nk = q.size(1), dh = v.size(1), H = q.size(2), W = q.size(3);
  const sea::Dims d{0, num_heads, nk / num_heads, dh};
  const auto qkv = at::cat({q, k, v}, 1).contiguous();
  const auto pos = at::cat({prq, prk, pcq, pck}, 0).contiguous();
  auto row = at::empty({B, dh, H, 1}, q.options());
  auto col = at::empty({B, dh, 1, W}, q.options());
  AT_DISPATCH_FLOATING_TYPES(dt, "axial_attention", [&] {
    throw_if_error(sea::axial_attention<scalar_t>(d, qkv.const_data_ptr<scalar_t>(), B, H, W,
                                                  pos.const_data_ptr<scalar_t>(), pos.size(2),
                                                  row.data_ptr<scalar_t>(), col.data_ptr<scalar_t>(), aten_parallel()),
                   "axial_attention");
  });
  return {row, col};
}

}  // namespace

TORCH_LIBRARY_IMPL(ppms, CPU, m) {
  m.impl("sea_attention", &sea_attention_cpu);
  m.impl("_sea_attention_with_gemm", &with_gemm_cpu);
  m.impl("axial_attention", &axial_attention_cpu);
}

TORCH_LIBRARY_IMPL(ppms, CompositeExplicitAutograd, m) { m.impl("_sea_attention_check", &check_op); }

}  // namespace ppms
