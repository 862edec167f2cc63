// Torch-free tests of image_conv (the stem): NCHW in, NHWC out, against a double-precision direct convolution, on
// random sizes (odd, smaller than the kernel), k 1/3/5, stride 1/2, every activation, serial and on a thread pool;
// the f16 stem of every f16 config.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "core/config/config.h"
#include "ppms/image_conv.h"
#include "ppms/kernels.h"
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

// f16: each config's half stem (the scalar reference too) against a double-precision convolution of the half values it
// reads (the image rounded to half, the half taps and bias). Tolerance as conv1x1's f16 tests: 2^-11 |want| + 2^-11
// * 2 sqrt(n + 1) * the sum of the terms' magnitudes, n the k steps one sum in half takes (HalfConfig::half_steps).
TEST_CASE("image_conv: every f16 config's stem against a double-precision reference of the half values") {
  using ppms::half;
  std::mt19937 rng(21);
  ppms::ThreadPool pool(3);
  const ppms::Activation acts[] = {ppms::Activation::none, ppms::Activation::relu, ppms::Activation::relu6,
                                   ppms::Activation::hardswish};
  auto rounded = [](float v) { return static_cast<double>(ppms::half_to_float(ppms::half_from_float(v))); };
  for (int t = 0; t < 60; ++t) {
    const int64_t side = t < 20 ? 3 : t % 3 == 0 ? 70 : 23, cout = t % 2 ? 16 : 1 + rng() % 16;
    const int64_t H = 1 + rng() % side, W = 1 + rng() % side, Ho = (H - 1) / 2 + 1, Wo = (W - 1) / 2 + 1;
    const ppms::Activation a = acts[t % 4];
    const auto x = ppms::synthetic::normal(3 * H * W, 1.f, rng);
    const auto w = ppms::synthetic::normal(cout * 27, 0.3f, rng), b = ppms::synthetic::normal(cout, 1.f, rng);
    std::vector<half> packed(ppms::conv1x1_packed_floats(cout, 27));
    REQUIRE(ppms::pw::pack_f16(w.data(), b.data(), cout, 27, packed.data()).ok());
    const ppms::Conv1x1WeightsT<half> hw{27, cout, packed.data(), packed.data() + 27 * ppms::kConv1x1Panel};
    std::vector<double> want(Ho * Wo * cout), mag(Ho * Wo * cout);
    for (int64_t ho = 0; ho < Ho; ++ho)
      for (int64_t wo = 0; wo < Wo; ++wo)
        for (int64_t o = 0; o < cout; ++o) {
          double v = rounded(b[o]), m = std::fabs(v);
          for (int64_t c = 0; c < 3; ++c)
            for (int64_t ky = 0; ky < 3; ++ky)
              for (int64_t kx = 0; kx < 3; ++kx) {
                const int64_t iy = 2 * ho - 1 + ky, ix = 2 * wo - 1 + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                const double term = rounded(x[(c * H + iy) * W + ix]) * rounded(w[(o * 3 + c) * 9 + ky * 3 + kx]);
                v += term, m += std::fabs(term);
              }
          want[(ho * Wo + wo) * cout + o] = ppms::synthetic::activate(v, a);
          mag[(ho * Wo + wo) * cout + o] = m;
        }
    for (const std::string& name : ppms::kernel_configs(ppms::DataType::f16))
      for (const bool threaded : {false, true}) {
        const ppms::KernelConfig* k = nullptr;
        REQUIRE(ppms::kernel_config(name.c_str(), ppms::DataType::f16, &k).ok());
        if (k->f16.stem.stem == nullptr) continue;  // the f32 stem's, tested above
        INFO(name << " cout=" << cout << " " << H << "x" << W << " " << ppms::check::name(a) << " "
                  << ppms::check::threading(threaded));
        std::vector<half> y(Ho * Wo * cout, 0x7e00);  // NaN: an output never written fails
        const auto st = ppms::image_conv_detail::run_f16(k->f16.stem.stem, hw, x.data(), H, W, y.data(), a,
                                                         threaded ? pool.parallel() : ppms::Parallel{});
        REQUIRE_MESSAGE(st.ok(), st.message());
        const double n = static_cast<double>(k->f16.stem.half_steps);
        int64_t bad = 0;
        for (size_t i = 0; i < want.size(); ++i) {
          const double tol = std::ldexp(1.0, -11) * (std::fabs(want[i]) + 2 * std::sqrt(n + 1) * mag[i]);
          bad += !(std::fabs(ppms::half_to_float(y[i]) - want[i]) <= tol);
        }
        CHECK(bad == 0);
      }
  }
  // the f16 stem takes the stem's shape only
  std::vector<half> packed(ppms::conv1x1_packed_floats(17, 27));
  const std::vector<float> x(3 * 8 * 8);
  std::vector<half> y(17 * 16);
  const ppms::Conv1x1WeightsT<half> wide{27, 17, packed.data(), packed.data() + 2 * 27 * ppms::kConv1x1Panel};
  CHECK_FALSE(ppms::image_conv_detail::run_f16(ppms::image_conv_detail::stem_rows_f16, wide, x.data(), 8, 8, y.data(),
                                               ppms::Activation::none, {}).ok());
}
