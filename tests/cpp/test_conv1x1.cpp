// Torch-free tests of conv1x1: every kernel this CPU runs against a double-precision reference of the same formula,
// on random shapes (partial row blocks and column panels), row strides wider than the channels, every activation,
// a residual (also in place: y aliasing it), on a thread pool; and the argument checks.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "core/common/bf16.h"
#include "core/common/convert.h"
#include "core/conv1x1/kernels.h"
#include "core/cpu.h"
#include "ppms/conv1x1.h"
#include "synthetic.h"

TEST_CASE("conv1x1: every kernel against a double-precision reference on random shapes") {
  std::mt19937 rng(11);
  ppms::ThreadPool pool(3);
  const ppms::Activation acts[] = {ppms::Activation::none, ppms::Activation::relu, ppms::Activation::relu6,
                                   ppms::Activation::hardswish};
  const char* const modes[] = {"no residual", "residual", "residual in place"};
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
    REQUIRE(packed.pack(w.data(), b.data(), cout, cin).ok());
    INFO("P=" << P << " cin=" << cin << " cout=" << cout << " ldx=" << ldx << " ldy=" << ldy << " "
              << ppms::check::name(a) << ", " << modes[mode]);
    for (const auto& name : ppms::conv1x1_kernels())
      for (const bool threaded : {false, true}) {
        INFO(name << " " << ppms::check::threading(threaded));
        std::vector<float> y = mode == 2 ? res : std::vector<float>(std::max<int64_t>(P * ldy, 1), NAN);
        const float* r = mode == 1 ? res.data() : mode == 2 ? y.data() : nullptr;
        const auto s = ppms::conv1x1(packed.weights(), x.data(), ldx, P, y.data(), ldy, a, r, ldy,
                                     threaded ? pool.parallel() : ppms::Parallel{}, name.c_str());
        CHECK_MESSAGE(s.ok(), s.message());
        double err = 0;
        for (int64_t p = 0; p < P; ++p)
          for (int64_t o = 0; o < cout; ++o) {
            const double d = std::fabs(y[p * ldy + o] - want[p * cout + o]);
            err = std::max(err, d != d ? INFINITY : d);
          }
        CHECK(err <= 1e-4 * std::sqrt(static_cast<double>(cin)));
      }
  }
}

