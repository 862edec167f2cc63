// Fused strided SEA attention (PP-MobileSeg), inference forward with BatchNorm folded into the convolutions.
// Torch-free: builds for a phone without Python. Stages work on channel ranges so callers can parallelise them;
// forward() runs the whole block for one image with a given GEMM.
#pragma once

#include <cstdint>

namespace ppms {
namespace sea {

struct Dims {
  int64_t dim, heads, key_dim, dh;  // dh = attn_ratio * key_dim * heads
  int64_t nh_kd() const { return heads * key_dim; }
  int64_t qkv() const { return 2 * nh_kd() + dh; }  // rows of the stacked q, k, v projection
};

// Packed weights, float32, contiguous, BatchNorm folded (see ppms_kernels/sea.py: pack()).
struct Weights {
  const float* stride_w;  // [dim, 9]   depthwise 3x3, stride 2, padding 1
  const float* stride_b;  // [dim]
  const float* qkv_w;     // [qkv, dim] to_q, to_k, to_v stacked
  const float* qkv_b;     // [qkv]
  const float* dw_w;      // [qkv, 9]   depthwise 3x3 over cat(q, k, v), then ReLU6
  const float* dw_b;      // [qkv]
  const float* pw_w;      // [dim, qkv]
  const float* pw_b;      // [dim]
  const float* row_w;     // [dh, dh]   proj_encode_row (after ReLU6)
  const float* row_b;     // [dh]
  const float* col_w;     // [dh, dh]   proj_encode_column
  const float* col_b;     // [dh]
  const float* proj_w;    // [dim, dh]  proj (after ReLU6)
  const float* proj_b;    // [dim]
  const float* pos;       // [4, nh_kd, pos_len]: rowq, rowk, columnq, columnk
  int64_t pos_len;
};

// C[M, N] = A[M, K] @ B[K, N] + bias[M]; row-major, leading dimensions K, N, N.
using Gemm = void (*)(int64_t M, int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C);

void gemm_scalar(int64_t M, int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C);
#if defined(__x86_64__) || defined(_M_X64)
void gemm_avx2(int64_t M, int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C);
#endif
#if defined(__aarch64__)
void gemm_neon(int64_t M, int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C);
#endif
// The fastest of the above this CPU runs.
Gemm native_gemm();

inline int64_t half_up(int64_t n) { return (n + 1) / 2; }

// out[c] = depthwise 3x3 / stride 2 / padding 1 of x[c] (+ bias), channels [c0, c1). x: [*, H0, W0].
void stride_dw(const float* x, int64_t H0, int64_t W0, const float* w, const float* b, float* out, int64_t c0,
               int64_t c1);
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
// y[c] = bilinear((hardsigmoid(p[c]) * detail[c]), H0 x W0), channels [c0, c1). scratch: gate_scratch() floats.
int64_t gate_scratch(int64_t H, int64_t W, int64_t W0);
void gate_upsample(const float* p, const float* detail, int64_t H, int64_t W, int64_t H0, int64_t W0, float* y,
                   int64_t c0, int64_t c1, float* scratch);

int64_t scratch_floats(const Dims& d, int64_t H0, int64_t W0);

// The intermediate tensors of one image, carved out of scratch_floats() floats.
struct Buffers {
  float *xs, *qkv, *dw, *detail, *t, *p, *gate, *row, *col, *row_e, *col_e, *axial;
  Buffers(const Dims& d, int64_t H0, int64_t W0, float* scratch);
};
// The block for one image x [dim, H0, W0] -> y [dim, H0, W0], single-threaded.
void forward(const Dims& d, const Weights& w, const float* x, int64_t H0, int64_t W0, float* y, Gemm gemm,
             float* scratch);

}  // namespace sea
}  // namespace ppms
