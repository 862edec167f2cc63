// Torch-free tests of the SEA attention pipeline: forward() with every GEMM kernel, serial and on a thread pool, planar
// and channels-last (with the residual), against the serial planar forward() with the scalar GEMM; and bind()'s
// weight checks.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "core/common/half.h"
#include "core/config/config.h"
#include "core/sea_attention/stages.h"
#include "ppms/sea_attention.h"
#include "synthetic.h"

using namespace ppms::sea;

namespace {
// The SEA kernels of every f32 config this CPU runs (each once), by name.
std::vector<Config> sea_kernels() {
  std::vector<Config> out;
  for (const auto& c : ppms::config::all(ppms::DataType::f32))
    if (ppms::cpu::supports(c.isa) &&
        std::none_of(out.begin(), out.end(), [&](const Config& k) { return std::string(k.name) == c.sea.name; }))
      out.push_back(c.sea);
  return out;
}
}  // namespace

namespace {

double rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num = std::max(num, static_cast<double>(std::fabs(a[i] - b[i])));
    if (!(a[i] == a[i])) num = INFINITY;
    den = std::max(den, static_cast<double>(std::fabs(b[i])));
  }
  return den > 0 ? num / den : num;
}

}  // namespace

TEST_CASE("sea_attention: forward with every GEMM kernel equals the serial planar forward with the scalar GEMM") {
  std::mt19937 rng(7);
  ppms::ThreadPool pool(3);
  // (dim, heads, key_dim, H0, W0, B): the four real blocks at 512x512 and odd sizes.
  const int64_t shapes[][6] = {{128, 8, 16, 32, 32, 1}, {192, 8, 24, 16, 16, 1}, {64, 4, 16, 32, 32, 2},
                               {128, 4, 24, 16, 16, 1}, {32, 2, 8, 17, 9, 3},    {16, 2, 4, 1, 2, 2}};
  for (const auto& s : shapes) {
    const Dims d{s[0], s[1], s[2], 2 * s[1] * s[2]};
    const int64_t H0 = s[3], W0 = s[4], B = s[5], n = B * d.dim * H0 * W0;
    const ppms::synthetic::SeaWeights sw(d, 16, rng);
    const auto x = ppms::synthetic::normal(n, 1.f, rng);
    std::vector<float> ref(n);
    Options serial_scalar;
    serial_scalar.gemm = ppms::gemm_kernel("scalar");
    forward(d, sw.w, x.data(), B, H0, W0, ref.data(), serial_scalar);
    // channels_last: x and the expected y = x + attention(x) as [B, H0, W0, dim], by index
    const int64_t P0 = H0 * W0;
    std::vector<float> x_cl(n), ref_cl(n);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t c = 0; c < d.dim; ++c)
        for (int64_t p = 0; p < P0; ++p) {
          const int64_t planar = (b * d.dim + c) * P0 + p, last = (b * P0 + p) * d.dim + c;
          x_cl[last] = x[planar];
          ref_cl[last] = x[planar] + ref[planar];
        }
    INFO("dim=" << d.dim << " heads=" << d.heads << " " << H0 << "x" << W0 << " B=" << B);
    for (const auto& name : ppms::gemm_kernels())
      for (const bool threaded : {false, true})
        for (const bool cl : {false, true}) {
          INFO(name << " gemm " << ppms::check::threading(threaded) << (cl ? ", channels_last" : ", planar"));
          std::vector<float> out(n, NAN);
          Options o;
          o.gemm = ppms::gemm_kernel(name.c_str());
          if (threaded) o.parallel = pool.parallel();
          o.channels_last = cl;
          const auto st = forward(d, sw.w, (cl ? x_cl : x).data(), B, H0, W0, out.data(), o);
          CHECK_MESSAGE(st.ok(), st.message());
          CHECK(rel_err(out, cl ? ref_cl : ref) <= 1e-5);
        }
  }
}

