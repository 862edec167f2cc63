// The GEMM kernels (ppms/gemm.h has the contract). kernel_scalar.cpp is the reference every SIMD kernel is tested
// against; core/config/config.cpp puts each in the configs of its ISA.
#pragma once

#include <cstdint>

#include "ppms/gemm.h"

namespace ppms {
namespace gemm {

struct Config {
  const char* name;
  GemmFn fn;
};

void kernel_scalar(int64_t M, int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C);
#if defined(__x86_64__) || defined(_M_X64)
void kernel_avx2(int64_t M, int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C);
void kernel_avx512(int64_t M, int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C);
#endif
#if defined(__aarch64__)
void kernel_neon(int64_t M, int64_t N, int64_t K, const float* A, const float* B, const float* bias, float* C);
#endif

}  // namespace gemm
}  // namespace ppms