namespace {

// f16: inputs, weights, bias and residual in half; the reference sums their half values in double. Tolerance:
// 2^-11 |want| (the output's rounding) + 2^-11 * 2 sqrt(n + 1) * the sum of the terms' magnitudes (n roundings of a
// partial sum in half), n the k steps one sum in half takes (ConfigT::half_steps: 65 for f32acc<C>, K + 1 for all of K
// in half from the bias, 0 for float sums). Float sums' own error, 2^-24 a step, is negligible beside it.
void check_f16(const std::vector<ppms::pw::ConfigT<ppms::half>>& kernels, int64_t P, int64_t cin, int64_t cout,
               int64_t ldx, int64_t ldy, ppms::Activation a, bool residual, std::mt19937& rng) {
  using ppms::half;
  auto to_half = [](const std::vector<float>& v) {
    std::vector<half> h(v.size());
    for (size_t i = 0; i < v.size(); ++i) h[i] = ppms::half_from_float(v[i]);
    return h;
  };
  const auto x = to_half(ppms::synthetic::normal(std::max<int64_t>(P * ldx, 1), 1.f, rng));
  const auto w = ppms::synthetic::normal(cout * cin, 1.f / std::sqrt(static_cast<float>(cin)), rng);
  const auto b = ppms::synthetic::normal(cout, 1.f, rng);
  const auto res = to_half(ppms::synthetic::normal(std::max<int64_t>(P * ldy, 1), 1.f, rng));
  std::vector<half> packed(ppms::conv1x1_packed_floats(cout, cin));
  REQUIRE(ppms::pw::pack_f16(w.data(), b.data(), cout, cin, packed.data()).ok());
  std::vector<double> want(P * cout), mag(P * cout);
  for (int64_t p = 0; p < P; ++p)
    for (int64_t o = 0; o < cout; ++o) {
      double s = ppms::half_to_float(ppms::half_from_float(b[o])), m = std::fabs(s);
      for (int64_t k = 0; k < cin; ++k) {
        const double term = static_cast<double>(ppms::half_to_float(x[p * ldx + k])) *
                            ppms::half_to_float(ppms::half_from_float(w[o * cin + k]));
        s += term, m += std::fabs(term);
      }
      if (residual) s += ppms::half_to_float(res[p * ldy + o]), m += std::fabs(ppms::half_to_float(res[p * ldy + o]));
      want[p * cout + o] = ppms::synthetic::activate(s, a);
      mag[p * cout + o] = m;
    }
  const int64_t P16 = ppms::kConv1x1Panel, panels = (cout + P16 - 1) / P16;
  for (const auto& k : kernels)
    for (const bool f32out : {false, true}) {  // f32out: float outputs (TileT::y32), without residual or activation
      if (f32out && (residual || a != ppms::Activation::none)) continue;
      INFO(k.name << " P=" << P << " cin=" << cin << " cout=" << cout << " ldx=" << ldx << " ldy=" << ldy << " "
                  << ppms::check::name(a) << (residual ? ", residual" : "") << (f32out ? ", float output" : ""));
      const double n = k.half_steps < 0 ? cin + 1 : k.half_steps;
      std::vector<half> y(std::max<int64_t>(P * ldy, 1), 0x7e00);  // NaN: an output never written fails
      std::vector<float> y32(f32out ? y.size() : 0, NAN);
      ppms::pw::TileT<half> t{x.data(), ldx, cin, packed.data(), cin * P16, packed.data() + panels * cin * P16,
                              y.data(), ldy, residual ? res.data() : nullptr, ldy, a, P, cout};
      if (f32out) t.y = nullptr, t.y32 = y32.data();
      k.tile(t);
      int64_t bad = 0;
      for (int64_t p = 0; p < P; ++p)
        for (int64_t o = 0; o < cout; ++o) {
          const double want_po = want[p * cout + o];
          // a float output is not rounded to half: no 2^-11 |want| term
          const double tol =
              std::ldexp(1.0, -11) * ((f32out ? 0.0 : std::fabs(want_po)) + 2 * std::sqrt(n + 1) * mag[p * cout + o]);
          const double got = f32out ? y32[p * ldy + o] : ppms::half_to_float(y[p * ldy + o]);
          bad += !(std::fabs(got - want_po) <= tol);
        }
      CHECK(bad == 0);
    }
}

const ppms::Activation kActs[] = {ppms::Activation::none, ppms::Activation::relu, ppms::Activation::relu6,
                                  ppms::Activation::hardswish};

}  // namespace

TEST_CASE("conv1x1: every f16 kernel against a double-precision reference of the half inputs") {
  std::mt19937 rng(17);
  const auto kernels = ppms::pw::f16_kernels();
  CHECK(std::string(kernels[0].name) == "scalar");
  for (int t = 0; t < 300; ++t) {
    const int64_t P = rng() % 60, cin = 1 + rng() % 200, cout = 1 + rng() % 70, ldx = cin + rng() % 3;
    const int64_t ldy = cout + rng() % 3;
    check_f16(kernels, P, cin, cout, ldx, ldy, kActs[t % 4], t % 3 != 0, rng);
  }
}

// The f32acc kernels' chunking: K below and at the all-half K <= 64, past it by each remainder of a chunk of 8 and of
// 16 (65 to 81), and the network's largest (768); the row blocks' remainders (1 to 9 rows); a last partial panel
// alone (9 columns) and after full ones (40).
TEST_CASE("conv1x1: every f16 kernel on K around its chunks, 1 to 9 rows, with each activation and a residual") {
  std::mt19937 rng(19);
  const auto kernels = ppms::pw::f16_kernels();
  int t = 0;
  for (const int64_t cin : {1, 5, 7, 8, 9, 15, 16, 17, 23, 24, 31, 33, 40, 64, 65, 71, 72, 73, 80, 81, 768})
    for (int64_t P = 1; P <= 9; ++P, ++t) {
      const int64_t cout = t % 2 ? 40 : 9;
      check_f16(kernels, P, cin, cout, cin + t % 3, cout + 1, kActs[t % 4], t % 3 != 1, rng);
    }
}

