// Torch-free tests of aam_head, tiny and base layouts, odd sizes: the same logits serially and on a thread pool,
// all finite, of the announced size; and its argument checks. Run under ASan too, for the resizes' indexing.
// (tests/ops/test_aam_head.py holds the values to the model's PyTorch AAM and head.)
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "ppms/aam.h"
#include "synthetic.h"

int main() {
  std::mt19937 rng(17);
  int failures = 0, cases = 0;
  ppms::ThreadPool pool(3);
  const int64_t C = 32, classes = 7;
  for (const bool base : {false, true})
    for (const auto& hw : {std::pair<int64_t, int64_t>{8, 8}, {13, 9}, {2, 3}}) {
      const int64_t h8 = hw.first, w8 = hw.second, h16 = (h8 + 1) / 2, w16 = (w8 + 1) / 2, h32 = (h16 + 1) / 2,
                    w32 = (w16 + 1) / 2, c8 = 12, c16 = 20, c32 = 28;
      const auto x8 = ppms::synthetic::normal(h8 * w8 * c8, 1.f, rng), x16 = ppms::synthetic::normal(h16 * w16 * c16, 1.f, rng),
                 x32 = ppms::synthetic::normal(h32 * w32 * c32, 1.f, rng);
      std::vector<ppms::PackedConv1x1> packs(7);
      auto conv = [&](int i, int64_t cin, int64_t cout) {
        const auto w = ppms::synthetic::normal(cout * cin, 0.3f, rng), b = ppms::synthetic::normal(cout, 0.3f, rng);
        packs[i].pack(w.data(), b.data(), cout, cin);
        return packs[i].weights();
      };
      ppms::AamHead m;
      m.x8_output = base;
      if (base) {
        m.e[0] = conv(0, c8, C), m.e[1] = conv(1, c32, C), m.a[0] = conv(2, c16, C), m.a[1] = conv(3, c32, C);
      } else {
        m.e[0] = conv(0, c8, C), m.e[1] = conv(1, c16, C), m.e[2] = conv(2, c32, C);
        m.a[0] = conv(3, c8, C), m.a[1] = conv(4, c16, C), m.a[2] = conv(5, c32, C);
      }
      m.classifier = conv(6, C, classes);
      int64_t H, W;
      ppms::aam_head_size(m, h8, w8, &H, &W);
      if (H < 1 || W < 1) continue;
      std::vector<float> serial(H * W * classes, NAN), threaded(H * W * classes, NAN);
      const ppms::Feature f8{x8.data(), h8, w8, c8}, f16{x16.data(), h16, w16, c16}, f32{x32.data(), h32, w32, c32};
      const auto s1 = ppms::aam_head(m, f8, f16, f32, serial.data());
      const auto s2 = ppms::aam_head(m, f8, f16, f32, threaded.data(), pool.parallel());
      bool ok = s1.ok() && s2.ok() && H == (base ? h8 : h8 / 2);
      for (size_t i = 0; ok && i < serial.size(); ++i) ok = std::isfinite(serial[i]) && serial[i] == threaded[i];
      ++cases;
      if (!ok) {
        std::printf("FAIL aam_head %s %ldx%ld: %s %s\n", base ? "base" : "tiny", (long)h8, (long)w8,
                    s1.message().c_str(), s2.message().c_str());
        ++failures;
      }
      const ppms::Feature wrong{x16.data(), h16, w16, c16 + 1};
      ++cases;
      if (ppms::aam_head(m, f8, wrong, f32, serial.data()).ok()) {
        std::printf("FAIL aam_head accepted a feature with the wrong channel count\n");
        ++failures;
      }
    }
  std::printf("aam_head: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
