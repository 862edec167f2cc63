// Torch-free tests of transformer_block on NHWC: against the same block computed on channel planes (sea::forward,
// the residual, then the MLP by inverted_residual on the transposed sum), serial and on a thread pool, at the real
// shapes and odd sizes. (tests/ops/test_transformer_block.py holds it to the model's PyTorch Block.)
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "check.h"
#include "ppms/transformer_block.h"
#include "synthetic.h"

TEST_CASE("transformer_block: on NHWC equals the block on channel planes") {
  std::mt19937 rng(13);
  ppms::ThreadPool pool(3);
  const int64_t shapes[][6] = {{128, 8, 16, 2, 16, 16}, {64, 4, 16, 2, 17, 9}, {32, 2, 8, 4, 1, 3}, {30, 2, 4, 2, 7, 5}};
  for (const auto& s : shapes) {
    const ppms::sea::Dims d{s[0], s[1], s[2], 2 * s[1] * s[2]};
    const int64_t C = d.dim, cmid = C * s[3], H = s[4], W = s[5], P = H * W;
    const ppms::synthetic::SeaWeights sw(d, 16, rng);
    const auto x = ppms::synthetic::normal(P * C, 1.f, rng);
    const auto ew = ppms::synthetic::normal(cmid * C, 0.2f, rng), eb = ppms::synthetic::normal(cmid, 0.2f, rng);
    const auto dw = ppms::synthetic::normal(cmid * 9, 0.3f, rng), db = ppms::synthetic::normal(cmid, 0.2f, rng);
    const auto pw = ppms::synthetic::normal(C * cmid, 0.1f, rng), pb = ppms::synthetic::normal(C, 0.2f, rng);
    ppms::PackedConv1x1 expand, project;
    expand.pack(ew.data(), eb.data(), cmid, C);
    project.pack(pw.data(), pb.data(), C, cmid);
    std::vector<float> dwp(cmid * 10);
    ppms::depthwise_pack(dw.data(), db.data(), cmid, 3, dwp.data());
    ppms::TransformerBlock tb;
    tb.dims = d;
    tb.attention = sw.w;
    ppms::InvertedResidual& m = tb.mlp;
    m.cin = m.cout = C, m.cmid = cmid, m.k = 3, m.stride = 1;
    m.expand_act = ppms::Activation::none, m.depthwise_act = ppms::Activation::relu6;
    m.expand = expand.weights(), m.depthwise = ppms::depthwise_weights(dwp.data(), cmid, 3), m.project = project.weights();
    // On planes.
    std::vector<float> planar(P * C), attn(P * C), x1(P * C), want(P * C);
    for (int64_t p = 0; p < P; ++p)
      for (int64_t c = 0; c < C; ++c) planar[c * P + p] = x[p * C + c];
    ppms::sea::forward(d, sw.w, planar.data(), 1, H, W, attn.data());
    for (int64_t p = 0; p < P; ++p)
      for (int64_t c = 0; c < C; ++c) x1[p * C + c] = x[p * C + c] + attn[c * P + p];
    ppms::inverted_residual(m, x1.data(), H, W, want.data());
    INFO("dim=" << C << " " << H << "x" << W);
    for (const bool threaded : {false, true}) {
      INFO(ppms::check::threading(threaded));
      std::vector<float> y(P * C, NAN);
      const auto st = ppms::transformer_block(tb, x.data(), H, W, y.data(), threaded ? pool.parallel() : ppms::Parallel{});
      CHECK_MESSAGE(st.ok(), st.message());
      CHECK(ppms::check::max_error(y, want) <= 1e-5 * ppms::check::max_abs(want, 1e-6));
    }
  }
}
