#include "ppms/depthwise.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/cpu.h"
#include "core/depthwise/kernels.h"

namespace ppms {

namespace {

std::string n(int64_t v) { return std::to_string(v); }

Status check(const DepthwiseWeights& w, int64_t W, int64_t stride, dw::RowFn fn, const char* kernel) {
  if (w.channels < 1 || w.taps == nullptr || w.bias == nullptr) return Status::invalid("depthwise: the packed weights are empty");
  if (w.k < 1 || w.k > kDepthwiseMaxK || w.k % 2 == 0)
    return Status::invalid("depthwise: k must be odd and at most " + n(kDepthwiseMaxK) + ", got " + n(w.k));
  if (stride != 1 && stride != 2) return Status::invalid("depthwise: stride must be 1 or 2, got " + n(stride));
  if (W < 1) return Status::invalid("depthwise: W must be >= 1, got " + n(W));
  if (fn == nullptr)
    return Status::unsupported("no depthwise kernel \"" + std::string(kernel ? kernel : "") + "\" on this CPU");
  return Status();
}

dw::RowFn pick(const char* kernel) {
  const KernelConfig* c = config::with_op("depthwise", kernel);
  return c ? c->depthwise.row : nullptr;
}

}  // namespace

namespace dw {
std::vector<ConfigT<half>> f16_kernels() {
  std::vector<ConfigT<half>> out = {kernel_f16_scalar()};
#if defined(__aarch64__)
  if (cpu::supports(cpu::Isa::neon_fp16)) out.push_back(kernel_f16_neonfp16arith());
#endif
  return out;
}
}  // namespace dw

std::vector<std::string> depthwise_kernels() { return op_kernels("depthwise"); }

Status depthwise_pack(const float* weight, const float* bias, int64_t channels, int64_t k, float* out) {
  if (channels < 1 || k < 1 || weight == nullptr || out == nullptr)
    return Status::invalid("depthwise_pack: empty weights (" + n(channels) + " channels, k " + n(k) + ")");
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t t = 0; t < k * k; ++t) out[t * channels + c] = weight[c * k * k + t];
    out[k * k * channels + c] = bias ? bias[c] : 0.0f;
  }
  return Status();
}

DepthwiseWeights depthwise_weights(const float* packed, int64_t channels, int64_t k) {
  return DepthwiseWeights{channels, k, packed, packed + k * k * channels};
}

Status depthwise_row(const DepthwiseWeights& w, const float* const* rows, int64_t W, int64_t stride, float* y,
                     Activation act, bool padded, const char* kernel) {
  const dw::RowFn fn = pick(kernel);
  const Status s = check(w, W, stride, fn, kernel);
  if (!s.ok()) return s;
  if (rows == nullptr || y == nullptr) return Status::invalid("depthwise_row: rows and y must not be null");
  fn(dw::Row{&w, rows, W, (W - 1) / stride + 1, stride, y, act, padded});
  return Status();
}

Status depthwise(const DepthwiseWeights& w, const float* x, int64_t H, int64_t W, int64_t stride, float* y,
                 Activation act, const Parallel& parallel, const char* kernel) {
  const dw::RowFn fn = pick(kernel);
  Status s = check(w, W, stride, fn, kernel);
  if (!s.ok()) return s;
  if (H < 1) return Status::invalid("depthwise: H must be >= 1, got " + n(H));
  if (x == nullptr || y == nullptr) return Status::invalid("depthwise: x and y must not be null");
  const int64_t Ho = (H - 1) / stride + 1, Wo = (W - 1) / stride + 1, C = w.channels, pad = w.k / 2;
  parallel.for_range(Ho, 1, [&](int64_t h0, int64_t h1) {
    const float* rows[kDepthwiseMaxK];
    for (int64_t ho = h0; ho < h1; ++ho) {
      for (int64_t ky = 0; ky < w.k; ++ky) {
        const int64_t iy = ho * stride - pad + ky;
        rows[ky] = iy >= 0 && iy < H ? x + iy * W * C : nullptr;
      }
      fn(dw::Row{&w, rows, W, Wo, stride, y + ho * Wo * C, act, false});
    }
  });
  return Status();
}

}  // namespace ppms
