// The packed network (network.h). network_pack() and network_bind() walk the config with the same code (walk()),
// over two weight sources: raw tensors to pack, or the entries of a blob to check and point into. So what one writes
// the other reads, and a blob from anywhere (a file) gets every check a freshly packed one does.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "core/common/aligned.h"
#include "core/common/bf16.h"
#include "core/common/convert.h"
#include "core/common/half.h"
#include "core/config/config.h"
#include "ppms/network.h"

namespace ppms {

namespace {

constexpr char kMagic[8] = {'P', 'P', 'M', 'S', 'N', 'E', 'T', '\0'};
constexpr int64_t kMaxConfig = 1 << 12, kMaxTensors = 1 << 13, kMaxBlocks = 64, kMaxChannels = 1 << 16;
constexpr int64_t kMaxDim = 1 << 24, kMaxFloats = int64_t{1} << 32;

enum Kind : int64_t { raw_floats = 0, packed_conv = 1, packed_depthwise = 2 };

struct Header {
  char magic[8];
  uint32_t format, config, tensors, zero;
};
struct Entry {
  int64_t kind, rank, dims[4], offset;
};
static_assert(sizeof(Header) == 24 && sizeof(Entry) == 56, "the blob's layout is fixed");

std::string n(int64_t v) { return std::to_string(v); }

// floats an entry takes (its dims already checked to be in [1, kMaxDim])
int64_t entry_floats(const Entry& e) {
  if (e.kind == packed_conv) return conv1x1_packed_floats(e.dims[0], e.dims[1]);
  if (e.kind == packed_depthwise) return e.dims[0] * (e.dims[1] * e.dims[2] + 1);
  int64_t f = 1;
  for (int i = 0; i < e.rank; ++i) f = f * e.dims[i] > kMaxFloats ? kMaxFloats + 1 : f * e.dims[i];
  return f;
}

// Where walk() takes each weight from. `any` (-1) in a wanted shape: that size is read from the weight.
class Source {
 public:
  virtual ~Source() = default;
  // A 1x1 convolution cout x cin (+ bias); k x k x cin inputs for the stem.
  virtual Status conv(const std::string& what, int64_t cout, int64_t cin, Conv1x1Weights* out) = 0;
  virtual Status depthwise(const std::string& what, int64_t channels, int64_t k, DepthwiseWeights* out) = 0;
  // A tensor of `rank` dims equal to `want` where >= 0; rank 0: any shape (the caller checks it).
  virtual Status raw(const std::string& what, int rank, const int64_t* want, View* out) = 0;
};
constexpr int64_t any = -1;

Status shape_error(const std::string& what, const std::string& got, int rank, const int64_t* want) {
  std::string w = "[";
  for (int i = 0; i < rank; ++i) w += (i ? ", " : "") + (want[i] < 0 ? std::string("any") : n(want[i]));
  return Status::invalid("network: " + what + " must be " + w + "], got " + got);
}

struct Reader {
  const int64_t* config;
  int64_t size, i = 0;
  Status next(const std::string& what, int64_t lo, int64_t hi, int64_t* v) {
    if (i >= size) return Status::invalid("network: the config ends early, before " + what);
    *v = config[i++];
    if (*v < lo || *v > hi)
      return Status::invalid("network: config value " + n(i - 1) + " (" + what + ") must be in [" + n(lo) + ", " +
                             n(hi) + "], got " + n(*v));
    return Status();
  }
};

#define PPMS_TRY(expr)            \
  do {                            \
    Status s_ = (expr);           \
    if (!s_.ok()) return s_;      \
  } while (0)

Status walk(const int64_t* config, int64_t config_size, Source& src, Network* net) {
  Reader r{config, config_size};
  int64_t x8_output, c;
  PPMS_TRY(r.next("x8_output", 0, 1, &x8_output));
  PPMS_TRY(r.next("the stem's channels", 1, kMaxChannels, &c));
  *net = Network();
  net->head.x8_output = x8_output != 0;
  PPMS_TRY(src.conv("the stem", c, 27, &net->stem));
  int64_t cs[3] = {0, 0, 0};  // the channels of x8, x16, x32 (the transformer stages keep them)
  for (int st = 0; st < 4; ++st) {
    const std::string stage = "stage " + n(st + 1);
    int64_t count;
    PPMS_TRY(r.next(stage + "'s block count", 1, kMaxBlocks, &count));
    for (int64_t i = 0; i < count; ++i) {
      const std::string at = stage + " block " + n(i);
      InvertedResidual b;
      int64_t se, hs;
      PPMS_TRY(r.next(at + " cin", 1, kMaxChannels, &b.cin));
      PPMS_TRY(r.next(at + " cmid", 1, kMaxChannels, &b.cmid));
      PPMS_TRY(r.next(at + " cout", 1, kMaxChannels, &b.cout));
      PPMS_TRY(r.next(at + " k", 1, kDepthwiseMaxK, &b.k));
      PPMS_TRY(r.next(at + " stride", 1, 2, &b.stride));
      PPMS_TRY(r.next(at + " se", 0, 1, &se));
      PPMS_TRY(r.next(at + " hardswish", 0, 1, &hs));
      if (b.k % 2 == 0) return Status::invalid("network: " + at + " k must be odd, got " + n(b.k));
      if (b.cin != c)
        return Status::invalid("network: " + at + " takes " + n(b.cin) + " channels, the layer before gives " + n(c));
      b.expand_act = b.depthwise_act = hs ? Activation::hardswish : Activation::relu;
      PPMS_TRY(src.conv(at + " expand", b.cmid, b.cin, &b.expand));
      PPMS_TRY(src.depthwise(at + " depthwise", b.cmid, b.k, &b.depthwise));
      PPMS_TRY(src.conv(at + " project", b.cout, b.cmid, &b.project));
      if (se) {
        View v;
        const int64_t s1[2] = {any, b.cmid};
        PPMS_TRY(src.raw(at + " SE conv1", 2, s1, &v));
        b.se1_w = v.data;
        b.cse = v.dims[0];
        const int64_t s1b[1] = {b.cse}, s2[2] = {b.cmid, b.cse}, s2b[1] = {b.cmid};
        PPMS_TRY(src.raw(at + " SE conv1 bias", 1, s1b, &v));
        b.se1_b = v.data;
        PPMS_TRY(src.raw(at + " SE conv2", 2, s2, &v));
        b.se2_w = v.data;
        PPMS_TRY(src.raw(at + " SE conv2 bias", 1, s2b, &v));
        b.se2_b = v.data;
      }
      net->stages[st].push_back(b);
      c = b.cout;
    }
    if (st >= 1) cs[st - 1] = c;
  }
  for (int ts = 0; ts < 2; ++ts) {
    const int64_t c = cs[ts + 1];
    const std::string tstage = "transformer stage " + n(ts + 1);
    int64_t count, dim, heads, key_dim;
    PPMS_TRY(r.next(tstage + "'s block count", 0, kMaxBlocks, &count));
    PPMS_TRY(r.next(tstage + " dim", 1, kMaxChannels, &dim));
    PPMS_TRY(r.next(tstage + " num_heads", 1, 1024, &heads));
    PPMS_TRY(r.next(tstage + " key_dim", 1, 1024, &key_dim));
    if (count > 0 && dim != c)
      return Status::invalid("network: " + tstage + " takes " + n(dim) + " channels, the layer before gives " + n(c));
    for (int64_t i = 0; i < count; ++i) {
      const std::string at = tstage + " block " + n(i);
      TransformerBlock t;
      View views[sea::kNumWeights];
      for (int j = 0; j < sea::kNumWeights; ++j)
        PPMS_TRY(src.raw(at + " " + sea::kWeightNames[j], 0, nullptr, &views[j]));
      Status s = sea::bind(views, sea::kNumWeights, heads, key_dim, &t.dims, &t.attention);
      if (!s.ok()) return Status::invalid("network: " + at + ": " + s.message());
      if (t.dims.dim != dim)
        return Status::invalid("network: " + at + "'s attention weights are for " + n(t.dims.dim) + " channels, not " +
                               n(dim));
      InvertedResidual& m = t.mlp;
      m.cin = m.cout = dim;
      m.k = 3;
      m.expand_act = Activation::none;
      m.depthwise_act = Activation::relu6;
      PPMS_TRY(src.conv(at + " MLP fc1", any, dim, &m.expand));
      m.cmid = m.expand.cout;
      PPMS_TRY(src.depthwise(at + " MLP dwconv", m.cmid, 3, &m.depthwise));
      PPMS_TRY(src.conv(at + " MLP fc2", dim, m.cmid, &m.project));
      net->transformers[ts].push_back(t);
    }
  }
  AamHead& h = net->head;
  const int64_t e_in[3] = {cs[0], h.x8_output ? cs[2] : cs[1], cs[2]};
  const int64_t a_in[3] = {h.x8_output ? cs[1] : cs[0], h.x8_output ? cs[2] : cs[1], cs[2]};
  const int count = h.x8_output ? 2 : 3;
  int64_t C = any;
  for (int i = 0; i < count; ++i) {
    PPMS_TRY(src.conv("AAM embedding " + n(i), C, e_in[i], &h.e[i]));
    C = h.e[i].cout;
  }
  for (int i = 0; i < count; ++i) PPMS_TRY(src.conv("AAM gate " + n(i), C, a_in[i], &h.a[i]));
  PPMS_TRY(src.conv("the classifier", any, C, &h.classifier));
  if (r.i != config_size)
    return Status::invalid("network: " + n(config_size - r.i) + " config values left over");
  return Status();
}

// network_pack's source: the caller's raw weights, packed into entries and data as they are taken.
class PackSource : public Source {
 public:
  PackSource(const View* w, int64_t count) : w_(w), count_(count) {}
  std::vector<Entry> entries;
  std::vector<float> data;
  int64_t used() const { return i_; }

