#include "core/cpu.h"

#include <string>

#include "ppms/gemm.h"
#include "ppms/ppms.h"
#include "ppms/upsample_argmax.h"

namespace ppms {
namespace cpu {

bool supports(Isa isa) {
  switch (isa) {
    case Isa::scalar:
      return true;
    case Isa::avx2_fma:
#if defined(__x86_64__) || defined(_M_X64)
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
      return false;
#endif
    case Isa::avx512f:
#if defined(__x86_64__) || defined(_M_X64)
      return __builtin_cpu_supports("avx512f");
#else
      return false;
#endif
    case Isa::neon:
#if defined(__aarch64__)
      return true;  // part of the aarch64 baseline
#else
      return false;
#endif
  }
  return false;
}

}  // namespace cpu

const char* version() { return PPMS_VERSION; }

std::string build_info() {
  std::string s = std::string("ppms ") + version() + ", compiler: ";
#if defined(__clang__)
  s += "clang " __clang_version__;
#elif defined(__GNUC__)
  s += "gcc " __VERSION__;
#else
  s += "unknown";
#endif
#if defined(__aarch64__)
  s += ", aarch64";
#elif defined(__x86_64__)
  s += ", x86-64";
#endif
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& k : v) out += (out.empty() ? "" : "/") + k;
    return out;
  };
  s += ", upsample_argmax kernels: " + join(upsample_argmax_kernels());
  s += ", gemm kernels: " + join(gemm_kernels());
  s += ", conv1x1 kernels: " + join(conv1x1_kernels());
  s += ", depthwise kernels: " + join(depthwise_kernels());
  return s;
}

}  // namespace ppms
