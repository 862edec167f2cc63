#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <array>
#include <tuple>
#include <vector>

#include "ops/messages.h"
#include "sea_attention.h"

namespace ppms {

namespace {

// The largest H or W of x: the axial attention holds an (H/2)^2 and a (W/2)^2 map per task, 256 MiB at this size.
constexpr int64_t kMaxSide = 1 << 14;

constexpr std::array<const char*, 15> kNames = {"stride_w", "stride_b", "qkv_w", "qkv_b", "dw_w",
                                                "dw_b",     "pw_w",     "pw_b",  "row_w", "row_b",
                                                "col_w",    "col_b",    "proj_w", "proj_b", "pos"};

struct Checked {
  sea::Dims d;
  sea::Weights w;
};

Checked check(const at::Tensor& x, at::TensorList ws, int64_t num_heads, int64_t key_dim) {
  TORCH_CHECK_VALUE(ws.size() == kNames.size(), "sea_attention: expected ", num(kNames.size()),
                    " packed weights (ppms_kernels.sea.pack), got ", num(ws.size()));
  for (size_t i = 0; i < ws.size(); ++i) {
    TORCH_CHECK_TYPE(ws[i].scalar_type() == at::kFloat, "sea_attention: weight ", kNames[i], " must be float32, got ",
                     ws[i].scalar_type());
    TORCH_CHECK_VALUE(ws[i].device() == x.device(), "sea_attention: weight ", kNames[i], " is on ",
                      ws[i].device().str(), ", x on ", x.device().str());
    TORCH_CHECK_VALUE(ws[i].is_contiguous(), "sea_attention: weight ", kNames[i], " must be contiguous");
  }
  TORCH_CHECK_VALUE(x.dim() == 4, "sea_attention: x must be 4-D [B, C, H, W], got shape ", shape_str(x.sizes()));
  TORCH_CHECK_TYPE(x.scalar_type() == at::kFloat, "sea_attention: x must be float32, got ", x.scalar_type());
  TORCH_CHECK_VALUE(x.numel() > 0, "sea_attention: x must be non-empty, got shape ", shape_str(x.sizes()));
  TORCH_CHECK_VALUE(x.size(2) <= kMaxSide && x.size(3) <= kMaxSide, "sea_attention: x is ", num(x.size(2)), "x",
                    num(x.size(3)), "; H and W must be at most ", num(kMaxSide));
  TORCH_CHECK_VALUE(num_heads >= 1 && key_dim >= 1, "sea_attention: num_heads and key_dim must be >= 1");
  const int64_t dim = ws[0].size(0), dh = ws[8].size(0), nk = num_heads * key_dim, Q = 2 * nk + dh;
  TORCH_CHECK_VALUE(x.size(1) == dim, "sea_attention: x has ", num(x.size(1)),
                    " channels, the packed weights expect ", num(dim));
  TORCH_CHECK_VALUE(dh % num_heads == 0, "sea_attention: dh = ", num(dh), " is not a multiple of num_heads = ",
                    num(num_heads));
  const std::array<std::vector<int64_t>, 14> shapes = {{{dim, 9}, {dim}, {Q, dim}, {Q}, {Q, 9}, {Q}, {dim, Q},
                                                        {dim}, {dh, dh}, {dh}, {dh, dh}, {dh}, {dim, dh}, {dim}}};
  for (size_t i = 0; i < shapes.size(); ++i)
    TORCH_CHECK_VALUE(ws[i].sizes() == at::IntArrayRef(shapes[i]), "sea_attention: weight ", kNames[i],
                      " has shape ", shape_str(ws[i].sizes()), ", expected ", shape_str(shapes[i]), " (dim ", num(dim),
                      ", num_heads ", num(num_heads), ", key_dim ", num(key_dim), ", dh ", num(dh), ")");
  TORCH_CHECK_VALUE(ws[14].dim() == 3 && ws[14].size(0) == 4 && ws[14].size(1) == nk && ws[14].size(2) >= 1,
                    "sea_attention: weight pos must be [4, num_heads * key_dim = ", num(nk), ", L], got ",
                    shape_str(ws[14].sizes()));
  auto p = [&](int i) { return ws[i].const_data_ptr<float>(); };
  return {sea::Dims{dim, num_heads, key_dim, dh},
          sea::Weights{p(0), p(1), p(2), p(3), p(4), p(5), p(6), p(7), p(8), p(9), p(10), p(11), p(12), p(13), p(14),
                       ws[14].size(2)}};
}

// Rows [r0, r1) of C = A @ B + bias, through ATen's GEMM (MKL/oneDNN sgemm): on x86 it beats the core's own
// kernel, which the standalone (phone) path uses. Called inside parallel regions, so it runs single-threaded.
void gemm_rows(int64_t r0, int64_t r1, int64_t N, int64_t K, const float* A, const float* B, const float* bias,
               float* C) {
  const auto opt = at::TensorOptions().dtype(at::kFloat);
  auto c = at::from_blob(C + r0 * N, {r1 - r0, N}, opt);
  at::addmm_out(c, at::from_blob(const_cast<float*>(bias + r0), {r1 - r0, 1}, opt),
                at::from_blob(const_cast<float*>(A + r0 * K), {r1 - r0, K}, opt),
                at::from_blob(const_cast<float*>(B), {K, N}, opt));
}

// Splits channels [0, n) over the threads. Each stage below owns its output channels end to end (GEMM rows, then
// the depthwise / elementwise work on those rows), so the block needs five parallel regions, not ten.
template <typename F>
void channels(int64_t n, F f) {
  at::parallel_for(0, n, 8, f);
}

at::Tensor sea_attention_cpu(const at::Tensor& x_, at::TensorList weights, int64_t num_heads, int64_t key_dim) {
  const auto [d, w] = check(x_, weights, num_heads, key_dim);
  const auto x = x_.contiguous();
  const int64_t B = x.size(0), H0 = x.size(2), W0 = x.size(3), H = sea::half_up(H0), W = sea::half_up(W0);
  const int64_t HW = H * W, Q = d.qkv(), nk = d.nh_kd(), dh = d.dh, dim = d.dim;
  auto out = at::empty_like(x);
  auto scratch = at::empty({sea::scratch_floats(d, H0, W0)}, x.options());
  const sea::Buffers buf(d, H0, W0, scratch.data_ptr<float>());
  float *xs = buf.xs, *qkv = buf.qkv, *dw = buf.dw, *detail = buf.detail, *t = buf.t, *p = buf.p;
  float *row = buf.row, *col = buf.col, *row_e = buf.row_e, *col_e = buf.col_e;
  float *mr = buf.axial, *mc = buf.axial + Q * H;
  const int64_t heads = d.heads, L = w.pos_len;
  const sea::Gemm small_gemm = sea::native_gemm();
  for (int64_t b = 0; b < B; ++b) {
    const float* xb = x.const_data_ptr<float>() + b * dim * H0 * W0;
    float* yb = out.data_ptr<float>() + b * dim * H0 * W0;
    channels(dim, [&](int64_t c0, int64_t c1) { sea::stride_dw(xb, H0, W0, w.stride_w, w.stride_b, xs, c0, c1); });
    channels(Q, [&](int64_t c0, int64_t c1) {
      gemm_rows(c0, c1, HW, dim, w.qkv_w, xs, w.qkv_b, qkv);
      sea::dw3x3_relu6(qkv, H, W, w.dw_w, w.dw_b, dw, c0, c1, mr, mc);
    });
    // One task per (axis, head): the attention itself is tiny, so this spreads it over every thread.
    at::parallel_for(0, 2 * heads, 1, [&](int64_t t0, int64_t t1) {
      std::vector<float> s(std::max(H, W) * (std::max(H, W) + 1));
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t h = t % heads;
        if (t < heads)
          sea::axis_attention(d, mr, H, w.pos, w.pos + nk * L, L, row, h, h + 1, s.data());
        else
          sea::axis_attention(d, mc, W, w.pos + 2 * nk * L, w.pos + 3 * nk * L, L, col, h, h + 1, s.data());
      }
    });
    sea::relu6(row, dh * H);
    sea::relu6(col, dh * W);
    // proj_encode_row and _column have N = H or W columns, too few for MKL to pay: the core GEMM.
    channels(dh, [&](int64_t c0, int64_t c1) {
      small_gemm(c1 - c0, H, dh, w.row_w + c0 * dh, row, w.row_b + c0, row_e + c0 * H);
      small_gemm(c1 - c0, W, dh, w.col_w + c0 * dh, col, w.col_b + c0, col_e + c0 * W);
      sea::mix_relu6(qkv + 2 * nk * HW, row_e, col_e, H, W, t, c0, c1);
    });
    channels(dim, [&](int64_t c0, int64_t c1) {
      gemm_rows(c0, c1, HW, Q, w.pw_w, dw, w.pw_b, detail);
      gemm_rows(c0, c1, HW, dh, w.proj_w, t, w.proj_b, p);
      std::vector<float> g(sea::gate_scratch(H, W, W0));
      sea::gate_upsample(p, detail, H, W, H0, W0, yb, c0, c1, g.data());
    });
  }
  return out;
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
  TORCH_CHECK_VALUE(q.size(2) <= kMaxSide / 2 && q.size(3) <= kMaxSide / 2, "axial_attention: q is ", num(q.size(2)),
                    "x", num(q.size(3)), "; H and W must be at most ", num(kMaxSide / 2));
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
    at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
      std::vector<scalar_t> scratch(sea::axial_scratch(d, H, W));
      for (int64_t b = b0; b < b1; ++b)
        sea::axial<scalar_t>(d, qkv.const_data_ptr<scalar_t>() + b * d.qkv() * H * W, H, W,
                             pos.const_data_ptr<scalar_t>(), pos.size(2), row.data_ptr<scalar_t>() + b * dh * H,
                             col.data_ptr<scalar_t>() + b * dh * W, scratch.data());
    });
  });
  return {row, col};
}

}  // namespace

