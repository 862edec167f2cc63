#include "ppms/network.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/common/aligned.h"
#include "core/common/convert.h"
#include "core/config/config.h"
#include "core/inverted_residual/bf16.h"
#include "core/inverted_residual/f16.h"

#ifdef PPMS_ICOUNT_MARKS
#include <unistd.h>
#endif

namespace ppms {

namespace {

int64_t down(int64_t n, int64_t stride) { return (n - 1) / stride + 1; }

double block_flops(const InvertedResidual& b, int64_t H, int64_t W) {
  const double ho = down(H, b.stride), wo = down(W, b.stride);
  return 2.0 * (H * W * b.cin * b.cmid + ho * wo * b.cmid * (b.k * b.k + b.cout));
}

double transformer_flops(const TransformerBlock& t, int64_t H, int64_t W) {
  const auto& d = t.dims;
  const double h2 = down(H, 2), w2 = down(W, 2), q = d.qkv();
  // stride conv, qkv, detail branch (depthwise + pw), row/col encodings, proj over the half-size map; the axial
  // attention itself is small
  const double sea = 2.0 * (h2 * w2 * d.dim * 9 + h2 * w2 * (q * d.dim + q * 9 + d.dim * q + d.dh * d.dim));
  return sea + block_flops(t.mlp, H, W);
}

// Layer boundaries as marks for the counting plugin under qemu (syscall 0x5050, which Linux does not have): layer i
// runs between marks kFirstMark + i and kFirstMark + i + 1 (bench/arm/count.sh layers). Only in builds configured
// with PPMS_ICOUNT_MARKS.
constexpr long kFirstMark = 10000;
void mark(long id) {
#ifdef PPMS_ICOUNT_MARKS
  syscall(0x5050, id);
#else
  (void)id;
#endif
}

// Times one layer into profile (when given).
class Timer {
 public:
  explicit Timer(NetworkProfile* p) : p_(p), t0_(std::chrono::steady_clock::now()) { mark(kFirstMark); }
  void lap(std::string name, double flops) {
    mark(kFirstMark + ++laps_);
    if (!p_) return;
    const auto t1 = std::chrono::steady_clock::now();
    p_->layers.push_back({std::move(name), std::chrono::duration<double>(t1 - t0_).count(), flops});
    t0_ = t1;
  }