namespace {

// bf16: weights packed from the f32 layout (pack_bf16), inputs (scaled by input channel where `scaled`, TileT::x_scale),
// outputs and residual in float. The reference sums the bf16-rounded (scaled) inputs times the bf16-rounded weights in
// double.
// Tolerance: the float sums' error, 2^-24 a step over at most K + 2 steps, of the terms' magnitudes; nothing for the
// rounding to bf16, which the reference shares. Each kernel also takes the inputs already in pairs (TileT::x_pairs,
// rows a word longer than they need), and must then give the same outputs, bit for bit.
void check_bf16(int64_t P, int64_t cin, int64_t cout, int64_t ldx, int64_t ldy, ppms::Activation a, int mode,
                bool scaled, std::mt19937& rng, ppms::ThreadPool& pool) {
  const auto x = ppms::synthetic::normal(std::max<int64_t>(P * ldx + cin, 1), 1.f, rng);
  const auto w = ppms::synthetic::normal(cout * cin, 1.f / std::sqrt(static_cast<float>(cin)), rng);
  const auto b = ppms::synthetic::normal(cout, 1.f, rng), s = ppms::synthetic::normal(cin, 1.f, rng);
  const auto res = ppms::synthetic::normal(std::max<int64_t>(P * ldy, 1), 1.f, rng);
  ppms::PackedConv1x1 f32;
  REQUIRE(f32.pack(w.data(), b.data(), cout, cin).ok());
  std::vector<float> pairs(ppms::pw::bf16_packed_floats(cout, cin), NAN);
  const ppms::Conv1x1Weights packed = ppms::pw::pack_bf16(f32.weights(), pairs.data());
  std::vector<double> want(P * cout), mag(P * cout);
  for (int64_t p = 0; p < P; ++p)
    for (int64_t o = 0; o < cout; ++o) {
      double sum = b[o], m = std::fabs(b[o]);
      for (int64_t k = 0; k < cin; ++k) {
        const double t = static_cast<double>(ppms::bf16_round(x[p * ldx + k] * (scaled ? s[k] : 1.0f))) *
                         ppms::bf16_round(w[o * cin + k]);
        sum += t, m += std::fabs(t);
      }
      if (mode) sum += res[p * ldy + o], m += std::fabs(res[p * ldy + o]);
      want[p * cout + o] = ppms::synthetic::activate(sum, a), mag[p * cout + o] = m;
    }
  for (const ppms::pw::Config& k : ppms::pw::bf16_kernels())
    for (const bool threaded : {false, true}) {
      INFO(k.name << " " << ppms::check::threading(threaded));
      std::vector<float> y = mode == 2 ? res : std::vector<float>(std::max<int64_t>(P * ldy, 1), NAN);
      const float* r = mode == 1 ? res.data() : mode == 2 ? y.data() : nullptr;
      ppms::pw::run(k, packed, x.data(), ldx, P, y.data(), ldy, a, r, ldy, threaded ? pool.parallel() : ppms::Parallel{},
                    scaled ? s.data() : nullptr);
      int64_t bad = 0;
      double worst = 0;
      for (int64_t p = 0; p < P; ++p)
        for (int64_t o = 0; o < cout; ++o) {
          const double d = std::fabs(y[p * ldy + o] - want[p * cout + o]);
          const double tol = std::ldexp(1.0, -24) * (cin + 2) * mag[p * cout + o] + 1e-6;
          if (!(d <= tol)) ++bad, worst = std::max(worst, d != d ? INFINITY : d / tol);
        }
      CHECK_MESSAGE(bad == 0, bad << " outputs past the tolerance, the worst at " << worst << "x it");
      if (threaded || P == 0) continue;
      const int64_t ldw = (cin + 1) / 2 + 1;
      std::vector<uint32_t> xp(P * ldw, 0xffffffffu);  // a NaN pair past each row's words
      std::vector<float> row(cin);
      for (int64_t p = 0; p < P; ++p) {
        for (int64_t c = 0; c < cin; ++c) row[c] = x[p * ldx + c] * (scaled ? s[c] : 1.0f);
        ppms::to_bf16_pairs(row.data(), cin, xp.data() + p * ldw);
      }
      std::vector<float> y2 = mode == 2 ? res : std::vector<float>(std::max<int64_t>(P * ldy, 1), NAN);
      ppms::pw::Tile t{reinterpret_cast<const float*>(xp.data()), ldw, cin, packed.panels,
                       ppms::pw::bf16_pair_rows(cin) * ppms::kConv1x1Panel, packed.bias, y2.data(), ldy,
                       mode == 1 ? res.data() : mode == 2 ? y2.data() : nullptr, ldy, a, P, cout};
      t.x_pairs = true;
      k.tile(t);
      CHECK(std::memcmp(y2.data(), y.data(), sizeof(float) * y.size()) == 0);
      // into bf16 (TileT::y16, rows ldy values apart): the float outputs rounded, each once, and nothing else written
      // (8 values past the last row too)
      std::vector<ppms::bf16> y16(P * ldy + 8, ppms::bf16{0x7fc1});
      ppms::pw::Tile t16{x.data(), ldx, cin, packed.panels, ppms::pw::bf16_pair_rows(cin) * ppms::kConv1x1Panel,
                         packed.bias, nullptr, ldy, mode ? res.data() : nullptr, ldy, a, P, cout};
      t16.x_scale = scaled ? s.data() : nullptr;
      t16.y16 = y16.data();
      k.tile(t16);
      int64_t wrong = 0;
      auto compare = [&] {
        for (int64_t p = 0; p < P; ++p)
          for (int64_t o = 0; o < ldy; ++o)
            wrong += y16[p * ldy + o].bits != (o < cout ? ppms::to_bf16(y[p * ldy + o]).bits : 0x7fc1);
        for (int64_t o = P * ldy; o < P * ldy + 8; ++o) wrong += y16[o].bits != 0x7fc1;
      };
      compare();
      CHECK_MESSAGE(wrong == 0, wrong << " bf16 outputs differ from the float ones rounded");
      if (mode == 0 && !scaled) {  // through pw::run's tile form (no residual or scale), serially and on the pool
        for (const bool pooled : {false, true}) {
          std::fill(y16.begin(), y16.end(), ppms::bf16{0x7fc1});
          ppms::pw::Tile at{};
          at.x = x.data(), at.ldx = ldx, at.y16 = y16.data(), at.ldy = ldy, at.act = a;
          ppms::pw::run(k, packed, at, P, pooled ? pool.parallel() : ppms::Parallel{});
          wrong = 0;
          compare();
          CHECK_MESSAGE(wrong == 0, wrong << " bf16 outputs of pw::run differ" << (pooled ? " on the pool" : ""));
        }
      }
    }
}

}  // namespace