// The f16 configs that run qkv, pw and proj in half (HalfKernels::attention: inputs, weights and bias rounded to half,
// the outputs stored in float) against the planar f32 forward with the scalar GEMM, relative to the largest output,
// by how the config's 1x1 convolutions sum (K up to 385 here). Measured under qemu (A76): 5.1e-4 with float sums
// (scalar), 3.6e-3 all in half (neonfp16arith); 7.3e-4 and 1.0e-3 with 8- and 16-step half partial sums, configs
// that keep SEA in f32 for the network's error.
TEST_CASE("sea_attention: forward on every f16 config within tolerance of the f32 forward") {
  std::mt19937 rng(9);
  ppms::ThreadPool pool(3);
  const int64_t shapes[][6] = {{128, 8, 16, 32, 32, 1}, {64, 4, 16, 32, 32, 2}, {32, 2, 8, 17, 9, 3},
                               {16, 2, 4, 1, 2, 2}};
  for (const auto& s : shapes) {
    const Dims d{s[0], s[1], s[2], 2 * s[1] * s[2]};
    const int64_t H0 = s[3], W0 = s[4], B = s[5], n = B * d.dim * H0 * W0;
    ppms::synthetic::SeaWeights sw(d, 16, rng);
    auto with_bias = [](const float* w, const float* b, int64_t M, int64_t K) {
      std::vector<ppms::half> out(M * (K + 1));
      for (int64_t m = 0; m < M; ++m) {
        for (int64_t k = 0; k < K; ++k) out[m * (K + 1) + k] = ppms::half_from_float(w[m * K + k]);
        out[m * (K + 1) + K] = ppms::half_from_float(b[m]);
      }
      return out;
    };
    const auto qkv = with_bias(sw.w.qkv_w, sw.w.qkv_b, d.qkv(), d.dim), pw = with_bias(sw.w.pw_w, sw.w.pw_b, d.dim, d.qkv()),
               proj = with_bias(sw.w.proj_w, sw.w.proj_b, d.dim, d.dh);
    Weights w = sw.w;
    w.f16.qkv = qkv.data(), w.f16.pw = pw.data(), w.f16.proj = proj.data();
    const auto x = ppms::synthetic::normal(n, 1.f, rng);
    std::vector<float> ref(n);
    Options serial_scalar;
    serial_scalar.gemm = ppms::gemm_kernel("scalar");
    forward(d, sw.w, x.data(), B, H0, W0, ref.data(), serial_scalar);
    for (const auto& name : ppms::kernel_configs(ppms::DataType::f16))
      for (const bool threaded : {false, true}) {
        INFO("dim=" << d.dim << " " << H0 << "x" << W0 << " B=" << B << " " << name << " "
                    << ppms::check::threading(threaded));
        Options o;
        REQUIRE(ppms::kernel_config(name.c_str(), ppms::DataType::f16, &o.kernels).ok());
        if (threaded) o.parallel = pool.parallel();
        std::vector<float> out(n, NAN);
        const auto st = forward(d, w, x.data(), B, H0, W0, out.data(), o);
        CHECK_MESSAGE(st.ok(), st.message());
        if (!o.kernels->f16.attention) continue;
        const int64_t steps = o.kernels->f16.conv1x1.half_steps;
        CHECK(rel_err(out, ref) <= (steps == 0 ? 1.5e-3 : steps > 0 ? 3e-3 : 1e-2));
      }
  }
}

