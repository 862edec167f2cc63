// The Python extension module `ppms_kernels._C`: loading it runs the TORCH_LIBRARY registrations in csrc/.
#include <torch/extension.h>

#include <string>

static std::string build_info() {
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
  return s;
}

PYBIND11_MODULE(_C, m) {
  m.def("build_info", &build_info, "Compiler, OpenMP and target the native ops were built with.");
}
