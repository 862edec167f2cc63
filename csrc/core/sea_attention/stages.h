// The stages of the SEA attention pipeline (sea_attention.cpp runs them): each works on a range of channels, so
// that the pipeline can hand ranges to the caller's parallel loop. The stages declared here first are the portable
// ones, every config's reference ("scalar"); kernel_avx512.cpp and kernel_neon.cpp hold the fast paths of an ISA,
// each taking every shape (the portable stage where its own does not fit).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/common/half.h"
#include "core/common/linear_axis.h"
#include "ppms/sea_attention.h"

namespace ppms {
namespace sea {

inline int64_t half_up(int64_t n) { return (n + 1) / 2; }

// The floats between two channel planes of H0 x W0 that a stage reads or writes channels-last activations through:
// whole 64-byte lines, and never a multiple of 1 KB, so that the lines a transpose writes to (or reads from) many
// planes at once spread over the L1 sets (planes 4 KB apart all fell in one: 2.6x the time at 32 x 32).
inline int64_t plane_stride(int64_t H0, int64_t W0) {
  const int64_t n = (H0 * W0 + 15) / 16 * 16;
  return n % 256 == 0 ? n + 16 : n;
}

// out[c] = depthwise 3x3 / stride 2 / padding 1 of x[c] (+ bias), channels [c0, c1). x: planes of H0 x W0, ldx floats
// apart.
void stride_dw(const float* x, int64_t H0, int64_t W0, int64_t ldx, const float* w, const float* b, float* out,
               int64_t c0, int64_t c1);
// out[c] = ReLU6(depthwise 3x3 / stride 1 / padding 1 of x[c] + bias), channels [c0, c1). Given mr and mc (both),
// it also runs axial_means on each channel while the plane is in cache.
void dw3x3_relu6(const float* x, int64_t H, int64_t W, const float* w, const float* b, float* out, int64_t c0,
                 int64_t c1, float* mr = nullptr, float* mc = nullptr);
// Squeeze-axial attention on qkv [qkv, H, W] (q, k, v channels stacked): row [dh, H] (attention over rows of
// the W-means) and col [dh, W]. pos: [4, nh_kd, pos_len]. scratch: axial_scratch() values. T: float or double.
// Composed of the two stages below, which callers may parallelise instead.
int64_t axial_scratch(const Dims& d, int64_t H, int64_t W);
template <typename T>
void axial(const Dims& d, const T* qkv, int64_t H, int64_t W, const T* pos, int64_t pos_len, T* row, T* col,
           T* scratch);
// Channels [c0, c1) of qkv [*, H, W]: mr[c, i] = mean over W, mc[c, j] = mean over H.
template <typename T>
void axial_means(const T* qkv, int64_t H, int64_t W, T* mr, T* mc, int64_t c0, int64_t c1);
// Heads [h0, h1) of the attention along an axis of length n. m: means [qkv, n], whose q and k rows of these heads
// get the positional embedding (pos_q, pos_k [nh_kd, L]) added in place; out [dh, n]; scratch: n (n + 1) values.
template <typename T>
void axis_attention(const Dims& d, T* m, int64_t n, const T* pos_q, const T* pos_k, int64_t L, T* out, int64_t h0,
                    int64_t h1, T* scratch);
// x = ReLU6(x) in place, n values.
void relu6(float* x, int64_t n);
// out[c, h, w] = ReLU6(v[c, h, w] + (row[c, h] + col[c, w])), channels [c0, c1).
void mix_relu6(const float* v, const float* row, const float* col, int64_t H, int64_t W, float* out, int64_t c0,
               int64_t c1);
// y[c] = bilinear((hardsigmoid(p[c]) * detail[c]), H0 x W0), channels [c0, c1); y's planes ldy floats apart.
// scratch: gate_scratch() floats.
int64_t gate_scratch(int64_t H, int64_t W, int64_t W0);
void gate_upsample(const float* p, const float* detail, int64_t H, int64_t W, int64_t H0, int64_t W0, float* y,
                   int64_t ldy, int64_t c0, int64_t c1, float* scratch);

// The kernels of one ISA.
using StrideDwFn = decltype(&stride_dw);
using Dw3x3Fn = decltype(&dw3x3_relu6);
using Relu6Fn = decltype(&relu6);
using MixFn = decltype(&mix_relu6);
using GateFn = decltype(&gate_upsample);
struct Config {
  const char* name;
  StrideDwFn stride_dw;
  Dw3x3Fn dw3x3_relu6;
  Relu6Fn relu6;
  MixFn mix_relu6;
  GateFn gate_upsample;
};

#if defined(__x86_64__) || defined(_M_X64)
// dw3x3_relu6 for W <= 16 (kernel_avx512.cpp).
void dw3x3_relu6_avx512(const float* x, int64_t H, int64_t W, const float* w, const float* b, float* out, int64_t c0,
                        int64_t c1, float* mr, float* mc);
#endif
#if defined(__aarch64__)
// stride_dw for W0 a multiple of 8, dw3x3_relu6 for W a multiple of 4, the elementwise stages 4 floats at a time
// (kernel_neon.cpp).
void stride_dw_neon(const float* x, int64_t H0, int64_t W0, int64_t ldx, const float* w, const float* b, float* out,
                    int64_t c0, int64_t c1);
void dw3x3_relu6_neon(const float* x, int64_t H, int64_t W, const float* w, const float* b, float* out, int64_t c0,
                      int64_t c1, float* mr, float* mc);
void relu6_neon(float* x, int64_t n);
void mix_relu6_neon(const float* v, const float* row, const float* col, int64_t H, int64_t W, float* out, int64_t c0,
                    int64_t c1);
void gate_upsample_neon(const float* p, const float* detail, int64_t H, int64_t W, int64_t H0, int64_t W0, float* y,
                        int64_t ldy, int64_t c0, int64_t c1, float* scratch);
#endif

inline float clamp6(float v) { return std::min(std::max(v, 0.0f), 6.0f); }

// gate_upsample with the gate of a plane, gate(p, detail, n, out): out[i] = hardsigmoid(p[i]) * detail[i], i < n.
template <class Gate>
__attribute__((always_inline)) inline void gate_upsample_with(Gate gate, const float* p, const float* detail,
                                                              int64_t H, int64_t W, int64_t H0, int64_t W0, float* y,
                                                              int64_t ldy, int64_t c0, int64_t c1, float* scratch);

// The intermediate tensors of one image, carved out of scratch_floats() floats.
struct Buffers {
  float *xs, *qkv, *dw, *detail, *t, *p, *row, *col, *row_e, *col_e, *axial;
  float* planes;  // channels_last only: the input's dim planes of H0 x W0 (plane_stride apart), then the output's
  // narrow (scratch_floats' narrow) only: a zero bias of whole panels (half for f16, float for bf16), and xs, dw and t
  // in panels of K + 1 rows (the last all ones): half ones (to_half_panels) or bf16 pairs (to_bf16_panels)
  uint16_t *zeros = nullptr, *xs16 = nullptr, *dw16 = nullptr, *t16 = nullptr;
  // bf16 only: row and col (the axial attention's outputs) in pair panels of dh + 1 rows, for their encodings
  uint16_t *row16 = nullptr, *col16 = nullptr;
  Buffers(const Dims& d, int64_t H0, int64_t W0, float* scratch, bool channels_last = false,
          DataType narrow = DataType::f32);
};

template <class Gate>
inline void gate_upsample_with(Gate gate_plane, const float* p, const float* detail, int64_t H, int64_t W, int64_t H0,
                               int64_t W0, float* y, int64_t ldy, int64_t c0, int64_t c1, float* scratch) {
  const LinearAxis ys(H, H0), xs(W, W0);
  // At exactly twice the width (every real shape), outputs 2m + 1 and 2m + 2 both sit between inputs m and m + 1:
  // with the weights split by parity, the horizontal pass needs no gathers.
  bool twice = W0 == 2 * W && W >= 2;
  for (int64_t X = 1; twice && X < W0 - 1; ++X) twice = xs.i0[X] == (X - 1) / 2 && xs.i1[X] == xs.i0[X] + 1;
  const int64_t M = W - 1;
  std::vector<float> wt(twice ? 4 * M : 0);
  for (int64_t m = 0; m < (twice ? M : 0); ++m) {
    wt[m] = xs.l0[2 * m + 1];
    wt[M + m] = xs.l1[2 * m + 1];
    wt[2 * M + m] = xs.l0[2 * m + 2];
    wt[3 * M + m] = xs.l1[2 * m + 2];
  }
  for (int64_t c = c0; c < c1; ++c) {
    float* __restrict gate = scratch;       // [H, W] gated plane
    float* __restrict wide = gate + H * W;  // [H, W0] rows upsampled horizontally
    const float* __restrict pc = p + c * H * W;
    const float* __restrict dc = detail + c * H * W;
    gate_plane(pc, dc, H * W, gate);
    for (int64_t i = 0; i < H; ++i) {
      const float* __restrict g = gate + i * W;
      float* __restrict r = wide + i * W0;
      if (twice) {
        const float *__restrict a0 = wt.data(), *__restrict a1 = a0 + M, *__restrict b0 = a1 + M,
                    *__restrict b1 = b0 + M;
        r[0] = g[xs.i0[0]] * xs.l0[0] + g[xs.i1[0]] * xs.l1[0];
        for (int64_t m = 0; m < M; ++m) {
          r[2 * m + 1] = g[m] * a0[m] + g[m + 1] * a1[m];
          r[2 * m + 2] = g[m] * b0[m] + g[m + 1] * b1[m];
        }
        r[W0 - 1] = g[xs.i0[W0 - 1]] * xs.l0[W0 - 1] + g[xs.i1[W0 - 1]] * xs.l1[W0 - 1];
      } else {
        for (int64_t X = 0; X < W0; ++X) r[X] = g[xs.i0[X]] * xs.l0[X] + g[xs.i1[X]] * xs.l1[X];
      }
    }
    float* yc = y + c * ldy;
    for (int64_t Y = 0; Y < H0; ++Y) {
      const float* __restrict r0 = wide + ys.i0[Y] * W0;
      const float* __restrict r1 = wide + ys.i1[Y] * W0;
      const float a = ys.l0[Y], b = ys.l1[Y];
      float* __restrict o = yc + Y * W0;
      for (int64_t X = 0; X < W0; ++X) o[X] = r0[X] * a + r1[X] * b;
    }
  }
}

}  // namespace sea
}  // namespace ppms
