// The .ppms model file and the Segmenter (ppms/model.h), torch-free, on the small test network: a written file reads
// back (from memory and from disk); each damaged or foreign field is refused with its own message and status code;
// the Segmenter's labels equal those of the steps done by hand (normalisation as PyTorch computes it, network_logits,
// the scalar upsample_argmax), for byte and float input, padded rows, both label types, on 1 and 3 threads, and with
// a resize. (tests/cpp/fuzz_model_file.cpp throws mutated files at the loader; tests/test_ppms_run.py holds
// ppms_run's labels to optimize()'s.)
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/common/linear_axis.h"
#include "ppms/model.h"
#include "ppms/upsample_argmax.h"
#include "synthetic_network.h"

namespace {

int failures = 0, cases = 0;

void expect(bool ok, const std::string& what) {
  ++cases;
  if (!ok) {
    std::printf("FAIL %s\n", what.c_str());
    ++failures;
  }
}

const float kMean[3] = {0.485f, 0.456f, 0.406f}, kStd[3] = {0.229f, 0.224f, 0.225f};

ppms::ModelInfo info_of(bool base, int64_t classes = 5) {
  ppms::ModelInfo info;
  info.variant = base ? "base" : "tiny";
  info.classes = classes;
  for (int c = 0; c < 3; ++c) info.mean[c] = kMean[c], info.std[c] = kStd[c];
  return info;
}

template <typename T>
void put(std::vector<uint8_t>& f, size_t at, T v) {
  std::memcpy(f.data() + at, &v, sizeof(T));
}

// f with its checksum made right again, so that the field changed before is what the loader sees.
std::vector<uint8_t> resealed(std::vector<uint8_t> f) {
  put<uint64_t>(f, 80, ppms::model_file_checksum(f.data(), static_cast<int64_t>(f.size())));
  return f;
}

void refused(const std::vector<uint8_t>& f, ppms::Code code, const std::string& says, const std::string& what) {
  ppms::ModelInfo info;
  ppms::Network net;
  const ppms::Status s = ppms::model_bind(f.data(), static_cast<int64_t>(f.size()), &info, &net);
  expect(!s.ok() && s.code() == code && s.message().find(says) != std::string::npos,
         "model_bind refuses " + what + " saying \"" + says + "\"; got: " + (s.ok() ? "ok" : s.message()));
}

void check_refusals(const std::vector<uint8_t>& file) {
  using ppms::Code;
  auto changed = [&](std::function<void(std::vector<uint8_t>&)> edit, bool reseal = true) {
    std::vector<uint8_t> f = file;
    edit(f);
    return reseal ? resealed(f) : f;
  };
  refused(changed([](auto& f) { f[0] = 'Q'; }), Code::invalid_argument, "bad magic", "another magic");
  refused(changed([](auto& f) { put<uint32_t>(f, 8, ppms::kModelFileVersion + 1); }), Code::unsupported,
          "this build reads version", "a newer version");
  refused(changed([](auto& f) { put<uint32_t>(f, 12, 64); }), Code::invalid_argument, "malformed header",
          "another header size");
  refused(changed([](auto& f) { f[127] = 1; }), Code::invalid_argument, "malformed header", "reserved bytes set");
  refused(changed([](auto& f) { std::memset(f.data() + 16, 'x', 16); }), Code::invalid_argument, "malformed header",
          "an unterminated variant");
  refused(changed([](auto& f) { std::memcpy(f.data() + 16, "huge", 5); }), Code::invalid_argument,
          "variant must be", "an unknown variant");
  refused(changed([](auto& f) { std::memcpy(f.data() + 16, f[16] == 't' ? "base" : "tiny", 5); }),
          Code::invalid_argument, "head", "the other variant's name");
  refused(changed([](auto& f) { put<uint32_t>(f, 32, 6); }), Code::invalid_argument, "classes",
          "another class count");
  refused(changed([](auto& f) { put<float>(f, 40, NAN); }), Code::invalid_argument, "normalisation", "a NaN mean");
  refused(changed([](auto& f) { put<float>(f, 56, 0.f); }), Code::invalid_argument, "normalisation", "std 0");
  refused(changed([](auto& f) { put<uint64_t>(f, 64, 192); }), Code::invalid_argument, "lies at",
          "a network elsewhere");
  refused(changed([](auto& f) { put<uint64_t>(f, 72, uint64_t{1} << 62); }), Code::invalid_argument, "lies at",
          "a network larger than the file");
  refused(changed([](auto& f) { f.pop_back(); }), Code::invalid_argument, "truncated", "a cut file");
  refused(changed([](auto& f) { f.push_back(0); }), Code::invalid_argument, "padded", "a padded file");
  refused(changed([](auto& f) { f[f.size() / 2] ^= 4; }, false), Code::invalid_argument, "checksum",
          "a flipped bit in the weights");
  refused(changed([](auto& f) { f[130] ^= 1; }), Code::invalid_argument, "not a ppms network blob",
          "a damaged network magic");
  refused(std::vector<uint8_t>(file.begin(), file.begin() + 100), Code::invalid_argument, "too short",
          "100 bytes");
}

// Labels of the steps by hand: planes as PyTorch normalises (x / 255 - mean) / std in float32, optionally resized
// (bilinear, double precision), network_logits, the scalar upsample_argmax to the image's size.
std::vector<uint8_t> by_hand(const ppms::Network& n, const std::vector<uint8_t>& rgb, int64_t H, int64_t W,
                             int64_t stride, int64_t h, int64_t w, std::vector<float>* logits_out = nullptr) {
  std::vector<float> planes(3 * H * W), input(3 * h * w);
  for (int c = 0; c < 3; ++c)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x)
        planes[(c * H + y) * W + x] = (static_cast<float>(rgb[y * stride + 3 * x + c]) / 255.0f - kMean[c]) / kStd[c];
  if (h == H && w == W) {
    input = planes;
  } else {
    const ppms::LinearAxisT<double> ay(H, h), ax(W, w);
    for (int c = 0; c < 3; ++c)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          auto at = [&](int64_t i, int64_t j) { return static_cast<double>(planes[(c * H + i) * W + j]); };
          const double top = ax.l0[x] * at(ay.i0[y], ax.i0[x]) + ax.l1[x] * at(ay.i0[y], ax.i1[x]);
          const double bottom = ax.l0[x] * at(ay.i1[y], ax.i0[x]) + ax.l1[x] * at(ay.i1[y], ax.i1[x]);
          input[(c * h + y) * w + x] = static_cast<float>(ay.l0[y] * top + ay.l1[y] * bottom);
        }
  }
  int64_t lh, lw;
  ppms::network_logits_size(n, h, w, &lh, &lw);
  std::vector<float> logits(n.head.classifier.cout * lh * lw);
  std::vector<uint8_t> labels(H * W);
  ppms::Status s = ppms::network_logits(n, input.data(), h, w, logits.data());
  if (s.ok())
    s = ppms::upsample_argmax(logits.data(), 1, n.head.classifier.cout, lh, lw, H, W, ppms::VimMode::exact,
                              ppms::LabelType::u8, labels.data(), {}, "scalar");
  expect(s.ok(), "the labels by hand: " + s.message());
  if (logits_out) *logits_out = logits;
  return labels;
}

