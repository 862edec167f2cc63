#include "ppms/transformer_block.h"

#include <memory>
#include <string>

#include "core/common/convert.h"
#include "core/config/config.h"
#include "core/inverted_residual/f16.h"

namespace ppms {

int64_t transformer_block_scratch_floats(const TransformerBlock& b, int64_t H, int64_t W) {
  const KernelConfig& k = config::or_fastest(b.attention_options.kernels);
  const DataType narrow = k.type == DataType::f16 && k.f16.attention ? DataType::f16
                          : k.type == DataType::bf16                ? DataType::bf16
                                                                    : DataType::f32;
  return H * W * b.dims.dim + sea::scratch_floats(b.dims, H, W, true, narrow);
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
  float* x1 = scratch;
  sea::Options o = b.attention_options;
  o.parallel = parallel;
  o.channels_last = true;  // x1 = x + attention(x), channels-last
  o.scratch = x1 + P * C;
  Status s = sea::forward(b.dims, b.attention, x, 1, H, W, x1, o);
  if (!s.ok() || config::or_fastest(b.mlp.kernels).type != DataType::f16)
    return s.ok() ? inverted_residual(b.mlp, x1, H, W, y, parallel) : s;
  // f16: the MLP in half, x1 and y narrowed and widened in place
  auto* x1h = reinterpret_cast<half*>(x1);
  auto* yh = reinterpret_cast<half*>(y);
  to_half(x1, P * C, x1h);
  s = inverted_residual_f16(b.mlp, x1h, H, W, yh, parallel);
  if (s.ok()) to_float(yh, P * C, y);
  return s;
}

}  // namespace ppms
