#include "ppms/image_conv.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/image_conv/kernels.h"

namespace ppms {

namespace {

// The k input rows of output row ho as one row of columns: column i holds [ky][c] of input column i - pad for
// ky = 0..k-1 (zero past the edges), so output pixel wo's k * k * cin taps are the floats of columns
// wo * stride .. wo * stride + k - 1, contiguous, in the order (kx, ky, c).
template <int KC>
void columns_of(const float* const* rows, int64_t n, float* __restrict dst) {
  const float* src[KC];
  for (int j = 0; j < KC; ++j) src[j] = rows[j];
  for (int64_t ix = 0; ix < n; ++ix)
    PPMS_UNROLL
    for (int j = 0; j < KC; ++j) dst[ix * KC + j] = src[j][ix];
}

// src: room for k * cin row pointers; zeros: W zeros (the rows past the image's top and bottom).
void column_row(const float* x, int64_t cin, int64_t H, int64_t W, int64_t k, int64_t stride, int64_t ho,
                int64_t columns, const float** src, const float* zeros, float* row) {
  const int64_t pad = k / 2, kc = k * cin, inside = std::min(W, columns - pad);
  std::fill(row, row + pad * kc, 0.0f);
  std::fill(row + (pad + inside) * kc, row + columns * kc, 0.0f);
  for (int64_t ky = 0; ky < k; ++ky) {
    const int64_t iy = ho * stride - pad + ky;
    for (int64_t c = 0; c < cin; ++c) src[ky * cin + c] = iy < 0 || iy >= H ? zeros : x + (c * H + iy) * W;
  }
  // column by column: contiguous stores from kc streams of loads (row by row, every store hit another cache line);
  // the stem's kc = 9 with the streams in registers
  float* dst = row + pad * kc;
  if (kc == 9) return columns_of<9>(src, inside, dst);
  for (int64_t ix = 0; ix < inside; ++ix)
    for (int64_t j = 0; j < kc; ++j) dst[ix * kc + j] = src[j][ix];
}

}  // namespace

std::vector<std::string> image_conv_kernels() { return op_kernels("image_conv"); }

Status image_conv(const Conv1x1Weights& w, const float* x, int64_t cin, int64_t H, int64_t W, int64_t k,
                  int64_t stride, float* y, Activation act, const Parallel& parallel, const char* kernel) {
  const std::string want = kernel ? kernel : "";
  const KernelConfig* c = config::with_op("image_conv", kernel);
  // a direct kernel asked for by name must take the shape; the fastest falls back to the columns path
  if (c == nullptr || (!want.empty() && c->image_conv.stem && !image_conv_detail::is_stem(cin, k, stride, w.cout)))
    return Status::invalid("image_conv: no kernel '" + want + "' for cin " + std::to_string(cin) + ", k " +
                           std::to_string(k) + ", stride " + std::to_string(stride) + ", cout " +
                           std::to_string(w.cout) + " on this CPU");
  return image_conv_detail::run(c->image_conv.stem, c->conv1x1, w, x, cin, H, W, k, stride, y, act, parallel);
}

namespace image_conv_detail {

Status run(StemFn stem, const pw::Config& conv, const Conv1x1Weights& w, const float* x, int64_t cin, int64_t H,
           int64_t W, int64_t k, int64_t stride, float* y, Activation act, const Parallel& parallel) {
  auto n = [](int64_t v) { return std::to_string(v); };
  if (cin < 1 || k < 1 || k % 2 == 0 || w.cin != cin * k * k)
    return Status::invalid("image_conv: weights for " + n(w.cin) + " inputs do not fit cin " + n(cin) + " x k " + n(k) +
                           " x " + n(k) + " (k must be odd)");
  if (stride != 1 && stride != 2) return Status::invalid("image_conv: stride must be 1 or 2, got " + n(stride));
  if (H < 1 || W < 1) return Status::invalid("image_conv: H and W must be >= 1, got " + n(H) + "x" + n(W));
  if (x == nullptr || y == nullptr) return Status::invalid("image_conv: x and y must not be null");
  if (w.cout < 1 || w.panels == nullptr || w.bias == nullptr) return Status::invalid("image_conv: the packed weights are empty");
  const int64_t Ho = (H - 1) / stride + 1, Wo = (W - 1) / stride + 1, cout = w.cout, kc = k * cin, K = k * kc;
  if (stem && is_stem(cin, k, stride, cout)) {
    parallel.for_range(Ho, 1, [&](int64_t h0, int64_t h1) { stem(x, H, W, w.panels, w.bias, cout, h0, h1, y, act); });
    return Status();
  }
  // The weights with their taps in the column rows' order (kx, ky, c) instead of (c, ky, kx).
  const int64_t P = kConv1x1Panel, panels = (cout + P - 1) / P;
  std::vector<float> packed(conv1x1_packed_floats(cout, K));
  for (int64_t p = 0; p < panels; ++p)
    for (int64_t kx = 0; kx < k; ++kx)
      for (int64_t ky = 0; ky < k; ++ky)
        for (int64_t c = 0; c < cin; ++c)
          std::copy_n(w.panels + (p * K + (c * k + ky) * k + kx) * P, P, packed.data() + (p * K + kx * kc + ky * cin + c) * P);
  std::copy_n(w.bias, panels * P, packed.data() + panels * K * P);
  const Conv1x1Weights taps = conv1x1_weights(packed.data(), cout, K);
  const int64_t columns = (Wo - 1) * stride + k;
  parallel.for_range(Ho, 1, [&](int64_t h0, int64_t h1) {
    const std::unique_ptr<float[]> row(new float[columns * kc]);
    const std::vector<float> zeros(W, 0.0f);
    std::vector<const float*> src(kc);
    for (int64_t ho = h0; ho < h1; ++ho) {
      column_row(x, cin, H, W, k, stride, ho, columns, src.data(), zeros.data(), row.get());
      // the pixels' windows overlap: x rows stride * kc floats apart, K long
      pw::run(conv, taps, row.get(), stride * kc, Wo, y + ho * Wo * cout, cout, act);
    }
  });
  return Status();
}

void stem_rows_f16(const float* x, int64_t H, int64_t W, const half* taps, const half* bias, int64_t cout, int64_t ho0,
                   int64_t ho1, half* y, Activation act) {
  const int64_t Wo = (W - 1) / 2 + 1;
  for (int64_t ho = ho0; ho < ho1; ++ho) {
    const float* rows[9];
    stem_input_rows(x, H, W, ho, rows);
    for (int64_t wo = 0; wo < Wo; ++wo)
      for (int64_t o = 0; o < cout; ++o) {
        float s = half_to_float(bias[o]);
        for (int r = 0; r < 9; ++r)
          for (int64_t kx = 0, ix = 2 * wo - 1; kx < 3 && rows[r]; ++kx, ++ix)
            if (ix >= 0 && ix < W)
              s += half_to_float(half_from_float(rows[r][ix])) * half_to_float(taps[(3 * r + kx) * kConv1x1Panel + o]);
        y[(ho * Wo + wo) * cout + o] = half_from_float(activate(s, act));
      }
  }
}

Status run_f16(HalfStemFn stem, const Conv1x1WeightsT<half>& w, const float* x, int64_t H, int64_t W, half* y,
               Activation act, const Parallel& parallel) {
  if (w.cin != 27 || !is_stem(3, 3, 2, w.cout))
    return Status::invalid("image_conv: the f16 stem takes 3 -> at most 16 channels, got " + std::to_string(w.cin) +
                           " taps -> " + std::to_string(w.cout));
  if (H < 1 || W < 1 || x == nullptr || y == nullptr || w.panels == nullptr || w.bias == nullptr)
    return Status::invalid("image_conv: empty image, output or weights for the f16 stem");
  parallel.for_range((H - 1) / 2 + 1, 1,
                     [&](int64_t h0, int64_t h1) { stem(x, H, W, w.panels, w.bias, w.cout, h0, h1, y, act); });
  return Status();
}

}  // namespace image_conv_detail
}  // namespace ppms
