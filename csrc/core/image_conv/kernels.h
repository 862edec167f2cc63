// image_conv's direct kernels (ppms/image_conv.h has the contract). The reference for every shape is the columns
// path in image_conv.cpp (each output row one GEMM on the conv1x1 kernels); a direct kernel takes the stem's shape
// only, where that path spent half its time laying out columns. core/config/config.cpp puts each in its ISA's configs.
#pragma once

#include <cstdint>

#include "core/common/half.h"
#include "core/conv1x1/kernels.h"
#include "ppms/conv1x1.h"

namespace ppms {
namespace image_conv_detail {

// The 9 input rows [c][ky] that output row ho of the stem reads (null: a padding row).
inline void stem_input_rows(const float* x, int64_t H, int64_t W, int64_t ho, const float* rows[9]) {
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t ky = 0; ky < 3; ++ky) {
      const int64_t iy = 2 * ho - 1 + ky;
      rows[c * 3 + ky] = iy >= 0 && iy < H ? x + (c * H + iy) * W : nullptr;
    }
}

// Output rows [ho0, ho1) of the 3x3 / stride 2 / padding 1 convolution of x [3][H][W] into y [Ho][Wo][cout],
// cout <= 16: taps [27][16] in the weight's (c, ky, kx) order (a conv1x1 panel of the weight read as [cout, 27]),
// bias [16].
using StemFn = void (*)(const float* x, int64_t H, int64_t W, const float* taps, const float* bias, int64_t cout,
                        int64_t ho0, int64_t ho1, float* y, Activation act);

// Its kernels: the stem's direct one, or none (every shape on the columns path, named "columns").
struct Config {
  const char* name;
  StemFn stem;
};

// Whether a convolution has the stem's shape, which Config::stem takes.
inline bool is_stem(int64_t cin, int64_t k, int64_t stride, int64_t cout) {
  return cin == 3 && k == 3 && stride == 2 && cout <= kConv1x1Panel;
}

// image_conv() with the stem on stem (or the columns path when null), the columns path on conv.
Status run(StemFn stem, const pw::Config& conv, const Conv1x1Weights& w, const float* x, int64_t cin, int64_t H,
           int64_t W, int64_t k, int64_t stride, float* y, Activation act, const Parallel& parallel);

// f16: the stem's taps and bias in half, its output y [Ho][Wo][cout] in half; x stays the f32 image, each value
// rounded to half as it is read (what a half image would hold).
using HalfStemFn = void (*)(const float* x, int64_t H, int64_t W, const half* taps, const half* bias, int64_t cout,
                            int64_t ho0, int64_t ho1, half* y, Activation act);
struct HalfConfig {
  const char* name;
  HalfStemFn stem;  // null ("f32"): the f32 config's stem, its output rounded to half
  // the most k steps one sum in half takes (as pw::ConfigT::half_steps): 0, float sums; 28, all of the stem's 27
  // taps in half from the bias
  int64_t half_steps;
};

// The reference: each output the float sum of its half terms, activated and rounded once.
void stem_rows_f16(const float* x, int64_t H, int64_t W, const half* taps, const half* bias, int64_t cout, int64_t ho0,
                   int64_t ho1, half* y, Activation act);
#if defined(__aarch64__)
void stem_rows_f16_neonfp16arith(const float* x, int64_t H, int64_t W, const half* taps, const half* bias,
                                 int64_t cout, int64_t ho0, int64_t ho1, half* y, Activation act);
#endif

// The stem (is_stem's shape) in half on stem, its output rows split over the threads.
Status run_f16(HalfStemFn stem, const Conv1x1WeightsT<half>& w, const float* x, int64_t H, int64_t W, half* y,
               Activation act, const Parallel& parallel);

#if defined(__x86_64__) || defined(_M_X64)
void stem_rows_avx512(const float* x, int64_t H, int64_t W, const float* taps, const float* bias, int64_t cout,
                      int64_t ho0, int64_t ho1, float* y, Activation act);
#endif
#if defined(__aarch64__)
void stem_rows_neon(const float* x, int64_t H, int64_t W, const float* taps, const float* bias, int64_t cout,
                    int64_t ho0, int64_t ho1, float* y, Activation act);
#endif

}  // namespace image_conv_detail
}  // namespace ppms
