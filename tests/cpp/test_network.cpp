// Torch-free test of network_logits on a small network of the real structure (stem, four MobileNetV3 stages with and
// without SE, two transformer stages, tiny's and base's AAM + head) with random weights: equal to the same layers
// called one by one, serially and on a thread pool, at odd sizes; the same network through network_pack and
// network_bind gives the same logits, and altered or cut blobs are refused. Under ASan it checks the hand-over of
// activations and that no blob makes network_bind read outside it.
// (tests/ops/test_network.py holds the whole network to the model's PyTorch logits.)
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "ppms/image_conv.h"
#include "ppms/kernels.h"
#include "ppms/network.h"
#include "synthetic_network.h"

namespace {

// The test network with tiny's or base's head: its layers, and network_pack's blob of them.
struct Net {
  ppms::synthetic::NetworkStore st;
  ppms::Network n;
  std::vector<uint8_t> blob;

  explicit Net(bool base) {
    ppms::synthetic::small_network(base, &st, &n);
    const auto s = ppms::network_pack(st.config.data(), static_cast<int64_t>(st.config.size()), st.raw.data(),
                                      static_cast<int64_t>(st.raw.size()), &blob);
    REQUIRE_MESSAGE(s.ok(), "network_pack: " << s.message());
  }
};

const std::pair<int64_t, int64_t> sizes[] = {{64, 64}, {37, 50}, {16, 16}};

// The logits of the layers called one by one.
std::vector<float> layer_by_layer(const ppms::Network& n, const std::vector<float>& image, int64_t H, int64_t W) {
  const auto hs = ppms::Activation::hardswish;
  auto down = [](int64_t v, int64_t s) { return (v - 1) / s + 1; };
  int64_t h = down(H, 2), w = down(W, 2), c = 8;
  std::vector<float> cur(h * w * c), x8, x16;
  ppms::image_conv(n.stem, image.data(), 3, H, W, 3, 2, cur.data(), hs);
  int64_t h8 = 0, w8 = 0, h16 = 0, w16 = 0, c8 = 0, c16 = 0;
  for (int s = 0; s < 4; ++s) {
    for (const auto& b : n.stages[s]) {
      std::vector<float> y(down(h, b.stride) * down(w, b.stride) * b.cout);
      ppms::inverted_residual(b, cur.data(), h, w, y.data());
      cur.swap(y), h = down(h, b.stride), w = down(w, b.stride), c = b.cout;
    }
    if (s >= 2)
      for (const auto& t : n.transformers[s - 2]) {
        std::vector<float> y(cur.size());
        ppms::transformer_block(t, cur.data(), h, w, y.data());
        cur.swap(y);
      }
    if (s == 1) x8 = cur, h8 = h, w8 = w, c8 = c;
    if (s == 2) x16 = cur, h16 = h, w16 = w, c16 = c;
  }
  int64_t lh, lw;
  ppms::network_logits_size(n, H, W, &lh, &lw);
  std::vector<float> want(lh * lw * 5);
  ppms::aam_head(n.head, {x8.data(), h8, w8, c8}, {x16.data(), h16, w16, c16}, {cur.data(), h, w, c}, want.data());
  return want;
}

}  // namespace

TEST_CASE("network: network_logits equals the layers one by one, serially and on 3 threads") {
  ppms::ThreadPool pool(3);
  for (const bool base : {false, true}) {
    Net net(base);
    for (const auto& hw : sizes) {
      const int64_t H = hw.first, W = hw.second;
      const auto image = ppms::synthetic::normal(3 * H * W, 1.f, net.st.rng);
      const auto want = layer_by_layer(net.n, image, H, W);
      for (const bool threaded : {false, true}) {
        INFO((base ? "base " : "tiny ") << H << "x" << W << " " << ppms::check::threading(threaded));
        std::vector<float> got(want.size(), NAN);
        const auto s =
            ppms::network_logits(net.n, image.data(), H, W, got.data(), threaded ? pool.parallel() : ppms::Parallel{});
        CHECK_MESSAGE(s.ok(), s.message());
        CHECK(ppms::check::max_error(got, want) <= 1e-5 * ppms::check::max_abs(want, 1e-6));
      }
    }
  }
}