  Status conv(const std::string& what, int64_t cout, int64_t cin, Conv1x1Weights* out) override {
    View w, b;
    PPMS_TRY(take(what + " weight", &w));
    if (w.rank < 2 || (cout != any && w.dims[0] != cout) || w.numel() != w.dims[0] * cin)
      return Status::invalid("network: " + what + " weight must be [" + (cout == any ? std::string("any") : n(cout)) +
                             ", " + n(cin) + "] (or [cout, cin, 1, 1]), got " + w.shape_str());
    cout = w.dims[0];
    const int64_t want[1] = {cout};
    PPMS_TRY(take(what + " bias", &b));
    if (b.rank != 1 || b.dims[0] != cout) return shape_error(what + " bias", b.shape_str(), 1, want);
    float* dst = add({packed_conv, 2, {cout, cin, 0, 0}, 0});
    PPMS_TRY(conv1x1_pack(w.data, b.data, cout, cin, dst));
    *out = Conv1x1Weights{cin, cout, nullptr, nullptr};
    return Status();
  }
  Status depthwise(const std::string& what, int64_t channels, int64_t k, DepthwiseWeights* out) override {
    View w, b;
    PPMS_TRY(take(what + " weight", &w));
    const int64_t want[4] = {channels, 1, k, k};
    if (w.rank != 4 || w.dims[0] != channels || w.dims[1] != 1 || w.dims[2] != k || w.dims[3] != k)
      return shape_error(what + " weight", w.shape_str(), 4, want);
    PPMS_TRY(take(what + " bias", &b));
    if (b.rank != 1 || b.dims[0] != channels) return shape_error(what + " bias", b.shape_str(), 1, want);
    PPMS_TRY(depthwise_pack(w.data, b.data, channels, k, add({packed_depthwise, 3, {channels, k, k, 0}, 0})));
    *out = DepthwiseWeights{channels, k, nullptr, nullptr};
    return Status();
  }
  Status raw(const std::string& what, int rank, const int64_t* want, View* out) override {
    PPMS_TRY(take(what, out));
    if (rank > 0) {
      bool fits = out->rank == rank;
      for (int i = 0; fits && i < rank; ++i) fits = want[i] == any || out->dims[i] == want[i];
      if (!fits) return shape_error(what, out->shape_str(), rank, want);
    }
    Entry e{raw_floats, out->rank, {0, 0, 0, 0}, 0};
    for (int i = 0; i < out->rank; ++i) e.dims[i] = out->dims[i];
    if (out->rank < 1 || entry_floats(e) > kMaxFloats)
      return Status::invalid("network: " + what + " has an unsupported shape " + out->shape_str());
    std::memcpy(add(e), out->data, sizeof(float) * entry_floats(e));
    return Status();
  }

