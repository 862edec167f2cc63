// The .ppms model file and the Segmenter (ppms/model.h), torch-free, on the small test network: a written file reads
// back (from memory and from disk); each damaged or foreign field is refused with its own message and status code;
// the Segmenter's labels equal those of the steps done by hand (normalisation as PyTorch computes it, network_logits,
// the scalar upsample_argmax), for byte and float input, padded rows, both label types, on 1 and 3 threads, and with
// a resize. An fp16 (bf16) file holds the weights rounded to half (bf16), bit for bit, and loads as their floats;
// version 1 loads.
// (tests/cpp/fuzz_model_file.cpp throws mutated files at the loader; tests/test_ppms_run.py holds ppms_run's labels
// to optimize()'s.)
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "core/common/bf16.h"
#include "core/common/half.h"
#include "core/common/linear_axis.h"
#include "ppms/kernels.h"
#include "ppms/model.h"
#include "ppms/upsample_argmax.h"
#include "synthetic_network.h"

namespace {

const float kMean[3] = {0.485f, 0.456f, 0.406f}, kStd[3] = {0.229f, 0.224f, 0.225f};

ppms::ModelInfo info_of(bool base, int64_t classes = 5, ppms::DataType precision = ppms::DataType::f32) {
  ppms::ModelInfo info;
  info.variant = base ? "base" : "tiny";
  info.classes = classes;
  info.precision = precision;
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
  std::shared_ptr<const void> expanded;
  const ppms::Status s = ppms::model_bind(f.data(), static_cast<int64_t>(f.size()), &info, &net, &expanded);
  INFO(what << ": \"" << s.message() << "\"");
  CHECK(s.code() == code);
  CHECK_MESSAGE(s.message().find(says) != std::string::npos, "does not say \"" << says << "\"");
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
          "this build reads versions 1 to", "a newer version");
  refused(changed([](auto& f) { put<uint32_t>(f, 36, 3); }), Code::invalid_argument, "unknown precision 3",
          "an unknown precision");
  refused(changed([](auto& f) { put<uint32_t>(f, 8, 1), put<uint32_t>(f, 36, 1); }), Code::invalid_argument,
          "malformed header", "version 1 with a precision");
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
  REQUIRE_MESSAGE(s.ok(), "the labels by hand: " << s.message());
  if (logits_out) *logits_out = logits;
  return labels;
}

int64_t mismatches(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  int64_t m = 0;
  for (size_t i = 0; i < a.size(); ++i) m += a[i] != b[i];
  return m;
}

// The model file of the test network with tiny's or base's head.
std::vector<uint8_t> file_of(bool base, ppms::DataType precision = ppms::DataType::f32) {
  const std::vector<uint8_t> blob = ppms::synthetic::small_network_blob(base);
  std::vector<uint8_t> file;
  const ppms::Status s =
      ppms::model_file(blob.data(), static_cast<int64_t>(blob.size()), info_of(base, 5, precision), &file);
  REQUIRE_MESSAGE(s.ok(), "model_file: " << s.message());
  return file;
}

// Model::load of the file written to a temporary file.
ppms::Status load_from_disk(const std::vector<uint8_t>& file, std::shared_ptr<const ppms::Model>* model) {
  char path[] = "/tmp/ppms_test_model_XXXXXX";
  const int fd = mkstemp(path);
  const bool written = fd >= 0 && write(fd, file.data(), file.size()) == static_cast<ssize_t>(file.size());
  if (fd >= 0) close(fd);
  const ppms::Status s = ppms::Model::load(path, model);
  std::remove(path);
  REQUIRE_MESSAGE(written, "writing " << path);
  return s;
}

}  // namespace

TEST_CASE("model: model_file writes the header and the blob, and refuses a wrong variant or class count") {
  for (const bool base : {false, true}) {
    INFO((base ? "base" : "tiny"));
    const std::vector<uint8_t> blob = ppms::synthetic::small_network_blob(base);
    REQUIRE_FALSE(blob.empty());
    std::vector<uint8_t> file;
    const ppms::Status s = ppms::model_file(blob.data(), static_cast<int64_t>(blob.size()), info_of(base), &file);
    CHECK_MESSAGE(s.ok(), s.message());
    CHECK(file.size() == 128 + blob.size());
    CHECK_FALSE(ppms::model_file(blob.data(), static_cast<int64_t>(blob.size()), info_of(!base), &file).ok());
    CHECK_FALSE(ppms::model_file(blob.data(), static_cast<int64_t>(blob.size()), info_of(base, 7), &file).ok());
  }
}

