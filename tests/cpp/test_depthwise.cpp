// Torch-free tests of depthwise: every kernel this CPU runs against a double-precision reference, on random shapes
// (channel counts past the vector width, images narrower than the kernel, k 1/3/5/7, stride 1 and 2, every
// activation), whole images on a thread pool and single rows with padding rows; the f16 kernels against a
// double-precision reference of their half inputs, the kernels over bf16 rows against one of their bf16 inputs; and
// the argument checks.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "core/cpu.h"
#include "core/depthwise/kernels.h"
#include "ppms/depthwise.h"
#include "synthetic.h"

TEST_CASE("depthwise: every kernel against a double-precision reference on random shapes") {
  std::mt19937 rng(5);
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
    REQUIRE(ppms::depthwise_pack(w.data(), b.data(), C, k, packed.data()).ok());
    const auto pw = ppms::depthwise_weights(packed.data(), C, k);
    INFO("C=" << C << " " << H << "x" << W << " k=" << k << " s=" << s << " " << ppms::check::name(a));
    // rows with k / 2 columns of zeros either side (depthwise_row's padded)
    std::vector<float> xp(H * (W + 2 * pad) * C, 0.f), yp(Ho * Wo * C);
    for (int64_t i = 0; i < H; ++i) std::copy(&x[i * W * C], &x[(i + 1) * W * C], &xp[(i * (W + 2 * pad) + pad) * C]);
    for (const auto& name : ppms::depthwise_kernels()) {
      INFO("depthwise_row, padded, " << name);
      std::fill(yp.begin(), yp.end(), NAN);
      for (int64_t ho = 0; ho < Ho; ++ho) {
        const float* rows[ppms::kDepthwiseMaxK];
        for (int64_t ky = 0; ky < k; ++ky) {
          const int64_t iy = ho * s - pad + ky;
          rows[ky] = iy >= 0 && iy < H ? &xp[(iy * (W + 2 * pad) + pad) * C] : nullptr;
        }
        ppms::depthwise_row(pw, rows, W, s, &yp[ho * Wo * C], a, true, name.c_str());
      }
      CHECK(ppms::check::max_error(yp, want) <= 1e-4);
    }
    for (const auto& name : ppms::depthwise_kernels())
      for (const bool threaded : {false, true}) {
        INFO("depthwise, " << name << " " << ppms::check::threading(threaded));
        std::vector<float> y(Ho * Wo * C, NAN);
        const auto st = ppms::depthwise(pw, x.data(), H, W, s, y.data(), a,
                                        threaded ? pool.parallel() : ppms::Parallel{}, name.c_str());
        CHECK_MESSAGE(st.ok(), st.message());
        CHECK(ppms::check::max_error(y, want) <= 1e-4);
      }
  }
}

TEST_CASE("depthwise: depthwise_row with a padding row in the middle equals a zero row there") {
  std::mt19937 rng(5);
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
  const std::vector<float> middle(full.begin() + W * C, full.begin() + 2 * W * C);
  const float* rows[3] = {rowa.data(), nullptr, rowc.data()};
  for (const auto& name : ppms::depthwise_kernels()) {
    INFO(name);
    ppms::depthwise_row(pw, rows, W, 1, row.data(), ppms::Activation::none, false, name.c_str());
    CHECK(ppms::check::max_error(row, middle) <= 1e-5);
  }
}