 private:
  Status take(const std::string& what, View* v) {
    if (i_ >= count_) return Status::invalid("network: the weights end early, before " + what);
    *v = w_[i_++];
    if (v->data == nullptr || v->rank < 1 || v->rank > View::kMaxRank)
      return Status::invalid("network: " + what + " is null or has no shape");
    int64_t floats = 1;
    for (int d = 0; d < v->rank; ++d) {
      if (v->dims[d] < 1 || v->dims[d] > kMaxDim || (floats *= v->dims[d]) > kMaxFloats)
        return Status::invalid("network: " + what + " has an unsupported shape " + v->shape_str());
    }
    return Status();
  }
  float* add(Entry e) {  // each entry 64-byte aligned in the data
    e.offset = static_cast<int64_t>(data.size());
    entries.push_back(e);
    data.resize(data.size() + whole_lines(entry_floats(e)), 0.0f);
    return data.data() + e.offset;
  }
  const View* w_;
  int64_t count_, i_ = 0;
};

// A tensor of a blob as walk() takes it: its name in errors and its floats.
struct Named {
  std::string what;
  int64_t offset, floats;
};

// network_bind's source: the blob's entries, each checked against what the config asks for.
class BindSource : public Source {
 public:
  BindSource(const Entry* e, int64_t count, const float* data, int64_t floats, std::vector<Named>* named)
      : e_(e), count_(count), data_(data), floats_(floats), named_(named) {}
  int64_t used() const { return i_; }
  int64_t end() const { return end_; }  // where the data of the entries taken ends, each padded as network_pack does

