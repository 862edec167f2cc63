#include "ppms/network.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "ppms/image_conv.h"

namespace ppms {

namespace {

// An activation [h][w][c] the network holds.
struct Act {
  std::unique_ptr<float[]> data;
  int64_t h = 0, w = 0, c = 0;
  Act() = default;
  Act(int64_t h_, int64_t w_, int64_t c_) : data(new float[h_ * w_ * c_]), h(h_), w(w_), c(c_) {}
  Feature feature() const { return Feature{data.get(), h, w, c}; }
};

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

// Times one layer into profile (when given).
class Timer {
 public:
  explicit Timer(NetworkProfile* p) : p_(p), t0_(std::chrono::steady_clock::now()) {}
  void lap(std::string name, double flops) {
    if (!p_) return;
    const auto t1 = std::chrono::steady_clock::now();
    p_->layers.push_back({std::move(name), std::chrono::duration<double>(t1 - t0_).count(), flops});
    t0_ = t1;
  }

 private:
  NetworkProfile* p_;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace

void network_logits_size(const Network& n, int64_t H, int64_t W, int64_t* h, int64_t* w) {
  int64_t h8 = down(H, 2), w8 = down(W, 2);
  for (int s = 0; s < 2; ++s)
    for (const auto& b : n.stages[s]) h8 = down(h8, b.stride), w8 = down(w8, b.stride);
  aam_head_size(n.head, h8, w8, h, w);
}

Status network_logits(const Network& n, const float* image, int64_t H, int64_t W, float* logits, const Parallel& par,
                      NetworkProfile* profile) {
  if (image == nullptr || logits == nullptr) return Status::invalid("network: image and logits must not be null");
  if (H < 1 || W < 1) return Status::invalid("network: H and W must be >= 1");
  for (int st = 0; st < 4; ++st)
    if (n.stages[st].empty()) return Status::invalid("network: stage " + std::to_string(st + 1) + " has no block");
  if (profile) profile->layers.clear();
  // The activations live in four buffers allocated once: two that the layers write in turn, and x8 and x16, which
  // AAM reads at the end (a fresh buffer per layer fragmented the heap, and its peak grew layer after layer).
  Act kept[2];  // x8 (after the second stage), x16 (after the first transformer stage)
  int64_t h = down(H, 2), w = down(W, 2), most = h * w * n.stem.cout;
  for (int st = 0; st < 4; ++st) {
    for (const auto& b : n.stages[st]) {
      h = down(h, b.stride), w = down(w, b.stride);
      most = std::max(most, h * w * b.cout);
    }
    if (st == 1 || st == 2) kept[st - 1] = Act(h, w, n.stages[st].back().cout);
  }
  const std::unique_ptr<float[]> turns[2] = {std::unique_ptr<float[]>(new float[most]),
                                             std::unique_ptr<float[]>(new float[most])};
  Timer timer(profile);
  Feature cur{turns[0].get(), down(H, 2), down(W, 2), n.stem.cout};
  Status s = image_conv(n.stem, image, 3, H, W, 3, 2, turns[0].get(), Activation::hardswish, par);
  if (!s.ok()) return s;
  timer.lap("stem", 2.0 * cur.h * cur.w * cur.c * 27);
  // where the next layer writes: the other turn buffer, or x8 / x16 for the last layer of stages 2 and 3
  auto target = [&](int st, bool last) -> float* {
    if (last && (st == 1 || st == 2)) return kept[st - 1].data.get();
    return const_cast<float*>(cur.data) == turns[0].get() ? turns[1].get() : turns[0].get();
  };
  for (int st = 0; st < 4; ++st) {
    const size_t layers = n.stages[st].size() + (st >= 2 ? n.transformers[st - 2].size() : 0);
    for (size_t i = 0; i < n.stages[st].size(); ++i) {
      const auto& b = n.stages[st][i];
      if (b.cin != cur.c)
        return Status::invalid("network: stage " + std::to_string(st + 1) + " expects " + std::to_string(b.cin) +
                               " channels, gets " + std::to_string(cur.c));
      const Feature y{nullptr, down(cur.h, b.stride), down(cur.w, b.stride), b.cout};
      float* out = target(st, i + 1 == layers);
      if (!(s = inverted_residual(b, cur.data, cur.h, cur.w, out, par)).ok()) return s;
      timer.lap("stage " + std::to_string(st + 1) + " block " + std::to_string(i) + (b.has_se() ? " (se)" : ""),
                block_flops(b, cur.h, cur.w));
      cur = Feature{out, y.h, y.w, y.c};
    }
    if (st >= 2)
      for (size_t i = 0; i < n.transformers[st - 2].size(); ++i) {
        const auto& t = n.transformers[st - 2][i];
        if (t.dims.dim != cur.c)
          return Status::invalid("network: transformer stage " + std::to_string(st - 1) + " expects " +
                                 std::to_string(t.dims.dim) + " channels, gets " + std::to_string(cur.c));
        float* out = target(st, n.stages[st].size() + i + 1 == layers);
        if (!(s = transformer_block(t, cur.data, cur.h, cur.w, out, par)).ok()) return s;
        timer.lap("transformer " + std::to_string(st - 1) + " block " + std::to_string(i),
                  transformer_flops(t, cur.h, cur.w));
        cur.data = out;
      }
  }
  s = aam_head(n.head, kept[0].feature(), kept[1].feature(), cur, logits, par);
  int64_t lh, lw;
  aam_head_size(n.head, kept[0].h, kept[0].w, &lh, &lw);
  const AamHead& m = n.head;
  const int last = m.x8_output ? 1 : 2;  // the embedding and gate of x32 run at its size, the others at the output's
  double flops = 2.0 * lh * lw * m.classifier.cin * m.classifier.cout;
  for (int i = 0; i <= last; ++i)
    flops += 2.0 * (i == last ? cur.h * cur.w : lh * lw) * m.classifier.cin * (m.e[i].cin + m.a[i].cin);
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
