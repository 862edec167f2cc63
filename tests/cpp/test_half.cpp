// Torch-free tests of the half conversions (core/common/half.h) that fp16 weights and activations go through: every
// half converts to a float and back to itself; floats round to the nearest half, ties to even, overflowing to
// infinity; on aarch64 both directions equal the hardware's conversions.
// And the bf16 panels (to_bf16_panels) SEA's wide convolutions read on bf16 configs.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "check.h"
#include "core/common/convert.h"
#include "core/common/half.h"
#include "synthetic.h"

using ppms::half;

TEST_CASE("half: every half converts to a float and back to itself") {
  int64_t bad = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = ppms::half_to_float(half(h));
    const bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
    bad += nan ? !std::isnan(f) : ppms::half_from_float(f) != h;
  }
  CHECK(bad == 0);
}

TEST_CASE("half: floats round to the nearest half, ties to even") {
  CHECK(ppms::half_to_float(ppms::half_from_float(1.0f + std::ldexp(1.0f, -11))) == 1.0f);  // tie: to even
  CHECK(ppms::half_to_float(ppms::half_from_float(1.0f + 3 * std::ldexp(1.0f, -11))) == 1.0f + std::ldexp(1.0f, -9));
  CHECK(ppms::half_to_float(ppms::half_from_float(65504.0f)) == 65504.0f);
  CHECK(std::isinf(ppms::half_to_float(ppms::half_from_float(65520.0f))));  // the first float that rounds past
  CHECK(ppms::half_to_float(ppms::half_from_float(65519.99f)) == 65504.0f);
  CHECK(ppms::half_to_float(ppms::half_from_float(std::ldexp(1.0f, -24))) == std::ldexp(1.0f, -24));  // subnormal
  CHECK(ppms::half_from_float(std::ldexp(1.0f, -25)) == 0);  // a tie with zero: to even
  CHECK(std::isnan(ppms::half_to_float(ppms::half_from_float(NAN))));
  // any float: the half it gives is a nearest one (no half lies strictly closer)
  std::mt19937 rng(3);
  int64_t bad = 0;
  for (int i = 0; i < 200000; ++i) {
    uint32_t bits = rng();
    float f;
    std::memcpy(&f, &bits, 4);
    if (std::isnan(f) || std::fabs(f) > 65504.0f) continue;
    const half h = ppms::half_from_float(f);
    const double d = std::fabs(static_cast<double>(ppms::half_to_float(h)) - f);
    for (const int step : {-1, 1}) {
      const half n = half(h + step);
      if ((n & 0x7c00) == 0x7c00 || ((n ^ h) & 0x8000)) continue;  // past infinity or across zero
      bad += std::fabs(static_cast<double>(ppms::half_to_float(n)) - f) < d;
    }
  }
  CHECK(bad == 0);
}

#if defined(__aarch64__)
TEST_CASE("half: equal to the hardware's conversions") {
  int64_t bad = 0;
  for (uint64_t b = 0; b < (uint64_t{1} << 32); b += 4093) {
    const uint32_t u = static_cast<uint32_t>(b);
    float f;
    std::memcpy(&f, &u, 4);
    const __fp16 hw = static_cast<__fp16>(f);
    half bits;
    std::memcpy(&bits, &hw, 2);
    bad += !std::isnan(f) && ppms::half_from_float(f) != bits;
  }
  for (uint32_t h = 0; h < 65536; ++h) {
    __fp16 v;
    const half bits = half(h);
    std::memcpy(&v, &bits, 2);
    const float hw = static_cast<float>(v), mine = ppms::half_to_float(bits);
    bad += !(std::isnan(hw) && std::isnan(mine)) && std::memcmp(&hw, &mine, 4) != 0;
  }
  CHECK(bad == 0);
}
#endif

TEST_CASE("half: to_half and to_float convert arrays, in place too, as the scalar conversions do") {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 100.0f);
  for (const int64_t n : {0, 1, 3, 4, 5, 15, 16, 17, 31, 33, 100, 1027}) {
    INFO("n " << n);
    std::vector<float> x(n + 1);
    for (float& v : x) v = normal(rng);
    std::vector<half> want(n);
    for (int64_t i = 0; i < n; ++i) want[i] = ppms::half_from_float(x[i]);
    std::vector<half> h(n + 1, 0x1234);
    ppms::to_half(x.data(), n, h.data());
    CHECK(std::equal(want.begin(), want.end(), h.begin()));  // not memcmp: n = 0's null data is UB there
    CHECK(h[n] == 0x1234);  // nothing past the end
    std::vector<float> f(n + 1, -7.0f);
    ppms::to_float(h.data(), n, f.data());
    int64_t bad = f[n] != -7.0f;
    for (int64_t i = 0; i < n; ++i) bad += f[i] != ppms::half_to_float(want[i]);
    CHECK(bad == 0);
    // in place, on float storage: narrowed, then widened back
    std::vector<float> room(x.begin(), x.begin() + n);
    auto* as_half = reinterpret_cast<half*>(room.data());
    ppms::to_half(room.data(), n, as_half);
    CHECK(std::equal(want.begin(), want.end(), as_half));
    ppms::to_float(as_half, n, room.data());
    for (int64_t i = 0; i < n; ++i) bad += room[i] != ppms::half_to_float(want[i]);
    CHECK(bad == 0);
  }
}

TEST_CASE("bf16: to_bf16_panels pairs the rows, rounds to nearest even, and takes ranges split anywhere") {
  std::mt19937 rng(5);
  for (const int64_t N : {1, 16, 17, 40}) {
    const int64_t K = 7, rows = 5;
    const auto b = ppms::synthetic::normal(K * N, 1.f, rng);
    const int64_t panels = (N + 15) / 16;
    std::vector<uint16_t> whole(panels * rows * 32, 0xffff), split(whole);
    ppms::to_bf16_panels(b.data(), N, 0, K, rows, whole.data());
    for (const auto& r : {std::make_pair(0, 3), std::make_pair(3, 4), std::make_pair(4, 7)})  // odd ends
      ppms::to_bf16_panels(b.data(), N, r.first, r.second, rows, split.data());
    CHECK(whole == split);
    for (int64_t k = 0; k < K; ++k)
      for (int64_t c = 0; c < panels * 16; ++c) {
        const uint16_t got = whole[((c / 16 * rows + k / 2) * 16 + c % 16) * 2 + k % 2];
        uint32_t u = 0;
        if (c < N) std::memcpy(&u, &b[k * N + c], 4);
        const uint32_t low = u & 0xffff, up = low > 0x8000 || (low == 0x8000 && (u >> 16 & 1));
        CHECK_MESSAGE(got == (u >> 16) + up, "N=" << N << " k=" << k << " c=" << c);
      }
    // the high half of the last pair row (K odd) is not written: the caller's padding
    CHECK(whole[((0 * rows + K / 2) * 16) * 2 + 1] == 0xffff);
  }
}
