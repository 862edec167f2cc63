// Labels a synthetic 3-class image with upsample_argmax on a 2-thread pool and checks them: class 1 rises left to
// right and class 2 top to bottom over a flat class 0, so every label is known in closed form away from the ties.
#include <cstdio>
#include <vector>

#include <ppms/ppms.h>

int main() {
  const int64_t B = 2, C = 3, h = 16, w = 24, H = 64, W = 96;
  std::vector<float> logits(B * C * h * w);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j) {
        logits[((b * C + 0) * h + i) * w + j] = 0.5f;
        logits[((b * C + 1) * h + i) * w + j] = static_cast<float>(j) / (w - 1) - 0.3f * b;
        logits[((b * C + 2) * h + i) * w + j] = static_cast<float>(i) / (h - 1) - 0.3f;
      }
  std::vector<int32_t> labels(B * H * W, -1);
  ppms::ThreadPool pool(2);
  const ppms::Status s = ppms::upsample_argmax(logits.data(), B, C, h, w, H, W, ppms::VimMode::exact,
                                               ppms::LabelType::i32, labels.data(), pool.parallel());
  if (!s.ok()) {
    std::printf("upsample_argmax failed: %s\n", s.message().c_str());
    return 1;
  }
  int wrong = 0, counted = 0;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t Y = 0; Y < H; ++Y)
      for (int64_t X = 0; X < W; ++X) {
        // The bilinear interpolation of a linear ramp is the ramp at the source coordinate (clamped at the border).
        auto src = [](int64_t o, int64_t in, int64_t out) {
          const double v = (o + 0.5) * in / out - 0.5;
          return v < 0 ? 0.0 : v > in - 1 ? in - 1.0 : v;
        };
        const double v1 = src(X, w, W) / (w - 1) - 0.3 * b, v2 = src(Y, h, H) / (h - 1) - 0.3;
        const double best = v1 > v2 ? v1 : v2;
        if (best > 0.5 - 1e-3 && best < 0.5 + 1e-3) continue;  // near a tie with class 0
        if (v1 > v2 - 1e-3 && v1 < v2 + 1e-3) continue;        // near a tie of 1 and 2
        const int want = best < 0.5 ? 0 : v1 > v2 ? 1 : 2;
        ++counted;
        wrong += labels[(b * H + Y) * W + X] != want;
      }
  const ppms::Status bad = ppms::upsample_argmax(logits.data(), B, C, h, w, 0, W, ppms::VimMode::exact,
                                                 ppms::LabelType::i32, labels.data());
  std::printf("consumer: %s\nconsumer: %d of %d labels wrong; a 0-row output %s (\"%s\")\n", ppms::build_info().c_str(),
              wrong, counted, bad.ok() ? "was accepted" : "is refused", bad.message().c_str());
  return wrong == 0 && counted > B * H * W / 2 && bad.code() == ppms::Code::invalid_argument ? 0 : 1;
}
