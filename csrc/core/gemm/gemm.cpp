#include "ppms/gemm.h"

#include "core/cpu.h"
#include "core/gemm/kernels.h"

namespace ppms {

namespace {
const cpu::Kernel<GemmFn> kTable[] = {
    {"scalar", cpu::Isa::scalar, gemm::kernel_scalar},
#if defined(__x86_64__) || defined(_M_X64)
    {"avx2", cpu::Isa::avx2_fma, gemm::kernel_avx2},
    {"avx512", cpu::Isa::avx512f, gemm::kernel_avx512},
#endif
#if defined(__aarch64__)
    {"neon", cpu::Isa::neon, gemm::kernel_neon},
#endif
};
}  // namespace

std::vector<std::string> gemm_kernels() { return cpu::names(kTable); }

GemmFn gemm_kernel(const char* name) {
  const auto* k = cpu::pick(kTable, name);
  return k ? k->fn : nullptr;
}

}  // namespace ppms
