#include "ppms/inverted_residual.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "core/common/aligned.h"
#include "core/config/config.h"
#include "core/common/convert.h"
#include "core/cpu.h"
#include "core/inverted_residual/bf16.h"
#include "core/inverted_residual/f16.h"

namespace ppms {

namespace {

std::string n(int64_t v) { return std::to_string(v); }

// The block's weights and kernels in T: f32 (with a bf16 config, the bf16 kernel and weights of the 1x1
// convolutions with at least Bf16Kernels::min_cout outputs: InvertedResidual::bf16), or half on an f16 config
// (HalfKernels, InvertedResidual::f16).
template <class T>
struct Layer {
  const pw::ConfigT<T>&expand_conv, &project_conv;
  const dw::ConfigT<T>& depthwise;
  const Conv1x1WeightsT<T>&expand, &project;
  const DepthwiseWeightsT<T>& taps;
  // f32 with a bf16 expansion: the expanded rows are stored in bf16 and this depthwise reads them (else null)
  dw::Bf16RowsFn depthwise_bf16 = nullptr;
};
Layer<float> layer(const InvertedResidual& b, const KernelConfig& k, const float*) {
  const bool bf16 = k.type == DataType::bf16, expand = bf16 && b.cmid >= k.bf16.min_cout,
             project = bf16 && b.cout >= k.bf16.min_cout;
  return {expand ? k.bf16.conv1x1 : k.conv1x1, project ? k.bf16.conv1x1 : k.conv1x1, k.depthwise,
          expand ? b.bf16.expand : b.expand, project ? b.bf16.project : b.project, b.depthwise,
          expand ? k.bf16.depthwise : nullptr};
}
Layer<half> layer(const InvertedResidual& b, const KernelConfig& k, const half*) {
  return {k.f16.conv1x1, k.f16.conv1x1, k.f16.depthwise, b.f16.expand, b.f16.project, b.f16.depthwise};
}

// n values of T, on a cache line.
template <class T>
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(int64_t n) : f_(floats_for<T>(n)) {}
  T* get() const { return reinterpret_cast<T*>(f_.get()); }

 private:
  AlignedFloats f_;
};

// The expanded input rows an output row needs, computed on demand into a ring of k slots (row iy in slot iy % k),
// stored as S (T, or bf16 where the expansion is in bf16). Each slot has k / 2 columns of zeros either side
// (depthwise_row's padded rows: no border path).
template <class T, class S = T>
class Ring {
 public:
  // x16: the input in bf16 instead of x (S bf16 only)
  Ring(const InvertedResidual& b, const Layer<T>& l, const T* x, const bf16* x16, int64_t H, int64_t W)
      : b_(b), l_(l), x_(x), x16_(x16), H_(H), W_(W), row_(values(b, W) / b.k), rows_(values(b, W)), have_(b.k, -1) {
    const int64_t edge = b.k / 2 * b.cmid;
    for (int64_t s = 0; s < b.k; ++s) {  // 0.0f, half 0 and bf16 0 are all-zero bits
      std::memset(static_cast<void*>(slot(s) - edge), 0, edge * sizeof(S));
      std::memset(static_cast<void*>(slot(s) + W * b.cmid), 0, edge * sizeof(S));
    }
  }

  // The values of a ring: k rows of W + k - 1 columns (the padding included).
  static int64_t values(const InvertedResidual& b, int64_t W) { return b.k * (W + b.k - 1) * b.cmid; }

  // The k input rows of output row ho (null where they are padding), expanding the missing ones.
  void rows(int64_t ho, const S** out) {
    const int64_t pad = b_.k / 2;
    for (int64_t ky = 0; ky < b_.k; ++ky) {
      const int64_t iy = ho * b_.stride - pad + ky;
      if (iy < 0 || iy >= H_) {
        out[ky] = nullptr;
        continue;
      }
      S* row = slot(iy % b_.k);
      if (have_[iy % b_.k] != iy) {
        expand(iy, row);
        have_[iy % b_.k] = iy;
      }
      out[ky] = row;
    }
  }

 private:
  S* slot(int64_t s) { return rows_.get() + s * row_ + b_.k / 2 * b_.cmid; }  // its column 0

