// The stem on NEON (aarch64): four pixels' 16 output channels in 16 accumulators. A kernel row's inputs for the four
// pixels come from two ld2 (even and odd columns from 2 wo - 1 and from 2 wo + 1), and each of the 27 taps is one
// 4-register ld1 of its 16 weights and 16 FMAs by lane: no columns laid out (the columns path spent a third of its
// instructions on them and on K = 27's odd remainder).
#if defined(__aarch64__)
#include <arm_neon.h>

#include <algorithm>

#include "core/common/activate_neon.h"
#include "core/cpu.h"
#include "core/image_conv/kernels.h"

namespace ppms {
namespace image_conv_detail {
namespace {

template <Activation A>
inline void store(float32x4_t (&acc)[4], float* y, int64_t cout) {
  if (cout == 16) {
    PPMS_UNROLL
    for (int v = 0; v < 4; ++v) vst1q_f32(y + 4 * v, activate4<A>(acc[v]));
    return;
  }
  float out[16];
  PPMS_UNROLL
  for (int v = 0; v < 4; ++v) vst1q_f32(out + 4 * v, activate4<A>(acc[v]));
  std::copy_n(out, cout, y);
}

// Four pixels from output column wo on, whose taps all lie inside the row and who may read up to x[2 wo + 8].
template <Activation A>
inline void four(const float* const* rows, int64_t wo, const float* taps, const float* bias, float* y, int64_t cout) {
  float32x4_t acc[4][4];  // [pixel][channels / 4]
  const float32x4x4_t b = vld1q_f32_x4(bias);
  PPMS_UNROLL
  for (int p = 0; p < 4; ++p) acc[p][0] = b.val[0], acc[p][1] = b.val[1], acc[p][2] = b.val[2], acc[p][3] = b.val[3];
  for (int r = 0; r < 9; ++r) {
    const float* t = taps + 3 * r * 16;
    if (rows[r] == nullptr) continue;
    const float* x = rows[r] + 2 * wo - 1;
    const float32x4x2_t lo = vld2q_f32(x), hi = vld2q_f32(x + 2);  // kx 0 and 1; kx 2 in hi's even lanes
    const float32x4_t in[3] = {lo.val[0], lo.val[1], hi.val[0]};
    PPMS_UNROLL
    for (int kx = 0; kx < 3; ++kx) {
      const float32x4x4_t w = vld1q_f32_x4(t + 16 * kx);
      PPMS_UNROLL
      for (int v = 0; v < 4; ++v) {
        acc[0][v] = vfmaq_laneq_f32(acc[0][v], w.val[v], in[kx], 0);
        acc[1][v] = vfmaq_laneq_f32(acc[1][v], w.val[v], in[kx], 1);
        acc[2][v] = vfmaq_laneq_f32(acc[2][v], w.val[v], in[kx], 2);
        acc[3][v] = vfmaq_laneq_f32(acc[3][v], w.val[v], in[kx], 3);
      }
    }
  }
  PPMS_UNROLL
  for (int p = 0; p < 4; ++p) store<A>(acc[p], y + (wo + p) * cout, cout);
}

// One pixel anywhere in the row, its taps past the row's ends skipped.
template <Activation A>
inline void one(const float* const* rows, int64_t W, int64_t wo, const float* taps, const float* bias, float* y,
                int64_t cout) {
  const float32x4x4_t b = vld1q_f32_x4(bias);
  float32x4_t acc[4] = {b.val[0], b.val[1], b.val[2], b.val[3]};
  for (int r = 0; r < 9; ++r) {
    if (rows[r] == nullptr) continue;
    for (int kx = 0; kx < 3; ++kx) {
      const int64_t ix = 2 * wo - 1 + kx;
      if (ix < 0 || ix >= W) continue;
      const float32x4x4_t w = vld1q_f32_x4(taps + (3 * r + kx) * 16);
      const float v = rows[r][ix];
      PPMS_UNROLL
      for (int c = 0; c < 4; ++c) acc[c] = vfmaq_n_f32(acc[c], w.val[c], v);
    }
  }
  store<A>(acc, y + wo * cout, cout);
}

template <Activation A>
void run(const float* x, int64_t H, int64_t W, const float* taps, const float* bias, int64_t cout, int64_t ho0,
         int64_t ho1, float* y) {
  const int64_t Wo = (W - 1) / 2 + 1;
  for (int64_t ho = ho0; ho < ho1; ++ho) {
    const float* rows[9];
    stem_input_rows(x, H, W, ho, rows);
    float* yr = y + ho * Wo * cout;
    one<A>(rows, W, 0, taps, bias, yr, cout);
    int64_t wo = 1;
    for (; 2 * wo + 8 <= W - 1; wo += 4) four<A>(rows, wo, taps, bias, yr, cout);  // reads x[2 wo - 1 .. 2 wo + 8]
    for (; wo < Wo; ++wo) one<A>(rows, W, wo, taps, bias, yr, cout);
  }
}

}  // namespace

void stem_rows_neon(const float* x, int64_t H, int64_t W, const float* taps, const float* bias, int64_t cout,
                    int64_t ho0, int64_t ho1, float* y, Activation act) {
  switch (act) {
    case Activation::none: return run<Activation::none>(x, H, W, taps, bias, cout, ho0, ho1, y);
    case Activation::relu: return run<Activation::relu>(x, H, W, taps, bias, cout, ho0, ho1, y);
    case Activation::relu6: return run<Activation::relu6>(x, H, W, taps, bias, cout, ho0, ho1, y);
    case Activation::hardswish: return run<Activation::hardswish>(x, H, W, taps, bias, cout, ho0, ho1, y);
  }
}

}  // namespace image_conv_detail
}  // namespace ppms
#endif