int64_t mismatches(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  int64_t m = 0;
  for (size_t i = 0; i < a.size(); ++i) m += a[i] != b[i];
  return m;
}

void check_segmenter(const std::shared_ptr<const ppms::Model>& model, std::mt19937& rng, const std::string& name) {
  for (const auto& size : {std::pair<int64_t, int64_t>{37, 50}, {64, 64}, {16, 23}}) {
    const int64_t H = size.first, W = size.second, stride = 3 * W + 7;  // padded rows
    std::vector<uint8_t> rgb(H * stride);
    for (auto& v : rgb) v = static_cast<uint8_t>(rng());
    const std::string at = name + " " + std::to_string(H) + "x" + std::to_string(W);
    const auto want = by_hand(model->network(), rgb, H, W, stride, H, W);
    for (const int threads : {1, 3}) {
      std::unique_ptr<ppms::Segmenter> seg;
      ppms::SegmenterOptions o;
      o.threads = threads;
      ppms::Status s = ppms::Segmenter::create(model, o, &seg);
      std::vector<uint8_t> got(H * W, 255);
      for (int call = 0; call < 2 && s.ok(); ++call) s = seg->segment(rgb.data(), H, W, stride, got.data());
      // 3 threads add in another order: a label may flip at a near-tie of two logits
      const int64_t allowed = threads == 1 ? 0 : H * W / 200;
      expect(s.ok() && mismatches(got, want) <= allowed,
             at + " segment (bytes, " + std::to_string(threads) + " threads): " + std::to_string(mismatches(got, want)) +
                 " labels differ " + s.message());
      if (threads != 1) continue;
      std::vector<int32_t> wide(H * W, -1);
      s = seg->segment(rgb.data(), H, W, stride, wide.data());
      bool same = s.ok();
      for (int64_t i = 0; i < H * W; ++i) same = same && wide[i] == got[i];
      expect(same, at + " int32 labels equal uint8 ones " + s.message());
      int64_t lh, lw;
      const float* logits = seg->logits(&lh, &lw);
      std::vector<float> planes(3 * H * W);
      for (int c = 0; c < 3; ++c)
        for (int64_t y = 0; y < H; ++y)
          for (int64_t x = 0; x < W; ++x)
            planes[(c * H + y) * W + x] = (static_cast<float>(rgb[y * stride + 3 * x + c]) / 255.0f - kMean[c]) / kStd[c];
      std::vector<float> direct(model->info().classes * lh * lw);
      ppms::network_logits(model->network(), planes.data(), H, W, direct.data());
      expect(logits != nullptr && std::memcmp(logits, direct.data(), 4 * direct.size()) == 0,
             at + " logits() are network_logits'");
      std::vector<uint8_t> from_floats(H * W, 255);
      s = seg->segment(planes.data(), H, W, from_floats.data());
      expect(s.ok() && from_floats == want, at + " float input " + s.message());
    }
    // resized to 48 x 40 and back
    std::unique_ptr<ppms::Segmenter> seg;
    ppms::SegmenterOptions o;
    o.height = 48, o.width = 40;
    ppms::Status s = ppms::Segmenter::create(model, o, &seg);
    std::vector<uint8_t> got(H * W, 255);
    if (s.ok()) s = seg->segment(rgb.data(), H, W, stride, got.data());
    std::vector<float> want_logits;
    const auto resized = by_hand(model->network(), rgb, H, W, stride, 48, 40, &want_logits);
    int64_t lh = 0, lw = 0;
    const float* logits = s.ok() ? seg->logits(&lh, &lw) : nullptr;
    double err = logits && static_cast<size_t>(5 * lh * lw) == want_logits.size() ? 0 : INFINITY, mag = 1e-6;
    for (size_t i = 0; logits && i < want_logits.size(); ++i) {
      err = std::max(err, std::fabs(static_cast<double>(logits[i]) - want_logits[i]));
      mag = std::max(mag, std::fabs(static_cast<double>(want_logits[i])));
    }
    expect(s.ok() && err <= 1e-5 * mag && mismatches(got, resized) <= H * W / 200,
           at + " resized to 48x40: logits off by " + std::to_string(err / mag) + ", " +
               std::to_string(mismatches(got, resized)) + " labels differ " + s.message());
  }
}

