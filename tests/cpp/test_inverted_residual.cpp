// Torch-free tests of the fused inverted-residual block: against the same block run unfused (conv1x1 over the whole
// image, depthwise over the whole image, SE by hand, conv1x1), serial and on a thread pool, with and without SE and
// shortcut, k 3/5, stride 1/2, odd sizes, on the f32 config and every bf16 one; and the argument checks. (tests/ops/test_inverted_residual.py holds it to
// the model's own PyTorch block.)
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "check.h"
#include "core/config/config.h"
#include "core/conv1x1/kernels.h"
#include "core/inverted_residual/bf16.h"
#include "ppms/inverted_residual.h"
#include "synthetic.h"

TEST_CASE("inverted_residual: the fused block equals its layers run one by one") {
  std::mt19937 rng(3);
  ppms::ThreadPool pool(3);
  struct Cfg {
    int64_t cin, cmid, cout, k, stride;
    bool se;
    ppms::Activation act;
  };
  const Cfg cfgs[] = {{16, 16, 16, 3, 1, true, ppms::Activation::relu},     {16, 64, 32, 3, 2, false, ppms::Activation::relu},
                      {32, 96, 32, 3, 1, false, ppms::Activation::relu},    {24, 96, 32, 5, 2, true, ppms::Activation::hardswish},
                      {64, 240, 64, 5, 1, true, ppms::Activation::hardswish}, {20, 40, 20, 5, 1, false, ppms::Activation::hardswish},
                      {24, 48, 24, 3, 1, false, ppms::Activation::relu6}};
  for (const auto& c : cfgs)
    for (const auto& hw : {std::pair<int64_t, int64_t>{16, 16}, {11, 7}, {2, 3}}) {
      const int64_t H = hw.first, W = hw.second, Ho = (H - 1) / c.stride + 1, Wo = (W - 1) / c.stride + 1;
      const int64_t cse = c.se ? c.cmid / 4 : 0;
      const auto x = ppms::synthetic::normal(H * W * c.cin, 1.f, rng);
      const auto ew = ppms::synthetic::normal(c.cmid * c.cin, 0.3f, rng), eb = ppms::synthetic::normal(c.cmid, 0.3f, rng);
      const auto dw = ppms::synthetic::normal(c.cmid * c.k * c.k, 0.3f, rng), db = ppms::synthetic::normal(c.cmid, 0.3f, rng);
      const auto pw = ppms::synthetic::normal(c.cout * c.cmid, 0.2f, rng), pb = ppms::synthetic::normal(c.cout, 0.3f, rng);
      const auto s1w = ppms::synthetic::normal(std::max<int64_t>(cse, 1) * c.cmid, 0.3f, rng),
                 s1b = ppms::synthetic::normal(std::max<int64_t>(cse, 1), 0.3f, rng),
                 s2w = ppms::synthetic::normal(c.cmid * std::max<int64_t>(cse, 1), 0.3f, rng),
                 s2b = ppms::synthetic::normal(c.cmid, 0.3f, rng);
      ppms::PackedConv1x1 expand, project;
      expand.pack(ew.data(), eb.data(), c.cmid, c.cin);
      project.pack(pw.data(), pb.data(), c.cout, c.cmid);
      std::vector<float> dwp(c.cmid * (c.k * c.k + 1));
      ppms::depthwise_pack(dw.data(), db.data(), c.cmid, c.k, dwp.data());
      ppms::InvertedResidual b;
      b.cin = c.cin, b.cmid = c.cmid, b.cout = c.cout, b.k = c.k, b.stride = c.stride;
      b.expand_act = c.act == ppms::Activation::relu6 ? ppms::Activation::none : c.act;  // relu6: the MLP
      b.depthwise_act = c.act;
      b.expand = expand.weights();
      b.depthwise = ppms::depthwise_weights(dwp.data(), c.cmid, c.k);
      b.project = project.weights();
      if (c.se) {
        b.cse = cse, b.se1_w = s1w.data(), b.se1_b = s1b.data(), b.se2_w = s2w.data(), b.se2_b = s2b.data();
      }
      // Unfused.
      std::vector<float> e(H * W * c.cmid), d(Ho * Wo * c.cmid), want(Ho * Wo * c.cout);
      ppms::conv1x1(b.expand, x.data(), c.cin, H * W, e.data(), c.cmid, b.expand_act);
      ppms::depthwise(b.depthwise, e.data(), H, W, c.stride, d.data(), c.act);
      if (c.se) {
        std::vector<float> pooled(c.cmid, 0.f), hidden(cse);
        for (int64_t p = 0; p < Ho * Wo; ++p)
          for (int64_t ch = 0; ch < c.cmid; ++ch) pooled[ch] += d[p * c.cmid + ch] / (Ho * Wo);
        for (int64_t j = 0; j < cse; ++j) {
          float s = s1b[j];
          for (int64_t ch = 0; ch < c.cmid; ++ch) s += s1w[j * c.cmid + ch] * pooled[ch];
          hidden[j] = std::max(s, 0.f);
        }
        for (int64_t ch = 0; ch < c.cmid; ++ch) {
          float s = s2b[ch];
          for (int64_t j = 0; j < cse; ++j) s += s2w[ch * cse + j] * hidden[j];
          const float g = std::min(std::max(0.2f * s + 0.5f, 0.f), 1.f);
          for (int64_t p = 0; p < Ho * Wo; ++p) d[p * c.cmid + ch] *= g;
        }
      }
      const bool shortcut = c.stride == 1 && c.cin == c.cout;
      ppms::conv1x1(b.project, d.data(), c.cmid, Ho * Wo, want.data(), c.cout, ppms::Activation::none,
                    shortcut ? x.data() : nullptr, c.cin);
      INFO(c.cin << "-" << c.cmid << "-" << c.cout << " k" << c.k << " s" << c.stride << (c.se ? " with SE " : " ")
               << ppms::check::name(c.act) << " " << H << "x" << W);
      // SE's depthwise output: allocated by the block, in the caller's buffer, or in y itself (cout == cmid)
      enum Mid { own, given, in_y };
      const char* const mids[] = {"the block's own buffer", "the caller's buffer", "y"};
      for (const Mid where : {own, given, in_y})
      for (const bool threaded : {false, true}) {
        if (where != own && !c.se) continue;
        INFO("SE's depthwise output in " << mids[where] << ", " << ppms::check::threading(threaded));
        std::vector<float> y(Ho * Wo * c.cout, NAN), room(where == given ? Ho * Wo * c.cmid : 0, NAN);
        float* mid = where == given ? room.data() : where == in_y ? y.data() : nullptr;
        const auto st =
            ppms::inverted_residual(b, x.data(), H, W, y.data(), threaded ? pool.parallel() : ppms::Parallel{}, mid);
        if (where == in_y && c.cout != c.cmid) {  // y has no room for the depthwise output
          CHECK_FALSE(st.ok());
          continue;
        }
        CHECK_MESSAGE(st.ok(), st.message());
        CHECK(ppms::check::max_error(y, want) <= 1e-5 * ppms::check::max_abs(want, 1e-6));
      }
      // Every bf16 config this CPU runs (expanded rows in bf16 where the expansion is bf16): within bf16's roundings
      // (2^-9 relative, of inputs, weights and expanded rows) of the f32 block, and within 1e-3 of the scalar bf16
      // config (an f32 sum's last bit can move a value across a bf16 rounding boundary).
      std::vector<float> ep(ppms::pw::bf16_packed_floats(c.cmid, c.cin)), pp(ppms::pw::bf16_packed_floats(c.cout, c.cmid));
      b.bf16.expand = ppms::pw::pack_bf16(b.expand, ep.data()), b.bf16.project = ppms::pw::pack_bf16(b.project, pp.data());
      std::vector<float> scalar;
      for (const auto& name : ppms::kernel_configs(ppms::DataType::bf16)) {
        const ppms::KernelConfig* config = nullptr;
        if (!ppms::kernel_config(name.c_str(), ppms::DataType::bf16, &config).ok()) continue;  // not on this CPU
        b.kernels = config;
        for (const bool threaded : {false, true}) {
          INFO("bf16 config " << name << ", " << ppms::check::threading(threaded));
          std::vector<float> y(Ho * Wo * c.cout, NAN);
          const auto st = ppms::inverted_residual(b, x.data(), H, W, y.data(), threaded ? pool.parallel() : ppms::Parallel{});
          CHECK_MESSAGE(st.ok(), st.message());
          CHECK(ppms::check::max_error(y, want) <= 2e-2 * ppms::check::max_abs(want, 1e-6));
          if (scalar.empty()) scalar = y;
          CHECK(ppms::check::max_error(y, scalar) <= 1e-3 * ppms::check::max_abs(scalar, 1e-6));
        }
      }
    }
}

