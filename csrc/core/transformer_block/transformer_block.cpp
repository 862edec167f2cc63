#include "ppms/transformer_block.h"

#include <algorithm>
#include <memory>
#include <string>

#if defined(__aarch64__)
#include <arm_neon.h>
#elif defined(__SSE2__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

namespace ppms {

namespace {

// dst[c][r] = src[r][c] (+ add[c][r] when ADD) for one 4 x 4 block, src rows ls floats apart, dst and add rows ld
// apart: in registers on the
// instruction sets every build of the core has (SSE on x86-64, NEON on aarch64; 4 loads, 8 shuffles, 4 stores for 16
// floats, where element by element took about 6.5 aarch64 instructions each).
template <bool ADD>
inline void block4(const float* src, int64_t ls, float* dst, int64_t ld, const float* add) {
#if defined(__aarch64__)
  const float32x4_t a = vld1q_f32(src), b = vld1q_f32(src + ls), c = vld1q_f32(src + 2 * ls),
                    d = vld1q_f32(src + 3 * ls);
  const float64x2_t ab0 = vreinterpretq_f64_f32(vtrn1q_f32(a, b)), ab1 = vreinterpretq_f64_f32(vtrn2q_f32(a, b)),
                    cd0 = vreinterpretq_f64_f32(vtrn1q_f32(c, d)), cd1 = vreinterpretq_f64_f32(vtrn2q_f32(c, d));
  float32x4_t t[4] = {vreinterpretq_f32_f64(vtrn1q_f64(ab0, cd0)), vreinterpretq_f32_f64(vtrn1q_f64(ab1, cd1)),
                      vreinterpretq_f32_f64(vtrn2q_f64(ab0, cd0)), vreinterpretq_f32_f64(vtrn2q_f64(ab1, cd1))};
  for (int c = 0; c < 4; ++c) vst1q_f32(dst + c * ld, ADD ? vaddq_f32(t[c], vld1q_f32(add + c * ld)) : t[c]);
#elif defined(__SSE2__) || defined(_M_X64)
  __m128 a = _mm_loadu_ps(src), b = _mm_loadu_ps(src + ls), c = _mm_loadu_ps(src + 2 * ls),
         d = _mm_loadu_ps(src + 3 * ls);
  _MM_TRANSPOSE4_PS(a, b, c, d);
  const __m128 t[4] = {a, b, c, d};
  for (int r = 0; r < 4; ++r) _mm_storeu_ps(dst + r * ld, ADD ? _mm_add_ps(t[r], _mm_loadu_ps(add + r * ld)) : t[r]);
#else
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) dst[c * ld + r] = src[r * ls + c] + (ADD ? add[c * ld + r] : 0.0f);
#endif
}

// dst[j][i] = src[i][j] (+ add[j][i] when ADD) for an rows x cols matrix, in strips of 16 source rows: each destination run is 16 floats,
// about a cache line, written whole. (32 x 32 tiles walked the other way wrote 32 lines rows * 4 bytes apart, all
// in one L1 set when rows is a multiple of 1024, and ran at 1 GB/s.)
template <bool ADD>
void transpose(const float* src, int64_t rows, int64_t cols, float* dst, const Parallel& parallel,
               const float* add = nullptr) {
  constexpr int64_t T = 16;
  parallel.for_range((rows + T - 1) / T, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t i0 = b0 * T; i0 < std::min(rows, b1 * T); i0 += T) {
      const int64_t i1 = std::min(rows, i0 + T), i4 = i0 + (i1 - i0) / 4 * 4, j4 = cols / 4 * 4;
      for (int64_t j = 0; j < j4; j += 4)
        for (int64_t i = i0; i < i4; i += 4)
          block4<ADD>(src + i * cols + j, cols, dst + j * rows + i, rows, ADD ? add + j * rows + i : nullptr);
      for (int64_t j = 0; j < cols; ++j)  // what the blocks left: the last rows % 4, the last columns % 4
        for (int64_t i = j < j4 ? i4 : i0; i < i1; ++i)
          dst[j * rows + i] = src[i * cols + j] + (ADD ? add[j * rows + i] : 0.0f);
    }
  });
}

}  // namespace

int64_t transformer_block_scratch_floats(const TransformerBlock& b, int64_t H, int64_t W) {
  return 3 * H * W * b.dims.dim + sea::scratch_floats(b.dims, H, W);
}

Status transformer_block(const TransformerBlock& b, const float* x, int64_t H, int64_t W, float* y,
                         const Parallel& parallel, float* scratch) {
  const int64_t C = b.dims.dim, P = H * W;
  if (b.mlp.cin != C || b.mlp.cout != C || b.mlp.stride != 1)
    return Status::invalid("transformer_block: the MLP must map " + std::to_string(C) + " channels to " +
                           std::to_string(C) + " at stride 1");
  if (H < 1 || W < 1 || x == nullptr || y == nullptr)
    return Status::invalid("transformer_block: empty or null input");
  std::unique_ptr<float[]> own;
  if (scratch == nullptr) own.reset(scratch = new float[transformer_block_scratch_floats(b, H, W)]);
  float *in = scratch, *out = in + P * C, *x1 = out + P * C;
  transpose<false>(x, P, C, in, parallel);  // [H*W][C] -> [C][H*W]
  sea::Options o = b.attention_options;
  o.parallel = parallel;
  o.scratch = x1 + P * C;
  Status s = sea::forward(b.dims, b.attention, in, 1, H, W, out, o);
  if (!s.ok()) return s;
  transpose<true>(out, C, P, x1, parallel, x);  // back to [H*W][C], plus the residual
  return inverted_residual(b.mlp, x1, H, W, y, parallel);
}

}  // namespace ppms