// Bit for bit: both pack the same weights with the same code.
TEST_CASE("network: network_bind of network_pack's blob gives the layers' logits") {
  for (const bool base : {false, true}) {
    Net net(base);
    for (const auto& hw : sizes) {
      const int64_t H = hw.first, W = hw.second;
      INFO((base ? "base " : "tiny ") << H << "x" << W);
      const auto image = ppms::synthetic::normal(3 * H * W, 1.f, net.st.rng);
      const auto want = layer_by_layer(net.n, image, H, W);
      ppms::Network n;
      std::vector<float> got(want.size(), NAN);
      auto s = ppms::network_bind(net.blob.data(), static_cast<int64_t>(net.blob.size()), &n);
      if (s.ok()) s = ppms::network_logits(n, image.data(), H, W, got.data());
      CHECK_MESSAGE(s.ok(), s.message());
      CHECK(std::memcmp(got.data(), want.data(), 4 * want.size()) == 0);
    }
  }
}

// Each kernel config runs its own kernels in every layer (network_bind's choice, kept in each layer): the "scalar"
// one every op's reference.
// f16 configs against the f32 one: half storage of the MobileNetV3 blocks' and the head's weights and activations
// (each rounding 2^-11 relative); measured at most 1.05e-4 of the largest logit on these weights, most of it the
// head's (1.1e-5 with the head in f32: the synthetic blocks' outputs are small beside their shortcuts and the
// transformers').
constexpr double kHalfStorage = 4e-4;
// f16 configs against f16's scalar one, which sums in float: half sums over K up to 96 (the synthetic blocks').
constexpr double kHalfAccumulation = 2e-2;
// bf16 configs against f32's: the 1x1 convolutions' inputs and weights rounded to bf16 (2^-9 relative each).
constexpr double kBf16Rounding = 1e-2;
// bf16 configs against bf16's scalar one: the same roundings, float sums in another order. The convolutions with few
// outputs run on the f32 kernels (Bf16Kernels::min_cout), FMA or not: where their last bit moves a value across a
// bf16 rounding boundary of the next layer, that input moves by 2^-8 (measured 2.2e-4 on base at 64 x 64, else 0).
constexpr double kBf16Sums = 1e-3;

// The config called name of type (the test stops when there is none).
const ppms::KernelConfig* config_named(const std::string& name, ppms::DataType type) {
  const ppms::KernelConfig* c = nullptr;
  REQUIRE(ppms::kernel_config(name.c_str(), type, &c).ok());
  return c;
}

// net's blob bound to config, its logits of an H x W image.
std::vector<float> logits_on(const Net& net, const ppms::KernelConfig* config, const std::vector<float>& image,
                             int64_t H, int64_t W) {
  ppms::Network n;
  REQUIRE(ppms::network_bind(net.blob.data(), static_cast<int64_t>(net.blob.size()), &n, config).ok());
  int64_t lh, lw;
  ppms::network_logits_size(n, H, W, &lh, &lw);
  std::vector<float> y(n.head.classifier.cout * lh * lw, NAN);
  const auto s = ppms::network_logits(n, image.data(), H, W, y.data());
  CHECK_MESSAGE(s.ok(), s.message());
  return y;
}

// Every config of each type against a reference config, relative to the largest logit: f32 and f16 against their
// scalar configs, and f16 against f32's (the f16 scalar config then differs by half storage alone).
TEST_CASE("network: every kernel config is within its data type's tolerance of its reference") {
  const struct {
    ppms::DataType type, reference;
    double scalar, others;  // the tolerance of the type's scalar config and of the others
  } cases[] = {{ppms::DataType::f32, ppms::DataType::f32, 1e-5, 1e-5},
               {ppms::DataType::f16, ppms::DataType::f16, 0.0, kHalfAccumulation},
               {ppms::DataType::f16, ppms::DataType::f32, kHalfStorage, kHalfStorage + kHalfAccumulation},
               {ppms::DataType::bf16, ppms::DataType::bf16, 0.0, kBf16Sums},
               {ppms::DataType::bf16, ppms::DataType::f32, kBf16Rounding, kBf16Rounding}};
  for (const auto& c : cases) {
    const ppms::KernelConfig* reference = config_named("scalar", c.reference);
    for (const bool base : {false, true}) {
      Net net(base);
      for (const auto& hw : sizes) {
        const int64_t H = hw.first, W = hw.second;
        const auto image = ppms::synthetic::normal(3 * H * W, 1.f, net.st.rng);
        const auto want = logits_on(net, reference, image, H, W);
        for (const auto& name : ppms::kernel_configs(c.type)) {
          INFO((base ? "base " : "tiny ") << H << "x" << W << " " << name << " against "
                                          << ppms::data_type_name(c.reference) << " scalar");
          const auto got = logits_on(net, config_named(name, c.type), image, H, W);
          CHECK(ppms::check::max_error(got, want) <=
                (name == "scalar" ? c.scalar : c.others) * ppms::check::max_abs(want, 1.0));
        }
      }
    }
  }
  const ppms::KernelConfig* none = nullptr;
  const auto s = ppms::kernel_config("sse9", ppms::DataType::f32, &none);
  CHECK(s.code() == ppms::Code::unsupported);
  CHECK(none == nullptr);
}