 private:
  NetworkProfile* p_;
  std::chrono::steady_clock::time_point t0_;
  long laps_ = 0;
};

}  // namespace

void network_logits_size(const Network& n, int64_t H, int64_t W, int64_t* h, int64_t* w) {
  int64_t h8 = down(H, 2), w8 = down(W, 2);
  for (int s = 0; s < 2; ++s)
    for (const auto& b : n.stages[s]) h8 = down(h8, b.stride), w8 = down(w8, b.stride);
  aam_head_size(n.head, h8, w8, h, w);
}

namespace {

// One layer of the network's walk: the stem (neither block nor transformer), an MV3 block or a transformer block.
struct Step {
  const InvertedResidual* block = nullptr;
  const TransformerBlock* transformer = nullptr;
  int stage = -1;  // 0-3; -1: the stem
  size_t index = 0;
  int64_t h = 0, w = 0, cin = 3, ho = 0, wo = 0, cout = 0;
  int keep = -1;  // 0 / 1: the output is x8 / x16, which AAM reads at the end
  int64_t in() const { return whole_lines(h * w * cin); }
  int64_t out() const { return whole_lines(ho * wo * cout); }
  int64_t mid() const { return block && block->has_se() ? whole_lines(ho * wo * block->cmid) : 0; }
  // the transformer's scratch, in the gap
  int64_t scratch() const { return transformer ? whole_lines(transformer_block_scratch_floats(*transformer, h, w)) : 0; }
};

// Calls f(step) for every layer in order; stops at the first error (a channel count that does not chain, or f's).
template <class F>
Status walk(const Network& n, int64_t H, int64_t W, F&& f) {
  for (int st = 0; st < 4; ++st)
    if (n.stages[st].empty()) return Status::invalid("network: stage " + std::to_string(st + 1) + " has no block");
  Step s;
  s.h = H, s.w = W, s.ho = down(H, 2), s.wo = down(W, 2), s.cout = n.stem.cout;
  Status r = f(s);
  for (int st = 0; st < 4 && r.ok(); ++st) {
    const size_t blocks = n.stages[st].size(), layers = blocks + (st >= 2 ? n.transformers[st - 2].size() : 0);
    for (size_t i = 0; i < layers && r.ok(); ++i) {
      Step t;
      t.stage = st, t.index = i, t.h = s.ho, t.w = s.wo, t.cin = s.cout;
      t.keep = i + 1 == layers && (st == 1 || st == 2) ? st - 1 : -1;
      int64_t cin, stride = 1;
      if (i < blocks) {
        t.block = &n.stages[st][i];
        cin = t.block->cin, t.cout = t.block->cout, stride = t.block->stride;
      } else {
        t.transformer = &n.transformers[st - 2][i - blocks];
        cin = t.cout = t.transformer->dims.dim;
      }
      if (cin != t.cin)
        return Status::invalid("network: " + std::string(t.block ? "stage " : "transformer stage ") +
                               std::to_string(t.block ? st + 1 : st - 1) + " expects " + std::to_string(cin) +
                               " channels, gets " + std::to_string(t.cin));
      t.ho = down(t.h, stride), t.wo = down(t.w, stride);
      r = f(t);
      s = t;
    }
  }
  return r;
}

// Whether block step t writes its output in bf16 on config k (inverted_residual_bf16): where the next layer is a block
// that reads it only through its bf16 expansion (no shortcut), which rounds it to bf16 in any case. Stage 1's maps are
// 4 MiB in f32 at 512 x 512: a bf16 output halves the block's writes and the next block's reads, and that block
// expands it without converting it.
bool writes_bf16(const Network& n, const KernelConfig& k, const Step& t) {
  if (k.type != DataType::bf16 || k.bf16.depthwise == nullptr || t.block == nullptr || t.keep >= 0) return false;
  const auto& stage = n.stages[t.stage];
  const InvertedResidual* next = t.index + 1 < stage.size() ? &stage[t.index + 1]
                                 : t.stage < 2              ? &n.stages[t.stage + 1][0]
                                                            : nullptr;  // a transformer follows
  return next != nullptr && next->cmid >= k.bf16.min_cout && !next->has_shortcut() && next->cin % 2 == 0;
}

// One image's activations live in one buffer. Each layer reads its input at one end and writes its output at the
// other; the features AAM reads at the end (x8, x16) stay where they were written, and the ends move inwards past
// them. An SE block's depthwise output goes into the gap between input and output, or, where the gap is too small
// and cout == cmid, into the output itself (stage 1's first block, 256x256x16 at 512x512: 8 MB instead of 12). A
// transformer block's scratch goes into the gap too, and AAM's beside x32, the last layer's output.
struct Place {
  int64_t out, gap, need;  // offsets of the output and of the gap; the floats the layer needs, gap excluded
};

class Cursor {
 public:
  Place place(const Step& t, int64_t size) const {
    const bool out_lo = side_ != low;  // after the image or a kept feature: the low end
    const int64_t in = side_ == none ? 0 : t.in(), out = t.out();
    return Place{out_lo ? lo_ : size - hi_ - out, out_lo ? lo_ + out : lo_ + in, lo_ + hi_ + in + out};
  }
  void advance(const Step& t) {
    const bool out_lo = side_ != low;
    if (t.keep >= 0) (out_lo ? lo_ : hi_) += t.out();
    side_ = t.keep >= 0 ? none : out_lo ? low : high;
  }
  // AAM's scratch, beside x32 (the last layer's output, not a kept one)
  Place aam(const Feature& x32, int64_t scratch) const {
    const int64_t x = whole_lines(x32.h * x32.w * x32.c);
    return Place{0, side_ == low ? lo_ + x : lo_, lo_ + hi_ + x + scratch};
  }

