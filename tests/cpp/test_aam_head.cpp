// Torch-free tests of aam_head, tiny and base layouts, odd sizes: the same logits serially and on a thread pool,
// all finite, of the announced size; and its argument checks. Run under ASan too, for the resizes' indexing.
// (tests/ops/test_aam_head.py holds the values to the model's PyTorch AAM and head.)
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "check.h"
#include "ppms/aam.h"
#include "synthetic.h"

namespace {

const int64_t C = 32, classes = 7, c8 = 12, c16 = 20, c32 = 28;

// A head of random weights, tiny's or base's layout, and its three input features for an h8 x w8 x8 feature.
struct Case {
  int64_t h8, w8, h16, w16, h32, w32;
  std::vector<float> x8, x16, x32;
  std::vector<ppms::PackedConv1x1> packs = std::vector<ppms::PackedConv1x1>(7);
  ppms::AamHead m;

  Case(bool base, int64_t h, int64_t w, std::mt19937& rng)
      : h8(h), w8(w), h16((h8 + 1) / 2), w16((w8 + 1) / 2), h32((h16 + 1) / 2), w32((w16 + 1) / 2),
        x8(ppms::synthetic::normal(h8 * w8 * c8, 1.f, rng)), x16(ppms::synthetic::normal(h16 * w16 * c16, 1.f, rng)),
        x32(ppms::synthetic::normal(h32 * w32 * c32, 1.f, rng)) {
    auto conv = [&](int i, int64_t cin, int64_t cout) {
      const auto w = ppms::synthetic::normal(cout * cin, 0.3f, rng), b = ppms::synthetic::normal(cout, 0.3f, rng);
      packs[i].pack(w.data(), b.data(), cout, cin);
      return packs[i].weights();
    };
    m.x8_output = base;
    if (base) {
      m.e[0] = conv(0, c8, C), m.e[1] = conv(1, c32, C), m.a[0] = conv(2, c16, C), m.a[1] = conv(3, c32, C);
    } else {
      m.e[0] = conv(0, c8, C), m.e[1] = conv(1, c16, C), m.e[2] = conv(2, c32, C);
      m.a[0] = conv(3, c8, C), m.a[1] = conv(4, c16, C), m.a[2] = conv(5, c32, C);
    }
    m.classifier = conv(6, C, classes);
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
