#include "ppms/gemm.h"

#include "core/config/config.h"

namespace ppms {

std::vector<std::string> gemm_kernels() { return op_kernels("gemm"); }

GemmFn gemm_kernel(const char* name) {
  const KernelConfig* c = config::with_op("gemm", name);
  return c ? c->gemm.fn : nullptr;
}

}  // namespace ppms