  // Input row iy expanded into row.
  void expand(int64_t iy, S* row) {
    if constexpr (std::is_same<S, bf16>::value) {
      pw::Tile at{};
      if (x16_)  // in pairs already: two bf16 values a 32-bit word
        at.x = reinterpret_cast<const float*>(x16_ + iy * W_ * b_.cin), at.ldx = b_.cin / 2, at.x_pairs = true;
      else
        at.x = x_ + iy * W_ * b_.cin, at.ldx = b_.cin;
      at.y16 = row, at.ldy = b_.cmid, at.act = b_.expand_act;
      pw::run(l_.expand_conv, l_.expand, at, W_);
    } else {
      pw::run(l_.expand_conv, l_.expand, x_ + iy * W_ * b_.cin, b_.cin, W_, row, b_.cmid, b_.expand_act);
    }
  }

  const InvertedResidual& b_;
  const Layer<T>& l_;
  const T* x_;
  const bf16* x16_;
  int64_t H_, W_, row_;
  Buffer<S> rows_;  // a row's columns are written before they are read; the padding is zero
  std::vector<int64_t> have_;
};

// part[c] += the sum of row [Wo][C]'s channel c: summed in float across the row (a row is at most a few hundred
// pixels), then added to the double total of the image. kChunk channels at a time, their sums held in registers
// across the row: a sum array updated per pixel cost a load and a store per vector (3 instructions per 4 channels
// and pixel on aarch64 more than these).
constexpr int64_t kChunk = 16;
PPMS_CLONES void pool_row(const float* row, int64_t Wo, int64_t C, double* __restrict part) {
  int64_t c0 = 0;
  for (; c0 + kChunk <= C; c0 += kChunk) {
    float sum[kChunk] = {};
    for (int64_t p = 0; p < Wo; ++p)
#pragma omp simd
      for (int64_t j = 0; j < kChunk; ++j) sum[j] += row[p * C + c0 + j];
    for (int64_t j = 0; j < kChunk; ++j) part[c0 + j] += sum[j];
  }
  for (int64_t c = c0; c < C; ++c) {
    float sum = 0.0f;
    for (int64_t p = 0; p < Wo; ++p) sum += row[p * C + c];
    part[c] += sum;
  }
}

// a . b, vectorised (partial sums in any order: the SE's matrix-vector products were scalar chains, 1% of base)
PPMS_CLONES float dot(const float* a, const float* b, int64_t n) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

// Multiply-adds per task of SE's tail: smaller tasks cost more to hand to another thread than they save (20-40 us
// when it sleeps, more with another process on its core), so only base's blocks of 768 channels share it.
constexpr int64_t kSeTask = 131072;

// Paddle's hardsigmoid (slope 0.2, offset 0.5), not torch's x / 6 + 0.5.
float hardsigmoid(float v) { return std::min(std::max(0.2f * v + 0.5f, 0.0f), 1.0f); }

}  // namespace

int64_t inverted_residual_own_floats(const InvertedResidual& b, int64_t H, int64_t W, const Parallel& parallel) {
  const int64_t Ho = (H - 1) / b.stride + 1, Wo = (W - 1) / b.stride + 1;
  // per lane: the ring (k padded rows; in floats, an upper bound for bf16 rows) and the scratch row; with SE, the
  // scaled projection (none on a bf16 kernel: an upper bound)
  return parallel.lanes(Ho) * (Ring<float>::values(b, W) + Wo * b.cmid) +
         (b.has_se() ? conv1x1_packed_floats(b.cout, b.cmid) : 0);
}

