#include "ppms/aam.h"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "core/common/fast_math.h"
#include "core/common/linear_axis.h"
#include "core/cpu.h"

namespace ppms {

namespace {

using Buffer = std::unique_ptr<float[]>;
Buffer buffer(int64_t n) { return Buffer(new float[n]); }

// y [H][W][C] = bilinear(x [h][w][C]) (align_corners=False); ratio_h/w as LinearAxis (0: h / H).
void resize(const float* x, int64_t h, int64_t w, int64_t C, float* y, int64_t H, int64_t W, const Parallel& par,
            double ratio_h = 0, double ratio_w = 0) {
  const LinearAxis ys(h, H, ratio_h), xs(w, W, ratio_w);
  par.for_range(H, 1, [&](int64_t Y0, int64_t Y1) {
    for (int64_t Y = Y0; Y < Y1; ++Y) {
      const float *r0 = x + ys.i0[Y] * w * C, *r1 = x + ys.i1[Y] * w * C;
      const float a = ys.l0[Y], b = ys.l1[Y];
      for (int64_t X = 0; X < W; ++X) {
        const float *p00 = r0 + xs.i0[X] * C, *p01 = r0 + xs.i1[X] * C, *p10 = r1 + xs.i0[X] * C,
                    *p11 = r1 + xs.i1[X] * C;
        const float c0 = xs.l0[X], c1 = xs.l1[X];
        float* o = y + (Y * W + X) * C;
        for (int64_t c = 0; c < C; ++c) o[c] = a * (c0 * p00[c] + c1 * p01[c]) + b * (c0 * p10[c] + c1 * p11[c]);
      }
    }
  });
}

PPMS_CLONES void sigmoid_range(float* x, int64_t i0, int64_t i1) {
#pragma omp simd
  for (int64_t i = i0; i < i1; ++i) x[i] = fast_sigmoid(x[i]);
}

void sigmoid_inplace(float* x, int64_t n, const Parallel& par) {
  par.for_range(n, 4096, [&](int64_t i0, int64_t i1) { sigmoid_range(x, i0, i1); });
}

// base: out += sig(a0) * gate * e0
PPMS_CLONES void gate_base(float* out, const float* a0, const float* gate, const float* e0, int64_t i0, int64_t i1) {
#pragma omp simd
  for (int64_t i = i0; i < i1; ++i) out[i] += (fast_sigmoid(a0[i]) * gate[i]) * e0[i];
}

// tiny: out += sig(a0) * sig(a1) * gate * (e0 + e1)
PPMS_CLONES void gate_tiny(float* out, const float* a0, const float* a1, const float* gate, const float* e0,
                           const float* e1, int64_t i0, int64_t i1) {
#pragma omp simd
  for (int64_t i = i0; i < i1; ++i)
    out[i] += ((fast_sigmoid(a0[i]) * fast_sigmoid(a1[i])) * gate[i]) * (e0[i] + e1[i]);
}

// y [P][cout] = conv(x [P][cin]).
Status conv(const Conv1x1Weights& w, const float* x, int64_t P, float* y, const Parallel& par) {
  return conv1x1(w, x, w.cin, P, y, w.cout, Activation::none, nullptr, 0, par);
}

}  // namespace

void aam_head_size(const AamHead& m, int64_t h8, int64_t w8, int64_t* h, int64_t* w) {
  *h = m.x8_output ? h8 : h8 / 2;  // F.interpolate(scale_factor=0.5): floor
  *w = m.x8_output ? w8 : w8 / 2;
}

Status aam_head(const AamHead& m, const Feature& x8, const Feature& x16, const Feature& x32, float* logits,
                const Parallel& par) {
  int64_t H, W;
  aam_head_size(m, x8.h, x8.w, &H, &W);
  if (H < 1 || W < 1 || x16.h < 1 || x32.h < 1 || !x8.data || !x16.data || !x32.data || !logits)
    return Status::invalid("aam_head: empty or null features (x8 " + std::to_string(x8.h) + "x" +
                           std::to_string(x8.w) + ")");
  if (!m.fuse_scale || !m.fuse_shift) return Status::invalid("aam_head: the head's linear_fuse weights are null");
  const int64_t P = H * W, C = m.classifier.cin;
  const int n = m.x8_output ? 2 : 3;
  for (int i = 0; i < n; ++i)
    if (m.e[i].cout != C || m.a[i].cout != C) return Status::invalid("aam_head: the embeddings must all give " +
                                                                     std::to_string(C) + " channels");
  auto out = buffer(P * C), gate = buffer(P * C), t = buffer(P * C), t2 = buffer(P * C);
  auto at = [&](const Feature& f, int64_t cin) -> Status {
    return f.c == cin ? Status() : Status::invalid("aam_head: a feature has " + std::to_string(f.c) +
                                                   " channels, its embedding expects " + std::to_string(cin));
  };
  Status s;
  // The last term, bilinear(E x32) (+ its gate, bilinear(sig(A x32))): computed at 1/32, then resized.
  const Conv1x1Weights &e32 = m.e[n - 1], &a32 = m.a[n - 1];
  if (!(s = at(x32, e32.cin)).ok()) return s;
  const int64_t P32 = x32.h * x32.w;
  auto low = buffer(P32 * C);
  if (!(s = conv(e32, x32.data, P32, low.get(), par)).ok()) return s;
  resize(low.get(), x32.h, x32.w, C, out.get(), H, W, par);  // out = h
  if (!(s = conv(a32, x32.data, P32, low.get(), par)).ok()) return s;
  sigmoid_inplace(low.get(), P32 * C, par);
  resize(low.get(), x32.h, x32.w, C, gate.get(), H, W, par);  // gate = ha
  if (m.x8_output) {
    // base: gate = sig(A0 bilinear(x16)) * ha; out += gate * E0 x8
    if (!(s = at(x16, m.a[0].cin)).ok() || !(s = at(x8, m.e[0].cin)).ok()) return s;
    auto r16 = buffer(P * x16.c);
    resize(x16.data, x16.h, x16.w, x16.c, r16.get(), H, W, par);
    if (!(s = conv(m.a[0], r16.get(), P, t.get(), par)).ok()) return s;
    if (!(s = conv(m.e[0], x8.data, P, t2.get(), par)).ok()) return s;
    par.for_range(P, 64, [&](int64_t p0, int64_t p1) { gate_base(out.get(), t.get(), gate.get(), t2.get(), p0 * C, p1 * C); });
  } else {
    // tiny: l1 = bilinear(x8, 1/2), l2 = bilinear(x16); out += sig(A0 l1) * sig(A1 l2) * ha * (E0 l1 + E1 l2)
    if (!(s = at(x8, m.e[0].cin)).ok() || !(s = at(x16, m.e[1].cin)).ok()) return s;
    auto l1 = buffer(P * x8.c), l2 = buffer(P * x16.c), t3 = buffer(P * C), t4 = buffer(P * C);
    resize(x8.data, x8.h, x8.w, x8.c, l1.get(), H, W, par, 2.0, 2.0);
    resize(x16.data, x16.h, x16.w, x16.c, l2.get(), H, W, par);
    if (!(s = conv(m.a[0], l1.get(), P, t.get(), par)).ok() || !(s = conv(m.e[0], l1.get(), P, t2.get(), par)).ok() ||
        !(s = conv(m.a[1], l2.get(), P, t3.get(), par)).ok() || !(s = conv(m.e[1], l2.get(), P, t4.get(), par)).ok())
      return s;
    par.for_range(P, 64, [&](int64_t p0, int64_t p1) {
      gate_tiny(out.get(), t.get(), t3.get(), gate.get(), t2.get(), t4.get(), p0 * C, p1 * C);
    });
  }
  // head: relu(scale * out + shift), then the classifier
  par.for_range(P, 64, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p)
      for (int64_t c = 0; c < C; ++c) {
        float& v = out[p * C + c];
        v = std::max(v * m.fuse_scale[c] + m.fuse_shift[c], 0.0f);
      }
  });
  return conv(m.classifier, out.get(), P, logits, par);
}

}  // namespace ppms
