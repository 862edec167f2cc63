// The facts every op and data type shares: the element types the engine computes in and the fused activations.
#pragma once

namespace ppms {

// What a network's kernels compute in (weights, activations, arithmetic): one KernelConfig per type and ISA.
// bf16: the 1x1 convolutions multiply bfloat16 weights and inputs (summed in float, x86 AVX512_BF16); activations
// between layers stay f32.
enum class DataType { f32, f16, bf16 };

enum class Activation { none, relu, relu6, hardswish };

}  // namespace ppms
