// Torch-free tests of conv1x1: every kernel this CPU runs against a double-precision reference of the same formula,
// on random shapes (partial row blocks and column panels), row strides wider than the channels, every activation,
// a residual (also in place: y aliasing it), on a thread pool; and the argument checks.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "ppms/conv1x1.h"
#include "synthetic.h"

int main() {
  std::mt19937 rng(11);
  int failures = 0, cases = 0;
  ppms::ThreadPool pool(3);
  const ppms::Activation acts[] = {ppms::Activation::none, ppms::Activation::relu, ppms::Activation::relu6,
                                   ppms::Activation::hardswish};
  for (int t = 0; t < 300; ++t) {
    const int64_t P = rng() % 60, cin = 1 + rng() % 70, cout = 1 + rng() % 50;
    // every fifth case with overlapping input rows (ldx < cin), as image_conv's sliding windows
    const int64_t ldx = t % 5 == 4 ? 1 + rng() % cin : cin + rng() % 3, ldy = cout + rng() % 3;
    const ppms::Activation a = acts[t % 4];
    const int mode = t % 3;  // 0: no residual, 1: residual, 2: residual in place
    const auto x = ppms::synthetic::normal(std::max<int64_t>(P * ldx + cin, 1), 1.f, rng);
    const auto w = ppms::synthetic::normal(cout * cin, 0.3f, rng), b = ppms::synthetic::normal(cout, 1.f, rng);
    const auto res = ppms::synthetic::normal(std::max<int64_t>(P * ldy, 1), 1.f, rng);
    std::vector<double> want(P * cout);
    for (int64_t p = 0; p < P; ++p)
      for (int64_t o = 0; o < cout; ++o) {
        double s = b[o];
        for (int64_t k = 0; k < cin; ++k) s += static_cast<double>(x[p * ldx + k]) * w[o * cin + k];
        if (mode) s += res[p * ldy + o];
        want[p * cout + o] = ppms::synthetic::activate(s, a);
      }
    ppms::PackedConv1x1 packed;
    if (!packed.pack(w.data(), b.data(), cout, cin).ok()) return 1;
    for (const auto& name : ppms::conv1x1_kernels())
      for (const bool threaded : {false, true}) {
        std::vector<float> y = mode == 2 ? res : std::vector<float>(std::max<int64_t>(P * ldy, 1), NAN);
        const float* r = mode == 1 ? res.data() : mode == 2 ? y.data() : nullptr;
        const auto s = ppms::conv1x1(packed.weights(), x.data(), ldx, P, y.data(), ldy, a, r, ldy,
                                     threaded ? pool.parallel() : ppms::Parallel{}, name.c_str());
        double err = 0;
        for (int64_t p = 0; p < P; ++p)
          for (int64_t o = 0; o < cout; ++o) {
            const double d = std::fabs(y[p * ldy + o] - want[p * cout + o]);
            err = std::max(err, d != d ? INFINITY : d);
          }
        ++cases;
        if (!s.ok() || !(err <= 1e-4 * std::sqrt(static_cast<double>(cin)))) {
          std::printf("FAIL conv1x1 %s (%s) P=%ld cin=%ld cout=%ld act=%d mode=%d: error %.3g %s\n", name.c_str(),
                      threaded ? "3 threads" : "serial", (long)P, (long)cin, (long)cout, (int)a, mode, err,
                      s.message().c_str());
          ++failures;
        }
      }
  }
  // conv1x1_scale_inputs: the packing of w with its input channels scaled, exactly
  for (int t = 0; t < 20; ++t) {
    const int64_t cin = 1 + rng() % 70, cout = 1 + rng() % 50;
    const auto w = ppms::synthetic::normal(cout * cin, 0.3f, rng), b = ppms::synthetic::normal(cout, 1.f, rng);
    const auto scale = ppms::synthetic::normal(cin, 1.f, rng);
    std::vector<float> scaled(w);
    for (int64_t o = 0; o < cout; ++o)
      for (int64_t k = 0; k < cin; ++k) scaled[o * cin + k] *= scale[k];
    ppms::PackedConv1x1 plain, want;
    plain.pack(w.data(), b.data(), cout, cin);
    want.pack(scaled.data(), b.data(), cout, cin);
    std::vector<float> got(ppms::conv1x1_packed_floats(cout, cin), NAN);
    ppms::conv1x1_scale_inputs(plain.weights(), scale.data(), got.data());
    ++cases;
    if (got != want.data) std::printf("FAIL conv1x1_scale_inputs %ldx%ld\n", (long)cout, (long)cin), ++failures;
    // in two input-channel ranges, as threads share it
    std::vector<float> split(got.size(), NAN);
    const int64_t mid = static_cast<int64_t>(rng() % (cin + 1));
    ppms::conv1x1_scale_inputs(plain.weights(), scale.data(), split.data(), mid, cin);
    ppms::conv1x1_scale_inputs(plain.weights(), scale.data(), split.data(), 0, mid);
    ++cases;
    if (split != want.data)
      std::printf("FAIL conv1x1_scale_inputs in ranges [0, %ld), [%ld, %ld)\n", (long)mid, (long)mid, (long)cin),
          ++failures;
  }
  ppms::PackedConv1x1 packed, empty;
  const std::vector<float> w(12, 1.f);
  std::vector<float> x(40), y(40);
  packed.pack(w.data(), nullptr, 3, 4);
  const auto pw = packed.weights();
  const bool refused[] = {
      !empty.pack(w.data(), nullptr, 0, 4).ok(),
      !ppms::conv1x1(empty.weights(), x.data(), 4, 2, y.data(), 3, ppms::Activation::none).ok(),
      !ppms::conv1x1(pw, x.data(), 0, 2, y.data(), 3, ppms::Activation::none).ok(),
      !ppms::conv1x1(pw, x.data(), 4, 2, y.data(), 2, ppms::Activation::none).ok(),  // ldy < cout
      !ppms::conv1x1(pw, x.data(), 4, -1, y.data(), 3, ppms::Activation::none).ok(),
      ppms::conv1x1(pw, x.data(), 4, 2, y.data(), 3, ppms::Activation::none, nullptr, 0, {}, "no-such").code() ==
          ppms::Code::unsupported,
  };
  for (bool r : refused) {
    ++cases;
    if (!r) {
      std::printf("FAIL a bad conv1x1 argument was accepted\n");
      ++failures;
    }
  }
  std::printf("conv1x1: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
