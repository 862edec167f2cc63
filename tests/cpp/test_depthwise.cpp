// Torch-free tests of depthwise: every kernel this CPU runs against a double-precision reference, on random shapes
// (channel counts past the vector width, images narrower than the kernel, k 1/3/5/7, stride 1 and 2, every
// activation), whole images on a thread pool and single rows with padding rows; and the argument checks.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "ppms/depthwise.h"
#include "synthetic.h"

int main() {
  std::mt19937 rng(5);
  int failures = 0, cases = 0;
  ppms::ThreadPool pool(3);
  const ppms::Activation acts[] = {ppms::Activation::none, ppms::Activation::relu, ppms::Activation::relu6,
                                   ppms::Activation::hardswish};
  const int64_t ks[] = {3, 5, 3, 5, 7, 1};
  for (int t = 0; t < 240; ++t) {
    const int64_t C = 1 + rng() % 70, H = 1 + rng() % 20, W = 1 + rng() % 40, k = ks[t % 6], s = 1 + (t / 6) % 2;
    const ppms::Activation a = acts[(t / 12) % 4];
    const auto x = ppms::synthetic::normal(H * W * C, 1.f, rng);
    const auto w = ppms::synthetic::normal(C * k * k, 0.3f, rng), b = ppms::synthetic::normal(C, 1.f, rng);
    const int64_t Ho = (H - 1) / s + 1, Wo = (W - 1) / s + 1, pad = k / 2;
    std::vector<double> want(Ho * Wo * C);
    for (int64_t ho = 0; ho < Ho; ++ho)
      for (int64_t wo = 0; wo < Wo; ++wo)
        for (int64_t c = 0; c < C; ++c) {
          double v = b[c];
          for (int64_t ky = 0; ky < k; ++ky)
            for (int64_t kx = 0; kx < k; ++kx) {
              const int64_t iy = ho * s - pad + ky, ix = wo * s - pad + kx;
              if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                v += static_cast<double>(x[(iy * W + ix) * C + c]) * w[(c * k + ky) * k + kx];
            }
          want[(ho * Wo + wo) * C + c] = ppms::synthetic::activate(v, a);
        }
    std::vector<float> packed(C * (k * k + 1));
    if (!ppms::depthwise_pack(w.data(), b.data(), C, k, packed.data()).ok()) return 1;
    const auto pw = ppms::depthwise_weights(packed.data(), C, k);
    // rows with k / 2 columns of zeros either side (depthwise_row's padded)
    std::vector<float> xp(H * (W + 2 * pad) * C, 0.f), yp(Ho * Wo * C);
    for (int64_t i = 0; i < H; ++i) std::copy(&x[i * W * C], &x[(i + 1) * W * C], &xp[(i * (W + 2 * pad) + pad) * C]);
    for (const auto& name : ppms::depthwise_kernels()) {
      std::fill(yp.begin(), yp.end(), NAN);
      for (int64_t ho = 0; ho < Ho; ++ho) {
        const float* rows[ppms::kDepthwiseMaxK];
        for (int64_t ky = 0; ky < k; ++ky) {
          const int64_t iy = ho * s - pad + ky;
          rows[ky] = iy >= 0 && iy < H ? &xp[(iy * (W + 2 * pad) + pad) * C] : nullptr;
        }
        ppms::depthwise_row(pw, rows, W, s, &yp[ho * Wo * C], a, true, name.c_str());
      }
      double err = 0;
      for (size_t i = 0; i < yp.size(); ++i) {
        const double d = std::fabs(yp[i] - want[i]);
        err = std::max(err, d != d ? INFINITY : d);
      }
      ++cases;
      if (!(err <= 1e-4))
        std::printf("FAIL depthwise_row %s padded C=%ld %ldx%ld k=%ld s=%ld: error %.3g\n", name.c_str(), (long)C,
                    (long)H, (long)W, (long)k, (long)s, err), ++failures;
    }
    for (const auto& name : ppms::depthwise_kernels())
      for (const bool threaded : {false, true}) {
        std::vector<float> y(Ho * Wo * C, NAN);
        const auto st = ppms::depthwise(pw, x.data(), H, W, s, y.data(), a,
                                        threaded ? pool.parallel() : ppms::Parallel{}, name.c_str());
        double err = 0;
        for (size_t i = 0; i < y.size(); ++i) {
          const double d = std::fabs(y[i] - want[i]);
          err = std::max(err, d != d ? INFINITY : d);
        }
        ++cases;
        if (!st.ok() || !(err <= 1e-4)) {
          std::printf("FAIL depthwise %s (%s) C=%ld %ldx%ld k=%ld s=%ld act=%d: error %.3g %s\n", name.c_str(),
                      threaded ? "3 threads" : "serial", (long)C, (long)H, (long)W, (long)k, (long)s, (int)a, err,
                      st.message().c_str());
          ++failures;
        }
      }
  }
  // depthwise_row with a padding row in the middle: equal to an image whose row there is zero.
  const int64_t C = 19, W = 11;
  const auto rowa = ppms::synthetic::normal(W * C, 1.f, rng), rowc = ppms::synthetic::normal(W * C, 1.f, rng);
  const auto w = ppms::synthetic::normal(C * 9, 0.3f, rng);
  std::vector<float> packed(C * 10);
  ppms::depthwise_pack(w.data(), nullptr, C, 3, packed.data());
  const auto pw = ppms::depthwise_weights(packed.data(), C, 3);
  std::vector<float> image(3 * W * C, 0.f), full(3 * W * C), row(W * C);
  std::copy(rowa.begin(), rowa.end(), image.begin());
  std::copy(rowc.begin(), rowc.end(), image.begin() + 2 * W * C);
  ppms::depthwise(pw, image.data(), 3, W, 1, full.data(), ppms::Activation::none);
  const float* rows[3] = {rowa.data(), nullptr, rowc.data()};
  for (const auto& name : ppms::depthwise_kernels()) {
    ppms::depthwise_row(pw, rows, W, 1, row.data(), ppms::Activation::none, false, name.c_str());
    double err = 0;
    for (int64_t i = 0; i < W * C; ++i) err = std::max(err, static_cast<double>(std::fabs(row[i] - full[W * C + i])));
    ++cases;
    if (!(err <= 1e-5)) {
      std::printf("FAIL depthwise_row %s with a padding row: error %.3g\n", name.c_str(), err);
      ++failures;
    }
  }
  const bool refused[] = {
      !ppms::depthwise(pw, image.data(), 3, W, 3, full.data(), ppms::Activation::none).ok(),  // stride 3
      !ppms::depthwise(ppms::depthwise_weights(packed.data(), C, 4), image.data(), 3, W, 1, full.data(),
                       ppms::Activation::none).ok(),  // even k
      !ppms::depthwise(pw, image.data(), 0, W, 1, full.data(), ppms::Activation::none).ok(),
      ppms::depthwise(pw, image.data(), 3, W, 1, full.data(), ppms::Activation::none, {}, "no-such").code() ==
          ppms::Code::unsupported,
  };
  for (bool r : refused) {
    ++cases;
    if (!r) {
      std::printf("FAIL a bad depthwise argument was accepted\n");
      ++failures;
    }
  }
  std::printf("depthwise: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