// f16: inputs, taps and bias in half; the reference sums their half values in double. Tolerance: the output's
// rounding to half (half an ulp: 2^-11 relative, 2^-25 among subnormals), plus for a kernel that accumulates in half
// (NEON: the bias, then k * k sequential FMAs) 2^-11 * (k * k + 1) * the sum of the terms' magnitudes: every
// rounding at its worst, which leaves room for hardswish's slope (at most 1.5) and its half arithmetic. The scalar
// kernel rounds once: the output's rounding only.
TEST_CASE("depthwise: every f16 kernel against a double-precision reference of the half inputs") {
  using ppms::half;
  std::mt19937 rng(23);
  const ppms::Activation acts[] = {ppms::Activation::none, ppms::Activation::relu, ppms::Activation::relu6,
                                   ppms::Activation::hardswish};
  auto to_half = [](const std::vector<float>& v) {
    std::vector<half> h(v.size());
    for (size_t i = 0; i < v.size(); ++i) h[i] = ppms::half_from_float(v[i]);
    return h;
  };
  auto value = [](half h) { return static_cast<double>(ppms::half_to_float(h)); };
  const half nan = 0x7e00;  // an output never written fails
  const auto kernels = ppms::dw::f16_kernels();
  CHECK(std::string(kernels[0].name) == "scalar");
  const int64_t H = 4;  // output rows whose top or bottom kernel rows are padding (null), and with k 3 inner ones
  for (const int64_t k : {3, 5})
    for (const int64_t s : {1, 2})
      for (const int64_t C : {1, 7, 8, 13, 24, 72, 120})
        for (const int64_t W : {1, 2, 3, 17, 64})
          for (const bool padded : {false, true})
            for (const ppms::Activation a : acts) {
              const int64_t Ho = (H - 1) / s + 1, Wo = (W - 1) / s + 1, pad = k / 2, Wp = W + 2 * pad;
              const auto taps = to_half(ppms::synthetic::normal(k * k * C, 0.3f, rng));
              const auto bias = to_half(ppms::synthetic::normal(C, 1.f, rng));
              const auto x = to_half(ppms::synthetic::normal(H * W * C, 1.f, rng));
              std::vector<half> xp(H * Wp * C, 0);  // padded: k / 2 zero columns either side
              for (int64_t i = 0; i < H; ++i) std::copy_n(&x[i * W * C], W * C, &xp[(i * Wp + pad) * C]);
              const ppms::DepthwiseWeightsT<half> w{C, k, taps.data(), bias.data()};
              std::vector<double> want(Ho * Wo * C), round(Ho * Wo * C), accumulate(Ho * Wo * C);
              for (int64_t ho = 0; ho < Ho; ++ho)
                for (int64_t wo = 0; wo < Wo; ++wo)
                  for (int64_t c = 0; c < C; ++c) {
                    double v = value(bias[c]), mag = std::fabs(v);
                    for (int64_t ky = 0; ky < k; ++ky)
                      for (int64_t kx = 0; kx < k; ++kx) {
                        const int64_t iy = ho * s - pad + ky, ix = wo * s - pad + kx;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                        const double term = value(x[(iy * W + ix) * C + c]) * value(taps[(ky * k + kx) * C + c]);
                        v += term, mag += std::fabs(term);
                      }
                    const int64_t o = (ho * Wo + wo) * C + c;
                    want[o] = ppms::synthetic::activate(v, a);
                    round[o] = std::max(std::ldexp(std::fabs(want[o]), -11), std::ldexp(1.0, -25));
                    accumulate[o] = std::ldexp(1.0, -11) * (k * k + 1) * mag;
                  }
              for (const auto& kernel : kernels) {
                const bool scalar = std::string(kernel.name) == "scalar";
                INFO(kernel.name << " k=" << k << " s=" << s << " C=" << C << " W=" << W
                                 << (padded ? " padded " : " ") << ppms::check::name(a));
                std::vector<half> y(Ho * Wo * C + 8, nan);  // 8 past the end: a store past the row fails
                for (int64_t ho = 0; ho < Ho; ++ho) {
                  const half* rows[ppms::kDepthwiseMaxK];
                  for (int64_t ky = 0; ky < k; ++ky) {
                    const int64_t iy = ho * s - pad + ky;
                    rows[ky] = iy < 0 || iy >= H ? nullptr : padded ? &xp[(iy * Wp + pad) * C] : &x[iy * W * C];
                  }
                  kernel.row({&w, rows, W, Wo, s, &y[ho * Wo * C], a, padded});
                }
                int64_t bad = 0;
                for (int64_t o = 0; o < Ho * Wo * C; ++o)
                  bad += !(std::fabs(value(y[o]) - want[o]) <= round[o] + (scalar ? 0 : accumulate[o]));
                for (int64_t o = Ho * Wo * C; o < Ho * Wo * C + 8; ++o) bad += y[o] != nan;
                CHECK(bad == 0);
              }
            }
}