namespace {

Status check(const InvertedResidual& b, const void* x, int64_t H, int64_t W, const void* y, const void* mid) {
  if (b.cin < 1 || b.cmid < 1 || b.cout < 1)
    return Status::invalid("inverted_residual: channels must be >= 1, got " + n(b.cin) + " -> " + n(b.cmid) + " -> " +
                           n(b.cout));
  if (b.expand.cin != b.cin || b.expand.cout != b.cmid || b.depthwise.channels != b.cmid || b.depthwise.k != b.k)
    return Status::invalid("inverted_residual: the expand or depthwise weights do not fit cin " + n(b.cin) +
                           ", cmid " + n(b.cmid) + ", k " + n(b.k));
  if (b.project.cin != b.cmid || b.project.cout != b.cout || !b.project.panels || !b.project.bias ||
      (b.has_se() && (!b.se1_w || !b.se1_b || !b.se2_w || !b.se2_b)))
    return Status::invalid("inverted_residual: the project (or SE) weights are missing or do not fit");
  if (b.stride != 1 && b.stride != 2) return Status::invalid("inverted_residual: stride must be 1 or 2, got " + n(b.stride));
  if (H < 1 || W < 1) return Status::invalid("inverted_residual: H and W must be >= 1, got " + n(H) + "x" + n(W));
  if (x == nullptr || y == nullptr) return Status::invalid("inverted_residual: x and y must not be null");
  if (mid == y && b.cout != b.cmid)
    return Status::invalid("inverted_residual: SE's depthwise output can share y only when cout == cmid, got " +
                           n(b.cout) + " and " + n(b.cmid));
  return Status();
}

// SE's projection with the scale folded in, in T: f32 weights scaled (conv1x1_scale_inputs) for input channels
// [c0, c1), then, for half, those rows rounded into `out` (rounding the folded weight once, not a rounded weight
// scaled in half).
void fold(const InvertedResidual& b, const float* scale, float* folded, float*, int64_t c0, int64_t c1) {
  conv1x1_scale_inputs(b.project, scale, folded, c0, c1);
}
void fold(const InvertedResidual& b, const float* scale, float* folded, half* out, int64_t c0, int64_t c1) {
  conv1x1_scale_inputs(b.project, scale, folded, c0, c1);
  constexpr int64_t P = kConv1x1Panel;
  const int64_t panels = (b.cout + P - 1) / P;
  for (int64_t p = 0; p < panels; ++p)
    to_half(folded + (p * b.cmid + c0) * P, (c1 - c0) * P, out + (p * b.cmid + c0) * P);
  if (c0 == 0) to_half(folded + panels * b.cmid * P, panels * P, out + panels * b.cmid * P);
}

// row's channel sums into part (SE's pool): half rows widened first, the sums in float as for f32 rows.
void pool(const float* row, int64_t Wo, int64_t C, float*, double* part) { pool_row(row, Wo, C, part); }
void pool(const half* row, int64_t Wo, int64_t C, float* wide, double* part) {
  to_float(row, Wo * C, wide);
  pool_row(wide, Wo, C, part);
}

// One output row of the depthwise from its k input rows, stored as T or as bf16 (Layer::depthwise_bf16).
template <class T>
void depthwise_row(const Layer<T>& l, const dw::RowT<T>& r) {
  l.depthwise.row(r);
}
void depthwise_row(const Layer<float>& l, const dw::RowT<float, bf16>& r) { l.depthwise_bf16(r); }

// An output row of Wo pixels in bf16 (y16) from its depthwise row x, straight from kernel k (ConfigT::y16); where y16
// overlaps x (a kernel may read x after writing y16), through the float row `over` (Wo * cout) and then rounded, as the
// kernel rounds.
void project_row_bf16(const pw::Config& k, const Conv1x1Weights& w, const float* x, int64_t Wo, const float* residual,
                      int64_t ldr, const float* x_scale, bf16* y16, float* over = nullptr) {
  pw::Tile at{};
  at.x = x, at.ldx = w.cin, at.x_scale = x_scale, at.residual = residual, at.ldr = ldr, at.ldy = w.cout;
  if (over) at.y = over; else at.y16 = y16;
  pw::run(k, w, at, Wo);
  if (over) to_bf16_pairs(over, Wo * w.cout, reinterpret_cast<uint32_t*>(y16));
}

// The block with its expanded rows stored as S, and the maps m names in bf16 (T float only).
template <class T, class S>
void run(const InvertedResidual& b, const Layer<T>& l, const T* x, int64_t H, int64_t W, T* y,
         const Parallel& parallel, T* mid, const Bf16Maps& m) {
  const int64_t Ho = (H - 1) / b.stride + 1, Wo = (W - 1) / b.stride + 1, C = b.cmid;
  const auto depthwise = [&](const S* const* rows, T* out) {
    depthwise_row(l, dw::RowT<T, S>{&l.taps, rows, W, Wo, b.stride, out, b.depthwise_act, true});
  };
  const T* shortcut = b.has_shortcut() ? x : nullptr;

  // Per lane of rows (Parallel::for_rows): its ring, so that the expanded rows neighbouring output rows share are
  // computed once per lane (bands of a few rows each recomputed k - 1 of them: twice the expand work at k = 5 on the
  // small maps); a row of scratch (the depthwise row, or SE's projected row when in place); SE's channel sums (and
  // for half, a row widened to float for them).
  struct Lane {
    std::unique_ptr<Ring<T, S>> ring;
    Buffer<T> row;
    std::vector<double> part;
    std::vector<float> wide;
  };
  std::vector<Lane> lanes(parallel.lanes(Ho));
  auto lane = [&](int64_t i) -> Lane& {
    Lane& s = lanes[i];
    if (!s.ring) {
      s.ring.reset(new Ring<T, S>(b, l, x, m.x, H, W)), s.row = Buffer<T>(Wo * C);
      if (b.has_se()) s.part.assign(C, 0.0), s.wide.resize(std::is_same<T, float>::value ? 0 : Wo * C);
    }
    return s;
  };
  if (!b.has_se()) {
    parallel.for_rows(Ho, [&](int64_t i, int64_t ho) {
      Lane& s = lane(i);
      const S* rows[kDepthwiseMaxK];
      s.ring->rows(ho, rows);
      depthwise(rows, s.row.get());
      const T* res = shortcut ? shortcut + ho * W * b.cin : nullptr;
      if constexpr (std::is_same<T, float>::value) {
        if (m.y)
          return project_row_bf16(l.project_conv, l.project, s.row.get(), Wo, res, b.cin, nullptr,
                                  m.y + ho * Wo * b.cout);
      }
      pw::run(l.project_conv, l.project, s.row.get(), C, Wo, y + ho * Wo * b.cout, b.cout, Activation::none, res, b.cin);
    });
    return;
  }

  // SE: the whole depthwise output, its channel sums per lane, the scale, then the projection with the scale folded
  // into its weights (or applied to its inputs).
  Buffer<T> own;
  if (mid == nullptr) own = Buffer<T>(Ho * Wo * C), mid = own.get();
  parallel.for_rows(Ho, [&](int64_t i, int64_t ho) {
    Lane& s = lane(i);
    T* out = mid + ho * Wo * C;
    const S* rows[kDepthwiseMaxK];
    s.ring->rows(ho, rows);
    depthwise(rows, out);
    pool(out, Wo, C, s.wide.data(), s.part.data());  // while the row is in cache
  });
  std::vector<double> sums(C, 0.0);
  for (const Lane& s : lanes)
    for (int64_t c = 0; c < static_cast<int64_t>(s.part.size()); ++c) sums[c] += s.part[c];
  std::vector<float> pooled(C), hidden(b.cse), scale(C);
  for (int64_t c = 0; c < C; ++c) pooled[c] = static_cast<float>(sums[c] / static_cast<double>(Ho * Wo));
  // The two matrix-vector products and the fold stream SE's and the projection's weights (2.4 MB at base's 768
  // channels, 170 us on one thread): on every thread, in tasks of at least kSeTask multiply-adds.
  parallel.for_range(b.cse, (kSeTask + C - 1) / C, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) hidden[j] = std::max(b.se1_b[j] + dot(b.se1_w + j * C, pooled.data(), C), 0.0f);
  });
  // The scale folded into a copy of the projection's weights, or on a bf16 kernel applied to its inputs as it rounds
  // them (TileT::x_scale), with the weights bound once: folding base's 768 x 192 weights into pairs read them in
  // float and wrote the pairs on every call.
  const bool on_inputs = l.project_conv.k_pack == 2;
  const int64_t packed = on_inputs ? 0 : conv1x1_packed_floats(b.cout, C);
  const AlignedFloats folded(packed);  // uninitialised: a zero fill took a tenth of SE's tail
  Buffer<T> folded_t(std::is_same<T, float>::value ? 0 : packed);
  T* const weights = std::is_same<T, float>::value ? reinterpret_cast<T*>(folded.get()) : folded_t.get();
  const int64_t grain = (kSeTask + b.cse + b.cout - 1) / (b.cse + b.cout);
  parallel.for_range(C, grain, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c)
      scale[c] = hardsigmoid(b.se2_b[c] + dot(b.se2_w + c * b.cse, hidden.data(), b.cse));
    if (!on_inputs) fold(b, scale.data(), folded.get(), weights, c0, c1);
  });
  const int64_t bias = (b.cout + kConv1x1Panel - 1) / kConv1x1Panel * kConv1x1Panel * C;
  const Conv1x1WeightsT<T> project = on_inputs ? l.project : Conv1x1WeightsT<T>{C, b.cout, weights, weights + bias};
  const float* x_scale = on_inputs ? scale.data() : nullptr;
  if constexpr (std::is_same<T, float>::value) {
    if (m.y) {
      // Rows in bf16 over their own depthwise rows (mid in the output's room, cout == cmid) take half a row's room
      // each: row r overwrites depthwise row r / 2, row 0 its own (through the lane's free scratch row). Rows [a, 2a)
      // run together once rows [0, a) are done, so none overwrites a row yet to be read.
      const bool in_place = static_cast<void*>(mid) == static_cast<void*>(m.y);
      const auto rows = [&](int64_t r0, int64_t r1) {
        parallel.for_rows(r1 - r0, [&](int64_t i, int64_t j) {
          const int64_t ho = r0 + j;
          const float* res = shortcut ? shortcut + ho * W * b.cin : nullptr;
          project_row_bf16(l.project_conv, project, mid + ho * Wo * C, Wo, res, b.cin, x_scale, m.y + ho * Wo * b.cout,
                           in_place && ho == 0 ? lane(i).row.get() : nullptr);
        });
      };
      if (!in_place) return rows(0, Ho);
      for (int64_t a = 0; a < Ho; a = std::max<int64_t>(1, 2 * a)) rows(a, std::min(Ho, std::max<int64_t>(1, 2 * a)));
      return;
    }
  }
  if (mid != y) {
    pw::run(l.project_conv, project, mid, C, Ho * Wo, y, b.cout, Activation::none, shortcut, b.cin, parallel, x_scale);
    return;
  }
  // In place: a row is projected into the lane's scratch row, then copied over its own depthwise row (rows have the
  // same length, as cout == cmid), which no other row reads.
  parallel.for_rows(Ho, [&](int64_t i, int64_t ho) {
    T* row = lane(i).row.get();
    pw::run(l.project_conv, project, mid + ho * Wo * C, C, Wo, row, C, Activation::none,
            shortcut ? shortcut + ho * W * b.cin : nullptr, b.cin, {}, x_scale);
    std::copy(row, row + Wo * C, y + ho * Wo * C);
  });
}

