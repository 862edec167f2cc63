// NEON kernel (aarch64): statistics vectorised over 4 cell columns, argmax over 4 output pixels. Same labels
// as rows_scalar, bit for bit (separate vmul/vadd, never a fused multiply-add).
#if defined(__aarch64__)
#include <arm_neon.h>

#include "core/upsample_argmax/kernel_impl.h"

namespace ppms {
namespace vim {
namespace {

void stats(const Args& a, const float* row0, const float* row1, int64_t plane, float* mx, float* L, float* M) {
  const int64_t w = a.w;
  detail::init_bounds(w, L, M);
  for (int64_t k = 0; k < a.num_classes; ++k) {
    const int64_t off = a.classes[k] * plane;
    const float* p0 = row0 + off;
    const float* p1 = row1 + off;
    float* m = mx + k * w;
    // FMIN / FMAX give a (quiet) NaN when any corner is one: such a class is a candidate (m NaN), and FMAXNM, which
    // takes the number over a quiet NaN, leaves L and M alone (a mask per corner cost 10 instructions here)
    const auto cells = [&](int64_t j, float32x4_t x00, float32x4_t x01, float32x4_t x10, float32x4_t x11) {
      const float32x4_t mn = vminq_f32(vminq_f32(x00, x01), vminq_f32(x10, x11));
      const float32x4_t mxv = vmaxq_f32(vmaxq_f32(x00, x01), vmaxq_f32(x10, x11));
      vst1q_f32(L + j, vmaxnmq_f32(vld1q_f32(L + j), mn));
      vst1q_f32(M + j, vmaxnmq_f32(vld1q_f32(M + j), vmaxq_f32(vabsq_f32(mn), vabsq_f32(mxv))));
      vst1q_f32(m + j, mxv);
    };
    int64_t j = 0;
    for (; j + 4 < w; j += 4)  // j + 4 <= w - 1: every lane's right neighbour is j + 1
      cells(j, vld1q_f32(p0 + j), vld1q_f32(p0 + j + 1), vld1q_f32(p1 + j), vld1q_f32(p1 + j + 1));
    if (w - j == 4) {  // the last four cells (w = 32, 64 in the network): the last one is its own right neighbour
      const auto right = [](float32x4_t x) { return vcopyq_laneq_f32(vextq_f32(x, x, 1), 3, x, 3); };
      const float32x4_t x0 = vld1q_f32(p0 + j), x1 = vld1q_f32(p1 + j);
      cells(j, x0, right(x0), x1, right(x1));
      j = w;
    }
    detail::stats_class(p0, p1, w, j, m, L, M);
  }
}

template <typename Out>
void pixels(const Args& a, const detail::Cell& q, int64_t plane, const int32_t* cand, int64_t n, int64_t Y, int64_t X0,
            int64_t X1, Out* orow) {
  const float32x4_t ly0 = vdupq_n_f32(a.ys->l0[Y]), ly1 = vdupq_n_f32(a.ys->l1[Y]);
  int64_t X = X0;
  for (; X + 4 <= X1; X += 4) {
    const float32x4_t lx0 = vld1q_f32(a.xs->l0.data() + X), lx1 = vld1q_f32(a.xs->l1.data() + X);
    float32x4_t best = vdupq_n_f32(0.0f);
    uint32x4_t best_k = vdupq_n_u32(0);
    for (int64_t i = 0; i < n; ++i) {
      const float* p = q.p00 + a.classes[cand[i]] * plane;
      const float32x4_t top = vaddq_f32(vmulq_n_f32(lx0, p[0]), vmulq_n_f32(lx1, p[q.d01]));
      const float32x4_t bot = vaddq_f32(vmulq_n_f32(lx0, p[q.d10]), vmulq_n_f32(lx1, p[q.d11]));
      const float32x4_t v = vaddq_f32(vmulq_f32(top, ly0), vmulq_f32(bot, ly1));
      const uint32x4_t kv = vdupq_n_u32(static_cast<uint32_t>(a.classes[cand[i]]));  // class ids
      if (i == 0) {
        best = v;
        best_k = kv;
        continue;
      }
      const uint32x4_t v_nan = vmvnq_u32(vceqq_f32(v, v));
      const uint32x4_t best_ok = vceqq_f32(best, best);
      const uint32x4_t take = vorrq_u32(vcgtq_f32(v, best), vandq_u32(v_nan, best_ok));
      best = vbslq_f32(take, v, best);
      best_k = vbslq_u32(take, kv, best_k);
    }
    uint32_t ks[4];
    vst1q_u32(ks, best_k);
    for (int l = 0; l < 4; ++l) orow[X + l] = static_cast<Out>(ks[l]);
  }
  if (X < X1) detail::argmax_pixels(a, q, plane, cand, n, Y, X, X1, orow);
}

template <typename Out>
void run(const Args& a, int64_t begin, int64_t end, float* fs, int32_t* is) {
  auto st = [&](const float* row0, const float* row1, int64_t plane, float* mx, float* L, float* M) {
    stats(a, row0, row1, plane, mx, L, M);
  };
  auto px = [&](const detail::Cell& q, int64_t plane, const int32_t* cand, int64_t n, int64_t Y0, int64_t Y1,
                int64_t X0, int64_t X1, Out* out) {
    const int64_t W = static_cast<int64_t>(a.xs->i0.size());
    for (int64_t Y = Y0; Y < Y1; ++Y) pixels<Out>(a, q, plane, cand, n, Y, X0, X1, out + Y * W);
  };
  detail::rows<Out>(a, begin, end, fs, is, st, px);
}

}  // namespace

void kernel_neon(const Args& a, int64_t begin, int64_t end, float* fs, int32_t* is) {
  detail::with_out_type(a.out_type, [&](auto label) { run<decltype(label)>(a, begin, end, fs, is); });
}

}  // namespace vim
}  // namespace ppms
#endif
