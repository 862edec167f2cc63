// Torch-free tests of aam_head, tiny and base layouts, odd sizes: the same logits serially and on a thread pool,
// all finite, of the announced size; and its argument checks. Run under ASan too, for the resizes' indexing.
// (tests/ops/test_aam_head.py holds the values to the model's PyTorch AAM and head.)
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "check.h"
#include "core/aam/kernels.h"
#include "core/config/config.h"
#include "core/conv1x1/kernels.h"
#include "ppms/aam.h"
#include "synthetic.h"

namespace {

const int64_t C = 32, classes = 7, c8 = 12, c16 = 20, c32 = 28;

// A head of random weights, tiny's or base's layout, and its three input features for an h8 x w8 x8 feature.
struct Case {
  int64_t h8, w8, h16, w16, h32, w32;
  std::vector<float> x8, x16, x32;
  std::vector<ppms::PackedConv1x1> packs = std::vector<ppms::PackedConv1x1>(7);
  std::vector<std::vector<ppms::half>> halves = std::vector<std::vector<ppms::half>>(7);
  ppms::AamHead m;

  Case(bool base, int64_t h, int64_t w, std::mt19937& rng)
      : h8(h), w8(w), h16((h8 + 1) / 2), w16((w8 + 1) / 2), h32((h16 + 1) / 2), w32((w16 + 1) / 2),
        x8(ppms::synthetic::normal(h8 * w8 * c8, 1.f, rng)), x16(ppms::synthetic::normal(h16 * w16 * c16, 1.f, rng)),
        x32(ppms::synthetic::normal(h32 * w32 * c32, 1.f, rng)) {
    auto conv = [&](int i, int64_t cin, int64_t cout) {
      const auto w = ppms::synthetic::normal(cout * cin, 0.3f, rng), b = ppms::synthetic::normal(cout, 0.3f, rng);
      packs[i].pack(w.data(), b.data(), cout, cin);
      halves[i].resize(ppms::conv1x1_packed_floats(cout, cin));
      REQUIRE(ppms::pw::pack_f16(w.data(), b.data(), cout, cin, halves[i].data()).ok());
      const int64_t panels = halves[i].size() - (cout + ppms::kConv1x1Panel - 1) / ppms::kConv1x1Panel * ppms::kConv1x1Panel;
      return std::make_pair(packs[i].weights(),
                            ppms::Conv1x1WeightsT<ppms::half>{cin, cout, halves[i].data(), halves[i].data() + panels});
    };
    m.x8_output = base;
    auto set = [&](ppms::Conv1x1Weights& f, ppms::Conv1x1WeightsT<ppms::half>& h, int i, int64_t cin, int64_t cout) {
      const auto both = conv(i, cin, cout);
      f = both.first, h = both.second;
    };
    if (base) {
      set(m.e[0], m.f16.e[0], 0, c8, C), set(m.e[1], m.f16.e[1], 1, c32, C);
      set(m.a[0], m.f16.a[0], 2, c16, C), set(m.a[1], m.f16.a[1], 3, c32, C);
    } else {
      set(m.e[0], m.f16.e[0], 0, c8, C), set(m.e[1], m.f16.e[1], 1, c16, C), set(m.e[2], m.f16.e[2], 2, c32, C);
      set(m.a[0], m.f16.a[0], 3, c8, C), set(m.a[1], m.f16.a[1], 4, c16, C), set(m.a[2], m.f16.a[2], 5, c32, C);
    }
    set(m.classifier, m.f16.classifier, 6, C, classes);
  }
  ppms::Feature f8() const { return {x8.data(), h8, w8, c8}; }
  ppms::Feature f16() const { return {x16.data(), h16, w16, c16}; }
  ppms::Feature f32() const { return {x32.data(), h32, w32, c32}; }
};

const std::pair<int64_t, int64_t> sizes[] = {{8, 8}, {13, 9}, {2, 3}};

}  // namespace

TEST_CASE("aam_head: tiny and base give the same finite logits serially and on 3 threads") {
  std::mt19937 rng(17);
  ppms::ThreadPool pool(3);
  for (const bool base : {false, true})
    for (const auto& hw : sizes) {
      const Case c(base, hw.first, hw.second, rng);
      INFO((base ? "base " : "tiny ") << c.h8 << "x" << c.w8);
      int64_t H, W;
      ppms::aam_head_size(c.m, c.h8, c.w8, &H, &W);
      if (H < 1 || W < 1) continue;
      CHECK(H == (base ? c.h8 : c.h8 / 2));
      std::vector<float> serial(H * W * classes, NAN), threaded(H * W * classes, NAN);
      const auto s1 = ppms::aam_head(c.m, c.f8(), c.f16(), c.f32(), serial.data());
      const auto s2 = ppms::aam_head(c.m, c.f8(), c.f16(), c.f32(), threaded.data(), pool.parallel());
      CHECK_MESSAGE(s1.ok(), s1.message());
      CHECK_MESSAGE(s2.ok(), s2.message());
      CHECK(std::all_of(serial.begin(), serial.end(), [](float v) { return std::isfinite(v); }));
      CHECK(serial == threaded);
    }
}

