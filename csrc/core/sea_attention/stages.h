// The stages of the SEA attention pipeline (sea_attention.cpp runs them): each works on a range of channels, so
// that the pipeline can hand ranges to the caller's parallel loop.
#pragma once

#include <cstdint>

#include "ppms/sea_attention.h"

namespace ppms {
namespace sea {

inline int64_t half_up(int64_t n) { return (n + 1) / 2; }

// out[c] = depthwise 3x3 / stride 2 / padding 1 of x[c] (+ bias), channels [c0, c1). x: [*, H0, W0].
void stride_dw(const float* x, int64_t H0, int64_t W0, const float* w, const float* b, float* out, int64_t c0,
               int64_t c1);
#if defined(__aarch64__)
// The same for W0 a multiple of 8 on NEON (kernel_neon.cpp); stride_dw calls it where it can.
void stride_dw_neon(const float* x, int64_t H0, int64_t W0, const float* w, const float* b, float* out, int64_t c0,
                    int64_t c1);
#endif
// out[c] = ReLU6(depthwise 3x3 / stride 1 / padding 1 of x[c] + bias), channels [c0, c1). Given mr and mc (both),
// it also runs axial_means on each channel while the plane is in cache.
void dw3x3_relu6(const float* x, int64_t H, int64_t W, const float* w, const float* b, float* out, int64_t c0,
                 int64_t c1, float* mr = nullptr, float* mc = nullptr);
#if defined(__x86_64__) || defined(_M_X64)
// The same for W <= 16 on AVX-512 (kernel_avx512.cpp); dw3x3_relu6 calls it where it can.
void dw3x3_relu6_avx512(const float* x, int64_t H, int64_t W, const float* w, const float* b, float* out, int64_t c0,
                        int64_t c1, float* mr, float* mc);
#endif
#if defined(__aarch64__)
// The same for W a multiple of 4 on NEON (kernel_neon.cpp); dw3x3_relu6 calls it where it can.
void dw3x3_relu6_neon(const float* x, int64_t H, int64_t W, const float* w, const float* b, float* out, int64_t c0,
                      int64_t c1, float* mr, float* mc);
#endif
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
// y[c] = bilinear((hardsigmoid(p[c]) * detail[c]), H0 x W0), channels [c0, c1). scratch: gate_scratch() floats.
int64_t gate_scratch(int64_t H, int64_t W, int64_t W0);
void gate_upsample(const float* p, const float* detail, int64_t H, int64_t W, int64_t H0, int64_t W0, float* y,
                   int64_t c0, int64_t c1, float* scratch);

// The intermediate tensors of one image, carved out of scratch_floats() floats.
struct Buffers {
  float *xs, *qkv, *dw, *detail, *t, *p, *row, *col, *row_e, *col_e, *axial;
  float* planes;  // channels_last only: the input's planes [dim][H0][W0], then the output's before the residual
  Buffers(const Dims& d, int64_t H0, int64_t W0, float* scratch);
};

}  // namespace sea
}  // namespace ppms
