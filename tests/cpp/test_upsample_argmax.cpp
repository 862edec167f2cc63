// Torch-free tests of upsample_argmax: every kernel this CPU runs must give the scalar kernel's labels bit for bit,
// the scalar kernel must give the labels of a brute-force upsample + argmax over all allowed classes computed with
// the same arithmetic (so candidate pruning never changes an answer), the public API on a thread pool must give the
// serial labels, and bad arguments must come back as a Status.
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "core/upsample_argmax/kernel_impl.h"
#include "ppms/upsample_argmax.h"
#include "synthetic.h"

using namespace ppms::vim;

namespace {

struct Kernel {
  std::string name;
  RowsFn fn;
};

std::vector<Kernel> kernels() {
  std::vector<Kernel> k;
  for (const auto& name : ppms::upsample_argmax_kernels()) k.push_back({name, kernel(name.c_str())});
  return k;
}

std::vector<int64_t> run(RowsFn fn, const std::vector<float>& x, int64_t B, int64_t C, int64_t h, int64_t w, int64_t H,
                         int64_t W, const std::vector<int32_t>& classes, int64_t split) {
  const Axis ys(h, H), xs(w, W);
  std::vector<int64_t> out(B * H * W, -1);
  const Args a{x.data(), B, C, h, w, classes.data(), static_cast<int64_t>(classes.size()), &ys, &xs, out.data(),
               ppms::LabelType::i64};
  std::vector<float> fs(scratch_floats(a));
  std::vector<int32_t> is(scratch_ints(a));
  // Work items in two uneven chunks, as a parallel caller would split them.
  const int64_t items = B * h, mid = std::min(items, split);
  fn(a, 0, mid, fs.data(), is.data());
  fn(a, mid, items, fs.data(), is.data());
  return out;
}

std::vector<int64_t> brute(const std::vector<float>& x, int64_t B, int64_t C, int64_t h, int64_t w, int64_t H,
                           int64_t W, const std::vector<int32_t>& classes) {
  const Axis ys(h, H), xs(w, W);
  std::vector<int64_t> out(B * H * W);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t Y = 0; Y < H; ++Y)
      for (int64_t X = 0; X < W; ++X) {
        float best = 0;
        int32_t arg = -1;
        for (int32_t c : classes) {
          const float* p = x.data() + ((b * C + c) * h) * w;
          const float v = (p[ys.i0[Y] * w + xs.i0[X]] * xs.l0[X] + p[ys.i0[Y] * w + xs.i1[X]] * xs.l1[X]) * ys.l0[Y] +
                          (p[ys.i1[Y] * w + xs.i0[X]] * xs.l0[X] + p[ys.i1[Y] * w + xs.i1[X]] * xs.l1[X]) * ys.l1[Y];
          if (arg < 0 || detail::beats(v, best)) {
            best = v;
            arg = c;
          }
        }
        out[(b * H + Y) * W + X] = arg;
      }
  return out;
}

}  // namespace

