// The SEA attention pipeline, threaded through the caller's parallel loop. Each region owns a range of output
// channels end to end (GEMM rows, then that channel's depthwise, means or gate/upsample work while the rows are in
// cache), so the block needs five parallel regions per image, not ten.
#include "ppms/sea_attention.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "core/common/aligned.h"
#include "core/common/convert.h"
#include "core/common/transpose.h"
#include "core/config/config.h"
#include "core/sea_attention/stages.h"

namespace ppms {
namespace sea {

const char* const kWeightNames[kNumWeights] = {"stride_w", "stride_b", "qkv_w", "qkv_b", "dw_w",
                                               "dw_b",     "pw_w",     "pw_b",  "row_w", "row_b",
                                               "col_w",    "col_b",    "proj_w", "proj_b", "pos"};

namespace {

std::string n(int64_t v) { return std::to_string(v); }

// A grain of 8 channels: enough work per task to pay for the hand-off, and 16+ tasks at every real shape.
constexpr int64_t kGrain = 8;

}  // namespace

Status check_weights(const View* ws, int64_t count, int64_t heads, int64_t key_dim, Dims* dims) {
  if (count != kNumWeights)
    return Status::invalid("expected " + n(kNumWeights) + " packed weights, got " + n(count));
  if (heads < 1 || key_dim < 1) return Status::invalid("num_heads and key_dim must be >= 1");
  const int64_t dim = ws[0].rank >= 1 ? ws[0].dims[0] : 0, dh = ws[8].rank >= 1 ? ws[8].dims[0] : 0;
  const int64_t nk = heads * key_dim, Q = 2 * nk + dh;
  if (dim < 1 || dh < 1) return Status::invalid("weights stride_w and row_w must be non-empty matrices");
  if (dh % heads != 0)
    return Status::invalid("dh = " + n(dh) + " is not a multiple of num_heads = " + n(heads));
  const View want[kNumWeights - 1] = {
      View(nullptr, {dim, 9}), View(nullptr, {dim}),     View(nullptr, {Q, dim}),  View(nullptr, {Q}),
      View(nullptr, {Q, 9}),   View(nullptr, {Q}),       View(nullptr, {dim, Q}),  View(nullptr, {dim}),
      View(nullptr, {dh, dh}), View(nullptr, {dh}),      View(nullptr, {dh, dh}),  View(nullptr, {dh}),
      View(nullptr, {dim, dh}), View(nullptr, {dim})};
  for (int i = 0; i < kNumWeights - 1; ++i)
    if (ws[i].shape_str() != want[i].shape_str())
      return Status::invalid(std::string("weight ") + kWeightNames[i] + " has shape " + ws[i].shape_str() +
                             ", expected " + want[i].shape_str() + " (dim " + n(dim) + ", num_heads " + n(heads) +
                             ", key_dim " + n(key_dim) + ", dh " + n(dh) + ")");
  const View& pos = ws[kNumWeights - 1];
  if (pos.rank != 3 || pos.dims[0] != 4 || pos.dims[1] != nk || pos.dims[2] < 1)
    return Status::invalid("weight pos must be [4, num_heads * key_dim = " + n(nk) + ", L], got " + pos.shape_str());
  *dims = Dims{dim, heads, key_dim, dh};
  return Status();
}

Status bind(const View* ws, int64_t count, int64_t heads, int64_t key_dim, Dims* dims, Weights* out) {
  const Status s = check_weights(ws, count, heads, key_dim, dims);
  if (!s.ok()) return s;
  for (int i = 0; i < kNumWeights; ++i)
    if (ws[i].data == nullptr) return Status::invalid(std::string("weight ") + kWeightNames[i] + " is null");
  *out = Weights{ws[0].data, ws[1].data, ws[2].data, ws[3].data, ws[4].data,  ws[5].data,  ws[6].data, ws[7].data,
                 ws[8].data, ws[9].data, ws[10].data, ws[11].data, ws[12].data, ws[13].data, ws[14].data, ws[14].dims[2]};
  return Status();
}

void bf16_rows(const float* w, const float* b, int64_t M, int64_t K, uint32_t* out) {
  std::vector<float> row(K + 1);
  for (int64_t m = 0; m < M; ++m) {
    std::copy(w + m * K, w + (m + 1) * K, row.begin());
    row[K] = b[m];
    to_bf16_pairs(row.data(), K + 1, out + m * bf16_row_words(K));
  }
}

Status forward(const Dims& d, const Weights& w, const float* x, int64_t B, int64_t H0, int64_t W0, float* y,
               const Options& o) {
  if (B < 1 || H0 < 1 || W0 < 1) return Status::invalid("x must be non-empty, got B, H, W = " + n(B) + ", " + n(H0) + ", " + n(W0));
  if (H0 > kMaxSide || W0 > kMaxSide)
    return Status::invalid("x is " + n(H0) + "x" + n(W0) + "; H and W must be at most " + n(kMaxSide));
  const KernelConfig& kc = config::or_fastest(o.kernels);
  const Config& ks = kc.sea;
  const GemmFn gemm = o.gemm ? o.gemm : kc.gemm.fn;
  const GemmFn wide = o.wide_gemm ? o.wide_gemm : gemm;
  const Parallel& par = o.parallel;
  const int64_t H = half_up(H0), W = half_up(W0), HW = H * W, Q = d.qkv(), nk = d.nh_kd(), dh = d.dh, dim = d.dim;
  // f16: the wide convolutions in half, on the f16 conv1x1 kernels: the weights (bias as a last column) are their
  // rows, the inputs, packed into half panels of K + 1 rows (the last all ones) by the stage that writes them, their
  // panels; the outputs are stored in float, so every other stage runs as in f32. bf16: the same on the bf16 conv1x1
  // kernels, the weights bound in bf16 pairs (Weights::bf16, which the kernels take as their inputs), the inputs in
  // bf16 pair panels; the row and column encodings too.
  const bool in_half = kc.type == DataType::f16 && kc.f16.attention && w.f16.qkv && w.f16.pw && w.f16.proj &&
                       !o.wide_gemm;
  const bool in_bf16 = kc.type == DataType::bf16 && w.bf16.qkv && w.bf16.pw && w.bf16.proj && w.bf16.row &&
                       w.bf16.col && !o.wide_gemm;
  const DataType narrow = in_half ? DataType::f16 : in_bf16 ? DataType::bf16 : DataType::f32;
  // Uninitialised (every stage writes before it reads): zero-filling megabytes per call would cost more than a stage.
  std::unique_ptr<float[]> own;
  float* scratch = o.scratch;
  if (scratch == nullptr) own.reset(scratch = new float[scratch_floats(d, H0, W0, o.channels_last, narrow)]);
  const Buffers buf(d, H0, W0, scratch, o.channels_last, narrow);
  uint16_t *const zeros = buf.zeros, *const xs16 = buf.xs16, *const dw16 = buf.dw16, *const t16 = buf.t16;
  const int64_t columns = (HW + 15) / 16 * 16;
  auto pairs = [](int64_t K) { return pw::bf16_pair_rows(K + 1); };  // a bf16 panel's pair rows for K inputs
  if (in_half) {
    std::fill(zeros, zeros + (HW + 15) / 16 * 16, half(0));
    const std::vector<float> ones(HW, 1.0f);
    to_half_panels(ones.data(), HW, 0, 1, dim + 1, xs16 + dim * 16);
    to_half_panels(ones.data(), HW, 0, 1, Q + 1, dw16 + Q * 16);
    to_half_panels(ones.data(), HW, 0, 1, dh + 1, t16 + dh * 16);
  }
  if (in_bf16) {
    std::fill(reinterpret_cast<float*>(zeros), reinterpret_cast<float*>(zeros) + columns, 0.0f);
    // each panel's rows from K on: the ones (bf16 1.0, the bias's multiplier; zero past N), then zeros
    auto ones_then_zeros = [&](uint16_t* panels, int64_t K, int64_t N) {
      const int64_t rows = pairs(K);
      for (int64_t c = 0; c < (N + 15) / 16 * 16; ++c)
        for (int64_t k = K; k < 2 * rows; ++k)
          panels[((c / 16 * rows + k / 2) * 16 + c % 16) * 2 + k % 2] = k == K && c < N ? 0x3f80 : 0;
    };
    ones_then_zeros(xs16, dim, HW), ones_then_zeros(dw16, Q, HW), ones_then_zeros(t16, dh, HW);
    ones_then_zeros(buf.row16, dh, H), ones_then_zeros(buf.col16, dh, W);
  }
  // rows [c0, c1) of out [rows][HW] = a [rows][K + 1] . panels (K + 1 rows), in float
  auto half_gemm = [&](const uint16_t* a, int64_t K, const half* panels, int64_t c0, int64_t c1, float* out) {
    pw::TileT<half> t{a + c0 * (K + 1), K + 1, K + 1, panels, (K + 1) * 16, zeros, nullptr, HW, nullptr, 0,
                      Activation::none, c1 - c0, HW, out + c0 * HW};
    kc.f16.conv1x1.tile(t);
  };
  // rows [c0, c1) of out [rows][N] = a [rows][K + 1] (bf16 pairs) . panels (K + 1 rows of N columns)
  auto bf16_gemm = [&](const uint32_t* a, int64_t K, const uint16_t* panels, int64_t c0, int64_t c1, float* out,
                       int64_t N) {
    const int64_t ld = bf16_row_words(K);
    pw::Tile t{reinterpret_cast<const float*>(a + c0 * ld), ld, K + 1, reinterpret_cast<const float*>(panels), pairs(K) * 16,
               reinterpret_cast<const float*>(zeros), out + c0 * N, N, nullptr, 0, Activation::none, c1 - c0, N};
    t.x_pairs = true;
    kc.bf16.conv1x1.tile(t);
  };
  float *xs = buf.xs, *qkv = buf.qkv, *dw = buf.dw, *detail = buf.detail, *t = buf.t, *p = buf.p;
  float *row = buf.row, *col = buf.col, *row_e = buf.row_e, *col_e = buf.col_e;
  float *mr = buf.axial, *mc = buf.axial + Q * H;
  const int64_t heads = d.heads, L = w.pos_len, P0 = H0 * W0;
  const bool cl = o.channels_last;
  const int64_t ldp = cl ? plane_stride(H0, W0) : P0;  // between the planes stride_dw reads and gate_upsample writes
  float* planes = buf.planes;
  for (int64_t b = 0; b < B; ++b) {
    const float* xb = x + b * dim * P0;
    float* yb = y + b * dim * P0;
    // The stages that read or write x and y channels-last take whole 64-byte lines of channels (kLineFloats): threads
    // writing halves of one line take it from each other in turns (tiny's last stage ran slower on 2 threads than
    // on 1 in ranges of 8 channels).
    par.for_range((dim + kLineFloats - 1) / kLineFloats, 1, [&](int64_t g0, int64_t g1) {
      const int64_t c0 = g0 * kLineFloats, c1 = std::min(dim, g1 * kLineFloats);
      if (cl) transpose<false>(xb + c0, dim, P0, c1 - c0, planes + c0 * ldp, ldp);
      ks.stride_dw(cl ? planes : xb, H0, W0, ldp, w.stride_w, w.stride_b, xs, c0, c1);
      if (in_half) to_half_panels(xs, HW, c0, c1, dim + 1, xs16);
      if (in_bf16) to_bf16_panels(xs, HW, c0, c1, pairs(dim), xs16);
    });
    par.for_range(Q, kGrain, [&](int64_t c0, int64_t c1) {
      if (in_half)
        half_gemm(w.f16.qkv, dim, xs16, c0, c1, qkv);
      else if (in_bf16)
        bf16_gemm(w.bf16.qkv, dim, xs16, c0, c1, qkv, HW);
      else
        wide(c1 - c0, HW, dim, w.qkv_w + c0 * dim, xs, w.qkv_b + c0, qkv + c0 * HW);
      ks.dw3x3_relu6(qkv, H, W, w.dw_w, w.dw_b, dw, c0, c1, mr, mc);
      if (in_half) to_half_panels(dw, HW, c0, c1, Q + 1, dw16);
      if (in_bf16) to_bf16_panels(dw, HW, c0, c1, pairs(Q), dw16);
    });
    // One task per (axis, head): the attention itself is tiny, so this spreads it over every thread.
    par.for_range(2 * heads, 1, [&](int64_t t0, int64_t t1) {
      std::vector<float> s(std::max(H, W) * (std::max(H, W) + 1));
      for (int64_t k = t0; k < t1; ++k) {
        const int64_t h = k % heads;
        if (k < heads)
          axis_attention(d, mr, H, w.pos, w.pos + nk * L, L, row, h, h + 1, s.data());
        else
          axis_attention(d, mc, W, w.pos + 2 * nk * L, w.pos + 3 * nk * L, L, col, h, h + 1, s.data());
      }
    });
    ks.relu6(row, dh * H);
    ks.relu6(col, dh * W);
    if (in_bf16) to_bf16_panels(row, H, 0, dh, pairs(dh), buf.row16), to_bf16_panels(col, W, 0, dh, pairs(dh), buf.col16);
    par.for_range(dh, kGrain, [&](int64_t c0, int64_t c1) {
      if (in_bf16) {
        bf16_gemm(w.bf16.row, dh, buf.row16, c0, c1, row_e, H);
        bf16_gemm(w.bf16.col, dh, buf.col16, c0, c1, col_e, W);
      } else {
        gemm(c1 - c0, H, dh, w.row_w + c0 * dh, row, w.row_b + c0, row_e + c0 * H);
        gemm(c1 - c0, W, dh, w.col_w + c0 * dh, col, w.col_b + c0, col_e + c0 * W);
      }
      ks.mix_relu6(qkv + 2 * nk * HW, row_e, col_e, H, W, t, c0, c1);
      if (in_half) to_half_panels(t, HW, c0, c1, dh + 1, t16);
      if (in_bf16) to_bf16_panels(t, HW, c0, c1, pairs(dh), t16);
    });
    par.for_range((dim + kLineFloats - 1) / kLineFloats, 1, [&](int64_t g0, int64_t g1) {
      const int64_t c0 = g0 * kLineFloats, c1 = std::min(dim, g1 * kLineFloats);
      if (in_half) {
        half_gemm(w.f16.pw, Q, dw16, c0, c1, detail);
        half_gemm(w.f16.proj, dh, t16, c0, c1, p);
      } else if (in_bf16) {
        bf16_gemm(w.bf16.pw, Q, dw16, c0, c1, detail, HW);
        bf16_gemm(w.bf16.proj, dh, t16, c0, c1, p, HW);
      } else {
        wide(c1 - c0, HW, Q, w.pw_w + c0 * Q, dw, w.pw_b + c0, detail + c0 * HW);
        wide(c1 - c0, HW, dh, w.proj_w + c0 * dh, t, w.proj_b + c0, p + c0 * HW);
      }
      std::vector<float> g(gate_scratch(H, W, W0));
      ks.gate_upsample(p, detail, H, W, H0, W0, cl ? planes : yb, ldp, c0, c1, g.data());
      if (cl) transpose<true>(planes + c0 * ldp, ldp, c1 - c0, P0, yb + c0, dim, xb + c0, dim);
    });
  }
  return Status();
}

template <typename T>
Status axial_attention(const Dims& d, const T* qkv, int64_t B, int64_t H, int64_t W, const T* pos, int64_t L, T* row,
                       T* col, const Parallel& parallel) {
  if (B < 1 || H < 1 || W < 1) return Status::invalid("empty input");
  if (H > kMaxSide / 2 || W > kMaxSide / 2)
    return Status::invalid("q is " + n(H) + "x" + n(W) + "; H and W must be at most " + n(kMaxSide / 2));
  if (d.heads < 1 || d.key_dim < 1 || d.dh < 1 || d.dh % d.heads != 0 || L < 1)
    return Status::invalid("channels must be positive multiples of num_heads, and L >= 1");
  const int64_t Q = d.qkv();
  parallel.for_range(B, 1, [&](int64_t b0, int64_t b1) {
    std::vector<T> scratch(axial_scratch(d, H, W));
    for (int64_t b = b0; b < b1; ++b)
      axial<T>(d, qkv + b * Q * H * W, H, W, pos, L, row + b * d.dh * H, col + b * d.dh * W, scratch.data());
  });
  return Status();
}

template Status axial_attention<float>(const Dims&, const float*, int64_t, int64_t, int64_t, const float*, int64_t,
                                       float*, float*, const Parallel&);
template Status axial_attention<double>(const Dims&, const double*, int64_t, int64_t, int64_t, const double*, int64_t,
                                        double*, double*, const Parallel&);

}  // namespace sea
}  // namespace ppms