TEST_CASE("model: model_bind refuses each damaged or foreign field with its own code and message") {
  for (const bool base : {false, true}) {
    INFO((base ? "base" : "tiny"));
    check_refusals(file_of(base));
  }
}

// Where a blob's float data starts: its header, config and entries (network.h), padded to 64 bytes.
size_t data_start(const uint8_t* blob) {
  uint32_t config, tensors;
  std::memcpy(&config, blob + 12, 4);
  std::memcpy(&tensors, blob + 16, 4);
  return (24 + 8 * size_t{config} + 56 * size_t{tensors} + 63) / 64 * 64;
}

TEST_CASE("model: an fp16 (bf16) file holds the weights rounded to half (bf16) and loads as their floats") {
  for (const ppms::DataType type : {ppms::DataType::f16, ppms::DataType::bf16})
  for (const bool base : {false, true}) {
    INFO((base ? "base " : "tiny ") << ppms::data_type_name(type));
    // the 16 bits of a float in type, by the scalar conversions (core/common/half.h, bf16.h)
    auto narrow = [&](float v) -> uint16_t {
      return type == ppms::DataType::f16 ? ppms::half_from_float(v) : static_cast<uint16_t>(ppms::bf16_bits(v));
    };
    auto widen = [&](uint16_t h) { return type == ppms::DataType::f16 ? ppms::half_to_float(h) : ppms::bf16_to_float(h); };
    const std::vector<uint8_t> blob = ppms::synthetic::small_network_blob(base);
    const std::vector<uint8_t> file = file_of(base, type);
    const size_t start = data_start(blob.data()), floats = (blob.size() - start) / 4;
    REQUIRE(file.size() == 128 + start + 2 * floats);
    CHECK(std::memcmp(file.data() + 128, blob.data(), start) == 0);
    std::shared_ptr<const ppms::Model> model;
    const ppms::Status s = load_from_disk(file, &model);
    REQUIRE_MESSAGE(s.ok(), "Model::load: " << s.message());
    CHECK(model->info().precision == type);
    ppms::ModelInfo info;
    ppms::Network net;
    std::shared_ptr<const void> expanded;
    REQUIRE(ppms::model_bind(file.data(), static_cast<int64_t>(file.size()), &info, &net, &expanded).ok());
    REQUIRE(static_cast<bool>(expanded));
    CHECK(reinterpret_cast<uintptr_t>(expanded.get()) % 64 == 0);
    const auto* got = static_cast<const uint8_t*>(expanded.get());
    CHECK(std::memcmp(got, blob.data(), start) == 0);
    int64_t stored_wrong = 0, expanded_wrong = 0, rounded = 0;
    std::vector<uint8_t> halved = blob;  // the fp32 blob with each weight rounded to half
    for (size_t i = 0; i < floats; ++i) {
      float v, back;
      uint16_t h;
      std::memcpy(&v, blob.data() + start + 4 * i, 4);
      std::memcpy(&h, file.data() + 128 + start + 2 * i, 2);
      std::memcpy(&back, got + start + 4 * i, 4);
      const float want = widen(narrow(v));
      stored_wrong += h != narrow(v);
      expanded_wrong += std::memcmp(&back, &want, 4) != 0;
      rounded += want != v;
      put<float>(halved, start + 4 * i, want);
    }
    CHECK(stored_wrong == 0);
    CHECK(expanded_wrong == 0);
    CHECK(rounded > static_cast<int64_t>(floats) / 2);  // the weights were not halves already: the test tells
    ppms::Network want_net;
    REQUIRE(ppms::network_bind(halved.data(), static_cast<int64_t>(halved.size()), &want_net).ok());
    const int64_t H = 32, W = 40;
    std::vector<float> image(3 * H * W);
    std::mt19937 rng(3);
    for (auto& v : image) v = std::uniform_real_distribution<float>(-2, 2)(rng);
    int64_t h, w;
    ppms::network_logits_size(want_net, H, W, &h, &w);
    std::vector<float> logits(5 * h * w), want(5 * h * w);
    REQUIRE(ppms::network_logits(model->network(), image.data(), H, W, logits.data()).ok());
    REQUIRE(ppms::network_logits(want_net, image.data(), H, W, want.data()).ok());
    CHECK_MESSAGE(std::memcmp(logits.data(), want.data(), 4 * want.size()) == 0,
                  "the loaded model's logits are not those of the weights rounded to its type");
  }
}