// f16 configs against the f32 scalar one, relative to the largest logit: every convolution's input, weights and
// output in half (2^-11 relative each), and the NEON configs' sums of up to 32 steps (this head's K) in half.
// Measured under qemu (A76): at most 9.0e-4 on the scalar f16 config (float sums), 1.7e-3 on the NEON ones.
TEST_CASE("aam_head: every f16 config within tolerance of the f32 reference, serially and on 3 threads") {
  std::mt19937 rng(23);
  ppms::ThreadPool pool(3);
  const ppms::KernelConfig *reference = nullptr, *half = nullptr;
  REQUIRE(ppms::kernel_config("scalar", ppms::DataType::f32, &reference).ok());
  for (const bool base : {false, true})
    for (const auto& hw : sizes) {
      Case c(base, hw.first, hw.second, rng);
      int64_t H, W;
      ppms::aam_head_size(c.m, c.h8, c.w8, &H, &W);
      if (H < 1 || W < 1) continue;
      std::vector<float> want(H * W * classes, NAN);
      c.m.kernels = reference;
      REQUIRE(ppms::aam_head(c.m, c.f8(), c.f16(), c.f32(), want.data()).ok());
      for (const auto& name : ppms::kernel_configs(ppms::DataType::f16)) {
        INFO((base ? "base " : "tiny ") << c.h8 << "x" << c.w8 << " " << name);
        REQUIRE(ppms::kernel_config(name.c_str(), ppms::DataType::f16, &half).ok());
        c.m.kernels = half;
        std::vector<float> serial(want.size(), NAN), threaded(want.size(), NAN);
        const auto s1 = ppms::aam_head(c.m, c.f8(), c.f16(), c.f32(), serial.data());
        const auto s2 = ppms::aam_head(c.m, c.f8(), c.f16(), c.f32(), threaded.data(), pool.parallel());
        CHECK_MESSAGE(s1.ok(), s1.message());
        CHECK_MESSAGE(s2.ok(), s2.message());
        const double err = ppms::check::max_error(serial, want) / ppms::check::max_abs(want, 1.0);
        CHECK(err <= (name == "scalar" ? 2e-3 : 5e-3));
        CHECK(serial == threaded);
      }
      c.m.f16 = {};  // an f16 config without the half weights is refused
      std::vector<float> y(want.size());
      CHECK(ppms::aam_head(c.m, c.f8(), c.f16(), c.f32(), y.data()).code() == ppms::Code::invalid_argument);
    }
}

TEST_CASE("aam_head: a feature with the wrong channel count is refused") {
  std::mt19937 rng(17);
  for (const bool base : {false, true})
    for (const auto& hw : sizes) {
      const Case c(base, hw.first, hw.second, rng);
      INFO((base ? "base " : "tiny ") << c.h8 << "x" << c.w8);
      int64_t H, W;
      ppms::aam_head_size(c.m, c.h8, c.w8, &H, &W);
      if (H < 1 || W < 1) continue;
      std::vector<float> y(H * W * classes);
      CHECK_FALSE(ppms::aam_head(c.m, c.f8(), {c.x16.data(), c.h16, c.w16, c16 + 1}, c.f32(), y.data()).ok());
    }
}

// The fused row kernels of every f32 config against the scalar config's, tiny and base: channel counts around the
// vector widths (4 and 16), inputs past the sigmoid's clamps (|x| up to 100), and a NaN in a gate, which must stay
// NaN. The tolerance: a few float roundings of values of order 1 (FMAs, and the AVX-512 sigmoid's reciprocal, about
// 1 ulp).
TEST_CASE("aam fuse: every config's row kernels against the scalar ones") {
  std::mt19937 rng(5);
  const ppms::aam::Config& want = ppms::config::all(ppms::DataType::f32).front().aam;
  for (const ppms::KernelConfig& k : ppms::config::all(ppms::DataType::f32)) {
    if (!ppms::cpu::supports(k.isa)) continue;
    for (const bool tiny : {true, false})
      for (const int64_t C : {1, 3, 4, 15, 16, 17, 40}) {
        INFO(k.name << (tiny ? " tiny" : " base") << " C " << C);
        const int64_t W = 11, w32 = 3, w16 = 6;
        const ppms::LinearAxis xs(w32, W), x16s(w16, W);
        auto gates = [&](int64_t n) {
          auto v = ppms::synthetic::normal(n, 4.f, rng);
          for (int64_t i = 0; i < n; i += 7) v[i] *= 25.f;  // past exp's clamps at +-88
          return v;
        };
        const auto ve = ppms::synthetic::normal(w32 * C, 1.f, rng), va = ppms::synthetic::normal(w32 * C, 1.f, rng);
        auto v16 = gates(w16 * C), a0 = gates(W * C), a1 = gates(W * C);
        const auto e0 = ppms::synthetic::normal(W * C, 1.f, rng), e1 = ppms::synthetic::normal(W * C, 1.f, rng);
        (tiny ? a0 : v16)[C / 2] = NAN;  // pixel 0, or the pixels that blend x16's column 0
        std::vector<float> got(W * C, -1.f), ref(W * C, -1.f);
        const auto fn = tiny ? k.aam.tiny : k.aam.base, ref_fn = tiny ? want.tiny : want.base;
        ref_fn(ve.data(), va.data(), v16.data(), xs, x16s, C, W, a0.data(), a1.data(), e0.data(), e1.data(), ref.data());
        fn(ve.data(), va.data(), v16.data(), xs, x16s, C, W, a0.data(), a1.data(), e0.data(), e1.data(), got.data());
        int64_t nans = 0;
        for (int64_t i = 0; i < W * C; ++i) {
          if (std::isnan(ref[i])) {
            CHECK(std::isnan(got[i]));
            ++nans;
            continue;
          }
          CHECK(std::fabs(got[i] - ref[i]) <= 1e-5 * (1.0 + std::fabs(ref[i])));
        }
        CHECK(nans > 0);
      }
  }
}