void check_bad_calls(const std::shared_ptr<const ppms::Model>& model) {
  std::unique_ptr<ppms::Segmenter> seg;
  ppms::SegmenterOptions o;
  o.threads = 0;
  expect(!ppms::Segmenter::create(model, o, &seg).ok(), "0 threads refused");
  o.threads = 1, o.height = 32, o.width = 0;
  expect(!ppms::Segmenter::create(model, o, &seg).ok(), "a half-given input size refused");
  o.width = 1 << 20;
  expect(!ppms::Segmenter::create(model, o, &seg).ok(), "an absurd input size refused");
  expect(!ppms::Segmenter::create(nullptr, {}, &seg).ok(), "a null model refused");
  expect(ppms::Segmenter::create(model, {}, &seg).ok(), "default options");
  std::vector<uint8_t> rgb(3 * 40 * 40), labels(40 * 40);
  expect(!seg->segment(static_cast<const uint8_t*>(nullptr), 40, 40, 0, labels.data()).ok(), "null image refused");
  expect(!seg->segment(rgb.data(), 0, 40, 0, labels.data()).ok(), "an empty image refused");
  expect(!seg->segment(rgb.data(), 40, 40, 3 * 40 - 1, labels.data()).ok(), "a short stride refused");
  expect(!seg->segment(rgb.data(), int64_t{1} << 40, 40, 0, labels.data()).ok(), "an absurd height refused");
  const ppms::Status small = seg->segment(rgb.data(), 4, 4, 0, labels.data());
  expect(!small.ok(), "an image too small for the network refused");
}

}  // namespace