TEST_CASE("model: fp16 files refuse a wrong precision, truncated half data and sizes that do not match") {
  using ppms::Code;
  for (const bool base : {false, true}) {
    INFO((base ? "base" : "tiny"));
    const std::vector<uint8_t> file = file_of(base, ppms::DataType::f16);
    check_refusals(file);
    auto cut = [&](size_t bytes) {  // the network's size in the header made to agree: only the halves are short
      std::vector<uint8_t> f(file.begin(), file.end() - bytes);
      put<uint64_t>(f, 72, f.size() - 128);
      return resealed(f);
    };
    refused(cut(1), Code::invalid_argument, "half data is truncated", "an odd byte cut");
    refused(cut(64), Code::invalid_argument, "lies outside its data", "the last tensor's halves cut");
    std::vector<uint8_t> f = file;
    put<uint32_t>(f, 36, 0);
    refused(resealed(f), Code::invalid_argument, "network", "halves read as fp32");
    f = file_of(base);
    put<uint32_t>(f, 36, 1);
    refused(resealed(f), Code::invalid_argument, "its tensors take", "fp32 read as halves");
  }
}

TEST_CASE("model: model_file refuses fp16 for a weight beyond half's range, naming it") {
  std::vector<uint8_t> blob = ppms::synthetic::small_network_blob(false);
  const size_t start = data_start(blob.data());
  for (const float v : {70000.0f, -1e30f, INFINITY, NAN}) {
    if (!std::isfinite(v)) {  // bf16 has float's range: only these leave it
      std::vector<uint8_t> bad = blob, file;
      put<float>(bad, start, v);
      const ppms::Status s = ppms::model_file(bad.data(), static_cast<int64_t>(bad.size()),
                                              info_of(false, 5, ppms::DataType::bf16), &file);
      CHECK(s.message().find("the stem holds") != std::string::npos);
      CHECK(s.message().find("bf16's range") != std::string::npos);
    }
    std::vector<uint8_t> big = blob;
    put<float>(big, start, v);  // the stem's first weight
    std::vector<uint8_t> file;
    const ppms::Status s =
        ppms::model_file(big.data(), static_cast<int64_t>(big.size()), info_of(false, 5, ppms::DataType::f16), &file);
    INFO(v << ": \"" << s.message() << "\"");
    CHECK(s.code() == ppms::Code::invalid_argument);
    CHECK(s.message().find("the stem holds") != std::string::npos);
    CHECK(s.message().find("half's range") != std::string::npos);
    CHECK(ppms::model_file(big.data(), static_cast<int64_t>(big.size()), info_of(false), &file).ok());
  }
}

TEST_CASE("model: a version 1 file (fp32, its precision word zero) loads") {
  for (const bool base : {false, true}) {
    INFO((base ? "base" : "tiny"));
    std::vector<uint8_t> file = file_of(base);
    put<uint32_t>(file, 8, 1);
    file = resealed(file);
    std::shared_ptr<const ppms::Model> model;
    const ppms::Status s = ppms::Model::from_memory(file.data(), static_cast<int64_t>(file.size()), &model);
    REQUIRE_MESSAGE(s.ok(), s.message());
    CHECK(model->info().precision == ppms::DataType::f32);
    CHECK(model->info().variant == (base ? "base" : "tiny"));
  }
}

TEST_CASE("model: Model::from_memory and Model::load read the file back") {
  for (const bool base : {false, true}) {
    const std::string name = base ? "base" : "tiny";
    INFO(name);
    const std::vector<uint8_t> file = file_of(base);
    std::shared_ptr<const ppms::Model> from_memory, from_disk;
    ppms::Status s = ppms::Model::from_memory(file.data(), static_cast<int64_t>(file.size()), &from_memory);
    REQUIRE_MESSAGE(s.ok(), "Model::from_memory: " << s.message());
    CHECK(from_memory->info().variant == name);
    CHECK(from_memory->info().classes == 5);
    CHECK(from_memory->info().std[2] == kStd[2]);
    s = load_from_disk(file, &from_disk);
    REQUIRE_MESSAGE(s.ok(), "Model::load: " << s.message());
    CHECK(from_disk->info().variant == name);
  }
}

