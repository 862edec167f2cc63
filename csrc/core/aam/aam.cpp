#include "ppms/aam.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "core/common/convert.h"
#include "core/common/fast_math.h"
#include "core/common/transpose.h"
#include "core/common/linear_axis.h"
#include "core/config/config.h"
#include "core/cpu.h"

namespace ppms {

namespace {

using Buffer = std::unique_ptr<float[]>;

// Rows [Y0, Y1) of y [H][W][C] = bilinear(x [h][w][C]) (align_corners=False) into band [Y1 - Y0][W][C].
PPMS_CLONES void resize_rows(const float* x, int64_t w, int64_t C, const LinearAxis& ys, const LinearAxis& xs,
                             int64_t W, int64_t Y0, int64_t Y1, float* __restrict band) {
  for (int64_t Y = Y0; Y < Y1; ++Y) {
    const float *r0 = x + ys.i0[Y] * w * C, *r1 = x + ys.i1[Y] * w * C;
    const float a = ys.l0[Y], b = ys.l1[Y];
    for (int64_t X = 0; X < W; ++X) {
      const float *p00 = r0 + xs.i0[X] * C, *p01 = r0 + xs.i1[X] * C, *p10 = r1 + xs.i0[X] * C,
                  *p11 = r1 + xs.i1[X] * C;
      const float c0 = xs.l0[X], c1 = xs.l1[X];
      float* o = band + ((Y - Y0) * W + X) * C;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) o[c] = a * (c0 * p00[c] + c1 * p01[c]) + b * (c0 * p10[c] + c1 * p11[c]);
    }
  }
}

// Row Y of bilinear(x [h][w][C]) along the vertical axis only: out [w][C] = l0 * x[i0] + l1 * x[i1].
PPMS_CLONES void vertical(const float* x, int64_t w, int64_t C, const LinearAxis& ys, int64_t Y,
                          float* __restrict out) {
  const float *r0 = x + ys.i0[Y] * w * C, *r1 = x + ys.i1[Y] * w * C;
  const float a = ys.l0[Y], b = ys.l1[Y];
#pragma omp simd
  for (int64_t i = 0; i < w * C; ++i) out[i] = a * r0[i] + b * r1[i];
}

}  // namespace

namespace aam {

namespace {
template <bool Tiny>
__attribute__((always_inline)) inline void fuse(const float* ve, const float* va, const float* v16,
                                                const LinearAxis& xs, const LinearAxis& x16s, int64_t C, int64_t W,
                                                const float* a0, const float* a1, const float* e0, const float* e1,
                                                float* __restrict out) {
  for (int64_t X = 0; X < W; ++X)
    fuse_channels<Tiny>(ve, va, v16, taps<Tiny>(xs, x16s, C, X), a0, a1, e0, e1, out, X * C, 0, C);
}
}  // namespace

PPMS_CLONES void fuse_tiny(const float* ve, const float* va, const float* v16, const LinearAxis& xs,
                           const LinearAxis& x16s, int64_t C, int64_t W, const float* a0, const float* a1,
                           const float* e0, const float* e1, float* out) {
  fuse<true>(ve, va, v16, xs, x16s, C, W, a0, a1, e0, e1, out);
}

PPMS_CLONES void fuse_base(const float* ve, const float* va, const float* v16, const LinearAxis& xs,
                           const LinearAxis& x16s, int64_t C, int64_t W, const float* a0, const float* a1,
                           const float* e0, const float* e1, float* out) {
  fuse<false>(ve, va, v16, xs, x16s, C, W, a0, a1, e0, e1, out);
}

}  // namespace aam

