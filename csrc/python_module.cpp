// The Python extension module `ppms_kernels._C`: loading it runs the TORCH_LIBRARY registrations in csrc/.
// It also exposes each kernel variant by name, so tests can check every SIMD kernel against the scalar one.
#include <torch/extension.h>

#include <string>

#include "ops/sea_attention/sea_attention.h"
#include "ops/valid_interpolate/valid_interpolate.h"

namespace {

std::string build_info() {
  std::string s = "compiler: ";
#if defined(__clang__)
  s += "clang " __clang_version__;
#elif defined(__GNUC__)
  s += "gcc " __VERSION__;
#else
  s += "unknown";
#endif
#ifdef _OPENMP
  s += ", OpenMP " + std::to_string(_OPENMP);
#else
  s += ", no OpenMP";
#endif
#if defined(__aarch64__)
  s += ", aarch64";
#elif defined(__x86_64__)
  s += ", x86-64";
#endif
  s += std::string(", vim kernel: ") + ppms::vim::best_rows_name();
  s += ", sea 1x1 convs: ATen GEMM";
  return s;
}

std::vector<std::string> vim_kernels() {
  std::vector<std::string> k{"scalar"};
#if defined(__x86_64__) || defined(_M_X64)
  if (__builtin_cpu_supports("avx2")) k.push_back("avx2");
#endif
#if defined(__aarch64__)
  k.push_back("neon");
#endif
  return k;
}

at::Tensor vim_with_kernel(const at::Tensor& logits, std::vector<int64_t> size, const std::string& mode,
                           const std::string& kernel) {
  ppms::vim::RowsFn fn = nullptr;
  if (kernel == "scalar") fn = ppms::vim::rows_scalar;
#if defined(__x86_64__) || defined(_M_X64)
  if (kernel == "avx2" && __builtin_cpu_supports("avx2")) fn = ppms::vim::rows_avx2;
#endif
#if defined(__aarch64__)
  if (kernel == "neon") fn = ppms::vim::rows_neon;
#endif
  TORCH_CHECK_VALUE(fn != nullptr, "unknown or unsupported vim kernel \"", kernel, "\"");
  return ppms::valid_interpolate_cpu_with(logits, size, mode, std::nullopt, fn);
}

std::vector<std::string> gemm_kernels() {
  std::vector<std::string> k{"scalar"};
#if defined(__x86_64__) || defined(_M_X64)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) k.push_back("avx2");
#endif
#if defined(__aarch64__)
  k.push_back("neon");
#endif
  return k;
}

}  // namespace

PYBIND11_MODULE(_C, m) {
  m.def("build_info", &build_info, "Compiler, OpenMP, target and kernels the native ops were built with.");
  m.def("vim_kernels", &vim_kernels, "The valid_interpolate CPU kernels this machine can run.");
  m.def("valid_interpolate_with", &vim_with_kernel, "valid_interpolate (CPU) with a named kernel, for tests.");
  m.def("gemm_kernels", &gemm_kernels, "The sea_attention GEMM kernels this machine can run.");
  m.def("sea_attention_core", [](const at::Tensor& x, std::vector<at::Tensor> w, int64_t heads, int64_t key_dim,
                                 const std::string& gemm) { return ppms::sea_attention_core(x, w, heads, key_dim, gemm); },
        "sea_attention through the torch-free core's single-threaded forward with a named GEMM, for tests.");
}