template <class T>
void run(const InvertedResidual& b, const T* x, int64_t H, int64_t W, T* y, const Parallel& parallel, T* mid,
         const Bf16Maps& m = {}) {
  const Layer<T> l = layer(b, config::or_fastest(b.kernels), x);
  if constexpr (std::is_same<T, float>::value)
    if (l.depthwise_bf16) return run<float, bf16>(b, l, x, H, W, y, parallel, mid, m);
  run<T, T>(b, l, x, H, W, y, parallel, mid, m);
}

}  // namespace

Status inverted_residual(const InvertedResidual& b, const float* x, int64_t H, int64_t W, float* y,
                         const Parallel& parallel, float* mid) {
  const Status s = check(b, x, H, W, y, mid);
  if (!s.ok()) return s;
  if (config::or_fastest(b.kernels).type == DataType::bf16 && (!b.bf16.expand.panels || !b.bf16.project.panels))
    return Status::invalid("inverted_residual: a bf16 config runs the block on its bf16 weights (network_bind), which "
                           "are missing");
  run(b, x, H, W, y, parallel, mid);
  return s;
}

Status inverted_residual_bf16(const InvertedResidual& b, const float* x, int64_t H, int64_t W, float* y,
                              const Bf16Maps& m, const Parallel& parallel, float* mid) {
  const Status s = check(b, m.x ? static_cast<const void*>(m.x) : x, H, W, m.y ? static_cast<void*>(m.y) : y, mid);
  if (!s.ok()) return s;
  const KernelConfig& k = config::or_fastest(b.kernels);
  if (k.type != DataType::bf16 || !b.bf16.expand.panels || !b.bf16.project.panels)
    return Status::invalid("inverted_residual_bf16: the block is not bound to a bf16 config with bf16 weights");
  const bool expand = b.cmid >= k.bf16.min_cout;
  if (m.x && (!expand || b.has_shortcut() || b.cin % 2 != 0))
    return Status::invalid("inverted_residual_bf16: a bf16 input needs a bf16 expansion (cmid >= " +
                           n(k.bf16.min_cout) + "), an even cin and no shortcut");
  if (m.y && b.cout % 2 != 0)  // its rows are rounded in pairs (to_bf16_pairs): an odd row would spill into the next
    return Status::invalid("inverted_residual_bf16: a bf16 output needs an even cout, got " + n(b.cout));
  const pw::Config& project = layer(b, k, x).project_conv;
  if (m.y && !project.y16)
    return Status::invalid(std::string("inverted_residual_bf16: a bf16 output needs a projection kernel that writes "
                                       "bf16, and ") + project.name + " does not");
  run(b, x, H, W, y, parallel, mid, m);
  return Status();
}

Status inverted_residual_f16(const InvertedResidual& b, const half* x, int64_t H, int64_t W, half* y,
                             const Parallel& parallel, half* mid) {
  const Status s = check(b, x, H, W, y, mid);
  if (!s.ok()) return s;
  const KernelConfig& k = config::or_fastest(b.kernels);
  if (k.type != DataType::f16 || !b.f16.expand.panels || !b.f16.project.panels || !b.f16.depthwise.taps)
    return Status::invalid("inverted_residual: the block is not bound to an f16 config with half weights");
  run(b, x, H, W, y, parallel, mid);
  return Status();
}

}  // namespace ppms
