// The facts every op and data type shares: the element types the engine computes in and the fused activations.
#pragma once

namespace ppms {

// What a network's kernels compute in (weights, activations, arithmetic): one KernelConfig per type and ISA.
enum class DataType { f32, f16 };

enum class Activation { none, relu, relu6, hardswish };

}  // namespace ppms
