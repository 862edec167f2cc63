// Torch-free tests of image_conv (the stem): NCHW in, NHWC out, against a double-precision direct convolution, on
// random sizes (odd, smaller than the kernel), k 1/3/5, stride 1/2, every activation, serial and on a thread pool.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "ppms/image_conv.h"
#include "synthetic.h"

TEST_CASE("image_conv: every kernel against a double-precision direct convolution on random shapes") {
  std::mt19937 rng(9);
  ppms::ThreadPool pool(3);
  const ppms::Activation acts[] = {ppms::Activation::none, ppms::Activation::relu, ppms::Activation::relu6,
                                   ppms::Activation::hardswish};
  // Cases 60-119 have the stem's shape (3 channels, 3x3, stride 2, at most 16 outputs), which the direct kernels take.
  for (int t = 0; t < 120; ++t) {
    const bool stem = t >= 60;
    const int64_t side = t % 60 < 20 ? 3 : stem && t % 3 == 0 ? 70 : 23;  // 1-3 pixels wide: every tap in the padding
    const int64_t cin = stem ? 3 : 1 + rng() % 4, cout = 1 + rng() % (stem ? 16 : 40), H = 1 + rng() % side,
                  W = 1 + rng() % side;
    const int64_t k = stem ? 3 : 1 + 2 * (t % 3), s = stem ? 2 : 1 + t % 2, Ho = (H - 1) / s + 1, Wo = (W - 1) / s + 1,
                  pad = k / 2;
    const ppms::Activation a = acts[t % 4];
    const auto x = ppms::synthetic::normal(cin * H * W, 1.f, rng);
    const auto w = ppms::synthetic::normal(cout * cin * k * k, 0.3f, rng), b = ppms::synthetic::normal(cout, 1.f, rng);
    ppms::PackedConv1x1 packed;
    packed.pack(w.data(), b.data(), cout, cin * k * k);
    std::vector<double> want(Ho * Wo * cout);
    for (int64_t ho = 0; ho < Ho; ++ho)
      for (int64_t wo = 0; wo < Wo; ++wo)
        for (int64_t o = 0; o < cout; ++o) {
          double v = b[o];
          for (int64_t c = 0; c < cin; ++c)
            for (int64_t ky = 0; ky < k; ++ky)
              for (int64_t kx = 0; kx < k; ++kx) {
                const int64_t iy = ho * s - pad + ky, ix = wo * s - pad + kx;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                  v += static_cast<double>(x[(c * H + iy) * W + ix]) * w[((o * cin + c) * k + ky) * k + kx];
              }
          want[(ho * Wo + wo) * cout + o] = ppms::synthetic::activate(v, a);
        }
    INFO("cin=" << cin << " cout=" << cout << " " << H << "x" << W << " k=" << k << " s=" << s << " "
                << ppms::check::name(a));
    for (const std::string& kernel : ppms::image_conv_kernels())
    for (const bool threaded : {false, true}) {
      if (kernel != "columns" && !stem) continue;
      INFO(kernel << " " << ppms::check::threading(threaded));
      std::vector<float> y(Ho * Wo * cout, NAN);
      const auto st = ppms::image_conv(packed.weights(), x.data(), cin, H, W, k, s, y.data(), a,
                                       threaded ? pool.parallel() : ppms::Parallel{}, kernel.c_str());
      CHECK_MESSAGE(st.ok(), st.message());
      CHECK(ppms::check::max_error(y, want) <= 1e-4);
    }
  }
}

TEST_CASE("image_conv: bad arguments are refused") {
  ppms::PackedConv1x1 packed;
  const std::vector<float> w(16 * 27, 0.1f);
  packed.pack(w.data(), nullptr, 16, 27);
  std::vector<float> x(3 * 8 * 8), y(16 * 64);
  const auto pw = packed.weights();
  const auto none = ppms::Activation::none;
  CHECK_FALSE(ppms::image_conv(pw, x.data(), 2, 8, 8, 3, 2, y.data(), none).ok());  // cin
  CHECK_FALSE(ppms::image_conv(pw, x.data(), 3, 8, 8, 3, 3, y.data(), none).ok());  // stride
  CHECK_FALSE(ppms::image_conv(pw, x.data(), 3, 0, 8, 3, 2, y.data(), none).ok());
  // a kernel that does not take the shape, or does not exist
  CHECK_FALSE(ppms::image_conv(pw, x.data(), 3, 8, 8, 3, 1, y.data(), none, {}, "stem_avx512").ok());
  CHECK_FALSE(ppms::image_conv(pw, x.data(), 3, 8, 8, 3, 2, y.data(), none, {}, "nope").ok());
}
