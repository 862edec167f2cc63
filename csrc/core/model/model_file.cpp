// The .ppms model file (model.h): writer, checker and loader. The checker trusts nothing in the bytes: the header's
// every field is checked before the network's blob is handed to network_bind, which checks the rest.
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <new>

#include "ppms/model.h"

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define PPMS_MMAP 1
#endif

namespace ppms {

namespace {

constexpr char kMagic[8] = {'P', 'P', 'M', 'S', 'M', 'O', 'D', 'L'};
constexpr int64_t kHeaderBytes = 128, kChecksumAt = 80;

struct Header {
  char magic[8];
  uint32_t version, header_bytes;
  char variant[16];
  uint32_t classes, precision;
  float mean[3], std[3];
  uint64_t network_offset, network_bytes, checksum;
  uint8_t reserved[40];
};
static_assert(sizeof(Header) == kHeaderBytes && offsetof(Header, checksum) == kChecksumAt, "the header is fixed");

constexpr uint32_t kFp32 = 0, kFp16 = 1, kBf16 = 2;  // the header's precision word

std::string n(int64_t v) { return std::to_string(v); }

uint64_t fnv1a_words(uint64_t h, const uint8_t* p, int64_t bytes) {
  constexpr uint64_t kPrime = 0x100000001b3ull;
  int64_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * kPrime;
  }
  if (i < bytes) {
    uint64_t w = 0;
    std::memcpy(&w, p + i, bytes - i);
    h = (h ^ w) * kPrime;
  }
  return h;
}

// The checksum of a whole file whose header is h (read with its checksum field as zero) and whose network follows.
uint64_t checksum(Header h, const uint8_t* network, int64_t network_bytes) {
  h.checksum = 0;
  uint64_t sum = fnv1a_words(0xcbf29ce484222325ull, reinterpret_cast<const uint8_t*>(&h), kHeaderBytes);
  return fnv1a_words(sum, network, network_bytes);
}

Status check_info(const ModelInfo& info, const std::string& where) {
  if (info.variant != "tiny" && info.variant != "base")
    return Status::invalid(where + "the variant must be \"tiny\" or \"base\", got \"" + info.variant + "\"");
  for (int c = 0; c < 3; ++c)
    if (!std::isfinite(info.mean[c]) || !std::isfinite(info.std[c]) || !(info.std[c] > 0))
      return Status::invalid(where + "the input normalisation of channel " + n(c) + " (mean " +
                             std::to_string(info.mean[c]) + ", std " + std::to_string(info.std[c]) +
                             ") must be finite with std > 0");
  return Status();
}

// What the description says against what the network is.
Status check_against(const ModelInfo& info, const Network& net, const std::string& where) {
  if ((info.variant == "base") != net.head.x8_output)
    return Status::invalid(where + "the model says \"" + info.variant + "\" but its network has " +
                           (net.head.x8_output ? "base's" : "tiny's") + " head");
  if (info.classes != net.head.classifier.cout)
    return Status::invalid(where + "the model says " + n(info.classes) + " classes, its network gives " +
                           n(net.head.classifier.cout));
  return Status();
}

}  // namespace

uint64_t model_file_checksum(const void* file, int64_t bytes) {
  Header h;
  std::memcpy(&h, file, kHeaderBytes);
  return checksum(h, static_cast<const uint8_t*>(file) + kHeaderBytes, bytes - kHeaderBytes);
}

