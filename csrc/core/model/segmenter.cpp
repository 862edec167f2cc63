// The Segmenter (model.h): preprocessing (normalisation, and the resize when asked), the network, then the exact
// upsample + argmax straight to the image's size.
#include <algorithm>
#include <new>
#include <type_traits>

#include "core/common/aligned.h"
#include "core/common/linear_axis.h"
#include "core/config/config.h"
#include "core/model/normalise.h"
#include "core/upsample_argmax/kernels.h"
#include "ppms/model.h"
#include "ppms/upsample_argmax.h"

namespace ppms {

namespace {

// Room for n floats that grows and is never shrunk: what a call allocates is reused by the next ones.
class Scratch {
 public:
  float* get(int64_t n) {
    if (n > size_) buf_ = AlignedFloats(n), size_ = n;
    return buf_.get();
  }
  float* data() const { return buf_.get(); }

 private:
  AlignedFloats buf_;
  int64_t size_ = 0;
};

// Bilinear (align_corners=False) from H x W to h x w; at(c, y, x) reads a source value.
template <typename At>
void resize_planes(At at, int64_t H, int64_t W, int64_t h, int64_t w, float* out, const Parallel& par) {
  const LinearAxis ay(H, h), ax(W, w);
  par.for_range(3 * h, 8, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int c = static_cast<int>(r / h);
      const int64_t y = r % h, y0 = ay.i0[y], y1 = ay.i1[y];
      float* o = out + r * w;
      for (int64_t x = 0; x < w; ++x) {
        const int64_t x0 = ax.i0[x], x1 = ax.i1[x];
        const float top = ax.l0[x] * at(c, y0, x0) + ax.l1[x] * at(c, y0, x1);
        const float bottom = ax.l0[x] * at(c, y1, x0) + ax.l1[x] * at(c, y1, x1);
        o[x] = ay.l0[y] * top + ay.l1[y] * bottom;
      }
    }
  });
}

template <typename Label>
constexpr LabelType label_type() {
  return std::is_same<Label, uint8_t>::value ? LabelType::u8 : LabelType::i32;
}

}  // namespace

struct Segmenter::State {
  std::unique_ptr<ThreadPool> pool;
  Parallel par;
  int64_t height = 0, width = 0;
  Scratch planes, buffer, logits;
  int64_t h = 0, w = 0;                               // the last call's logits
  int64_t planned_h = 0, planned_w = 0, floats = 0;  // network_buffer_floats of the last network input size
  Network net;  // the model's, on the options' kernels
};

Segmenter::~Segmenter() = default;

Status Segmenter::create(std::shared_ptr<const Model> model, const SegmenterOptions& o,
                         std::unique_ptr<Segmenter>* segmenter) {
  if (!model || segmenter == nullptr) return Status::invalid("segmenter: null model or output");
  if (o.threads < 1 || o.threads > 1024)
    return Status::invalid("segmenter: threads must be in [1, 1024], got " + std::to_string(o.threads));
  if ((o.height == 0) != (o.width == 0) || o.height < 0 || o.width < 0 || o.height > kUpsampleArgmaxMaxSide ||
      o.width > kUpsampleArgmaxMaxSide)
    return Status::invalid("segmenter: the input size must be 0 x 0 (each image's own) or both sides in [1, " +
                           std::to_string(kUpsampleArgmaxMaxSide) + "], got " + std::to_string(o.height) + " x " +
                           std::to_string(o.width));
  DataType type = model->info().precision;
  if (!o.precision.empty()) {
    const Status known = data_type(o.precision, &type);
    if (!known.ok()) return known.prefixed("segmenter: ");
  }
  const KernelConfig* kernels;
  const Status found = kernel_config(o.kernels.c_str(), type, &kernels);
  if (!found.ok()) return found.prefixed("segmenter: ");
  std::unique_ptr<Segmenter> s(new Segmenter());
  s->model_ = std::move(model);
  s->state_.reset(new State());
  State& st = *s->state_;
  st.net = s->model_->network();
  network_set_kernels(&st.net, *kernels);
  if (o.parallel) {
    st.par = *o.parallel;
  } else if (o.threads > 1) {
    st.pool.reset(new ThreadPool(o.threads));
    st.par = st.pool->parallel();
  }
  st.height = o.height, st.width = o.width;
  *segmenter = std::move(s);
  return Status();
}

DataType Segmenter::precision() const { return state_->net.kernels->type; }

const float* Segmenter::logits(int64_t* h, int64_t* w) const {
  *h = state_->h, *w = state_->w;
  return state_->h > 0 ? state_->logits.data() : nullptr;
}