// The bf16 configs run qkv, pw, proj and the row and column encodings on their bf16 conv1x1 kernels (inputs, weights
// and bias rounded to bf16, 2^-9 relative each, sums in float), the rest in f32, against the planar f32 forward with the scalar GEMM, relative to the
// largest output (measured 1.8e-3 to 3.2e-3 here); also with odd channel ranges split between threads.
TEST_CASE("sea_attention: forward on every bf16 config within tolerance of the f32 forward") {
  std::mt19937 rng(19);
  ppms::ThreadPool pool(3);
  // the last: H and W past 16, so the row and column encodings' panels are two
  const int64_t shapes[][6] = {{128, 8, 16, 32, 32, 1}, {64, 4, 16, 32, 32, 2}, {32, 2, 8, 17, 9, 3},
                               {16, 2, 4, 1, 2, 2},     {24, 3, 5, 11, 7, 1},   {32, 2, 8, 40, 36, 1}};
  for (const auto& s : shapes) {
    const Dims d{s[0], s[1], s[2], 2 * s[1] * s[2]};
    const int64_t H0 = s[3], W0 = s[4], B = s[5], n = B * d.dim * H0 * W0;
    ppms::synthetic::SeaWeights sw(d, 16, rng);
    auto with_bias = [](const float* w, const float* b, int64_t M, int64_t K) {
      std::vector<uint32_t> out(M * ppms::sea::bf16_row_words(K));
      ppms::sea::bf16_rows(w, b, M, K, out.data());
      return out;
    };
    const auto qkv = with_bias(sw.w.qkv_w, sw.w.qkv_b, d.qkv(), d.dim), pw = with_bias(sw.w.pw_w, sw.w.pw_b, d.dim, d.qkv()),
               proj = with_bias(sw.w.proj_w, sw.w.proj_b, d.dim, d.dh);
    Weights w = sw.w;
    const auto row = with_bias(sw.w.row_w, sw.w.row_b, d.dh, d.dh), col = with_bias(sw.w.col_w, sw.w.col_b, d.dh, d.dh);
    w.bf16.qkv = qkv.data(), w.bf16.pw = pw.data(), w.bf16.proj = proj.data(), w.bf16.row = row.data(),
    w.bf16.col = col.data();
    const auto x = ppms::synthetic::normal(n, 1.f, rng);
    std::vector<float> ref(n);
    Options serial_scalar;
    serial_scalar.gemm = ppms::gemm_kernel("scalar");
    forward(d, sw.w, x.data(), B, H0, W0, ref.data(), serial_scalar);
    for (const auto& name : ppms::kernel_configs(ppms::DataType::bf16))
      for (const bool threaded : {false, true}) {
        INFO("dim=" << d.dim << " " << H0 << "x" << W0 << " B=" << B << " " << name << " "
                    << ppms::check::threading(threaded));
        Options o;
        REQUIRE(ppms::kernel_config(name.c_str(), ppms::DataType::bf16, &o.kernels).ok());
        if (threaded) o.parallel = pool.parallel();
        std::vector<float> out(n, NAN);
        const auto st = forward(d, w, x.data(), B, H0, W0, out.data(), o);
        CHECK_MESSAGE(st.ok(), st.message());
        const double err = rel_err(out, ref);
        CHECK(err <= 6e-3);
        CHECK(err > 1e-5);  // the bf16 path ran: f32 would be within float rounding
      }
  }
}

TEST_CASE("sea_attention: bind takes the right weights and names what is wrong") {
  std::mt19937 rng(7);
  const Dims d{32, 2, 8, 32};
  const ppms::synthetic::SeaWeights sw(d, 16, rng);
  const int64_t Q = d.qkv(), dim = d.dim, dh = d.dh;
  std::vector<ppms::View> v = {{sw.w.stride_w, {dim, 9}}, {sw.w.stride_b, {dim}},   {sw.w.qkv_w, {Q, dim}},
                               {sw.w.qkv_b, {Q}},         {sw.w.dw_w, {Q, 9}},      {sw.w.dw_b, {Q}},
                               {sw.w.pw_w, {dim, Q}},     {sw.w.pw_b, {dim}},       {sw.w.row_w, {dh, dh}},
                               {sw.w.row_b, {dh}},        {sw.w.col_w, {dh, dh}},   {sw.w.col_b, {dh}},
                               {sw.w.proj_w, {dim, dh}},  {sw.w.proj_b, {dim}},     {sw.w.pos, {4, 16, 16}}};
  Dims bd;
  Weights bw;
  SUBCASE("the right weights") {
    const auto st = bind(v.data(), kNumWeights, 2, 8, &bd, &bw);
    REQUIRE_MESSAGE(st.ok(), st.message());
    CHECK(bd.dim == dim);
    CHECK(bd.dh == dh);
    CHECK(bw.pos_len == 16);
  }
  auto refused = [&](const std::vector<ppms::View>& w, int64_t count, int64_t heads, const char* needle) {
    const auto st = bind(w.data(), count, heads, 8, &bd, &bw);
    CHECK_FALSE(st.ok());
    CHECK_MESSAGE(st.message().find(needle) != std::string::npos,
                  "\"" << st.message() << "\" does not name " << needle);
  };
  SUBCASE("a wrong shape of proj_w") {
    v[12] = {sw.w.proj_w, {dim, dh + 1}};
    refused(v, kNumWeights, 2, "proj_w");
  }
  SUBCASE("a weight missing") { refused(v, kNumWeights - 1, 2, "15"); }
  SUBCASE("a head count that does not divide the weights") { refused(v, kNumWeights, 3, "num_heads"); }
  SUBCASE("positional embeddings of the wrong length") {
    v[14] = {sw.w.pos, {4, 15, 16}};
    refused(v, kNumWeights, 2, "pos");
  }
}

TEST_CASE("sea_attention: forward refuses sizes past the limit before any work") {
  std::mt19937 rng(7);
  const Dims d{32, 2, 8, 32};
  const ppms::synthetic::SeaWeights sw(d, 16, rng);
  std::vector<float> tiny(d.dim);
  CHECK_FALSE(forward(d, sw.w, tiny.data(), 1, 1, kMaxSide + 1, tiny.data()).ok());
}

