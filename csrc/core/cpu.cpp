#include "core/cpu.h"

#include "ppms/ppms.h"

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

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
    case Isa::avx512bf16:
#if defined(__x86_64__) || defined(_M_X64)
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
#else
      return false;
#endif
    case Isa::amx_bf16:
#if defined(__x86_64__) && defined(__linux__)
    {
      // Linux hands out the tile registers' state only to a process that asks (arch_prctl ARCH_REQ_XCOMP_PERM for
      // XTILEDATA, 5.16 and later): asked once, and no AMX where it refuses.
      // AMX-TILE and AMX-BF16 read from CPUID (leaf 7, EDX bits 24 and 22): not every compiler's
      // __builtin_cpu_supports knows them (clang 14 does not).
      static const bool granted = [] {
        unsigned a = 0, b = 0, c = 0, d = 0;
        const bool amx = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (d >> 24 & 1) && (d >> 22 & 1);
        return supports(Isa::avx512bf16) && amx && syscall(SYS_arch_prctl, 0x1023, 18) == 0;
      }();
      return granted;
    }
#else
      return false;
#endif
    case Isa::neon:
#if defined(__aarch64__)
      return true;  // part of the aarch64 baseline
#else
      return false;
#endif
    case Isa::neon_fp16:
#if defined(__aarch64__) && defined(__linux__)
      return (getauxval(AT_HWCAP) & HWCAP_ASIMDHP) != 0;
#elif defined(__aarch64__) && defined(__APPLE__)
      return true;  // every Apple arm64 CPU has it
#else
      return false;
#endif
  }
  return false;
}

}  // namespace cpu

const char* version() { return PPMS_VERSION; }

}  // namespace ppms