TEST_CASE("model: the Segmenter's labels equal those of the steps done by hand") {
  std::mt19937 rng(5);
  for (const bool base : {false, true}) {
    std::shared_ptr<const ppms::Model> model;
    const ppms::Status loaded = load_from_disk(file_of(base), &model);
    REQUIRE_MESSAGE(loaded.ok(), loaded.message());
    for (const auto& size : {std::pair<int64_t, int64_t>{37, 50}, {64, 64}, {16, 23}}) {
      const int64_t H = size.first, W = size.second, stride = 3 * W + 7;  // padded rows
      INFO((base ? "base " : "tiny ") << H << "x" << W);
      std::vector<uint8_t> rgb(H * stride);
      for (auto& v : rgb) v = static_cast<uint8_t>(rng());
      const auto want = by_hand(model->network(), rgb, H, W, stride, H, W);
      for (const int threads : {1, 3}) {
        INFO(threads << (threads == 1 ? " thread" : " threads"));
        std::unique_ptr<ppms::Segmenter> seg;
        ppms::SegmenterOptions o;
        o.threads = threads;
        ppms::Status s = ppms::Segmenter::create(model, o, &seg);
        std::vector<uint8_t> got(H * W, 255);
        for (int call = 0; call < 2 && s.ok(); ++call) s = seg->segment(rgb.data(), H, W, stride, got.data());
        REQUIRE_MESSAGE(s.ok(), "segment (bytes): " << s.message());
        // 3 threads add in another order: a label may flip at a near-tie of two logits
        CHECK(mismatches(got, want) <= (threads == 1 ? 0 : H * W / 200));
        if (threads != 1) continue;
        std::vector<int32_t> wide(H * W, -1);
        s = seg->segment(rgb.data(), H, W, stride, wide.data());
        CHECK_MESSAGE(s.ok(), "segment (int32 labels): " << s.message());
        CHECK_MESSAGE(std::equal(wide.begin(), wide.end(), got.begin()), "int32 labels differ from uint8 ones");
        int64_t lh, lw;
        const float* logits = seg->logits(&lh, &lw);
        REQUIRE(logits != nullptr);
        std::vector<float> planes(3 * H * W);
        for (int c = 0; c < 3; ++c)
          for (int64_t y = 0; y < H; ++y)
            for (int64_t x = 0; x < W; ++x)
              planes[(c * H + y) * W + x] =
                  (static_cast<float>(rgb[y * stride + 3 * x + c]) / 255.0f - kMean[c]) / kStd[c];
        std::vector<float> direct(model->info().classes * lh * lw);
        ppms::network_logits(model->network(), planes.data(), H, W, direct.data());
        CHECK_MESSAGE(std::memcmp(logits, direct.data(), 4 * direct.size()) == 0, "logits() are not network_logits'");
        std::vector<uint8_t> from_floats(H * W, 255);
        s = seg->segment(planes.data(), H, W, from_floats.data());
        CHECK_MESSAGE(s.ok(), "segment (float input): " << s.message());
        CHECK_MESSAGE(from_floats == want, "float input");
      }
      INFO("resized to 48x40 and back");
      std::unique_ptr<ppms::Segmenter> seg;
      ppms::SegmenterOptions o;
      o.height = 48, o.width = 40;
      ppms::Status s = ppms::Segmenter::create(model, o, &seg);
      std::vector<uint8_t> got(H * W, 255);
      if (s.ok()) s = seg->segment(rgb.data(), H, W, stride, got.data());
      REQUIRE_MESSAGE(s.ok(), s.message());
      std::vector<float> want_logits;
      const auto resized = by_hand(model->network(), rgb, H, W, stride, 48, 40, &want_logits);
      int64_t lh = 0, lw = 0;
      const float* logits = seg->logits(&lh, &lw);
      REQUIRE(logits != nullptr);
      REQUIRE(static_cast<size_t>(5 * lh * lw) == want_logits.size());
      const std::vector<float> got_logits(logits, logits + want_logits.size());
      CHECK(ppms::check::max_error(got_logits, want_logits) <= 1e-5 * ppms::check::max_abs(want_logits, 1e-6));
      CHECK(mismatches(got, resized) <= H * W / 200);
    }
  }
}