// On every bf16 config (where the CPU runs it), an SE block whose projection runs on the bf16 kernel (cout >= min_cout),
// its gate applied to the projection's inputs (TileT::x_scale): the same outputs whether SE's depthwise output is in
// the block's own buffer, the caller's or y (projected row by row in place), and within bf16's roundings (2^-9
// relative, inputs and weights) of the f32 block.
TEST_CASE("inverted_residual: bf16 SE blocks give the same outputs wherever the depthwise output goes") {
  std::mt19937 rng(11);
  ppms::ThreadPool pool(3);
  const int64_t C = 32, cse = 8, H = 13, W = 9, k = 3;
  const auto x = ppms::synthetic::normal(H * W * C, 1.f, rng);
  const auto ew = ppms::synthetic::normal(C * C, 0.3f, rng), eb = ppms::synthetic::normal(C, 0.3f, rng);
  const auto dw = ppms::synthetic::normal(C * k * k, 0.3f, rng), db = ppms::synthetic::normal(C, 0.3f, rng);
  const auto pw = ppms::synthetic::normal(C * C, 0.2f, rng), pb = ppms::synthetic::normal(C, 0.3f, rng);
  const auto s1w = ppms::synthetic::normal(cse * C, 0.3f, rng), s1b = ppms::synthetic::normal(cse, 0.3f, rng),
             s2w = ppms::synthetic::normal(C * cse, 0.3f, rng), s2b = ppms::synthetic::normal(C, 0.3f, rng);
  ppms::PackedConv1x1 expand, project;
  expand.pack(ew.data(), eb.data(), C, C);
  project.pack(pw.data(), pb.data(), C, C);
  std::vector<float> dwp(C * (k * k + 1)), ep(ppms::pw::bf16_packed_floats(C, C)), pp(ep.size());
  ppms::depthwise_pack(dw.data(), db.data(), C, k, dwp.data());
  ppms::InvertedResidual b;
  b.cin = b.cmid = b.cout = C, b.k = k, b.stride = 1, b.cse = cse;
  b.expand_act = b.depthwise_act = ppms::Activation::hardswish;
  b.expand = expand.weights(), b.project = project.weights();
  b.depthwise = ppms::depthwise_weights(dwp.data(), C, k);
  b.se1_w = s1w.data(), b.se1_b = s1b.data(), b.se2_w = s2w.data(), b.se2_b = s2b.data();
  std::vector<float> want(H * W * C);
  REQUIRE(ppms::inverted_residual(b, x.data(), H, W, want.data()).ok());
  b.bf16.expand = ppms::pw::pack_bf16(b.expand, ep.data()), b.bf16.project = ppms::pw::pack_bf16(b.project, pp.data());
  for (const auto& name : ppms::kernel_configs(ppms::DataType::bf16)) {
    const ppms::KernelConfig* config = nullptr;
    if (!ppms::kernel_config(name.c_str(), ppms::DataType::bf16, &config).ok()) continue;  // not on this CPU
    REQUIRE(C >= config->bf16.min_cout);
    b.kernels = config;
    for (const bool threaded : {false, true}) {
      INFO(name << " " << ppms::check::threading(threaded));
      const ppms::Parallel par = threaded ? pool.parallel() : ppms::Parallel{};
      std::vector<float> own(H * W * C, NAN), given(H * W * C, NAN), in_y(H * W * C, NAN), room(H * W * C);
      REQUIRE(ppms::inverted_residual(b, x.data(), H, W, own.data(), par).ok());
      REQUIRE(ppms::inverted_residual(b, x.data(), H, W, given.data(), par, room.data()).ok());
      REQUIRE(ppms::inverted_residual(b, x.data(), H, W, in_y.data(), par, in_y.data()).ok());
      CHECK(own == given);
      CHECK(own == in_y);
      const double err = ppms::check::max_error(own, want) / ppms::check::max_abs(want, 1e-6);
      CHECK(err <= 1e-2);
      CHECK(err > 1e-6);  // bf16 ran: f32 would agree to float rounding
    }
  }
}