// The f32 kernels that write bf16 (ConfigT::y16, the bf16 configs' projections with few outputs): their float outputs
// rounded, bit for bit, with a residual and every activation, and nothing past a row's cout values or the last row.
TEST_CASE("conv1x1: every f32 kernel with bf16 outputs gives its float outputs rounded") {
  std::mt19937 rng(23);
  std::vector<ppms::pw::Config> ks = {ppms::pw::kernel_scalar()};
#if defined(__x86_64__) || defined(_M_X64)
  if (ppms::cpu::supports(ppms::cpu::Isa::avx512f)) ks.push_back(ppms::pw::kernel_avx512());
#endif
  const ppms::Activation acts[] = {ppms::Activation::none, ppms::Activation::relu, ppms::Activation::relu6,
                                   ppms::Activation::hardswish};
  for (int t = 0; t < 120; ++t) {
    const int64_t P = rng() % 40, cin = 1 + rng() % 40, cout = 1 + rng() % 40, ldy = cout + rng() % 3;
    const ppms::Activation a = acts[t % 4];
    auto x = ppms::synthetic::normal(std::max<int64_t>(P * cin, 1), 1.f, rng);
    if (t % 7 == 3 && P > 0) x[rng() % (P * cin)] = NAN;
    const auto w = ppms::synthetic::normal(cout * cin, 0.3f, rng), b = ppms::synthetic::normal(cout, 1.f, rng);
    const auto res = ppms::synthetic::normal(std::max<int64_t>(P * ldy, 1), 1.f, rng);
    ppms::PackedConv1x1 packed;
    REQUIRE(packed.pack(w.data(), b.data(), cout, cin).ok());
    for (const auto& k : ks) {
      INFO(k.name << " P=" << P << " cin=" << cin << " cout=" << cout << " ldy=" << ldy << " " << ppms::check::name(a));
      REQUIRE(k.y16);
      std::vector<float> y(std::max<int64_t>(P * ldy, 1), NAN);
      ppms::pw::run(k, packed.weights(), x.data(), cin, P, y.data(), ldy, a, t % 2 ? res.data() : nullptr, ldy);
      std::vector<ppms::bf16> y16(P * ldy + 8, ppms::bf16{0x7fc1});
      ppms::pw::Tile at{};
      at.x = x.data(), at.ldx = cin, at.y16 = y16.data(), at.ldy = ldy, at.act = a;
      at.residual = t % 2 ? res.data() : nullptr, at.ldr = ldy;
      ppms::pw::run(k, packed.weights(), at, P);
      int64_t wrong = 0;
      for (int64_t p = 0; p < P; ++p)
        for (int64_t o = 0; o < ldy; ++o)
          wrong += y16[p * ldy + o].bits != (o < cout ? ppms::to_bf16(y[p * ldy + o]).bits : 0x7fc1);
      for (int64_t o = P * ldy; o < P * ldy + 8; ++o) wrong += y16[o].bits != 0x7fc1;
      CHECK_MESSAGE(wrong == 0, wrong << " bf16 outputs differ from the float ones rounded");
    }
  }
  // The rounding's edges, through y = 1 * x + 0 (one input channel): ties to even either way, a NaN's payload dropped
  // (its low bits would round it up), infinities, the largest float (to infinity), a subnormal tie, negative zero.
  const uint32_t edges[] = {0x3f808000u, 0x3f818000u, 0xbf808000u, 0x3f80ffffu, 0x7fc0ffffu, 0xffc1ffffu, 0x7f800000u,
                            0xff800000u, 0x7f7fffffu, 0x00008000u, 0x00018000u, 0x80000000u, 0x3f7f7fffu, 0x3f7f8000u};
  const int64_t E = sizeof(edges) / sizeof(edges[0]), cout = 20;
  std::vector<float> xe(E), ones(cout, 1.0f), zeros(cout, 0.0f);
  std::memcpy(xe.data(), edges, sizeof(edges));
  ppms::PackedConv1x1 identity;
  REQUIRE(identity.pack(ones.data(), zeros.data(), cout, 1).ok());
  for (const auto& k : ks) {
    INFO(k.name << " edges");
    std::vector<ppms::bf16> y16(E * cout);
    ppms::pw::Tile at{};
    at.x = xe.data(), at.ldx = 1, at.y16 = y16.data(), at.ldy = cout, at.act = ppms::Activation::none;
    ppms::pw::run(k, identity.weights(), at, E);
    for (int64_t e = 0; e < E; ++e)
      for (int64_t o = 0; o < cout; ++o) CHECK(y16[e * cout + o].bits == ppms::to_bf16(xe[e] * 1.0f + 0.0f).bits);
  }
}