  Status conv(const std::string& what, int64_t cout, int64_t cin, Conv1x1Weights* out) override {
    const Entry* e;
    PPMS_TRY(take(what, packed_conv, &e));
    if (e->rank != 2 || (cout != any && e->dims[0] != cout) || e->dims[1] != cin)
      return Status::invalid("network: the blob's " + what + " is not a packed " +
                             (cout == any ? std::string("any") : n(cout)) + " x " + n(cin) + " convolution");
    *out = conv1x1_weights(data_ + e->offset, e->dims[0], cin);
    return Status();
  }
  Status depthwise(const std::string& what, int64_t channels, int64_t k, DepthwiseWeights* out) override {
    const Entry* e;
    PPMS_TRY(take(what, packed_depthwise, &e));
    if (e->rank != 3 || e->dims[0] != channels || e->dims[1] != k || e->dims[2] != k)
      return Status::invalid("network: the blob's " + what + " is not a packed " + n(channels) + "-channel " + n(k) +
                             "x" + n(k) + " depthwise convolution");
    *out = depthwise_weights(data_ + e->offset, channels, k);
    return Status();
  }
  Status raw(const std::string& what, int rank, const int64_t* want, View* out) override {
    const Entry* e;
    PPMS_TRY(take(what, raw_floats, &e));
    View v;
    v.data = data_ + e->offset;
    v.rank = static_cast<int>(e->rank);
    for (int i = 0; i < v.rank; ++i) v.dims[i] = e->dims[i];
    if (rank > 0) {
      bool fits = v.rank == rank;
      for (int i = 0; fits && i < rank; ++i) fits = want[i] == any || v.dims[i] == want[i];
      if (!fits) return shape_error("the blob's " + what, v.shape_str(), rank, want);
    }
    *out = v;
    return Status();
  }