namespace {

// The head's 1x1 convolutions in T: float, or half on an f16 config. In half, each input is narrowed once (input) and
// each output stored in float, not rounded to half (conv): the resizes, the fuse and the logits stay f32. Rounding
// the classifier's output to half took the worst logit error from 2.66e-3 to 2.84e-3 (docs/fp16.md).
template <class T>
struct Convs {
  const Conv1x1WeightsT<T>*e, *a, *classifier;
};
Convs<float> convs(const AamHead& m, float) {
  if (config::or_fastest(m.kernels).type == DataType::bf16) return {m.bf16.e, m.bf16.a, &m.bf16.classifier};
  return {m.e, m.a, &m.classifier};
}
Convs<half> convs(const AamHead& m, half) { return {m.f16.e, m.f16.a, &m.f16.classifier}; }

// x [n] as T: x itself, or narrowed into room (which may be x)
template <class T>
const T* input(const float* x, int64_t n, float* room) {
  if constexpr (std::is_same_v<T, float>) {
    return x;
  } else {
    to_half(x, n, reinterpret_cast<half*>(room));
    return reinterpret_cast<const half*>(room);
  }
}

// y [P][cout] (f32) = conv(x [P][cin])
template <class T>
void conv(const KernelConfig& ks, const Conv1x1WeightsT<T>& w, const T* x, int64_t P, float* y) {
  if constexpr (std::is_same_v<T, float>)
    pw::run(ks.type == DataType::bf16 ? ks.bf16.conv1x1 : ks.conv1x1, w, x, w.cin, P, y, w.cout, Activation::none);
  else
    pw::run(ks.f16.conv1x1, w, x, w.cin, P, y, w.cout);
}

// kBand output rows at a time: every step after the resizes is per pixel, so a band's temporaries stay in cache.
constexpr int64_t kBand = 4;

bool in_half(const AamHead& m) { return config::or_fastest(m.kernels).type == DataType::f16; }

// A lane's temporaries, in order: out, t2, cls, the rows ve, va (and base's v16, and in half its x8 rows narrowed),
// then for tiny t, l2, l1, t3, t4.
int64_t band_floats(const AamHead& m, const Feature& x8, const Feature& x16, const Feature& x32, int64_t W) {
  const int64_t B = kBand * W, C = m.classifier.cin;
  return B * (2 * C + m.classifier.cout) + (2 * x32.w + (m.x8_output ? x16.w : 0)) * C +
         (m.x8_output ? (in_half(m) ? floats_for<half>(B * x8.c) : 0) : B * (3 * C + x16.c + x8.c));
}

// The terms computed whole at low resolution before the bands: E and sig(A) of x32, and for base A0 x16; in half, the
// inputs of those narrowed.
int64_t low_floats(const AamHead& m, const Feature& x16, const Feature& x32) {
  const int64_t P32 = x32.h * x32.w, P16 = x16.h * x16.w;
  return (2 * P32 + (m.x8_output ? P16 : 0)) * m.classifier.cin +
         (in_half(m) ? floats_for<half>(P32 * x32.c) + (m.x8_output ? floats_for<half>(P16 * x16.c) : 0) : 0);
}

int64_t bands(int64_t H) { return (H + kBand - 1) / kBand; }

PPMS_CLONES void sigmoid_range(float* x, int64_t i0, int64_t i1) {
#pragma omp simd
  for (int64_t i = i0; i < i1; ++i) x[i] = fast_sigmoid(x[i]);
}

template <class T>
void run(const AamHead& m, const Feature& x8, const Feature& x16, const Feature& x32, float* logits,
         const Parallel& par, float* scratch, int64_t H, int64_t W) {
  const int64_t C = m.classifier.cin, classes = m.classifier.cout;
  const int n = m.x8_output ? 2 : 3;
  const KernelConfig& ks = config::or_fastest(m.kernels);
  const Convs<T> w = convs(m, T());
  // The last term, bilinear(E x32) (+ its gate, bilinear(sig(A x32))): computed at 1/32 for the whole image first.
  // Base's A0 too, at 1/16: a bilinear resize and a 1x1 convolution commute (both linear, and the resize's weights
  // sum to 1, so the bias passes through), and A0 after the 2x upsample of x16 was a quarter of base's AAM FLOPs.
  const int64_t P32 = x32.h * x32.w, P16 = x16.h * x16.w;
  float *low_e = scratch, *low_a = low_e + P32 * C, *low_a16 = low_a + P32 * C;
  float* room32 = low_a16 + (m.x8_output ? P16 * C : 0);
  const T* in32 = input<T>(x32.data, P32 * x32.c, room32);
  const T* in16 = m.x8_output ? input<T>(x16.data, P16 * x16.c, room32 + floats_for<T>(P32 * x32.c)) : nullptr;
  float* lanes = scratch + low_floats(m, x16, x32);
  // One parallel loop for the two or three convolutions and the sigmoid, kParts pixel ranges each: every loop costs
  // the wake-up of the other threads (20-40 us in a VM), a fifth of these convolutions' time at 2 threads.
  constexpr int64_t kParts = 8;
  struct Low {
    const Conv1x1WeightsT<T>* w;
    const T* x;
    int64_t P;
    float* y;
    bool sigmoid;
  };
  const Low low[3] = {{&w.e[n - 1], in32, P32, low_e, false}, {&w.a[n - 1], in32, P32, low_a, true},
                      {&w.a[0], in16, P16, low_a16, false}};
  par.for_range((m.x8_output ? 3 : 2) * kParts, 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const Low& l = low[i / kParts];
      const int64_t p0 = l.P * (i % kParts) / kParts, p1 = l.P * (i % kParts + 1) / kParts;
      conv(ks, *l.w, l.x + p0 * l.w->cin, p1 - p0, l.y + p0 * C);
      if (l.sigmoid) sigmoid_range(l.y, p0 * C, p1 * C);
    }
  });
  // Then bands of output rows, each lane of them with its temporaries: the full-size ones never exist.
  const LinearAxis y32(x32.h, H), x32s(x32.w, W), y16(x16.h, H), x16s(x16.w, W);
  const LinearAxis y8(x8.h, H, m.x8_output ? 0.0 : 2.0), x8s(x8.w, W, m.x8_output ? 0.0 : 2.0);
  const int64_t B = kBand * W, per_lane = band_floats(m, x8, x16, x32, W);
  // tiny's x16 is at the output's size (1/16): its resize would be a copy
  const bool x16_as_is = !m.x8_output && x16.h == H && x16.w == W;
  par.for_rows(bands(H), [&](int64_t lane, int64_t band) {
    float* out = lanes + lane * per_lane;
    float *t2 = out + B * C, *cls = t2 + B * C, *ve = cls + B * classes, *va = ve + x32.w * C, *v16 = va + x32.w * C;
    float *t = va + x32.w * C, *l2 = t + B * C, *l1 = l2 + B * x16.c, *t3 = l1 + B * x8.c, *t4 = t3 + B * C;  // tiny
    const int64_t Y0 = band * kBand, Y1 = std::min(H, Y0 + kBand), Pb = (Y1 - Y0) * W;
    if (m.x8_output) {
      // base: sig(bilinear(A0 x16)) gates E0 x8 (x8 is at the output's size)
      conv(ks, w.e[0], input<T>(x8.data + Y0 * W * x8.c, Pb * x8.c, v16 + x16.w * C), Pb, t2);
      for (int64_t Y = Y0; Y < Y1; ++Y) {
        vertical(low_e, x32.w, C, y32, Y, ve);
        vertical(low_a, x32.w, C, y32, Y, va);
        vertical(low_a16, x16.w, C, y16, Y, v16);
        const int64_t o = (Y - Y0) * W * C;
        ks.aam.base(ve, va, v16, x32s, x16s, C, W, nullptr, nullptr, t2 + o, nullptr, out + o);
      }
    } else {
      // tiny: l1 = bilinear(x8, 1/2), l2 = bilinear(x16); sig(A0 l1) * sig(A1 l2) gates E0 l1 + E1 l2
      resize_rows(x8.data, x8.w, x8.c, y8, x8s, W, Y0, Y1, l1);
      const float* x16_rows = x16.data + Y0 * W * x16.c;
      if (!x16_as_is) resize_rows(x16.data, x16.w, x16.c, y16, x16s, W, Y0, Y1, l2), x16_rows = l2;
      const T *in1 = input<T>(l1, Pb * x8.c, l1), *in2 = input<T>(x16_rows, Pb * x16.c, l2);
      conv(ks, w.a[0], in1, Pb, t);
      conv(ks, w.e[0], in1, Pb, t2);
      conv(ks, w.a[1], in2, Pb, t3);
      conv(ks, w.e[1], in2, Pb, t4);
      for (int64_t Y = Y0; Y < Y1; ++Y) {
        vertical(low_e, x32.w, C, y32, Y, ve);
        vertical(low_a, x32.w, C, y32, Y, va);
        const int64_t o = (Y - Y0) * W * C;
        ks.aam.tiny(ve, va, nullptr, x32s, x32s, C, W, t + o, t3 + o, t2 + o, t4 + o, out + o);
      }
    }
    conv(ks, *w.classifier, input<T>(out, Pb * C, out), Pb, cls);
    // Into the planes while the band is in cache, 8 classes at a time: the stores run along 8 planes (all 150 at
    // once touched a page per plane for every 16 pixels, and was slower than element by element; 16 planes of 32 x 32
    // or 64 x 64, a multiple of 4 KB apart, put 16 lines in one 12-way L1 set: 2x the time of 8).
    for (int64_t k0 = 0; k0 < classes; k0 += 8)
      transpose<false>(cls + k0, classes, Pb, std::min<int64_t>(8, classes - k0), logits + k0 * H * W + Y0 * W, H * W);
  });
}

}  // namespace