// The depthwise stage with its axial means, each config's kernel (AVX-512's takes W <= 16, NEON's W a multiple of 4,
// both the portable stage otherwise), at sizes 1-20 on both sides.
TEST_CASE("sea_attention: every dw3x3_relu6 and its axial means against a double-precision direct convolution") {
  std::mt19937 rng(7);
  for (int t = 0; t < 40; ++t) {
    const int64_t C = 1 + rng() % 5, H = 1 + rng() % 20, W = t < 30 ? 1 + rng() % 16 : 17 + rng() % 4;
    const auto x = ppms::synthetic::normal(C * H * W, 2.f, rng), w = ppms::synthetic::normal(C * 9, 1.f, rng),
               b = ppms::synthetic::normal(C, 1.f, rng);
    auto at = [&](int64_t c, int64_t i, int64_t j) -> double {
      return i < 0 || i >= H || j < 0 || j >= W ? 0.0 : x[(c * H + i) * W + j];
    };
    std::vector<double> want(C * H * W), want_r(C * H, 0.0), want_c(C * W, 0.0);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < H; ++i)
        for (int64_t j = 0; j < W; ++j) {
          double v = b[c];
          for (int64_t ky = 0; ky < 3; ++ky)
            for (int64_t kx = 0; kx < 3; ++kx) v += at(c, i + ky - 1, j + kx - 1) * w[c * 9 + ky * 3 + kx];
          want[(c * H + i) * W + j] = std::min(std::max(v, 0.0), 6.0);
          want_r[c * H + i] += at(c, i, j) / W;
          want_c[c * W + j] += at(c, i, j) / H;
        }
    for (const Config& k : sea_kernels()) {
      INFO(k.name << " C=" << C << " " << H << "x" << W);
      std::vector<float> out(C * H * W, NAN), mr(C * H, NAN), mc(C * W, NAN);
      k.dw3x3_relu6(x.data(), H, W, w.data(), b.data(), out.data(), 0, C, mr.data(), mc.data());
      CHECK(ppms::check::max_error(out, want) <= 1e-5);
      CHECK(ppms::check::max_error(mr, want_r) <= 1e-5);
      CHECK(ppms::check::max_error(mc, want_c) <= 1e-5);
    }
  }
}

// The strided depthwise stage: 3x3, stride 2, padding 1, each config's kernel (NEON's takes W0 a multiple of 8), the
// input planes packed or apart (NaN between them, which must not be read).
TEST_CASE("sea_attention: every stride_dw against a double-precision direct convolution") {
  std::mt19937 rng(7);
  for (int t = 0; t < 40; ++t) {
    const int64_t C = 1 + rng() % 5, H0 = 1 + rng() % 20, W0 = t % 2 ? 8 * (1 + rng() % 4) : 1 + rng() % 33;
    const int64_t H = (H0 + 1) / 2, W = (W0 + 1) / 2;
    const auto x = ppms::synthetic::normal(C * H0 * W0, 2.f, rng), w = ppms::synthetic::normal(C * 9, 1.f, rng),
               b = ppms::synthetic::normal(C, 1.f, rng);
    std::vector<double> want(C * H * W);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < H; ++i)
        for (int64_t j = 0; j < W; ++j) {
          double v = b[c];
          for (int64_t ky = 0; ky < 3; ++ky)
            for (int64_t kx = 0; kx < 3; ++kx) {
              const int64_t iy = 2 * i + ky - 1, ix = 2 * j + kx - 1;
              if (iy >= 0 && iy < H0 && ix >= 0 && ix < W0) v += x[(c * H0 + iy) * W0 + ix] * w[c * 9 + ky * 3 + kx];
            }
          want[(c * H + i) * W + j] = v;
        }
    for (const Config& k : sea_kernels()) {
      INFO(k.name << " C=" << C << " " << H0 << "x" << W0);
      const int64_t ld = t % 3 == 0 ? H0 * W0 : plane_stride(H0, W0) + t % 3;
      std::vector<float> apart(C * ld, NAN), out(C * H * W, NAN);
      for (int64_t c = 0; c < C; ++c) std::copy(x.begin() + c * H0 * W0, x.begin() + (c + 1) * H0 * W0, apart.begin() + c * ld);
      k.stride_dw(apart.data(), H0, W0, ld, w.data(), b.data(), out.data(), 0, C);
      CHECK(ppms::check::max_error(out, want) <= 1e-5);
    }
  }
}
