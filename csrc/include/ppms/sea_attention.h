// Fused strided SEA attention (PP-MobileSeg): the inference forward of one block, BatchNorm folded into its
// convolutions: x [B, dim, H, W] -> y [B, dim, H, W].
#pragma once

#include <cstdint>

#include "ppms/gemm.h"
#include "ppms/kernels.h"
#include "ppms/parallel.h"
#include "ppms/status.h"
#include "ppms/tensor.h"

namespace ppms {
namespace sea {

// The packed weights, in this order (ppms_kernels.models.fuse.pack() produces them); shapes with
// nk = heads * key_dim, dh = 2 * nk (attn_ratio 2), Q = 2 * nk + dh, L = the positional embeddings' length.
constexpr int kNumWeights = 15;
extern const char* const kWeightNames[kNumWeights];
//   stride_w [dim, 9], stride_b [dim]   depthwise 3x3 / stride 2 (+ its BatchNorm)
//   qkv_w [Q, dim], qkv_b [Q]           to_q, to_k, to_v stacked
//   dw_w [Q, 9], dw_b [Q]               depthwise 3x3 over cat(q, k, v), then ReLU6
//   pw_w [dim, Q], pw_b [dim]           detail branch projection
//   row_w [dh, dh], row_b [dh]          proj_encode_row (after ReLU6)
//   col_w [dh, dh], col_b [dh]          proj_encode_column
//   proj_w [dim, dh], proj_b [dim]      proj (after ReLU6)
//   pos [4, nk, L]                      positional embeddings: rowq, rowk, columnq, columnk

// The largest input H or W: the axial attention holds an (H/2)^2 and a (W/2)^2 map per task.
constexpr int64_t kMaxSide = int64_t{1} << 14;

struct Dims {
  int64_t dim, heads, key_dim, dh;
  int64_t nh_kd() const { return heads * key_dim; }
  int64_t qkv() const { return 2 * nh_kd() + dh; }  // rows of the stacked q, k, v projection
};

struct Weights {
  const float *stride_w, *stride_b, *qkv_w, *qkv_b, *dw_w, *dw_b, *pw_w, *pw_b, *row_w, *row_b, *col_w, *col_b,
      *proj_w, *proj_b, *pos;
  int64_t pos_len;
  // For f16 configs (network_bind fills them): the wide convolutions qkv, pw and proj in half, each row its weights
  // and its bias last ([rows][K + 1]), which the half GEMM multiplies by a row of ones.
  struct {
    const uint16_t *qkv = nullptr, *pw = nullptr, *proj = nullptr;
  } f16;
  // For bf16 configs: each row's weights and bias (K + 1 values) in bf16 pairs, bf16_row_words(K) 32-bit words a row
  // (bf16_rows), which the bf16 kernels read as their inputs as they are; the wide convolutions and the row and
  // column encodings.
  struct {
    const uint32_t *qkv = nullptr, *pw = nullptr, *proj = nullptr, *row = nullptr, *col = nullptr;
  } bf16;
};

// A row of a wide convolution in Weights::bf16: its K weights and its bias in pairs, in 32-bit words.
inline int64_t bf16_row_words(int64_t K) { return (K + 2) / 2; }
// w [M][K] and b [M] into out [M][bf16_row_words(K)] (rounded to nearest even; the last word's high half zero when
// K + 1 is odd): Weights::bf16's layout.
void bf16_rows(const float* w, const float* b, int64_t M, int64_t K, uint32_t* out);

// Checks the shapes of the 15 views (kWeightNames order; data is not read) against each other, heads and key_dim,
// and fills dims.
Status check_weights(const View* weights, int64_t num_weights, int64_t heads, int64_t key_dim, Dims* dims);
// check_weights(), then weights' pointers in `out`.
Status bind(const View* weights, int64_t num_weights, int64_t heads, int64_t key_dim, Dims* dims, Weights* out);

struct Options {
  Parallel parallel;         // default: serial
  const KernelConfig* kernels = nullptr;  // the stages' kernels (ppms/kernels.h); default: the fastest config
  GemmFn gemm = nullptr;     // every 1x1 convolution; default: the config's
  GemmFn wide_gemm = nullptr;  // the convolutions over all H/2 x W/2 pixels (most of the work); default: gemm
  float* scratch = nullptr;    // scratch_floats(dims, H, W, channels_last) floats, or null: allocated for the call
  // x and y channels-last, [B, H, W, dim] (the engine's layout), and y = x + attention(x) (a transformer block's
  // residual): the first and the last stage transpose the channels they own to planes and back, which takes no pass
  // or parallel loop of its own. x and y must not overlap.
  bool channels_last = false;
};

// The floats of forward's scratch for H x W images (one image at a time); channels_last adds the input's planes;
// narrow f16 or bf16 the wide convolutions' inputs in that type's panels (an f16 or bf16 config's).
int64_t scratch_floats(const Dims& dims, int64_t H, int64_t W, bool channels_last = false,
                       DataType narrow = DataType::f32);

// x, y: [B, dims.dim, H, W] contiguous (or Options::channels_last); H, W in [1, kMaxSide].
Status forward(const Dims& dims, const Weights& weights, const float* x, int64_t B, int64_t H, int64_t W, float* y,
               const Options& options = {});

// The squeeze-axial attention alone (the trainable core of the block, float or double): qkv [B, Q, H, W] holds the
// q, k, v channels stacked (dims.dim is not used), pos [4, nk, L] -> row [B, dh, H], col [B, dh, W], before the
// ReLU6 of proj_encode_row / proj_encode_column.
template <typename T>
Status axial_attention(const Dims& dims, const T* qkv, int64_t B, int64_t H, int64_t W, const T* pos, int64_t L,
                       T* row, T* col, const Parallel& parallel = {});

}  // namespace sea
}  // namespace ppms