// bf16 input rows (the bf16 configs' expanded rows), float weights and outputs: the reference sums the bf16 inputs times
// the float taps in double. Tolerance: the float sums' error, 2^-24 a step over k * k + 1 steps, of the terms'
// magnitudes (the inputs' rounding is the reference's too).
TEST_CASE("depthwise: every bf16-rows kernel against a double-precision reference of the bf16 inputs") {
  std::mt19937 rng(29);
  const ppms::Activation acts[] = {ppms::Activation::none, ppms::Activation::relu, ppms::Activation::relu6,
                                   ppms::Activation::hardswish};
  std::vector<std::pair<const char*, ppms::dw::Bf16RowsFn>> kernels = {{"scalar", ppms::dw::kernel_bf16_rows_scalar}};
#if defined(__x86_64__) || defined(_M_X64)
  if (ppms::cpu::supports(ppms::cpu::Isa::avx512f)) kernels.push_back({"avx512", ppms::dw::kernel_bf16_rows_avx512});
#endif
  const int64_t H = 4;  // output rows whose top or bottom kernel rows are padding (null), and with k 3 inner ones
  for (const int64_t k : {3, 5, 7})
    for (const int64_t s : {1, 2})
      for (const int64_t C : {1, 7, 16, 24, 37, 96})
        for (const int64_t W : {1, 2, 3, 17, 40})
          for (const bool padded : {false, true}) {
            const ppms::Activation a = acts[rng() % 4];
            const int64_t Ho = (H - 1) / s + 1, Wo = (W - 1) / s + 1, pad = k / 2, Wp = W + 2 * pad;
            const auto taps = ppms::synthetic::normal(k * k * C, 0.3f, rng), bias = ppms::synthetic::normal(C, 1.f, rng);
            const auto xf = ppms::synthetic::normal(H * W * C, 1.f, rng);
            std::vector<ppms::bf16> x(H * W * C), xp(H * Wp * C, ppms::bf16{0});  // padded: zero columns either side
            for (int64_t i = 0; i < H * W * C; ++i) x[i] = ppms::to_bf16(xf[i]);
            for (int64_t i = 0; i < H; ++i) std::copy_n(&x[i * W * C], W * C, &xp[(i * Wp + pad) * C]);
            const ppms::DepthwiseWeights w{C, k, taps.data(), bias.data()};
            std::vector<double> want(Ho * Wo * C), tol(Ho * Wo * C);
            for (int64_t ho = 0; ho < Ho; ++ho)
              for (int64_t wo = 0; wo < Wo; ++wo)
                for (int64_t c = 0; c < C; ++c) {
                  double v = bias[c], mag = std::fabs(v);
                  for (int64_t ky = 0; ky < k; ++ky)
                    for (int64_t kx = 0; kx < k; ++kx) {
                      const int64_t iy = ho * s - pad + ky, ix = wo * s - pad + kx;
                      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                      const double term = static_cast<double>(float(x[(iy * W + ix) * C + c])) * taps[(ky * k + kx) * C + c];
                      v += term, mag += std::fabs(term);
                    }
                  const int64_t o = (ho * Wo + wo) * C + c;
                  want[o] = ppms::synthetic::activate(v, a);
                  tol[o] = std::ldexp(1.0, -24) * (k * k + 1) * mag + 1e-7;
                }
            for (const auto& kernel : kernels) {
              INFO(kernel.first << " k=" << k << " s=" << s << " C=" << C << " W=" << W << (padded ? " padded " : " ")
                                << ppms::check::name(a));
              std::vector<float> y(Ho * Wo * C + 8, NAN);  // 8 past the end: a store past the row fails
              for (int64_t ho = 0; ho < Ho; ++ho) {
                const ppms::bf16* rows[ppms::kDepthwiseMaxK];
                for (int64_t ky = 0; ky < k; ++ky) {
                  const int64_t iy = ho * s - pad + ky;
                  rows[ky] = iy < 0 || iy >= H ? nullptr : padded ? &xp[(iy * Wp + pad) * C] : &x[iy * W * C];
                }
                kernel.second({&w, rows, W, Wo, s, &y[ho * Wo * C], a, padded});
              }
              int64_t bad = 0;
              for (int64_t o = 0; o < Ho * Wo * C; ++o) bad += !(std::fabs(y[o] - want[o]) <= tol[o]);
              for (int64_t o = Ho * Wo * C; o < Ho * Wo * C + 8; ++o) bad += !std::isnan(y[o]);
              CHECK(bad == 0);
            }
          }
}

TEST_CASE("depthwise: bad arguments are refused") {
  const int64_t C = 19, W = 11;
  const std::vector<float> w(C * 9, 0.3f);
  std::vector<float> packed(C * 10), image(3 * W * C), y(3 * W * C);
  ppms::depthwise_pack(w.data(), nullptr, C, 3, packed.data());
  const auto pw = ppms::depthwise_weights(packed.data(), C, 3);
  const auto none = ppms::Activation::none;
  CHECK_FALSE(ppms::depthwise(pw, image.data(), 3, W, 3, y.data(), none).ok());  // stride 3
  const auto even_k = ppms::depthwise_weights(packed.data(), C, 4);
  CHECK_FALSE(ppms::depthwise(even_k, image.data(), 3, W, 1, y.data(), none).ok());
  CHECK_FALSE(ppms::depthwise(pw, image.data(), 0, W, 1, y.data(), none).ok());
  CHECK(ppms::depthwise(pw, image.data(), 3, W, 1, y.data(), none, {}, "no-such").code() == ppms::Code::unsupported);
}