template <typename In, typename Label>
Status Segmenter::run(const In* in, int64_t H, int64_t W, int64_t stride, Label* labels) {
  constexpr bool bytes = std::is_same<In, uint8_t>::value;
  if (in == nullptr || labels == nullptr) return Status::invalid("segment: null image or labels");
  if (H < 1 || W < 1 || H > kUpsampleArgmaxMaxSide || W > kUpsampleArgmaxMaxSide)
    return Status::invalid("segment: the image is " + std::to_string(H) + " x " + std::to_string(W) +
                           "; each side must be in [1, " + std::to_string(kUpsampleArgmaxMaxSide) + "]");
  if (bytes && stride == 0) stride = 3 * W;
  if (bytes && stride > (int64_t{1} << 40) / H)
    return Status::invalid("segment: a row stride of " + std::to_string(stride) + " bytes is not an image's");
  if (bytes && stride < 3 * W)
    return Status::invalid("segment: a row of " + std::to_string(W) + " RGB pixels needs a stride of at least " +
                           std::to_string(3 * W) + " bytes, got " + std::to_string(stride));
  const Network& net = state_->net;
  const int64_t C = net.head.classifier.cout;
  if (label_type<Label>() == LabelType::u8 && C > 256)
    return Status::invalid("segment: the model has " + std::to_string(C) + " classes, too many for uint8 labels");
  State& st = *state_;
  const Parallel& par = st.par;
  const int64_t h = st.height ? st.height : H, w = st.width ? st.width : W;
  Status s;
  if (h != st.planned_h || w != st.planned_w) {  // the plan walks every layer: once per size, not per call
    s = network_buffer_floats(net, h, w, par, &st.floats);
    if (!s.ok()) return s.prefixed("segment: ");
    st.planned_h = h, st.planned_w = w;
  }
  int64_t lh, lw;
  network_logits_size(net, h, w, &lh, &lw);
  if (lh < 1 || lw < 1)
    return Status::invalid("segment: a network input of " + std::to_string(h) + " x " + std::to_string(w) +
                           " is too small for this network (its logits would be " + std::to_string(lh) + " x " +
                           std::to_string(lw) + ")");
  try {
    float* planes = nullptr;
    const ModelInfo& info = model_->info();
    const Normalise f{{info.mean[0], info.mean[1], info.mean[2]}, {info.std[0], info.std[1], info.std[2]}};
    if (h == H && w == W) {
      if (bytes) {
        planes = st.planes.get(3 * H * W);
        s = normalise_rgb(reinterpret_cast<const uint8_t*>(in), 1, H, W, stride, info.mean, info.std, planes, par);
        if (!s.ok()) return s.prefixed("segment: ");
      } else {
        planes = const_cast<float*>(reinterpret_cast<const float*>(in));  // read only
      }
    } else {
      planes = st.planes.get(3 * h * w);
      if (bytes) {
        const auto* rgb = reinterpret_cast<const uint8_t*>(in);
        resize_planes([&](int c, int64_t y, int64_t x) { return f(rgb[y * stride + 3 * x + c], c); }, H, W, h, w,
                      planes, par);
      } else {
        const auto* img = reinterpret_cast<const float*>(in);
        resize_planes([&](int c, int64_t y, int64_t x) { return img[(c * H + y) * W + x]; }, H, W, h, w, planes,
                      par);
      }
    }
    float* logits = st.logits.get(C * lh * lw);
    st.h = 0;
    s = network_logits(net, planes, h, w, logits, par, nullptr, st.buffer.get(st.floats));
    if (!s.ok()) return s.prefixed("segment: ");
    st.h = lh, st.w = lw;
    return vim::run(net.kernels->upsample_argmax, logits, 1, C, lh, lw, H, W, VimMode::exact,
                    label_type<Label>(), labels, par)
        .prefixed("segment: ");
  } catch (const std::bad_alloc&) {
    return Status::invalid("segment: out of memory for a " + std::to_string(H) + " x " + std::to_string(W) +
                           " image at network size " + std::to_string(h) + " x " + std::to_string(w));
  }
}

Status Segmenter::segment(const uint8_t* rgb, int64_t H, int64_t W, int64_t stride, uint8_t* labels) {
  return run(rgb, H, W, stride, labels);
}
Status Segmenter::segment(const uint8_t* rgb, int64_t H, int64_t W, int64_t stride, int32_t* labels) {
  return run(rgb, H, W, stride, labels);
}
Status Segmenter::segment(const float* image, int64_t H, int64_t W, uint8_t* labels) {
  return run(image, H, W, 0, labels);
}
Status Segmenter::segment(const float* image, int64_t H, int64_t W, int32_t* labels) {
  return run(image, H, W, 0, labels);
}

}  // namespace ppms