TEST_CASE("conv1x1: every bf16 kernel against a double-precision reference of the bf16 inputs") {
  std::mt19937 rng(17);
  ppms::ThreadPool pool(3);
  const ppms::Activation acts[] = {ppms::Activation::none, ppms::Activation::relu, ppms::Activation::relu6,
                                   ppms::Activation::hardswish};
  for (int t = 0; t < 200; ++t) {
    const int64_t P = rng() % 40, cin = 1 + rng() % 80, cout = 1 + rng() % 50;
    const int64_t ldx = t % 5 == 4 ? 1 + rng() % cin : cin + rng() % 3, ldy = cout + rng() % 3;
    INFO("P=" << P << " cin=" << cin << " cout=" << cout << " ldx=" << ldx << " ldy=" << ldy << " "
              << ppms::check::name(acts[t % 4]) << ", mode " << t % 3 << (t % 2 ? ", scaled" : ""));
    check_bf16(P, cin, cout, ldx, ldy, acts[t % 4], t % 3, t % 2, rng, pool);
  }
  // the network's long sums and wide layers: K past the scratch's 16-word lines, odd and even, two panels and one
  for (const int64_t cin : {31, 32, 33, 63, 64, 65, 255, 960, 961})
    for (const int64_t cout : {16, 17, 48, 150}) {
      INFO("P=25 cin=" << cin << " cout=" << cout);
      check_bf16(25 + 131 * (cout % 2), cin, cout, cin, cout, ppms::Activation::hardswish, 1, cin % 2, rng, pool);
    }
}

