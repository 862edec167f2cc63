#include "core/sea_attention/stages.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/common/convert.h"
#include "core/common/fast_math.h"
#include "core/conv1x1/kernels.h"
#include "core/cpu.h"


namespace ppms {
namespace sea {

namespace {
// Sum of n values with four independent accumulators: the compiler turns them into one vector register, where an
// `omp simd` reduction spilled its lanes to the stack.
template <typename T>
inline T row_sum(const T* __restrict x, int64_t n) {
  T a[4] = {T(0), T(0), T(0), T(0)};
  int64_t j = 0;
  for (; j + 4 <= n; j += 4)
    for (int u = 0; u < 4; ++u) a[u] += x[j + u];
  for (; j < n; ++j) a[0] += x[j];
  return (a[0] + a[1]) + (a[2] + a[3]);
}
}  // namespace

PPMS_CLONES void stride_dw(const float* x, int64_t H0, int64_t W0, int64_t ldx, const float* w, const float* b,
                           float* out, int64_t c0, int64_t c1) {
  const int64_t H = half_up(H0), W = half_up(W0), P = W + 1;
  // Input row y is split into even taps e[j] = x[y][2j - 1] and odd taps o[j] = x[y][2j] (zero outside), so output
  // column j reads e[j], o[j], e[j + 1]: contiguous loads instead of stride-2 ones. Buffer rows 0 and H0 + 1 (and
  // the unused ends of each row) stay zero: they are the padding.
  std::vector<float> ev((H0 + 2) * P, 0.0f), od((H0 + 2) * P, 0.0f);
  for (int64_t c = c0; c < c1; ++c) {
    const float* xc = x + c * ldx;
    for (int64_t y = 0; y < H0; ++y) {
      const float* __restrict r = xc + y * W0;
      float* __restrict e = ev.data() + (y + 1) * P;
      float* __restrict o = od.data() + (y + 1) * P;
      for (int64_t j = 0; j < W0 / 2; ++j) {
        o[j] = r[2 * j];
        e[j + 1] = r[2 * j + 1];
      }
      if (W0 % 2 == 1) o[W - 1] = r[W0 - 1];
    }
    const float* k = w + c * 9;
    const float k0 = k[0], k1 = k[1], k2 = k[2], k3 = k[3], k4 = k[4], k5 = k[5], k6 = k[6], k7 = k[7], k8 = k[8];
    const float bc = b[c];
    for (int64_t i = 0; i < H; ++i) {
      const float* __restrict e0 = ev.data() + 2 * i * P;
      const float* __restrict e1 = e0 + P;
      const float* __restrict e2 = e1 + P;
      const float* __restrict o0 = od.data() + 2 * i * P;
      const float* __restrict o1 = o0 + P;
      const float* __restrict o2 = o1 + P;
      float* __restrict y = out + (c * H + i) * W;
      for (int64_t j = 0; j < W; ++j)
        y[j] = bc + ((e0[j] * k0 + o0[j] * k1 + e0[j + 1] * k2) + (e1[j] * k3 + o1[j] * k4 + e1[j + 1] * k5) +
                     (e2[j] * k6 + o2[j] * k7 + e2[j + 1] * k8));
    }
  }
}

template <typename T>
PPMS_CLONES void axial_means(const T* qkv, int64_t H, int64_t W, T* mr, T* mc, int64_t c0, int64_t c1) {
  const T iw = T(1) / static_cast<T>(W), ih = T(1) / static_cast<T>(H);
  for (int64_t c = c0; c < c1; ++c) {
    const T* __restrict x = qkv + c * H * W;
    T* __restrict r = mr + c * H;
    T* __restrict cc = mc + c * W;
    for (int64_t j = 0; j < W; ++j) cc[j] = T(0);
    for (int64_t i = 0; i < H; ++i) {
      const T* __restrict xi = x + i * W;
      for (int64_t j = 0; j < W; ++j) cc[j] += xi[j];
      r[i] = row_sum(xi, W) * iw;
    }
    for (int64_t j = 0; j < W; ++j) cc[j] *= ih;
  }
}

PPMS_CLONES void dw3x3_relu6(const float* x, int64_t H, int64_t W, const float* w, const float* b, float* out,
                             int64_t c0, int64_t c1, float* mr, float* mc) {
  // The plane is copied into a zero border once, so each output row is one branch-free loop over all nine taps
  // that vectorises over the whole width (W = 8 or 16 here: one or two vectors, no scalar tail).
  const int64_t P = W + 2;
  std::vector<float> pad((H + 2) * P, 0.0f);
  for (int64_t c = c0; c < c1; ++c) {
    const float* xc = x + c * H * W;
    for (int64_t i = 0; i < H; ++i) {
      const float* __restrict src = xc + i * W;
      float* __restrict dst = pad.data() + (i + 1) * P + 1;
      for (int64_t j = 0; j < W; ++j) dst[j] = src[j];  // inline: a memmove call per 16-float row costs more
    }
    if (mr) axial_means(x, H, W, mr, mc, c, c + 1);  // this plane is in L1 now
    const float* k = w + c * 9;
    const float k0 = k[0], k1 = k[1], k2 = k[2], k3 = k[3], k4 = k[4], k5 = k[5], k6 = k[6], k7 = k[7], k8 = k[8];
    const float bc = b[c];
    for (int64_t i = 0; i < H; ++i) {
      const float* __restrict r0 = pad.data() + i * P + 1;
      const float* __restrict r1 = r0 + P;
      const float* __restrict r2 = r1 + P;
      float* __restrict o = out + (c * H + i) * W;
      // Three independent partial sums, not one chain of nine dependent adds.
      for (int64_t j = 0; j < W; ++j)
        o[j] = clamp6(bc + ((r0[j - 1] * k0 + r0[j] * k1 + r0[j + 1] * k2) +
                            (r1[j - 1] * k3 + r1[j] * k4 + r1[j + 1] * k5) +
                            (r2[j - 1] * k6 + r2[j] * k7 + r2[j + 1] * k8)));
    }
  }
}

int64_t axial_scratch(const Dims& d, int64_t H, int64_t W) {
  const int64_t n = std::max(H, W);
  return d.qkv() * (H + W) + n * (n + 1) + 16;
}

namespace {

// The softmax's exp: fast_math.h's polynomial in float (a loop of it vectorises, where std::exp is a call per value:
// base's axial attention took 0.3 ms a call), libm's in double (the reference).
inline float softmax_exp(float x) { return fast_exp(x); }
inline double softmax_exp(double x) { return std::exp(x); }

template <typename T>
__attribute__((always_inline)) inline void attend(const Dims& d, T* m, int64_t n, const T* pos_q, const T* pos_k,
                                                  int64_t L, T* out, int64_t h0, int64_t h1, T* scratch) {
  const int64_t nk = d.nh_kd(), kd = d.key_dim, dv = d.dh / d.heads;
  const LinearAxisT<T> ax(L, n);
  const T scale = T(1) / std::sqrt(static_cast<T>(kd));
  T* S = scratch;  // [n] scores of one query
  T* P = S + n;    // [n, n] attention, transposed: P[j * n + i]
  for (int64_t h = h0; h < h1; ++h) {
    for (int64_t c = h * kd; c < (h + 1) * kd; ++c)
      for (int64_t i = 0; i < n; ++i) {
        m[c * n + i] += pos_q[c * L + ax.i0[i]] * ax.l0[i] + pos_q[c * L + ax.i1[i]] * ax.l1[i];
        m[(nk + c) * n + i] += pos_k[c * L + ax.i0[i]] * ax.l0[i] + pos_k[c * L + ax.i1[i]] * ax.l1[i];
      }
    const T* q = m + h * kd * n;
    const T* k = m + (nk + h * kd) * n;
    const T* v = m + (2 * nk + h * dv) * n;
    // Loops run over an independent output index innermost, so they vectorise without reassociating sums.
    for (int64_t i = 0; i < n; ++i) {
      T* __restrict s = S;
      for (int64_t j = 0; j < n; ++j) s[j] = T(0);
      for (int64_t t = 0; t < kd; ++t) {
        const T qi = q[t * n + i];
        const T* __restrict kt = k + t * n;
        for (int64_t j = 0; j < n; ++j) s[j] += qi * kt[j];
      }
      T mx = -std::numeric_limits<T>::infinity();
      for (int64_t j = 0; j < n; ++j) {
        s[j] *= scale;
        mx = std::max(mx, s[j]);
      }
      T sum = T(0);
      for (int64_t j = 0; j < n; ++j) {
        s[j] = softmax_exp(s[j] - mx);
        sum += s[j];
      }
      const T inv = T(1) / sum;
      for (int64_t j = 0; j < n; ++j) P[j * n + i] = s[j] * inv;
    }
    for (int64_t e = 0; e < dv; ++e) {
      const T* ve = v + e * n;
      T* __restrict o = out + (h * dv + e) * n;
      for (int64_t i = 0; i < n; ++i) o[i] = T(0);
      for (int64_t j = 0; j < n; ++j) {
        const T vj = ve[j];
        const T* __restrict pj = P + j * n;
        for (int64_t i = 0; i < n; ++i) o[i] += vj * pj[i];
      }
    }
  }
}

// The float instance in AVX-512 and AVX2 clones as well: its loops run over n = 8 to 32 positions, a vector or two.
PPMS_CLONES void attend_f32(const Dims& d, float* m, int64_t n, const float* pos_q, const float* pos_k, int64_t L,
                            float* out, int64_t h0, int64_t h1, float* scratch) {
  attend(d, m, n, pos_q, pos_k, L, out, h0, h1, scratch);
}

}  // namespace

template <typename T>
void axis_attention(const Dims& d, T* m, int64_t n, const T* pos_q, const T* pos_k, int64_t L, T* out, int64_t h0,
                    int64_t h1, T* scratch) {
  if constexpr (std::is_same_v<T, float>)
    attend_f32(d, m, n, pos_q, pos_k, L, out, h0, h1, scratch);
  else
    attend(d, m, n, pos_q, pos_k, L, out, h0, h1, scratch);
}

template <typename T>
void axial(const Dims& d, const T* qkv, int64_t H, int64_t W, const T* pos, int64_t L, T* row, T* col, T* scratch) {
  const int64_t Q = d.qkv(), nk = d.nh_kd();
  T* mr = scratch;     // [Q, H] means over W
  T* mc = mr + Q * H;  // [Q, W] means over H
  T* S = mc + Q * W;
  axial_means(qkv, H, W, mr, mc, 0, Q);
  axis_attention(d, mr, H, pos, pos + nk * L, L, row, 0, d.heads, S);
  axis_attention(d, mc, W, pos + 2 * nk * L, pos + 3 * nk * L, L, col, 0, d.heads, S);
}

#define PPMS_AXIAL(T)                                                                                              \
  template void axial<T>(const Dims&, const T*, int64_t, int64_t, const T*, int64_t, T*, T*, T*);                  \
  template void axial_means<T>(const T*, int64_t, int64_t, T*, T*, int64_t, int64_t);                             \
  template void axis_attention<T>(const Dims&, T*, int64_t, const T*, const T*, int64_t, T*, int64_t, int64_t, T*);
PPMS_AXIAL(float)
PPMS_AXIAL(double)
#undef PPMS_AXIAL

void relu6(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = clamp6(x[i]);
}

PPMS_CLONES void mix_relu6(const float* v, const float* row, const float* col, int64_t H, int64_t W, float* out,
                           int64_t c0, int64_t c1) {
  for (int64_t c = c0; c < c1; ++c) {
    const float* cc = col + c * W;
    for (int64_t i = 0; i < H; ++i) {
      const float r = row[c * H + i];
      const float* vi = v + (c * H + i) * W;
      float* o = out + (c * H + i) * W;
      for (int64_t j = 0; j < W; ++j) o[j] = clamp6(vi[j] + (r + cc[j]));
    }
  }
}

PPMS_CLONES void gate_upsample(const float* p, const float* detail, int64_t H, int64_t W, int64_t H0, int64_t W0,
                               float* y, int64_t ldy, int64_t c0, int64_t c1, float* scratch) {
  const auto gate = [](const float* __restrict pc, const float* __restrict dc, int64_t n, float* __restrict g) {
    for (int64_t q = 0; q < n; ++q) g[q] = clamp6(pc[q] + 3.0f) * (1.0f / 6.0f) * dc[q];
  };
  gate_upsample_with(gate, p, detail, H, W, H0, W0, y, ldy, c0, c1, scratch);
}

int64_t gate_scratch(int64_t H, int64_t W, int64_t W0) { return H * (W + W0); }

namespace {
// The 16-bit values of the zero bias and of the xs, dw and t panels (and for bf16 of the row and col panels), each a
// whole number of 64-byte lines.
std::array<int64_t, 6> narrow_rooms(const Dims& d, int64_t H0, int64_t W0, DataType narrow) {
  auto whole = [](int64_t n) { return (n + 15) / 16 * 16; };
  const int64_t columns = whole(half_up(H0) * half_up(W0));
  const bool bf16 = narrow == DataType::bf16;
  auto room = [](int64_t values) { return (values + 31) / 32 * 32; };
  auto rows = [&](int64_t K) { return bf16 ? 2 * pw::bf16_pair_rows(K + 1) : K + 1; };
  return {room(bf16 ? 2 * columns : columns), room(columns * rows(d.dim)), room(columns * rows(d.qkv())),
          room(columns * rows(d.dh)),         bf16 ? room(whole(half_up(H0)) * rows(d.dh)) : 0,
          bf16 ? room(whole(half_up(W0)) * rows(d.dh)) : 0};
}
int64_t narrow_floats(const Dims& d, int64_t H0, int64_t W0, DataType narrow) {
  if (narrow == DataType::f32) return 0;
  const auto r = narrow_rooms(d, H0, W0, narrow);
  return floats_for<uint16_t>(r[0] + r[1] + r[2] + r[3] + r[4] + r[5]);
}
}  // namespace

int64_t scratch_floats(const Dims& d, int64_t H0, int64_t W0, bool channels_last, DataType narrow) {
  const int64_t H = half_up(H0), W = half_up(W0), HW = H * W, Q = d.qkv();
  // xs, qkv, dw, detail, t, p + row/col buffers + axial means (+ the input's planes) (+ the half panels)
  return d.dim * HW + 2 * Q * HW + d.dim * HW + d.dh * HW + d.dim * HW + 4 * d.dh * (H + W) + Q * (H + W) + 64 +
         (channels_last ? d.dim * plane_stride(H0, W0) : 0) + narrow_floats(d, H0, W0, narrow);
}

Buffers::Buffers(const Dims& d, int64_t H0, int64_t W0, float* scratch, bool channels_last, DataType narrow) {
  const int64_t H = half_up(H0), W = half_up(W0), HW = H * W, Q = d.qkv(), dh = d.dh;
  xs = scratch;
  qkv = xs + d.dim * HW;
  dw = qkv + Q * HW;
  detail = dw + Q * HW;
  t = detail + d.dim * HW;
  p = t + dh * HW;
  row = p + d.dim * HW;
  col = row + dh * H;
  row_e = col + dh * W;
  col_e = row_e + dh * H;
  axial = col_e + dh * W;
  planes = axial + Q * (H + W) + 64;
  if (narrow == DataType::f32) return;
  const auto rooms = narrow_rooms(d, H0, W0, narrow);
  zeros = reinterpret_cast<uint16_t*>(planes + (channels_last ? d.dim * plane_stride(H0, W0) : 0));
  xs16 = zeros + rooms[0], dw16 = xs16 + rooms[1], t16 = dw16 + rooms[2];
  if (narrow == DataType::bf16) row16 = t16 + rooms[3], col16 = row16 + rooms[4];
}

}  // namespace sea
}  // namespace ppms