TEST_CASE("upsample_argmax: every kernel gives the scalar kernel's labels, and the scalar kernel brute force's") {
  std::mt19937 rng(12345);
  std::normal_distribution<float> n(0.f, 1.f);
  const auto ks = kernels();
  for (int t = 0; t < 400; ++t) {
    const int64_t B = 1 + rng() % 3, C = 1 + rng() % 40, h = 1 + rng() % 14, w = 1 + rng() % (t % 4 ? 14 : 40);
    const int64_t H = 1 + rng() % 60, W = 1 + rng() % 60;
    std::vector<float> x(B * C * h * w);
    if (t % 2) {
      ppms::synthetic::smooth_logits(x, B, C, h, w, rng);
    } else {
      for (auto& v : x) v = n(rng);
    }
    if (t % 7 == 3) x[rng() % x.size()] = std::numeric_limits<float>::quiet_NaN();
    if (t % 11 == 5) x[rng() % x.size()] = std::numeric_limits<float>::infinity();
    if (t % 13 == 6) x[rng() % x.size()] = -std::numeric_limits<float>::infinity();
    std::vector<uint8_t> present(C);
    present_classes(x.data(), B, C, h * w, present.data());
    std::vector<int32_t> all, paper;
    for (int32_t c = 0; c < C; ++c) {
      all.push_back(c);
      if (present[c]) paper.push_back(c);
    }
    for (const auto* classes : {&all, &paper}) {
      INFO("B=" << B << " C=" << C << " h=" << h << " w=" << w << " H=" << H << " W=" << W
                << " K=" << classes->size());
      const auto ref = run(kernel("scalar"), x, B, C, h, w, H, W, *classes, 1 + rng() % (B * h));
      CHECK_MESSAGE(ref == brute(x, B, C, h, w, H, W, *classes), "scalar against brute force");
      for (const auto& k : ks) {
        INFO(k.name << " against scalar");
        CHECK(run(k.fn, x, B, C, h, w, H, W, *classes, 1 + rng() % (B * h)) == ref);
      }
    }
  }
}

TEST_CASE("upsample_argmax: the public API, serial and on 3 threads, gives the scalar kernel's labels") {
  std::mt19937 rng(12345);
  ppms::ThreadPool pool(3);
  for (int t = 0; t < 50; ++t) {
    const int64_t B = 1 + rng() % 3, C = 1 + rng() % 30, h = 1 + rng() % 20, w = 1 + rng() % 20;
    const int64_t H = 1 + rng() % 90, W = 1 + rng() % 90;
    std::vector<float> x(B * C * h * w);
    ppms::synthetic::smooth_logits(x, B, C, h, w, rng);
    std::vector<int32_t> all;
    for (int32_t c = 0; c < C; ++c) all.push_back(c);
    const auto ref = run(kernel("scalar"), x, B, C, h, w, H, W, all, B * h);
    for (const bool threaded : {false, true}) {
      INFO("B=" << B << " C=" << C << " h=" << h << " w=" << w << " H=" << H << " W=" << W << " "
                << ppms::check::threading(threaded));
      std::vector<int64_t> out(B * H * W, -1);
      const auto s = ppms::upsample_argmax(x.data(), B, C, h, w, H, W, ppms::VimMode::exact, ppms::LabelType::i64,
                                           out.data(), threaded ? pool.parallel() : ppms::Parallel{});
      CHECK_MESSAGE(s.ok(), s.message());
      CHECK(out == ref);
    }
  }
}

TEST_CASE("upsample_argmax: bad arguments are refused with their code") {
  std::vector<float> x(2 * 3 * 4 * 5, 0.f);
  std::vector<int64_t> out(2 * 8 * 8);
  const struct {
    int64_t C, H;
    ppms::LabelType lt;
    const char* kernel;
    ppms::Code code;
  } bad[] = {{0, 8, ppms::LabelType::i64, nullptr, ppms::Code::invalid_argument},
             {3, 0, ppms::LabelType::i64, nullptr, ppms::Code::invalid_argument},
             {3, ppms::kUpsampleArgmaxMaxSide + 1, ppms::LabelType::i64, nullptr, ppms::Code::invalid_argument},
             {300, 8, ppms::LabelType::u8, nullptr, ppms::Code::invalid_argument},
             {3, 8, ppms::LabelType::i64, "no-such-kernel", ppms::Code::unsupported}};
  for (const auto& b : bad) {
    INFO("C=" << b.C << " H=" << b.H << (b.lt == ppms::LabelType::u8 ? " u8" : " i64") << " kernel "
              << (b.kernel ? b.kernel : "(any)"));
    const auto s = ppms::upsample_argmax(x.data(), 2, b.C, 4, 5, b.H, 8, ppms::VimMode::exact, b.lt, out.data(), {},
                                         b.kernel);
    CHECK(s.code() == b.code);
    CHECK_FALSE(s.message().empty());
  }
}