 private:
  Status take(const std::string& what, Kind kind, const Entry** out) {
    if (i_ >= count_) return Status::invalid("network: the blob's tensors end early, before " + what);
    const Entry& e = e_[i_++];
    bool ok = e.kind == kind && e.rank >= 1 && e.rank <= (kind == raw_floats ? 4 : kind == packed_conv ? 2 : 3);
    for (int i = 0; ok && i < e.rank; ++i) ok = e.dims[i] >= 1 && e.dims[i] <= kMaxDim;
    if (!ok) return Status::invalid("network: the blob's entry " + n(i_ - 1) + " (" + what + ") is malformed");
    const int64_t f = entry_floats(e);
    if (e.offset < 0 || e.offset % 16 != 0 || f > floats_ || e.offset > floats_ - f)
      return Status::invalid("network: the blob's entry " + n(i_ - 1) + " (" + what + ") lies outside its data");
    if (named_) named_->push_back({what, e.offset, f});
    end_ = std::max(end_, e.offset + whole_lines(f));
    *out = &e;
    return Status();
  }
  const Entry* e_;
  int64_t count_;
  const float* data_;
  int64_t floats_, i_ = 0, end_ = 0;
  std::vector<Named>* named_;
};

int64_t data_start(int64_t config, int64_t tensors) {
  return (static_cast<int64_t>(sizeof(Header)) + 8 * config + static_cast<int64_t>(sizeof(Entry)) * tensors + 63) / 64 *
         64;
}

// The blob's header, checked, and where its data starts (within the blob's bytes).
Status read_header(const void* blob, int64_t bytes, Header* h, int64_t* start) {
  if (bytes < static_cast<int64_t>(sizeof(*h)))
    return Status::invalid("network: the blob is too short (" + n(bytes) + " bytes)");
  std::memcpy(h, blob, sizeof(*h));
  if (std::memcmp(h->magic, kMagic, sizeof(kMagic)) != 0) return Status::invalid("network: not a ppms network blob");
  if (h->format != kNetworkFormat)
    return Status::invalid("network: the blob has format " + n(h->format) + ", this build reads format " +
                           n(kNetworkFormat) + ": pack it again with this version");
  if (h->config > kMaxConfig || h->tensors > kMaxTensors || h->zero != 0)
    return Status::invalid("network: the blob's header is malformed");
  *start = data_start(h->config, h->tensors);
  if (bytes < *start) return Status::invalid("network: the blob is truncated (" + n(bytes) + " bytes)");
  return Status();
}

// network_bind, and the name and floats of each tensor taken (named: optional).
Status bind(const void* blob, int64_t bytes, Network* net, const KernelConfig* kernels, std::vector<Named>* named) {
  if (blob == nullptr || net == nullptr) return Status::invalid("network: null blob");
  if (reinterpret_cast<uintptr_t>(blob) % alignof(float) != 0)
    return Status::invalid("network: the blob must be 4-byte aligned");
  Header h;
  int64_t start;
  PPMS_TRY(read_header(blob, bytes, &h, &start));
  if ((bytes - start) % 4 != 0) return Status::invalid("network: the blob is truncated (" + n(bytes) + " bytes)");
  const auto* p = static_cast<const uint8_t*>(blob);
  // config and entries are 8-byte values at 8-byte offsets, but the blob may be only 4-byte aligned: copy them
  std::vector<int64_t> config(h.config);
  std::vector<Entry> entries(h.tensors);
  if (!config.empty()) std::memcpy(config.data(), p + sizeof(h), 8 * config.size());  // memcpy(nullptr, ...): UB
  if (!entries.empty())
    std::memcpy(entries.data(), p + sizeof(h) + 8 * config.size(), sizeof(Entry) * entries.size());
  BindSource src(entries.data(), h.tensors, reinterpret_cast<const float*>(p + start), (bytes - start) / 4, named);
  PPMS_TRY(walk(config.data(), h.config, src, net));
  if (src.used() != static_cast<int64_t>(h.tensors))
    return Status::invalid("network: the blob has " + n(h.tensors - src.used()) + " tensors left over");
  if (src.end() != (bytes - start) / 4)
    return Status::invalid("network: the blob's data holds " + n((bytes - start) / 4) + " floats, its tensors take " +
                           n(src.end()));
  network_set_kernels(net, config::or_fastest(kernels));
  return Status();
}

}  // namespace

Status network_pack(const int64_t* config, int64_t config_size, const View* weights, int64_t num_weights,
                    std::vector<uint8_t>* blob) {
  if (blob == nullptr || (config_size > 0 && config == nullptr) || (num_weights > 0 && weights == nullptr))
    return Status::invalid("network_pack: null argument");
  if (config_size < 0 || config_size > kMaxConfig || num_weights < 0 || num_weights > kMaxTensors)
    return Status::invalid("network_pack: " + n(config_size) + " config values and " + n(num_weights) +
                           " weights is not a network");
  PackSource src(weights, num_weights);
  Network net;
  PPMS_TRY(walk(config, config_size, src, &net));
  if (src.used() != num_weights)
    return Status::invalid("network: " + n(num_weights - src.used()) + " weights left over");
  const int64_t start = data_start(config_size, src.entries.size());
  blob->assign(start + sizeof(float) * src.data.size(), 0);
  Header h{{}, kNetworkFormat, static_cast<uint32_t>(config_size), static_cast<uint32_t>(src.entries.size()), 0};
  std::memcpy(h.magic, kMagic, sizeof(kMagic));
  uint8_t* p = blob->data();
  std::memcpy(p, &h, sizeof(h));
  std::memcpy(p + sizeof(h), config, 8 * config_size);
  std::memcpy(p + sizeof(h) + 8 * config_size, src.entries.data(), sizeof(Entry) * src.entries.size());
  std::memcpy(p + start, src.data.data(), sizeof(float) * src.data.size());
  return network_bind(blob->data(), static_cast<int64_t>(blob->size()), &net);  // what was written reads back
}

namespace {

// SEA's wide convolutions qkv, pw and proj: weights [M][K] and bias [M], which the narrow configs hold a row each, the
// bias last: [M][K + 1] in half, sea::bf16_rows's pairs in bf16.
struct Wide {
  const float *w, *b;
  int64_t M, K;
  int64_t values() const { return M * (K + 1); }
};
std::array<Wide, 3> sea_wide(const sea::Weights& a, const sea::Dims& d) {
  return {Wide{a.qkv_w, a.qkv_b, d.qkv(), d.dim}, Wide{a.pw_w, a.pw_b, d.dim, d.qkv()},
          Wide{a.proj_w, a.proj_b, d.dim, d.dh}};
}
// What a bf16 config runs on its bf16 kernels: the wide convolutions, then the row and column encodings.
std::array<Wide, 5> sea_bf16(const sea::Weights& a, const sea::Dims& d) {
  const auto w = sea_wide(a, d);
  return {w[0], w[1], w[2], Wide{a.row_w, a.row_b, d.dh, d.dh}, Wide{a.col_w, a.col_b, d.dh, d.dh}};
}

// The stem's weights, the MobileNetV3 blocks' and the MLPs' expand, depthwise and project weights and the head's
// convolutions in half (Network::stem_f16, InvertedResidual::f16, AamHead::f16), each array on a 64-byte line of one
// arena that the network (and its copies) keeps.
void bind_half(Network* net) {
  constexpr int64_t kLine = 32;  // halves
  auto line = [](int64_t v) { return (v + kLine - 1) / kLine * kLine; };
  auto conv = [](const Conv1x1Weights& w) { return conv1x1_packed_floats(w.cout, w.cin); };
  auto taps = [](const DepthwiseWeights& w) { return w.channels * (w.k * w.k + 1); };
  std::vector<InvertedResidual*> blocks;  // the MobileNetV3 blocks and the transformers' MLPs
  for (auto& stage : net->stages)
    for (InvertedResidual& b : stage) blocks.push_back(&b);
  for (auto& stage : net->transformers)
    for (TransformerBlock& t : stage) blocks.push_back(&t.mlp);
  AamHead& head = net->head;
  std::vector<std::pair<const Conv1x1Weights*, Conv1x1WeightsT<half>*>> head_convs = {
      {&head.classifier, &head.f16.classifier}};
  for (int i = 0; i < (head.x8_output ? 2 : 3); ++i)
    head_convs.push_back({&head.e[i], &head.f16.e[i]}), head_convs.push_back({&head.a[i], &head.f16.a[i]});
  int64_t size = kLine + line(conv(net->stem));  // the arena's start aligned by hand, the stem
  for (const InvertedResidual* b : blocks)
    size += line(conv(b->expand)) + line(conv(b->project)) + line(taps(b->depthwise));
  for (const auto& c : head_convs) size += line(conv(*c.first));
  // SEA's wide convolutions: [rows][K + 1], the bias last
  for (auto& stage : net->transformers)
    for (const TransformerBlock& t : stage)
      for (const Wide& c : sea_wide(t.attention, t.dims)) size += line(c.values());
  auto arena = std::make_shared<std::vector<half>>(size);
  half* at = arena->data() + (kLine - reinterpret_cast<uintptr_t>(arena->data()) / sizeof(half) % kLine) % kLine;
  auto room = [&](int64_t count) {
    half* out = at;
    at += line(count);
    return out;
  };
  auto half_conv = [&](const Conv1x1Weights& w) {
    const int64_t bias = (w.cout + kConv1x1Panel - 1) / kConv1x1Panel * kConv1x1Panel, panels = conv(w) - bias;
    half* p = room(conv(w));
    to_half(w.panels, panels, p), to_half(w.bias, bias, p + panels);
    return Conv1x1WeightsT<half>{w.cin, w.cout, p, p + panels};
  };
  net->stem_f16 = half_conv(net->stem);
  for (InvertedResidual* b : blocks) {
    b->f16.expand = half_conv(b->expand), b->f16.project = half_conv(b->project);
    const DepthwiseWeights& d = b->depthwise;
    const int64_t kk = d.channels * d.k * d.k;
    half* t = room(taps(d));
    to_half(d.taps, kk, t), to_half(d.bias, d.channels, t + kk);
    b->f16.depthwise = DepthwiseWeightsT<half>{d.channels, d.k, t, t + kk};
  }
  for (const auto& c : head_convs) *c.second = half_conv(*c.first);
  auto with_bias = [&](const Wide& c) {
    half* out = room(c.values());
    for (int64_t m = 0; m < c.M; ++m)
      to_half(c.w + m * c.K, c.K, out + m * (c.K + 1)), out[m * (c.K + 1) + c.K] = half_from_float(c.b[m]);
    return out;
  };
  for (auto& stage : net->transformers)
    for (TransformerBlock& t : stage) {
      sea::Weights& a = t.attention;
      const auto wide = sea_wide(a, t.dims);
      a.f16.qkv = with_bias(wide[0]), a.f16.pw = with_bias(wide[1]), a.f16.proj = with_bias(wide[2]);
    }
  net->f16_weights = std::move(arena);
}

// The 1x1 convolutions of the MobileNetV3 blocks, the MLPs and the head in bf16 pairs (InvertedResidual::bf16,
// AamHead::bf16), each on a 64-byte line of one arena that the network (and its copies) keeps.
void bind_bf16(Network* net) {
  constexpr int64_t kLine = 16;  // floats
  auto line = [](int64_t v) { return (v + kLine - 1) / kLine * kLine; };
  std::vector<std::pair<const Conv1x1Weights*, Conv1x1Weights*>> convs;
  for (auto& stage : net->stages)
    for (InvertedResidual& b : stage) convs.push_back({&b.expand, &b.bf16.expand}), convs.push_back({&b.project, &b.bf16.project});
  for (auto& stage : net->transformers)
    for (TransformerBlock& t : stage)
      convs.push_back({&t.mlp.expand, &t.mlp.bf16.expand}), convs.push_back({&t.mlp.project, &t.mlp.bf16.project});
  AamHead& head = net->head;
  convs.push_back({&head.classifier, &head.bf16.classifier});
  for (int i = 0; i < (head.x8_output ? 2 : 3); ++i)
    convs.push_back({&head.e[i], &head.bf16.e[i]}), convs.push_back({&head.a[i], &head.bf16.a[i]});
  // SEA's wide convolutions: their rows in bf16 pairs, the bias last (sea::bf16_rows)
  int64_t size = kLine;  // the arena's start aligned by hand
  for (const auto& c : convs) size += line(pw::bf16_packed_floats(c.first->cout, c.first->cin));
  for (auto& stage : net->transformers)
    for (const TransformerBlock& t : stage)
      for (const Wide& c : sea_bf16(t.attention, t.dims)) size += line(c.M * sea::bf16_row_words(c.K));
  auto arena = std::make_shared<std::vector<float>>(size);
  float* at = arena->data() + (kLine - reinterpret_cast<uintptr_t>(arena->data()) / sizeof(float) % kLine) % kLine;
  for (const auto& c : convs) {
    *c.second = pw::pack_bf16(*c.first, at);
    at += line(pw::bf16_packed_floats(c.first->cout, c.first->cin));
  }
  auto pairs = [&](const Wide& c) {
    auto* out = reinterpret_cast<uint32_t*>(at);
    sea::bf16_rows(c.w, c.b, c.M, c.K, out);
    at += line(c.M * sea::bf16_row_words(c.K));
    return out;
  };
  for (auto& stage : net->transformers)
    for (TransformerBlock& t : stage) {
      sea::Weights& a = t.attention;
      const auto c = sea_bf16(a, t.dims);
      a.bf16.qkv = pairs(c[0]), a.bf16.pw = pairs(c[1]), a.bf16.proj = pairs(c[2]), a.bf16.row = pairs(c[3]),
      a.bf16.col = pairs(c[4]);
    }
  net->bf16_weights = std::move(arena);
}

}  // namespace

void network_set_kernels(Network* net, const KernelConfig& kernels) {
  if (kernels.type == DataType::f16 && !net->f16_weights) bind_half(net);
  if (kernels.type == DataType::bf16 && !net->bf16_weights) bind_bf16(net);
  net->kernels = &kernels;
  for (auto& stage : net->stages)
    for (auto& b : stage) b.kernels = &kernels;
  for (auto& stage : net->transformers)
    for (auto& t : stage) t.attention_options.kernels = t.mlp.kernels = &kernels;
  net->head.kernels = &kernels;
}

Status network_bind(const void* blob, int64_t bytes, Network* net, const KernelConfig* kernels) {
  return bind(blob, bytes, net, kernels, nullptr);
}

namespace {
// A float's 16 bits in type (f16 or bf16), and back.
uint16_t narrow(float v, DataType type) {
  return type == DataType::bf16 ? static_cast<uint16_t>(bf16_bits(v)) : half_from_float(v);
}
float widen(uint16_t v, DataType type) { return type == DataType::bf16 ? bf16_to_float(v) : half_to_float(v); }
const char* type_word(DataType type) { return type == DataType::bf16 ? "bf16" : "half"; }
}  // namespace

Status network_to_16bit(const void* blob, int64_t bytes, DataType type, std::vector<uint8_t>* stored) {
  if (stored == nullptr) return Status::invalid("network: null output");
  Network net;
  std::vector<Named> named;
  PPMS_TRY(bind(blob, bytes, &net, nullptr, &named));
  Header h;
  int64_t start;
  PPMS_TRY(read_header(blob, bytes, &h, &start));
  const auto* p = static_cast<const uint8_t*>(blob);
  const auto* data = reinterpret_cast<const float*>(p + start);
  if (type != DataType::f16 && type != DataType::bf16)
    return Status::invalid("network: 16-bit storage is fp16 or bf16, not " + std::string(data_type_name(type)));
  const int64_t floats = (bytes - start) / 4;
  for (int64_t i = 0; i < floats; ++i) {
    if (std::isfinite(widen(narrow(data[i], type), type))) continue;
    std::string what = "the padding between tensors";
    for (const Named& t : named)
      if (i >= t.offset && i < t.offset + t.floats) what = t.what;
    char v[32];
    std::snprintf(v, sizeof(v), "%g", data[i]);
    return Status::invalid("network: " + what + " holds " + v + ", outside " + type_word(type) + "'s range" +
                           (type == DataType::f16 ? " (|v| <= 65504)" : " (finite values)") +
                           ": keep this model in fp32");
  }
  stored->resize(start + 2 * floats);
  std::memcpy(stored->data(), p, start);
  for (int64_t i = 0; i < floats; ++i) {
    const uint16_t v = narrow(data[i], type);
    std::memcpy(stored->data() + start + 2 * i, &v, 2);
  }
  return Status();
}

Status network_from_16bit(const void* stored, int64_t bytes, DataType type, std::shared_ptr<const void>* blob,
                          int64_t* blob_bytes) {
  if (stored == nullptr || blob == nullptr || blob_bytes == nullptr) return Status::invalid("network: null argument");
  Header h;
  int64_t start;
  PPMS_TRY(read_header(stored, bytes, &h, &start));
  if ((bytes - start) % 2 != 0)
    return Status::invalid("network: the " + std::string(type_word(type)) + " data is truncated (" + n(bytes - start) +
                           " bytes, an odd count)");
  const int64_t halves = (bytes - start) / 2;
  const auto* p = static_cast<const uint8_t*>(stored);
  try {
    // start: whole 64-byte lines; kept as long as the model, so not scratch
    auto floats = std::make_shared<AlignedFloats>(start / 4 + halves, false);
    float* out = floats->get();
    std::memcpy(out, p, start);
    for (int64_t i = 0; i < halves; ++i) {
      uint16_t v;
      std::memcpy(&v, p + start + 2 * i, 2);
      out[start / 4 + i] = widen(v, type);
    }
    *blob = std::shared_ptr<const void>(floats, out);
  } catch (const std::bad_alloc&) {
    return Status::invalid("network: out of memory for the " + n(start + 4 * halves) + " bytes of the blob");
  }
  *blob_bytes = start + 4 * halves;
  return Status();
}

std::vector<int64_t> network_signature(const Network& net) {
  std::vector<int64_t> s = {net.head.classifier.cout, net.head.x8_output ? 1 : 0, 2};
  for (int st = 0; st < 2; ++st)
    for (const auto& b : net.stages[st]) s.push_back(b.stride);
  return s;
}

}  // namespace ppms
