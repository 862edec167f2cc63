// Torch-free test of network_logits on a small network of the real structure (stem, four MobileNetV3 stages with and
// without SE, two transformer stages, tiny's and base's AAM + head) with random weights: equal to the same layers
// called one by one, serially and on a thread pool, at odd sizes. Under ASan it checks the hand-over of activations.
// (tests/ops/test_network.py holds the whole network to the model's PyTorch logits.)
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

#include "ppms/image_conv.h"
#include "ppms/network.h"
#include "synthetic.h"

namespace {

struct Store {  // owns every packed weight of the test network
  std::vector<std::unique_ptr<ppms::PackedConv1x1>> convs;
  std::vector<std::vector<float>> floats;
  std::vector<std::unique_ptr<ppms::synthetic::SeaWeights>> sea;
  std::mt19937 rng{21};

  ppms::Conv1x1Weights conv(int64_t cin, int64_t cout) {
    const auto w = ppms::synthetic::normal(cout * cin, 0.4f / std::sqrt(static_cast<float>(cin)), rng);
    const auto b = ppms::synthetic::normal(cout, 0.1f, rng);
    convs.push_back(std::make_unique<ppms::PackedConv1x1>());
    convs.back()->pack(w.data(), b.data(), cout, cin);
    return convs.back()->weights();
  }
  const float* values(int64_t n, float scale) {
    floats.push_back(ppms::synthetic::normal(n, scale, rng));
    return floats.back().data();
  }
  ppms::InvertedResidual block(int64_t cin, int64_t cmid, int64_t cout, int64_t k, int64_t stride, bool se,
                               ppms::Activation act) {
    ppms::InvertedResidual b;
    b.cin = cin, b.cmid = cmid, b.cout = cout, b.k = k, b.stride = stride, b.expand_act = b.depthwise_act = act;
    b.expand = conv(cin, cmid);
    std::vector<float> dw(cmid * (k * k + 1));
    ppms::depthwise_pack(values(cmid * k * k, 0.3f), values(cmid, 0.1f), cmid, k, dw.data());
    floats.push_back(dw);
    b.depthwise = ppms::depthwise_weights(floats.back().data(), cmid, k);
    b.project = conv(cmid, cout);
    if (se) {
      b.cse = cmid / 4, b.se1_w = values(b.cse * cmid, 0.3f), b.se1_b = values(b.cse, 0.1f);
      b.se2_w = values(cmid * b.cse, 0.3f), b.se2_b = values(cmid, 0.1f);
      b.project_raw = values(cout * cmid, 0.4f / std::sqrt(static_cast<float>(cmid))), b.project_bias = values(cout, 0.1f);
    }
    return b;
  }
  ppms::TransformerBlock transformer(int64_t dim, int64_t heads, int64_t key_dim) {
    ppms::TransformerBlock t;
    t.dims = ppms::sea::Dims{dim, heads, key_dim, 2 * heads * key_dim};
    sea.push_back(std::make_unique<ppms::synthetic::SeaWeights>(t.dims, 16, rng));
    t.attention = sea.back()->w;
    t.mlp = block(dim, 2 * dim, dim, 3, 1, false, ppms::Activation::relu6);
    t.mlp.expand_act = ppms::Activation::none;
    return t;
  }
};

}  // namespace

int main() {
  int failures = 0, cases = 0;
  ppms::ThreadPool pool(3);
  for (const bool base : {false, true}) {
    Store st;
    ppms::Network n;
    n.stem = st.conv(27, 8);
    const auto relu = ppms::Activation::relu, hs = ppms::Activation::hardswish;
    n.stages[0] = {st.block(8, 8, 8, 3, 1, true, relu), st.block(8, 24, 12, 3, 2, false, relu)};
    n.stages[1] = {st.block(12, 32, 16, 5, 2, true, hs), st.block(16, 32, 16, 5, 1, true, hs)};
    n.stages[2] = {st.block(16, 48, 24, 5, 2, true, hs)};
    n.stages[3] = {st.block(24, 64, 32, 3, 2, true, hs)};
    n.transformers[0] = {st.transformer(24, 2, 4)};
    n.transformers[1] = {st.transformer(32, 2, 4), st.transformer(32, 2, 4)};
    n.head.x8_output = base;
    const int64_t C = 16, cs[3] = {16, 24, 32};
    for (int i = 0; i < (base ? 2 : 3); ++i) {
      n.head.e[i] = st.conv(base && i == 1 ? 32 : cs[i], C);
      n.head.a[i] = st.conv(base ? (i == 0 ? 24 : 32) : cs[i], C);
    }
    n.head.fuse_scale = st.values(C, 1.f), n.head.fuse_shift = st.values(C, 0.5f);
    n.head.classifier = st.conv(C, 5);
    for (const auto& hw : {std::pair<int64_t, int64_t>{64, 64}, {37, 50}, {16, 16}}) {
      const int64_t H = hw.first, W = hw.second;
      const auto image = ppms::synthetic::normal(3 * H * W, 1.f, st.rng);
      // The layers one by one.
      auto down = [](int64_t v, int64_t s) { return (v - 1) / s + 1; };
      int64_t h = down(H, 2), w = down(W, 2), c = 8;
      std::vector<float> cur(h * w * c), x8, x16;
      ppms::image_conv(n.stem, image.data(), 3, H, W, 3, 2, cur.data(), hs);
      int64_t h8 = 0, w8 = 0, h16 = 0, w16 = 0, c8 = 0, c16 = 0;
      for (int s = 0; s < 4; ++s) {
        for (const auto& b : n.stages[s]) {
          std::vector<float> y(down(h, b.stride) * down(w, b.stride) * b.cout);
          ppms::inverted_residual(b, cur.data(), h, w, y.data());
          cur.swap(y), h = down(h, b.stride), w = down(w, b.stride), c = b.cout;
        }
        if (s >= 2)
          for (const auto& t : n.transformers[s - 2]) {
            std::vector<float> y(cur.size());
            ppms::transformer_block(t, cur.data(), h, w, y.data());
            cur.swap(y);
          }
        if (s == 1) x8 = cur, h8 = h, w8 = w, c8 = c;
        if (s == 2) x16 = cur, h16 = h, w16 = w, c16 = c;
      }
      int64_t lh, lw;
      ppms::network_logits_size(n, H, W, &lh, &lw);
      std::vector<float> want(lh * lw * 5);
      ppms::aam_head(n.head, {x8.data(), h8, w8, c8}, {x16.data(), h16, w16, c16}, {cur.data(), h, w, c}, want.data());
      for (const bool threaded : {false, true}) {
        std::vector<float> got(want.size(), NAN);
        const auto s = ppms::network_logits(n, image.data(), H, W, got.data(), threaded ? pool.parallel() : ppms::Parallel{});
        double err = 0, mag = 1e-6;
        for (size_t i = 0; i < got.size(); ++i) {
          const double e = std::fabs(got[i] - want[i]);
          err = std::max(err, e != e ? INFINITY : e);
          mag = std::max(mag, static_cast<double>(std::fabs(want[i])));
        }
        ++cases;
        if (!s.ok() || !(err <= 1e-5 * mag)) {
          std::printf("FAIL network %s %ldx%ld (%s): error %.3g of %.3g %s\n", base ? "base" : "tiny", (long)H,
                      (long)W, threaded ? "3 threads" : "serial", err, mag, s.message().c_str());
          ++failures;
        }
      }
    }
  }
  std::printf("network: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