Status model_file(const void* network_blob, int64_t blob_bytes, const ModelInfo& info, std::vector<uint8_t>* file) {
  const std::string where = "model_file: ";
  if (network_blob == nullptr || file == nullptr) return Status::invalid(where + "null argument");
  if (blob_bytes < 0 || blob_bytes > kModelFileMaxBytes - kHeaderBytes)
    return Status::invalid(where + "a network of " + n(blob_bytes) + " bytes is not a model");
  Status s = check_info(info, where);
  if (!s.ok()) return s;
  if (info.classes < 1 || info.classes > UINT32_MAX) return Status::invalid(where + "bad class count " + n(info.classes));
  const bool narrow = info.precision != DataType::f32;
  std::vector<uint8_t> halves;
  if (narrow) {
    s = network_to_16bit(network_blob, blob_bytes, info.precision, &halves);
    if (!s.ok()) return s.prefixed(where + data_type_name(info.precision) + " ");
    network_blob = halves.data();
    blob_bytes = static_cast<int64_t>(halves.size());
  }
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof(kMagic));
  h.version = kModelFileVersion;
  h.header_bytes = kHeaderBytes;
  std::memcpy(h.variant, info.variant.data(), info.variant.size());
  h.classes = static_cast<uint32_t>(info.classes);
  h.precision = info.precision == DataType::f16 ? kFp16 : info.precision == DataType::bf16 ? kBf16 : kFp32;
  for (int c = 0; c < 3; ++c) h.mean[c] = info.mean[c], h.std[c] = info.std[c];
  h.network_offset = kHeaderBytes;
  h.network_bytes = static_cast<uint64_t>(blob_bytes);
  h.checksum = checksum(h, static_cast<const uint8_t*>(network_blob), blob_bytes);
  file->resize(kHeaderBytes + blob_bytes);
  std::memcpy(file->data(), &h, kHeaderBytes);
  std::memcpy(file->data() + kHeaderBytes, network_blob, blob_bytes);
  ModelInfo back;
  Network net;
  std::shared_ptr<const void> expanded;  // what was written reads back
  return model_bind(file->data(), static_cast<int64_t>(file->size()), &back, &net, &expanded);
}

Status model_bind(const void* file, int64_t bytes, ModelInfo* info, Network* net,
                  std::shared_ptr<const void>* expanded) {
  const std::string where = "model file: ";
  if (file == nullptr || info == nullptr || net == nullptr || expanded == nullptr)
    return Status::invalid(where + "null argument");
  Header h;
  if (bytes < kHeaderBytes) return Status::invalid(where + "too short for a .ppms file (" + n(bytes) + " bytes)");
  std::memcpy(&h, file, kHeaderBytes);
  if (std::memcmp(h.magic, kMagic, sizeof(kMagic)) != 0) return Status::invalid(where + "not a .ppms file (bad magic)");
  if (h.version != 1 && h.version != kModelFileVersion)
    return Status::unsupported(where + "version " + n(h.version) + ", this build reads versions 1 to " +
                               n(kModelFileVersion) + ": export it again with this version (ppms export)");
  if (bytes > kModelFileMaxBytes)
    return Status::invalid(where + n(bytes) + " bytes, more than any model (" + n(kModelFileMaxBytes) + ")");
  bool zero = h.header_bytes == kHeaderBytes && (h.version > 1 || h.precision == kFp32) &&
              h.variant[sizeof(h.variant) - 1] == '\0';
  for (uint8_t b : h.reserved) zero = zero && b == 0;
  if (!zero) return Status::invalid(where + "malformed header");
  if (h.precision != kFp32 && h.precision != kFp16 && h.precision != kBf16)
    return Status::invalid(where + "unknown precision " + n(h.precision) + " (0: fp32, 1: fp16, 2: bf16)");
  if (h.network_offset != static_cast<uint64_t>(kHeaderBytes) ||
      h.network_bytes != static_cast<uint64_t>(bytes - kHeaderBytes))
    return Status::invalid(where + "the network lies at " + std::to_string(h.network_offset) + " for " +
                           std::to_string(h.network_bytes) + " bytes, the file has " + n(bytes) +
                           " (truncated or padded?)");
  const auto* p = static_cast<const uint8_t*>(file);
  if (checksum(h, p + kHeaderBytes, bytes - kHeaderBytes) != h.checksum)
    return Status::invalid(where + "checksum mismatch: the file is damaged");
  ModelInfo got;
  got.variant.assign(h.variant, strnlen(h.variant, sizeof(h.variant)));
  got.classes = h.classes;
  got.precision = h.precision == kFp16 ? DataType::f16 : h.precision == kBf16 ? DataType::bf16 : DataType::f32;
  for (int c = 0; c < 3; ++c) got.mean[c] = h.mean[c], got.std[c] = h.std[c];
  Status s = check_info(got, where);
  if (!s.ok()) return s;
  std::shared_ptr<const void> blob;
  if (got.precision != DataType::f32) {
    int64_t blob_bytes;
    s = network_from_16bit(p + kHeaderBytes, bytes - kHeaderBytes, got.precision, &blob, &blob_bytes);
    if (s.ok()) s = network_bind(blob.get(), blob_bytes, net);
    if (!s.ok()) return s.prefixed(where + data_type_name(got.precision) + " ");
  } else {
    s = network_bind(p + kHeaderBytes, bytes - kHeaderBytes, net);
    if (!s.ok()) return s.prefixed(where);
  }
  s = check_against(got, *net, where);
  if (!s.ok()) return s;
  *info = std::move(got);
  *expanded = std::move(blob);
  return Status();
}

