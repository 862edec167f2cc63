// A small network of the real structure (stem, four MobileNetV3 stages with and without SE, two transformer stages,
// tiny's or base's AAM + head) with random weights: packed by hand for the layer-by-layer reference, and as
// network_pack's raw weights and config. For the network's, the model file's and the fuzz tests.
#pragma once

#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "ppms/network.h"
#include "synthetic.h"

namespace ppms {
namespace synthetic {

struct NetworkStore {  // owns every weight of the test network: packed by hand, and raw (with the config) for network_pack
  std::vector<std::unique_ptr<ppms::PackedConv1x1>> convs;
  std::vector<std::vector<float>> floats;
  std::vector<std::unique_ptr<ppms::synthetic::SeaWeights>> sea;
  std::vector<ppms::View> raw;  // network_pack's weights, in its order
  std::vector<int64_t> config;
  std::mt19937 rng{21};

  const float* values(int64_t n, float scale) {
    floats.push_back(ppms::synthetic::normal(n, scale, rng));
    return floats.back().data();
  }
  ppms::Conv1x1Weights conv(int64_t cin, int64_t cout) {
    const float* w = values(cout * cin, 0.4f / std::sqrt(static_cast<float>(cin)));
    const float* b = values(cout, 0.1f);
    raw.push_back(ppms::View(w, {cout, cin}));
    raw.push_back(ppms::View(b, {cout}));
    convs.push_back(std::make_unique<ppms::PackedConv1x1>());
    convs.back()->pack(w, b, cout, cin);
    return convs.back()->weights();
  }
  ppms::InvertedResidual block(int64_t cin, int64_t cmid, int64_t cout, int64_t k, int64_t stride, bool se,
                               ppms::Activation act) {
    if (act != ppms::Activation::relu6)  // not the transformers' MLP
      config.insert(config.end(), {cin, cmid, cout, k, stride, se, act == ppms::Activation::hardswish});
    ppms::InvertedResidual b;
    b.cin = cin, b.cmid = cmid, b.cout = cout, b.k = k, b.stride = stride, b.expand_act = b.depthwise_act = act;
    b.expand = conv(cin, cmid);
    const float *w = values(cmid * k * k, 0.3f), *bias = values(cmid, 0.1f);
    raw.push_back(ppms::View(w, {cmid, 1, k, k}));
    raw.push_back(ppms::View(bias, {cmid}));
    std::vector<float> dw(cmid * (k * k + 1));
    ppms::depthwise_pack(w, bias, cmid, k, dw.data());
    floats.push_back(dw);
    b.depthwise = ppms::depthwise_weights(floats.back().data(), cmid, k);
    b.project = conv(cmid, cout);
    if (!se) return b;
    b.cse = cmid / 4;
    b.se1_w = values(b.cse * cmid, 0.3f), b.se1_b = values(b.cse, 0.1f);
    b.se2_w = values(cmid * b.cse, 0.3f), b.se2_b = values(cmid, 0.1f);
    raw.insert(raw.end(), {ppms::View(b.se1_w, {b.cse, cmid}), ppms::View(b.se1_b, {b.cse}),
                           ppms::View(b.se2_w, {cmid, b.cse}), ppms::View(b.se2_b, {cmid})});
    return b;
  }
  ppms::TransformerBlock transformer(int64_t dim, int64_t heads, int64_t key_dim) {
    ppms::TransformerBlock t;
    t.dims = ppms::sea::Dims{dim, heads, key_dim, 2 * heads * key_dim};
    sea.push_back(std::make_unique<ppms::synthetic::SeaWeights>(t.dims, 16, rng));
    t.attention = sea.back()->w;
    const auto& v = sea.back()->t;
    const int64_t Q = t.dims.qkv(), dh = t.dims.dh;
    const int64_t shapes[15][3] = {{dim, 9}, {dim}, {Q, dim}, {Q}, {Q, 9}, {Q}, {dim, Q}, {dim},
                                   {dh, dh}, {dh}, {dh, dh}, {dh}, {dim, dh}, {dim}, {4, heads * key_dim, 16}};
    for (int i = 0; i < 15; ++i) {
      ppms::View w(v[i].data(), {shapes[i][0]});
      for (int d = 1; d < 3 && shapes[i][d]; ++d) w.dims[w.rank++] = shapes[i][d];
      raw.push_back(w);
    }
    t.mlp = block(dim, 2 * dim, dim, 3, 1, false, ppms::Activation::relu6);
    t.mlp.expand_act = ppms::Activation::none;
    return t;
  }
};

// The test network (5 classes) into *st and *n; base: base's AAMSx8 head, else tiny's AAM.
inline void small_network(bool base, NetworkStore* store, ppms::Network* network) {
  NetworkStore& st = *store;
  ppms::Network& n = *network;
  st.config = {base, 8};
  n.stem = st.conv(27, 8);
  const auto relu = ppms::Activation::relu, hs = ppms::Activation::hardswish;
  st.config.push_back(2);
  n.stages[0] = {st.block(8, 8, 8, 3, 1, true, relu), st.block(8, 24, 12, 3, 2, false, relu)};
  st.config.push_back(2);
  n.stages[1] = {st.block(12, 32, 16, 5, 2, true, hs), st.block(16, 32, 16, 5, 1, true, hs)};
  st.config.push_back(1);
  n.stages[2] = {st.block(16, 48, 24, 5, 2, true, hs)};
  st.config.push_back(1);
  n.stages[3] = {st.block(24, 64, 32, 3, 2, true, hs)};
  st.config.insert(st.config.end(), {1, 24, 2, 4, 2, 32, 2, 4});
  n.transformers[0] = {st.transformer(24, 2, 4)};
  n.transformers[1] = {st.transformer(32, 2, 4), st.transformer(32, 2, 4)};
  n.head.x8_output = base;
  const int64_t C = 16, cs[3] = {16, 24, 32};
  for (int i = 0; i < (base ? 2 : 3); ++i) n.head.e[i] = st.conv(base && i == 1 ? 32 : cs[i], C);
  for (int i = 0; i < (base ? 2 : 3); ++i) n.head.a[i] = st.conv(base ? (i == 0 ? 24 : 32) : cs[i], C);
  n.head.classifier = st.conv(C, 5);
}

// network_pack's blob of the test network.
inline std::vector<uint8_t> small_network_blob(bool base) {
  NetworkStore st;
  ppms::Network n;
  small_network(base, &st, &n);
  std::vector<uint8_t> blob;
  const Status s = ppms::network_pack(st.config.data(), static_cast<int64_t>(st.config.size()), st.raw.data(),
                                      static_cast<int64_t>(st.raw.size()), &blob);
  if (!s.ok()) blob.clear();
  return blob;
}

}  // namespace synthetic
}  // namespace ppms