int main() {
  std::mt19937 rng(5);
  for (const bool base : {false, true}) {
    const std::string name = base ? "base" : "tiny";
    const std::vector<uint8_t> blob = ppms::synthetic::small_network_blob(base);
    std::vector<uint8_t> file;
    ppms::Status s = ppms::model_file(blob.data(), static_cast<int64_t>(blob.size()), info_of(base), &file);
    expect(s.ok() && file.size() == 128 + blob.size(), name + " model_file: " + s.message());
    if (!s.ok()) break;
    expect(!ppms::model_file(blob.data(), static_cast<int64_t>(blob.size()), info_of(!base), &file).ok(),
           name + " model_file refuses the other variant's name");
    expect(!ppms::model_file(blob.data(), static_cast<int64_t>(blob.size()), info_of(base, 7), &file).ok(),
           name + " model_file refuses a wrong class count");
    ppms::model_file(blob.data(), static_cast<int64_t>(blob.size()), info_of(base), &file);
    check_refusals(file);

    std::shared_ptr<const ppms::Model> from_memory, from_disk;
    s = ppms::Model::from_memory(file.data(), static_cast<int64_t>(file.size()), &from_memory);
    expect(s.ok() && from_memory->info().variant == name && from_memory->info().classes == 5 &&
               from_memory->info().std[2] == kStd[2],
           name + " Model::from_memory: " + s.message());
    char path[] = "/tmp/ppms_test_model_XXXXXX";
    const int fd = mkstemp(path);
    const bool written = fd >= 0 && write(fd, file.data(), file.size()) == static_cast<ssize_t>(file.size());
    if (fd >= 0) close(fd);
    s = ppms::Model::load(path, &from_disk);
    expect(written && s.ok() && from_disk->info().variant == name, name + " Model::load: " + s.message());
    std::remove(path);
    if (!from_memory || !from_disk) break;
    check_segmenter(from_disk, rng, name);
    if (!base) check_bad_calls(from_memory);
  }
  std::shared_ptr<const ppms::Model> none;
  const ppms::Status missing = ppms::Model::load("/nonexistent/model.ppms", &none);
  expect(!missing.ok() && missing.code() == ppms::Code::io_error, "a missing file: io_error");
  const ppms::Status folder = ppms::Model::load("/tmp", &none);
  expect(!folder.ok() && folder.message().find("regular file") != std::string::npos, "a folder refused");
  std::printf("model: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