void aam_head_size(const AamHead& m, int64_t h8, int64_t w8, int64_t* h, int64_t* w) {
  *h = m.x8_output ? h8 : h8 / 2;  // F.interpolate(scale_factor=0.5): floor
  *w = m.x8_output ? w8 : w8 / 2;
}

int64_t aam_head_scratch_floats(const AamHead& m, const Feature& x8, const Feature& x16, const Feature& x32,
                                const Parallel& par) {
  int64_t H, W;
  aam_head_size(m, x8.h, x8.w, &H, &W);
  return low_floats(m, x16, x32) + par.lanes(bands(H)) * band_floats(m, x8, x16, x32, W);
}

Status aam_head(const AamHead& m, const Feature& x8, const Feature& x16, const Feature& x32, float* logits,
                const Parallel& par, float* scratch) {
  int64_t H, W;
  aam_head_size(m, x8.h, x8.w, &H, &W);
  if (H < 1 || W < 1 || x16.h < 1 || x32.h < 1 || !x8.data || !x16.data || !x32.data || !logits)
    return Status::invalid("aam_head: empty or null features (x8 " + std::to_string(x8.h) + "x" +
                           std::to_string(x8.w) + ")");
  const int64_t C = m.classifier.cin;
  const int n = m.x8_output ? 2 : 3;
  for (int i = 0; i < n; ++i)
    if (m.e[i].cout != C || m.a[i].cout != C) return Status::invalid("aam_head: the embeddings must all give " +
                                                                     std::to_string(C) + " channels");
  for (const Conv1x1Weights* w : {&m.e[0], &m.e[1], &m.e[n - 1], &m.a[0], &m.a[1], &m.a[n - 1], &m.classifier})
    if (w->cin < 1 || w->cout < 1 || !w->panels || !w->bias) return Status::invalid("aam_head: empty convolution weights");
  const bool half_weights = in_half(m);
  auto same = [](const Conv1x1Weights& f, const Conv1x1WeightsT<half>& h) {
    return h.panels && h.bias && h.cin == f.cin && h.cout == f.cout;
  };
  bool halves = same(m.classifier, m.f16.classifier);
  for (int i = 0; i < n; ++i) halves = halves && same(m.e[i], m.f16.e[i]) && same(m.a[i], m.f16.a[i]);
  if (half_weights && !halves)
    return Status::invalid("aam_head: an f16 config runs the head on its half weights (network_bind), which are missing");
  auto paired = [](const Conv1x1Weights& f, const Conv1x1Weights& p) {
    return p.panels && p.bias && p.cin == f.cin && p.cout == f.cout;
  };
  bool pairs = paired(m.classifier, m.bf16.classifier);
  for (int i = 0; i < n; ++i) pairs = pairs && paired(m.e[i], m.bf16.e[i]) && paired(m.a[i], m.bf16.a[i]);
  if (config::or_fastest(m.kernels).type == DataType::bf16 && !pairs)
    return Status::invalid("aam_head: a bf16 config runs the head on its bf16 weights (network_bind), which are missing");
  auto at = [&](const Feature& f, int64_t cin) -> Status {
    return f.c == cin ? Status() : Status::invalid("aam_head: a feature has " + std::to_string(f.c) +
                                                   " channels, its embedding expects " + std::to_string(cin));
  };
  Status s;
  const Conv1x1Weights &e32 = m.e[n - 1], &a32 = m.a[n - 1];
  if (!(s = at(x32, e32.cin)).ok() || !(s = at(x32, a32.cin)).ok()) return s;
  if (m.x8_output ? (!(s = at(x16, m.a[0].cin)).ok() || !(s = at(x8, m.e[0].cin)).ok())
                  : (!(s = at(x8, m.e[0].cin)).ok() || !(s = at(x16, m.e[1].cin)).ok() ||
                     !(s = at(x8, m.a[0].cin)).ok() || !(s = at(x16, m.a[1].cin)).ok()))
    return s;
  Buffer own;
  if (scratch == nullptr) own.reset(scratch = new float[aam_head_scratch_floats(m, x8, x16, x32, par)]);
  if (half_weights)
    run<half>(m, x8, x16, x32, logits, par, scratch, H, W);
  else
    run<float>(m, x8, x16, x32, logits, par, scratch, H, W);
  return Status();
}

}  // namespace ppms