TEST_CASE("conv1x1: pack_bf16 rounds each weight to nearest even and pairs input channels") {
  const int64_t cout = 20, cin = 7;
  std::vector<float> w(cout * cin), b(cout);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 1.0f + static_cast<float>(i) * std::ldexp(1.0f, -9);  // ties included
  for (int64_t o = 0; o < cout; ++o) b[o] = 0.5f * o;
  ppms::PackedConv1x1 f32;
  REQUIRE(f32.pack(w.data(), b.data(), cout, cin).ok());
  std::vector<float> whole(ppms::pw::bf16_packed_floats(cout, cin), NAN);
  const ppms::Conv1x1Weights p = ppms::pw::pack_bf16(f32.weights(), whole.data());
  const auto* words = reinterpret_cast<const uint32_t*>(p.panels);
  CHECK(ppms::pw::bf16_pair_rows(cin) == 16);
  for (int64_t o = 0; o < cout; ++o) {
    for (int64_t k = 0; k < 32; ++k) {  // past cin: the zero rows up to an AMX tile
      const uint32_t word = words[((o / 16) * 16 + k / 2) * 16 + o % 16], bits = word >> (k % 2 * 16) & 0xffff;
      // round to nearest even by hand: the value's 16 low bits dropped, up past half or at half to even
      float v = k < cin ? w[o * cin + k] : 0.0f;
      uint32_t u;
      std::memcpy(&u, &v, 4);
      const uint32_t low = u & 0xffff, up = low > 0x8000 || (low == 0x8000 && (u >> 16 & 1));
      CHECK_MESSAGE(bits == (u >> 16) + up, "o=" << o << " k=" << k);
    }
    CHECK(p.bias[o] == b[o]);
  }
}

TEST_CASE("conv1x1: scale_inputs packs the weights with their input channels scaled, exactly") {
  std::mt19937 rng(11);
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
    INFO("cout=" << cout << " cin=" << cin);
    std::vector<float> got(ppms::conv1x1_packed_floats(cout, cin), NAN);
    ppms::conv1x1_scale_inputs(plain.weights(), scale.data(), got.data());
    CHECK(got == want.data);
    // in two input-channel ranges, as threads share it
    std::vector<float> split(got.size(), NAN);
    const int64_t mid = static_cast<int64_t>(rng() % (cin + 1));
    ppms::conv1x1_scale_inputs(plain.weights(), scale.data(), split.data(), mid, cin);
    ppms::conv1x1_scale_inputs(plain.weights(), scale.data(), split.data(), 0, mid);
    INFO("ranges [0, " << mid << "), [" << mid << ", " << cin << ")");
    CHECK(split == want.data);
  }
}

TEST_CASE("conv1x1: bad arguments are refused") {
  ppms::PackedConv1x1 packed, empty;
  const std::vector<float> w(12, 1.f);
  std::vector<float> x(40), y(40);
  packed.pack(w.data(), nullptr, 3, 4);
  const auto pw = packed.weights();
  CHECK_FALSE(empty.pack(w.data(), nullptr, 0, 4).ok());
  CHECK_FALSE(ppms::conv1x1(empty.weights(), x.data(), 4, 2, y.data(), 3, ppms::Activation::none).ok());
  CHECK_FALSE(ppms::conv1x1(pw, x.data(), 0, 2, y.data(), 3, ppms::Activation::none).ok());
  CHECK_FALSE(ppms::conv1x1(pw, x.data(), 4, 2, y.data(), 2, ppms::Activation::none).ok());  // ldy < cout
  CHECK_FALSE(ppms::conv1x1(pw, x.data(), 4, -1, y.data(), 3, ppms::Activation::none).ok());
  CHECK(ppms::conv1x1(pw, x.data(), 4, 2, y.data(), 3, ppms::Activation::none, nullptr, 0, {}, "no-such").code() ==
        ppms::Code::unsupported);
}