 private:
  enum Side { none, low, high };
  int64_t lo_ = 0, hi_ = 0;  // floats kept at the ends
  Side side_ = none;         // where the last output lies
};

// The buffer's size: the most any layer needs, with an SE block's depthwise output in the gap where it fits; and
// the most a layer allocates for itself beside it (own).
Status plan(const Network& n, int64_t H, int64_t W, const Parallel& par, int64_t* size, int64_t* own = nullptr) {
  Feature kept[2] = {}, x32 = {};  // shapes only
  Cursor c;
  int64_t S = 0, most = 0;
  Status s = walk(n, H, W, [&](const Step& t) {
    S = std::max(S, c.place(t, 0).need + t.scratch());
    const InvertedResidual* b = t.block ? t.block : t.transformer ? &t.transformer->mlp : nullptr;
    if (b) most = std::max(most, inverted_residual_own_floats(*b, t.h, t.w, par));
    c.advance(t);
    x32 = Feature{nullptr, t.ho, t.wo, t.cout};
    if (t.keep >= 0) kept[t.keep] = x32;
    return Status();
  });
  if (!s.ok()) return s;
  S = std::max(S, c.aam(x32, whole_lines(aam_head_scratch_floats(n.head, kept[0], kept[1], x32, par))).need);
  c = Cursor();
  s = walk(n, H, W, [&](const Step& t) {  // SE depthwise outputs that fit neither the gap nor the output
    const int64_t need = c.place(t, 0).need + t.mid();
    if (t.mid() > 0 && need > S && t.block->cout != t.block->cmid) S = need;
    c.advance(t);
    return Status();
  });
  *size = S;
  if (own) *own = most;
  return s;
}

}  // namespace

Status network_memory_floats(const Network& n, int64_t H, int64_t W, const Parallel& par, int64_t* floats) {
  int64_t size, own;
  const Status s = plan(n, H, W, par, &size, &own);
  *floats = s.ok() ? size + kLineFloats + own : 0;
  return s;
}

Status network_buffer_floats(const Network& n, int64_t H, int64_t W, const Parallel& par, int64_t* floats) {
  const Status s = plan(n, H, W, par, floats);
  if (!s.ok()) *floats = 0;
  return s;
}

Status network_logits(const Network& n, const float* image, int64_t H, int64_t W, float* logits, const Parallel& par,
                      NetworkProfile* profile, float* buffer) {
  if (image == nullptr || logits == nullptr) return Status::invalid("network: image and logits must not be null");
  if (H < 1 || W < 1) return Status::invalid("network: H and W must be >= 1");
  int64_t S;
  Status s = plan(n, H, W, par, &S);
  if (!s.ok()) return s;
  if (profile) profile->layers.clear();
  const AlignedFloats own = buffer ? AlignedFloats() : AlignedFloats(S);  // uninitialised: each layer writes first
  float* const space = buffer ? buffer : own.get();
  Feature f8, f16, cur{image, H, W, 3};
  Cursor c;
  Timer timer(profile);
  // On an f16 config the MobileNetV3 blocks read and write half, in the same room (twice what they need), and the
  // stem writes half (an f32 stem's output rounded in place); the transformers and AAM take f32 features, converted
  // at their edges (the blocks' output a transformer or AAM reads in place, x16, kept for AAM in f32, into a copy for
  // stage 4), and narrow what their half convolutions read themselves.
  const KernelConfig& ks = config::or_fastest(n.kernels);
  const bool in_half = ks.type == DataType::f16;
  bool cur_half = false;
  const bf16* cur16 = nullptr;  // cur in bf16 (writes_bf16)
  float* prev = nullptr;  // cur's storage, which a conversion in place rewrites
  std::vector<half> narrowed;
  auto as_half = [](float* p) { return reinterpret_cast<half*>(p); };
  s = walk(n, H, W, [&](const Step& t) {
    const Place at = c.place(t, S);
    float *y = space + at.out, *gap = space + at.gap;
    const int64_t in = t.h * t.w * t.cin;
    Status r;
    std::string name;
    double flops;
    if (t.stage < 0) {
      const auto act = Activation::hardswish;
      if (in_half && ks.f16.stem.stem && image_conv_detail::is_stem(3, 3, 2, t.cout)) {
        r = image_conv_detail::run_f16(ks.f16.stem.stem, n.stem_f16, image, H, W, as_half(y), act, par);
      } else {
        r = image_conv_detail::run(ks.image_conv.stem, ks.conv1x1, n.stem, image, 3, H, W, 3, 2, y, act, par);
        if (in_half) to_half(y, t.ho * t.wo * t.cout, as_half(y));
      }
      name = "stem", flops = 2.0 * t.ho * t.wo * t.cout * 27;
    } else if (t.block) {
      float* mid = t.mid() == 0 ? nullptr : at.need + t.mid() <= S ? gap : y;
      if (in_half) {
        const half* x = as_half(prev);
        if (!cur_half) narrowed.resize(in), to_half(cur.data, in, narrowed.data()), x = narrowed.data();
        r = inverted_residual_f16(*t.block, x, t.h, t.w, as_half(y), par, mid ? as_half(mid) : nullptr);
        if (t.keep >= 0) to_float(as_half(y), t.ho * t.wo * t.cout, y);
      } else if (const bool out16 = writes_bf16(n, ks, t); cur16 || out16) {
        Bf16Maps m;
        m.x = cur16;
        if (out16) m.y = reinterpret_cast<bf16*>(y);
        r = inverted_residual_bf16(*t.block, cur.data, t.h, t.w, y, m, par, mid);
        cur16 = m.y;
      } else {
        r = inverted_residual(*t.block, cur.data, t.h, t.w, y, par, mid);
      }
      name = "stage " + std::to_string(t.stage + 1) + " block " + std::to_string(t.index) +
             (t.block->has_se() ? " (se)" : "");
      flops = block_flops(*t.block, t.h, t.w);
    } else {
      if (cur_half) to_float(as_half(prev), in, prev);
      r = transformer_block(*t.transformer, cur.data, t.h, t.w, y, par, gap);
      name = "transformer " + std::to_string(t.stage - 1) + " block " +
             std::to_string(t.index - n.stages[t.stage].size());
      flops = transformer_flops(*t.transformer, t.h, t.w);
    }
    if (!r.ok()) return r;
    timer.lap(std::move(name), flops);
    c.advance(t);
    cur = Feature{y, t.ho, t.wo, t.cout}, prev = y;
    cur_half = in_half && t.transformer == nullptr && t.keep < 0;
    if (t.keep == 0) f8 = cur;
    if (t.keep == 1) f16 = cur;
    return r;
  });
  if (!s.ok()) return s;
  s = aam_head(n.head, f8, f16, cur, logits, par, space + c.aam(cur, 0).gap);
  int64_t lh, lw;
  aam_head_size(n.head, f8.h, f8.w, &lh, &lw);
  const AamHead& m = n.head;
  // The embedding and gate of x32 run at its size, base's A0 at x16's, the others at the output's.
  const int last = m.x8_output ? 1 : 2;
  double flops = 2.0 * lh * lw * m.classifier.cin * m.classifier.cout;
  for (int i = 0; i <= last; ++i) {
    const double at = i == last ? cur.h * cur.w : lh * lw, a_at = m.x8_output && i == 0 ? f16.h * f16.w : at;
    flops += 2.0 * m.classifier.cin * (at * m.e[i].cin + a_at * m.a[i].cin);
  }
  timer.lap("aam + head", flops);
  return s;
}

Status network_logits_batch(const Network& n, const float* images, int64_t B, int64_t H, int64_t W, float* logits,
                            const Parallel& par) {
  if (B < 1) return Status::invalid("network: the batch must hold at least one image, got " + std::to_string(B));
  if (images == nullptr || logits == nullptr) return Status::invalid("network: image and logits must not be null");
  int64_t h, w;
  network_logits_size(n, H, W, &h, &w);
  const int64_t in = 3 * H * W, out = n.head.classifier.cout * h * w;
  // whole images per thread, as many as make equal shares (none when the thread count is unknown)
  const int64_t shared = par.threads > 1 ? B / par.threads * par.threads : 0;
  std::mutex m;
  Status first;
  par.for_range(shared, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const Status s = network_logits(n, images + b * in, H, W, logits + b * out);
      std::lock_guard<std::mutex> g(m);
      if (!s.ok() && first.ok()) first = s;
    }
  });
  if (!first.ok()) return first;
  for (int64_t b = shared; b < B; ++b) {  // the rest one after another, each on every thread
    const Status s = network_logits(n, images + b * in, H, W, logits + b * out, par);
    if (!s.ok()) return s;
  }
  return Status();
}

}  // namespace ppms
