#include "ppms/transformer_block.h"

#include <algorithm>
#include <memory>
#include <string>

namespace ppms {

namespace {

// dst[j][i] = src[i][j] for an rows x cols matrix, in strips of 16 source rows: each destination run is 16 floats,
// about a cache line, written whole. (32 x 32 tiles walked the other way wrote 32 lines rows * 4 bytes apart, all
// in one L1 set when rows is a multiple of 1024, and ran at 1 GB/s.)
void transpose(const float* src, int64_t rows, int64_t cols, float* dst, const Parallel& parallel) {
  constexpr int64_t T = 16;
  parallel.for_range((rows + T - 1) / T, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t i0 = b0 * T; i0 < std::min(rows, b1 * T); i0 += T) {
      const int64_t i1 = std::min(rows, i0 + T);
      for (int64_t j = 0; j < cols; ++j)
        for (int64_t i = i0; i < i1; ++i) dst[j * rows + i] = src[i * cols + j];
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
  transpose(x, P, C, in, parallel);  // [H*W][C] -> [C][H*W]
  sea::Options o = b.attention_options;
  o.parallel = parallel;
  o.scratch = x1 + P * C;
  Status s = sea::forward(b.dims, b.attention, in, 1, H, W, out, o);
  if (!s.ok()) return s;
  transpose(out, C, P, x1, parallel);  // back to [H*W][C]
  parallel.for_range(P, 256, [&](int64_t p0, int64_t p1) {
    for (int64_t i = p0 * C; i < p1 * C; ++i) x1[i] += x[i];
  });
  return inverted_residual(b.mlp, x1, H, W, y, parallel);
}

}  // namespace ppms