Model::~Model() = default;

Status Model::from_memory(const void* bytes, int64_t size, std::shared_ptr<const Model>* model) {
  if (bytes == nullptr || model == nullptr) return Status::invalid("model: null argument");
  if (size < 0 || size > kModelFileMaxBytes)
    return Status::invalid("model: " + n(size) + " bytes is not a model file");
  // 64-byte aligned, as the file's floats are laid out for
  std::shared_ptr<uint8_t> copy(new (std::nothrow) uint8_t[size + 64], [](uint8_t* p) { delete[] p; });
  if (!copy) return Status::invalid("model: out of memory for " + n(size) + " bytes");
  uint8_t* at = copy.get() + (64 - reinterpret_cast<uintptr_t>(copy.get()) % 64) % 64;
  if (size > 0) std::memcpy(at, bytes, size);
  std::shared_ptr<Model> m(new Model());
  std::shared_ptr<const void> expanded;
  Status s = model_bind(at, size, &m->info_, &m->net_, &expanded);
  if (!s.ok()) return s;
  m->bytes_ = expanded ? std::move(expanded) : std::shared_ptr<const void>(copy, at);
  *model = std::move(m);
  return Status();
}

Status Model::load(const std::string& path, std::shared_ptr<const Model>* model) {
  if (model == nullptr) return Status::invalid("model: null argument");
  const std::string where = "model " + path + ": ";
#ifdef PPMS_MMAP
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::io(where + "cannot open it (" + std::strerror(errno) + ")");
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::invalid(where + "not a regular file");
  }
  const int64_t size = st.st_size;
  if (size < kHeaderBytes || size > kModelFileMaxBytes) {
    ::close(fd);
    return Status::invalid(where + n(size) + " bytes is not a model file");
  }
  void* mapped = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapped == MAP_FAILED) return Status::io(where + "cannot map it (" + std::strerror(errno) + ")");
  std::shared_ptr<const void> bytes(mapped, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
  std::shared_ptr<Model> m(new Model());
  std::shared_ptr<const void> expanded;
  Status s = model_bind(mapped, size, &m->info_, &m->net_, &expanded);
  if (!s.ok()) return s.prefixed(where);
  m->bytes_ = expanded ? std::move(expanded) : std::move(bytes);
  *model = std::move(m);
  return Status();
#else
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::io(where + "cannot open it");
  std::vector<uint8_t> data;
  uint8_t chunk[1 << 16];
  for (size_t got; (got = std::fread(chunk, 1, sizeof(chunk), f)) > 0;) {
    data.insert(data.end(), chunk, chunk + got);
    if (static_cast<int64_t>(data.size()) > kModelFileMaxBytes) break;
  }
  std::fclose(f);
  Status s = from_memory(data.data(), static_cast<int64_t>(data.size()), model);
  return s.prefixed(where);
#endif
}

}  // namespace ppms
