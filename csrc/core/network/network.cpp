#include "ppms/network.h"

#include <algorithm>
#include <memory>
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

}  // namespace

void network_logits_size(const Network& n, int64_t H, int64_t W, int64_t* h, int64_t* w) {
  int64_t h8 = down(H, 2), w8 = down(W, 2);
  for (int s = 0; s < 2; ++s)
    for (const auto& b : n.stages[s]) h8 = down(h8, b.stride), w8 = down(w8, b.stride);
  aam_head_size(n.head, h8, w8, h, w);
}

Status network_logits(const Network& n, const float* image, int64_t H, int64_t W, float* logits,
                      const Parallel& par) {
  if (image == nullptr || logits == nullptr) return Status::invalid("network: image and logits must not be null");
  if (H < 1 || W < 1) return Status::invalid("network: H and W must be >= 1");
  Act cur(down(H, 2), down(W, 2), n.stem.cout);
  Status s = image_conv(n.stem, image, 3, H, W, 3, 2, cur.data.get(), Activation::hardswish, par);
  if (!s.ok()) return s;
  Act kept[2];            // x8 (after the second stage), x16 (after the first transformer stage)
  const Act* in = &cur;   // each layer reads *in and writes a fresh activation, which becomes cur
  for (int st = 0; st < 4; ++st) {
    for (const auto& b : n.stages[st]) {
      if (b.cin != in->c)
        return Status::invalid("network: stage " + std::to_string(st + 1) + " expects " + std::to_string(b.cin) +
                               " channels, gets " + std::to_string(in->c));
      Act y(down(in->h, b.stride), down(in->w, b.stride), b.cout);
      if (!(s = inverted_residual(b, in->data.get(), in->h, in->w, y.data.get(), par)).ok()) return s;
      cur = std::move(y);
      in = &cur;
    }
    if (st >= 2)
      for (const auto& t : n.transformers[st - 2]) {
        Act y(in->h, in->w, in->c);
        if (!(s = transformer_block(t, in->data.get(), in->h, in->w, y.data.get(), par)).ok()) return s;
        cur = std::move(y);
        in = &cur;
      }
    if (st == 1 || st == 2) {
      kept[st - 1] = std::move(cur);
      in = &kept[st - 1];
    }
  }
  return aam_head(n.head, kept[0].feature(), kept[1].feature(), in->feature(), logits, par);
}

}  // namespace ppms