at::Tensor sea_attention_core(const at::Tensor& x_, at::TensorList weights, int64_t num_heads, int64_t key_dim,
                              const std::string& gemm) {
  const auto [d, w] = check(x_, weights, num_heads, key_dim);
  sea::Gemm g = nullptr;
  if (gemm == "scalar") g = sea::gemm_scalar;
#if defined(__x86_64__) || defined(_M_X64)
  if (gemm == "avx2" && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) g = sea::gemm_avx2;
#endif
#if defined(__aarch64__)
  if (gemm == "neon") g = sea::gemm_neon;
#endif
  TORCH_CHECK_VALUE(g != nullptr, "unknown or unsupported gemm kernel \"", gemm, "\"");
  const auto x = x_.contiguous();
  const int64_t B = x.size(0), H0 = x.size(2), W0 = x.size(3), n = d.dim * H0 * W0;
  auto out = at::empty_like(x);
  std::vector<float> scratch(sea::scratch_floats(d, H0, W0));
  for (int64_t b = 0; b < B; ++b)
    sea::forward(d, w, x.const_data_ptr<float>() + b * n, H0, W0, out.data_ptr<float>() + b * n, g, scratch.data());
  return out;
}

TORCH_LIBRARY_IMPL(ppms, CPU, m) {
  m.impl("sea_attention", &sea_attention_cpu);
  m.impl("axial_attention", &axial_attention_cpu);
}

}  // namespace ppms
