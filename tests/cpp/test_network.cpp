// Torch-free test of network_logits on a small network of the real structure (stem, four MobileNetV3 stages with and
// without SE, two transformer stages, tiny's and base's AAM + head) with random weights: equal to the same layers
// called one by one, serially and on a thread pool, at odd sizes; the same network through network_pack and
// network_bind gives the same logits, and altered or cut blobs are refused. Under ASan it checks the hand-over of
// activations and that no blob makes network_bind read outside it.
// (tests/ops/test_network.py holds the whole network to the model's PyTorch logits.)
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "ppms/image_conv.h"
#include "ppms/network.h"
#include "synthetic_network.h"

namespace {

// Checks network_logits of the network from blob (network_bind) against want, bit for bit: both pack the same weights
// with the same code.
int check_blob(const std::vector<uint8_t>& blob, const std::vector<float>& image, int64_t H, int64_t W,
               const std::vector<float>& want, const char* what) {
  ppms::Network n;
  std::vector<float> got(want.size(), NAN);
  auto s = ppms::network_bind(blob.data(), static_cast<int64_t>(blob.size()), &n);
  if (s.ok()) s = ppms::network_logits(n, image.data(), H, W, got.data());
  if (s.ok() && std::memcmp(got.data(), want.data(), 4 * want.size()) == 0) return 0;
  std::printf("FAIL network_pack / network_bind (%s): %s\n", what, s.message().c_str());
  return 1;
}

// A blob altered anywhere in its header or tables, or cut anywhere, is refused or runs (where the change only
// moves an entry onto other weights): never a read outside it (ASan) or a crash.
int check_hostile(const std::vector<uint8_t>& blob, std::mt19937& rng) {
  int failures = 0;
  uint32_t config, tensors;
  std::memcpy(&config, blob.data() + 12, 4);
  std::memcpy(&tensors, blob.data() + 16, 4);
  const size_t tables = 24 + 8 * size_t{config} + 56 * size_t{tensors};
  const auto image = ppms::synthetic::normal(3 * 16 * 16, 1.f, rng);
  std::vector<float> out(64 * 16);
  for (size_t cut = 0; cut < tables + 64; cut += 5) {
    std::vector<uint8_t> b(blob.begin(), blob.begin() + cut);
    ppms::Network n;
    if (ppms::network_bind(b.data(), static_cast<int64_t>(b.size()), &n).ok()) {
      std::printf("FAIL network_bind accepts a blob cut at %zu of %zu bytes\n", cut, blob.size());
      ++failures;
    }
  }
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> b = blob;
    b[rng() % tables] ^= static_cast<uint8_t>(1u << (rng() % 8));
    if (i % 2) b[rng() % tables] = static_cast<uint8_t>(rng());
    ppms::Network n;
    if (ppms::network_bind(b.data(), static_cast<int64_t>(b.size()), &n).ok() && i % 50 == 0)
      ppms::network_logits(n, image.data(), 16, 16, out.data());  // any weights: it must only not crash
  }
  return failures;
}

}  // namespace

int main() {
  int failures = 0, cases = 0;
  ppms::ThreadPool pool(3);
  for (const bool base : {false, true}) {
    ppms::synthetic::NetworkStore st;
    ppms::Network n;
    ppms::synthetic::small_network(base, &st, &n);
    const auto hs = ppms::Activation::hardswish;
    std::vector<uint8_t> blob;
    const auto packed = ppms::network_pack(st.config.data(), static_cast<int64_t>(st.config.size()), st.raw.data(),
                                           static_cast<int64_t>(st.raw.size()), &blob);
    if (!packed.ok()) {
      std::printf("FAIL network_pack: %s\n", packed.message().c_str());
      return 1;
    }
    failures += check_hostile(blob, st.rng);
    for (const auto& hw : {std::pair<int64_t, int64_t>{64, 64}, {37, 50}, {16, 16}}) {
      const int64_t H = hw.first, W = hw.second;
      const auto image = ppms::synthetic::normal(3 * H * W, 1.f, st.rng);
      // The layers one by one.
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
      failures += check_blob(blob, image, H, W, want, base ? "base" : "tiny");
      ++cases;
      for (const bool threaded : {false, true}) {
        std::vector<float> got(want.size(), NAN);
        const auto s = ppms::network_logits(n, image.data(), H, W, got.data(), threaded ? pool.parallel() : ppms::Parallel{});
        double err = 0, mag = 1e-6;
        for (size_t i = 0; i < got.size(); ++i) {
          const double e = std::fabs(got[i] - want[i]);
          err = std::max(err, e != e ? INFINITY : e);
          mag = std::max(mag, static_cast<double>(std::fabs(want[i])));
        }
        ++cases;
        if (!s.ok() || !(err <= 1e-5 * mag)) {
          std::printf("FAIL network %s %ldx%ld (%s): error %.3g of %.3g %s\n", base ? "base" : "tiny", (long)H,
                      (long)W, threaded ? "3 threads" : "serial", err, mag, s.message().c_str());
          ++failures;
        }
      }
      // Batches: fewer images than threads (one after another), as many (one per thread), and more (one per thread,
      // then the rest on all), each image's logits the same as alone.
      for (const int64_t B : {2, 3, 4}) {
        std::vector<float> images(B * image.size()), got(B * want.size(), NAN), one(want.size());
        for (int64_t b = 0; b < B; ++b)
          for (size_t i = 0; i < image.size(); ++i) images[b * image.size() + i] = image[i] + 0.5f * b;
        const auto s = ppms::network_logits_batch(n, images.data(), B, H, W, got.data(), pool.parallel());
        bool same = s.ok();
        for (int64_t b = 0; b < B && same; ++b) {
          ppms::network_logits(n, images.data() + b * image.size(), H, W, one.data());
          for (size_t i = 0; i < one.size(); ++i) same = same && std::fabs(got[b * one.size() + i] - one[i]) <= 1e-5f * (1 + std::fabs(one[i]));
        }
        ++cases;
        if (!same) {
          std::printf("FAIL network batch %ld %s %ldx%ld: %s\n", (long)B, base ? "base" : "tiny", (long)H, (long)W,
                      s.message().c_str());
          ++failures;
        }
      }
    }
  }
  ++cases;
  if (ppms::network_logits_batch(ppms::Network{}, nullptr, 0, 8, 8, nullptr).ok()) {
    std::printf("FAIL network_logits_batch accepted an empty batch\n");
    ++failures;
  }
  std::printf("network: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