TEST_CASE("model: the Segmenter refuses bad options and images") {
  const std::vector<uint8_t> file = file_of(false);
  std::shared_ptr<const ppms::Model> model;
  REQUIRE(ppms::Model::from_memory(file.data(), static_cast<int64_t>(file.size()), &model).ok());
  std::unique_ptr<ppms::Segmenter> seg;
  ppms::SegmenterOptions o;
  o.threads = 0;
  CHECK_FALSE(ppms::Segmenter::create(model, o, &seg).ok());
  o.threads = 1, o.height = 32, o.width = 0;  // half-given input size
  CHECK_FALSE(ppms::Segmenter::create(model, o, &seg).ok());
  o.width = 1 << 20;
  CHECK_FALSE(ppms::Segmenter::create(model, o, &seg).ok());
  CHECK_FALSE(ppms::Segmenter::create(nullptr, {}, &seg).ok());
  REQUIRE(ppms::Segmenter::create(model, {}, &seg).ok());  // default options
  std::vector<uint8_t> rgb(3 * 40 * 40), labels(40 * 40);
  CHECK_FALSE(seg->segment(static_cast<const uint8_t*>(nullptr), 40, 40, 0, labels.data()).ok());
  CHECK_FALSE(seg->segment(rgb.data(), 0, 40, 0, labels.data()).ok());
  CHECK_FALSE(seg->segment(rgb.data(), 40, 40, 3 * 40 - 1, labels.data()).ok());  // a short stride
  CHECK_FALSE(seg->segment(rgb.data(), int64_t{1} << 40, 40, 0, labels.data()).ok());
  CHECK_FALSE(seg->segment(rgb.data(), 4, 4, 0, labels.data()).ok());  // too small for the network
}

TEST_CASE("model: normalise_rgb gives (v / 255 - mean) / std per channel for a batch, and refuses bad arguments") {
  const int64_t B = 2, H = 3, W = 5, stride = 3 * W + 2;  // padded rows, the images one after the other
  std::vector<uint8_t> rgb(B * H * stride);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i * 37 + 11);
  const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
  std::vector<float> planes(B * 3 * H * W, -1.0f);
  for (const int threads : {1, 3}) {
    ppms::ThreadPool pool(threads);
    REQUIRE(ppms::normalise_rgb(rgb.data(), B, H, W, stride, mean, std, planes.data(), pool.parallel()).ok());
    for (int64_t b = 0; b < B; ++b)
      for (int c = 0; c < 3; ++c)
        for (int64_t y = 0; y < H; ++y)
          for (int64_t x = 0; x < W; ++x) {
            const float want = (static_cast<float>(rgb[(b * H + y) * stride + 3 * x + c]) / 255.0f - mean[c]) / std[c];
            CHECK(planes[((b * 3 + c) * H + y) * W + x] == want);
          }
  }
  const float zero[3] = {0.229f, 0.0f, 0.225f}, nan[3] = {NAN, 0.0f, 0.0f};
  CHECK_FALSE(ppms::normalise_rgb(rgb.data(), 0, H, W, 0, mean, std, planes.data()).ok());
  CHECK_FALSE(ppms::normalise_rgb(rgb.data(), B, H, W, 3 * W - 1, mean, std, planes.data()).ok());
  CHECK_FALSE(ppms::normalise_rgb(nullptr, B, H, W, 0, mean, std, planes.data()).ok());
  CHECK_FALSE(ppms::normalise_rgb(rgb.data(), B, H, W, 0, mean, zero, planes.data()).ok());
  CHECK_FALSE(ppms::normalise_rgb(rgb.data(), B, H, W, 0, nan, std, planes.data()).ok());
}

TEST_CASE("model: Model::load refuses a missing file and a folder") {
  std::shared_ptr<const ppms::Model> none;
  const ppms::Status missing = ppms::Model::load("/nonexistent/model.ppms", &none);
  CHECK(missing.code() == ppms::Code::io_error);
  const ppms::Status folder = ppms::Model::load("/tmp", &none);
  CHECK_FALSE(folder.ok());
  CHECK_MESSAGE(folder.message().find("regular file") != std::string::npos, folder.message());
}