// Fewer images than threads (one after another), as many (one per thread), and more (one per thread, then the rest
// on all).
TEST_CASE("network: network_logits_batch gives each image the logits it has alone") {
  ppms::ThreadPool pool(3);
  for (const bool base : {false, true}) {
    Net net(base);
    for (const auto& hw : sizes) {
      const int64_t H = hw.first, W = hw.second;
      const auto image = ppms::synthetic::normal(3 * H * W, 1.f, net.st.rng);
      int64_t lh, lw;
      ppms::network_logits_size(net.n, H, W, &lh, &lw);
      for (const int64_t B : {2, 3, 4}) {
        INFO((base ? "base " : "tiny ") << H << "x" << W << ", " << B << " images");
        std::vector<float> images(B * image.size()), got(B * lh * lw * 5, NAN), one(lh * lw * 5);
        for (int64_t b = 0; b < B; ++b)
          for (size_t i = 0; i < image.size(); ++i) images[b * image.size() + i] = image[i] + 0.5f * b;
        const auto s = ppms::network_logits_batch(net.n, images.data(), B, H, W, got.data(), pool.parallel());
        CHECK_MESSAGE(s.ok(), s.message());
        for (int64_t b = 0; b < B && s.ok(); ++b) {
          INFO("image " << b);
          ppms::network_logits(net.n, images.data() + b * image.size(), H, W, one.data());
          bool same = true;
          for (size_t i = 0; i < one.size(); ++i)
            same = same && std::fabs(got[b * one.size() + i] - one[i]) <= 1e-5f * (1 + std::fabs(one[i]));
          CHECK(same);
        }
      }
    }
  }
}

// Altered anywhere in its header or tables, a blob is refused or runs (where the change only moves an entry onto
// other weights): never a read outside it (ASan) or a crash.
TEST_CASE("network: network_bind refuses a cut blob and survives an altered one") {
  for (const bool base : {false, true}) {
    Net net(base);
    const auto& blob = net.blob;
    auto& rng = net.st.rng;
    uint32_t config, tensors;
    std::memcpy(&config, blob.data() + 12, 4);
    std::memcpy(&tensors, blob.data() + 16, 4);
    const size_t tables = 24 + 8 * size_t{config} + 56 * size_t{tensors};
    const auto image = ppms::synthetic::normal(3 * 16 * 16, 1.f, rng);
    std::vector<float> out(64 * 16);
    for (size_t cut = 0; cut < tables + 64; cut += 5) {
      INFO((base ? "base" : "tiny") << " cut at " << cut << " of " << blob.size() << " bytes");
      std::vector<uint8_t> b(blob.begin(), blob.begin() + cut);
      ppms::Network n;
      CHECK_FALSE(ppms::network_bind(b.data(), static_cast<int64_t>(b.size()), &n).ok());
    }
    for (int i = 0; i < 2000; ++i) {
      std::vector<uint8_t> b = blob;
      b[rng() % tables] ^= static_cast<uint8_t>(1u << (rng() % 8));
      if (i % 2) b[rng() % tables] = static_cast<uint8_t>(rng());
      ppms::Network n;
      if (ppms::network_bind(b.data(), static_cast<int64_t>(b.size()), &n).ok() && i % 50 == 0)
        ppms::network_logits(n, image.data(), 16, 16, out.data());  // any weights: it must only not crash
    }
  }
}

TEST_CASE("network: network_logits_batch refuses an empty batch") {
  CHECK_FALSE(ppms::network_logits_batch(ppms::Network{}, nullptr, 0, 8, 8, nullptr).ok());
}