TEST_CASE("inverted_residual: an empty block is refused") {
  ppms::InvertedResidual bad;
  std::vector<float> x(64), y(64);
  CHECK_FALSE(ppms::inverted_residual(bad, x.data(), 4, 4, y.data()).ok());
}

// Blocks with bf16 maps at their ends (inverted_residual_bf16, what the network uses between stage 1's blocks): the
// input in bf16, the output in bf16 (from the bf16 kernel, or from the f32 one and rounded: then the f32 block's
// output rounded, bit for bit), SE's depthwise output in the output's room; on every bf16 config, within bf16's
// roundings of the f32 block given the same (bf16-rounded) input, and the blocks it must refuse.
TEST_CASE("inverted_residual: bf16 maps in and out") {
  std::mt19937 rng(31);
  ppms::ThreadPool pool(2);
  struct Cfg {
    int64_t cin, cmid, cout, k, stride;
    bool se, x16, y16, mid_in_y;
  };
  const Cfg cfgs[] = {{16, 16, 16, 3, 1, true, false, true, true},  {32, 32, 32, 3, 1, true, false, true, true},
                      {16, 64, 32, 3, 2, false, true, true, false}, {32, 48, 24, 3, 1, false, true, true, false},
                      {24, 96, 32, 5, 2, true, true, true, false},  {24, 96, 32, 5, 2, true, true, false, false},
                      {32, 64, 16, 3, 1, false, true, true, false}};
  for (const auto& c : cfgs)
    for (const auto& hw : {std::pair<int64_t, int64_t>{16, 16}, {11, 7}, {37, 9}, {3, 5}, {1, 6}}) {
      const int64_t H = hw.first, W = hw.second, Ho = (H - 1) / c.stride + 1, Wo = (W - 1) / c.stride + 1;
      const int64_t cse = c.cmid / 4;
      auto x = ppms::synthetic::normal(H * W * c.cin, 1.f, rng);
      for (float& v : x) v = ppms::bf16_round(v);  // the same input values both ways
      const auto ew = ppms::synthetic::normal(c.cmid * c.cin, 0.3f, rng), eb = ppms::synthetic::normal(c.cmid, 0.3f, rng);
      const auto dw = ppms::synthetic::normal(c.cmid * c.k * c.k, 0.3f, rng), db = ppms::synthetic::normal(c.cmid, 0.3f, rng);
      const auto pw = ppms::synthetic::normal(c.cout * c.cmid, 0.2f, rng), pb = ppms::synthetic::normal(c.cout, 0.3f, rng);
      const auto s1w = ppms::synthetic::normal(cse * c.cmid, 0.3f, rng), s1b = ppms::synthetic::normal(cse, 0.3f, rng),
                 s2w = ppms::synthetic::normal(c.cmid * cse, 0.3f, rng), s2b = ppms::synthetic::normal(c.cmid, 0.3f, rng);
      ppms::PackedConv1x1 expand, project;
      expand.pack(ew.data(), eb.data(), c.cmid, c.cin);
      project.pack(pw.data(), pb.data(), c.cout, c.cmid);
      std::vector<float> dwp(c.cmid * (c.k * c.k + 1)), ep(ppms::pw::bf16_packed_floats(c.cmid, c.cin)),
          pp(ppms::pw::bf16_packed_floats(c.cout, c.cmid));
      ppms::depthwise_pack(dw.data(), db.data(), c.cmid, c.k, dwp.data());
      ppms::InvertedResidual b;
      b.cin = c.cin, b.cmid = c.cmid, b.cout = c.cout, b.k = c.k, b.stride = c.stride;
      b.expand_act = b.depthwise_act = ppms::Activation::hardswish;
      b.expand = expand.weights(), b.project = project.weights();
      b.depthwise = ppms::depthwise_weights(dwp.data(), c.cmid, c.k);
      if (c.se) b.cse = cse, b.se1_w = s1w.data(), b.se1_b = s1b.data(), b.se2_w = s2w.data(), b.se2_b = s2b.data();
      std::vector<float> want(Ho * Wo * c.cout);
      REQUIRE(ppms::inverted_residual(b, x.data(), H, W, want.data()).ok());
      b.bf16.expand = ppms::pw::pack_bf16(b.expand, ep.data()), b.bf16.project = ppms::pw::pack_bf16(b.project, pp.data());
      std::vector<ppms::bf16> x16(x.size());
      for (size_t i = 0; i < x.size(); ++i) x16[i] = ppms::to_bf16(x[i]);
      for (const auto& name : ppms::kernel_configs(ppms::DataType::bf16)) {
        const ppms::KernelConfig* config = nullptr;
        if (!ppms::kernel_config(name.c_str(), ppms::DataType::bf16, &config).ok()) continue;  // not on this CPU
        b.kernels = config;
        for (const bool threaded : {false, true}) {
          INFO(c.cin << "-" << c.cmid << "-" << c.cout << " k" << c.k << " s" << c.stride << (c.se ? " SE" : "")
                     << (c.x16 ? " x16" : "") << (c.y16 ? " y16" : "") << (c.mid_in_y ? " mid in y" : "") << " " << H
                     << "x" << W << " " << name << " " << ppms::check::threading(threaded));
          // the output's room in floats, as the network's (y16 in its first half), and canaries past it
          const int64_t used = Ho * Wo * std::max(c.cout, c.cmid);
          std::vector<float> room(used + 16, NAN);
          ppms::Bf16Maps m;
          if (c.x16) m.x = x16.data();
          if (c.y16) m.y = reinterpret_cast<ppms::bf16*>(room.data());
          const auto st = ppms::inverted_residual_bf16(b, c.x16 ? nullptr : x.data(), H, W, room.data(), m,
                                                       threaded ? pool.parallel() : ppms::Parallel{},
                                                       c.mid_in_y ? room.data() : nullptr);
          REQUIRE_MESSAGE(st.ok(), st.message());
          int64_t past = 0;
          for (int64_t i = used; i < used + 16; ++i) past += !std::isnan(room[i]);
          if (c.y16)  // nor anything in the room past the bf16 rows but where SE's depthwise output lay
            for (int64_t i = (Ho * Wo * c.cout + 1) / 2; i < used && !c.mid_in_y; ++i) past += !std::isnan(room[i]);
          CHECK_MESSAGE(past == 0, past << " floats written past the output");
          std::vector<float> y(Ho * Wo * c.cout);
          for (int64_t i = 0; i < Ho * Wo * c.cout; ++i) y[i] = c.y16 ? float(m.y[i]) : room[i];
          const double err = ppms::check::max_error(y, want) / ppms::check::max_abs(want, 1e-6);
          CHECK(err <= 2e-2);
          CHECK(err > 1e-6);  // bf16 ran
          if (c.y16 && c.cmid < config->bf16.min_cout && c.cout < config->bf16.min_cout && !threaded) {
            // all f32 on this config: its f32 block's output, rounded
            std::vector<float> f32(Ho * Wo * c.cout);
            REQUIRE(ppms::inverted_residual(b, x.data(), H, W, f32.data()).ok());
            int64_t wrong = 0;
            for (int64_t i = 0; i < Ho * Wo * c.cout; ++i) wrong += m.y[i].bits != ppms::to_bf16(f32[i]).bits;
            CHECK_MESSAGE(wrong == 0, wrong << " bf16 outputs are not the f32 block's rounded");
          }
        }
      }
    }
  // what a bf16 map needs: refused, not run
  ppms::InvertedResidual b;
  b.cin = b.cmid = b.cout = 32, b.k = 3, b.stride = 1;  // a shortcut
  std::vector<float> w(32 * 32, 0.f), bias(32, 0.f), pairs(ppms::pw::bf16_packed_floats(32, 32)), dwp(32 * 10, 0.f),
      x(4 * 4 * 32), y(4 * 4 * 32 * 2);
  ppms::PackedConv1x1 f32;
  f32.pack(w.data(), bias.data(), 32, 32);
  b.expand = b.project = f32.weights(), b.depthwise = ppms::depthwise_weights(dwp.data(), 32, 3);
  b.bf16.expand = b.bf16.project = ppms::pw::pack_bf16(b.expand, pairs.data());
  const ppms::KernelConfig* config = nullptr;
  REQUIRE(ppms::kernel_config("scalar", ppms::DataType::bf16, &config).ok());
  b.kernels = config;
  std::vector<ppms::bf16> x16(x.size());
  ppms::Bf16Maps shortcut;
  shortcut.x = x16.data();
  CHECK(ppms::inverted_residual_bf16(b, nullptr, 4, 4, y.data(), shortcut).code() == ppms::Code::invalid_argument);
  // an odd cout: its bf16 rows would be rounded in pairs across row ends
  std::vector<float> w15(32 * 15, 0.f), b15(15, 0.f);
  ppms::PackedConv1x1 p15;
  p15.pack(w15.data(), b15.data(), 15, 32);
  ppms::InvertedResidual odd = b;
  odd.cout = 15, odd.project = p15.weights();
  ppms::Bf16Maps out16;
  out16.y = reinterpret_cast<ppms::bf16*>(y.data());
  const auto refused = ppms::inverted_residual_bf16(odd, x.data(), 4, 4, y.data(), out16);
  CHECK(refused.code() == ppms::Code::invalid_argument);
  CHECK_MESSAGE(refused.message().find("even cout") != std::string::npos, refused.message());
}
