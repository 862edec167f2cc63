// The one place that knows about CPU features: which instruction sets this CPU runs. The kernel configs
// (core/config/) ask it once, when the fastest config is first wanted or a config is chosen by name; every kernel a
// config names is compiled into every build for its architecture.
#pragma once

namespace ppms {
namespace cpu {

// neon_fp16: NEON with FP16 arithmetic (Armv8.2-A's FEAT_FP16, Linux HWCAP asimdhp): Cortex-A55, A75 and later.
enum class Isa { scalar, avx2_fma, avx512f, avx512bf16, amx_bf16, neon, neon_fp16 };

bool supports(Isa isa);

}  // namespace cpu
}  // namespace ppms

// Kernel files for x86 compile their SIMD functions with these attributes rather than with -mavx2 for the whole
// file: inline functions and templates a whole file instantiates are shared between files at link time, and one
// built for AVX2 would crash a CPU without it where the scalar kernel calls it.
#define PPMS_TARGET_AVX2_FMA __attribute__((target("avx2,fma")))
#define PPMS_TARGET_AVX512F __attribute__((target("avx512f,avx2,fma")))
#define PPMS_TARGET_AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,avx2,fma")))
#define PPMS_TARGET_AMX __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx512bf16,avx2,fma")))
// Register tiles are arrays indexed by loop counters: unrolled early, before the compiler decides where the array
// lives, they stay in registers instead of being written back to the stack on every step.
#define PPMS_UNROLL _Pragma("GCC unroll 16")
// Plain loops (elementwise stages, resizes, the SEA stages) that the compiler vectorises: on x86 GCC builds an
// AVX-512 and an AVX2 clone of each beside the baseline one, and the dynamic loader picks by the same CPU features
// (AVX-512 halved the AAM gates' time on the Xeon hosts of this machine kind).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PPMS_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define PPMS_CLONES
#endif
