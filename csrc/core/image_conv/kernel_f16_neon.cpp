// The stem in half on NEON with FP16 arithmetic (the all-half config's; core/config/config.cpp says why the others
// keep the f32 stem): eight pixels' 16 output channels in 16 .8h accumulators, each tap one 2-register load of its 16
// weights and 16 FMAs by lane, half the FMAs of the f32 kernel's four pixels. Each of an output row's 9 input rows is
// first rounded to half into a row of its own, shifted by one and zero-padded on both sides, so every pixel (the edges
// too) reads the same 8-pixel pattern: two ld2 give kx 0 and 1 (even and odd columns from 2 wo - 1) and kx 2 (the even
// ones from 2 wo + 1).
#if defined(__aarch64__)
#include <arm_neon.h>

#include <algorithm>
#include <vector>

#include "core/common/activate_neon.h"
#include "core/common/convert.h"
#include "core/image_conv/kernels.h"

#define PPMS_F16 __attribute__((target("arch=armv8.2-a+fp16")))

namespace ppms {
namespace image_conv_detail {
namespace {

// Pixels [wo, wo + 8) of an output row from its padded half rows (null: a row past the image), stored up to Wo. In
// assembly: the compiler kept the 16 accumulators on the stack and turned half of the fmla by lane into dup + fmla (a
// lane operand of .h must lie in v0-v15). Pixel p's channels in v(16 + 2p), v(17 + 2p); a row's kx 0, 1, 2 inputs in
// v0, v1, v2; the taps' weights in v4-v5 and v6-v7 by turns. Per row 48 fmla and 9 other instructions.
template <Activation A>
PPMS_F16 inline void eight(const __fp16* const* rows, int64_t wo, int64_t Wo, const __fp16* taps,
                           const __fp16* bias, __fp16* y, int64_t cout) {
  __fp16 out[8][16];
  const __fp16* const* r = rows;
  const __fp16* t = taps;
  __fp16* o = out[0];
  int64_t n = 9;
  asm volatile(
      "ld1 {v4.8h, v5.8h}, [%[bias]]\n\t"
      "mov v16.16b, v4.16b\n\t" "mov v17.16b, v5.16b\n\t"
      "mov v18.16b, v4.16b\n\t" "mov v19.16b, v5.16b\n\t"
      "mov v20.16b, v4.16b\n\t" "mov v21.16b, v5.16b\n\t"
      "mov v22.16b, v4.16b\n\t" "mov v23.16b, v5.16b\n\t"
      "mov v24.16b, v4.16b\n\t" "mov v25.16b, v5.16b\n\t"
      "mov v26.16b, v4.16b\n\t" "mov v27.16b, v5.16b\n\t"
      "mov v28.16b, v4.16b\n\t" "mov v29.16b, v5.16b\n\t"
      "mov v30.16b, v4.16b\n\t" "mov v31.16b, v5.16b\n\t"
      "1:\n\t"
      "ldr x9, [%[r]], #8\n\t"
      "cbz x9, 2f\n\t"
      "add x9, x9, %[at]\n\t"
      "ld2 {v0.8h, v1.8h}, [x9]\n\t"
      "add x9, x9, #4\n\t"
      "ld2 {v2.8h, v3.8h}, [x9]\n\t"
      "ldp q4, q5, [%[t]]\n\t"
      "ldp q6, q7, [%[t], #32]\n\t"
      "fmla v16.8h, v4.8h, v0.h[0]\n\t"
      "fmla v17.8h, v5.8h, v0.h[0]\n\t"
      "fmla v18.8h, v4.8h, v0.h[1]\n\t"
      "fmla v19.8h, v5.8h, v0.h[1]\n\t"
      "fmla v20.8h, v4.8h, v0.h[2]\n\t"
      "fmla v21.8h, v5.8h, v0.h[2]\n\t"
      "fmla v22.8h, v4.8h, v0.h[3]\n\t"
      "fmla v23.8h, v5.8h, v0.h[3]\n\t"
      "fmla v24.8h, v4.8h, v0.h[4]\n\t"
      "fmla v25.8h, v5.8h, v0.h[4]\n\t"
      "fmla v26.8h, v4.8h, v0.h[5]\n\t"
      "fmla v27.8h, v5.8h, v0.h[5]\n\t"
      "fmla v28.8h, v4.8h, v0.h[6]\n\t"
      "fmla v29.8h, v5.8h, v0.h[6]\n\t"
      "fmla v30.8h, v4.8h, v0.h[7]\n\t"
      "fmla v31.8h, v5.8h, v0.h[7]\n\t"
      "ldp q4, q5, [%[t], #64]\n\t"
      "fmla v16.8h, v6.8h, v1.h[0]\n\t"
      "fmla v17.8h, v7.8h, v1.h[0]\n\t"
      "fmla v18.8h, v6.8h, v1.h[1]\n\t"
      "fmla v19.8h, v7.8h, v1.h[1]\n\t"
      "fmla v20.8h, v6.8h, v1.h[2]\n\t"
      "fmla v21.8h, v7.8h, v1.h[2]\n\t"
      "fmla v22.8h, v6.8h, v1.h[3]\n\t"
      "fmla v23.8h, v7.8h, v1.h[3]\n\t"
      "fmla v24.8h, v6.8h, v1.h[4]\n\t"
      "fmla v25.8h, v7.8h, v1.h[4]\n\t"
      "fmla v26.8h, v6.8h, v1.h[5]\n\t"
      "fmla v27.8h, v7.8h, v1.h[5]\n\t"
      "fmla v28.8h, v6.8h, v1.h[6]\n\t"
      "fmla v29.8h, v7.8h, v1.h[6]\n\t"
      "fmla v30.8h, v6.8h, v1.h[7]\n\t"
      "fmla v31.8h, v7.8h, v1.h[7]\n\t"
      "fmla v16.8h, v4.8h, v2.h[0]\n\t"
      "fmla v17.8h, v5.8h, v2.h[0]\n\t"
      "fmla v18.8h, v4.8h, v2.h[1]\n\t"
      "fmla v19.8h, v5.8h, v2.h[1]\n\t"
      "fmla v20.8h, v4.8h, v2.h[2]\n\t"
      "fmla v21.8h, v5.8h, v2.h[2]\n\t"
      "fmla v22.8h, v4.8h, v2.h[3]\n\t"
      "fmla v23.8h, v5.8h, v2.h[3]\n\t"
      "fmla v24.8h, v4.8h, v2.h[4]\n\t"
      "fmla v25.8h, v5.8h, v2.h[4]\n\t"
      "fmla v26.8h, v4.8h, v2.h[5]\n\t"
      "fmla v27.8h, v5.8h, v2.h[5]\n\t"
      "fmla v28.8h, v4.8h, v2.h[6]\n\t"
      "fmla v29.8h, v5.8h, v2.h[6]\n\t"
      "fmla v30.8h, v4.8h, v2.h[7]\n\t"
      "fmla v31.8h, v5.8h, v2.h[7]\n\t"
      "2:\n\t"
      "add %[t], %[t], #96\n\t"
      "subs %[n], %[n], #1\n\t"
      "b.ne 1b\n\t"
      "st1 {v16.8h, v17.8h, v18.8h, v19.8h}, [%[out]], #64\n\t"
      "st1 {v20.8h, v21.8h, v22.8h, v23.8h}, [%[out]], #64\n\t"
      "st1 {v24.8h, v25.8h, v26.8h, v27.8h}, [%[out]], #64\n\t"
      "st1 {v28.8h, v29.8h, v30.8h, v31.8h}, [%[out]]\n\t"
      : [r] "+r"(r), [t] "+r"(t), [n] "+r"(n), [out] "+r"(o)
      : [bias] "r"(bias), [at] "r"(4 * wo)
      : "cc", "memory", "x9", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19", "v20", "v21",
        "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
  const int m = static_cast<int>(std::min<int64_t>(8, Wo - wo));
  for (int p = 0; p < m; ++p) {
    const float16x8_t v0 = activate8h<A>(vld1q_f16(out[p])), v1 = activate8h<A>(vld1q_f16(out[p] + 8));
    __fp16* yp = y + (wo + p) * cout;
    if (cout == 16) {
      vst1q_f16(yp, v0), vst1q_f16(yp + 8, v1);
      continue;
    }
    vst1q_f16(out[p], v0), vst1q_f16(out[p] + 8, v1);
    std::copy_n(out[p], cout, yp);
  }
}

template <Activation A>
PPMS_F16 void run(const float* x, int64_t H, int64_t W, const __fp16* taps, const __fp16* bias, int64_t cout,
                  int64_t ho0, int64_t ho1, __fp16* y) {
  const int64_t Wo = (W - 1) / 2 + 1, Wo8 = (Wo + 7) / 8 * 8;
  // a padded row: [0] the left padding, [1, W] the image's row, zeros to 2 Wo8 + 2 (the last ld2 reads 2 Wo8 + 1)
  const int64_t L = 2 * Wo8 + 2;
  std::vector<__fp16> room(9 * L, __fp16(0));
  for (int64_t ho = ho0; ho < ho1; ++ho) {
    const float* in[9];
    stem_input_rows(x, H, W, ho, in);
    const __fp16* rows[9];
    for (int r = 0; r < 9; ++r) {
      rows[r] = in[r] ? room.data() + r * L : nullptr;
      if (in[r]) to_half(in[r], W, reinterpret_cast<half*>(room.data() + r * L + 1));
    }
    __fp16* yr = y + ho * Wo * cout;
    for (int64_t wo = 0; wo < Wo; wo += 8) eight<A>(rows, wo, Wo, taps, bias, yr, cout);
  }
}

}  // namespace

void stem_rows_f16_neonfp16arith(const float* x, int64_t H, int64_t W, const half* taps, const half* bias,
                                 int64_t cout, int64_t ho0, int64_t ho1, half* y, Activation act) {
  const auto* t = reinterpret_cast<const __fp16*>(taps);
  const auto* b = reinterpret_cast<const __fp16*>(bias);
  auto* o = reinterpret_cast<__fp16*>(y);
  switch (act) {
    case Activation::none: return run<Activation::none>(x, H, W, t, b, cout, ho0, ho1, o);
    case Activation::relu: return run<Activation::relu>(x, H, W, t, b, cout, ho0, ho1, o);
    case Activation::relu6: return run<Activation::relu6>(x, H, W, t, b, cout, ho0, ho1, o);
    case Activation::hardswish: return run<Activation::hardswish>(x, H, W, t, b, cout, ho0, ho1, o);
  }
}

}  // namespace image_conv_detail
}  // namespace ppms
#endif
