// Single-threaded float32 GEMM kernels of the core: what the 1x1 convolutions run on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ppms {

// C[M, N] = A[M, K] @ B[K, N] + bias[M] (bias may be null); row-major and contiguous.
using GemmFn = void (*)(int64_t M, int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C);

// The kernels this CPU runs, by name: "scalar" (the reference) first, the fastest last.
std::vector<std::string> gemm_kernels();
// The kernel of that name (nullptr: the fastest); nullptr if this CPU cannot run it or it does not exist.
GemmFn gemm_kernel(const char* name = nullptr);

}  // namespace ppms
