// The stem on AVX-512: one vector holds a pixel's 16 output channels, eight pixels accumulate at once, and each tap
// is one FMA with its input broadcast from memory: 27 FMAs a pixel, no columns laid out. Tiny's stem at 512x512, one
// thread: 0.79 -> 0.64 ms; what is left is memory traffic (the 3 MB image in, 4 MB of channels-last output), which
// prefetching the input rows ahead shortens.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <algorithm>

#include "core/common/activate_avx512.h"
#include "core/cpu.h"
#include "core/image_conv/kernels.h"

namespace ppms {
namespace image_conv_detail {
namespace {

// Output rows ahead whose new input rows are prefetched. The stem reads 9 rows of 2 KB at once (512 wide), too many
// short streams for the hardware prefetcher: with the image out of cache, tiny's stem at 512 x 512 took 0.93 ms,
// 0.55 ms with these prefetches, 0.31 ms with the image in cache (Zen 5, one thread; 1 to 8 rows ahead alike).
constexpr int64_t kAheadRows = 2;

// The input rows that output row ho + kAheadRows reads and row ho + kAheadRows - 1 does not: 2 (ho + kAheadRows) and
// the one after, of each channel. Always inlined: as a function of its own, GCC finds it free of side effects and drops
// its calls.
PPMS_TARGET_AVX512F __attribute__((always_inline)) inline void prefetch_rows(const float* x, int64_t H, int64_t W, int64_t ho) {
  const int64_t iy0 = 2 * (ho + kAheadRows), iy1 = std::min(H, iy0 + 2);
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t iy = iy0; iy < iy1; ++iy) {
      const char* row = reinterpret_cast<const char*>(x + (c * H + iy) * W);
      for (int64_t at = 0; at < 4 * W; at += 64) _mm_prefetch(row + at, _MM_HINT_T0);
    }
}

// P pixels from output column wo on, all of whose taps are inside the row (rows[r] null: a padding row).
template <int P, Activation A>
PPMS_TARGET_AVX512F void pixels(const float* const* rows, int64_t wo, const float* taps, __m512 bias, __mmask16 out,
                                float* y, int64_t cout) {
  __m512 acc[P];
  PPMS_UNROLL
  for (int p = 0; p < P; ++p) acc[p] = bias;
  for (int r = 0; r < 9; ++r) {
    if (rows[r] == nullptr) continue;
    const float* x = rows[r] + 2 * wo - 1;
    PPMS_UNROLL
    for (int kx = 0; kx < 3; ++kx) {
      const __m512 w = _mm512_loadu_ps(taps + (3 * r + kx) * 16);
      PPMS_UNROLL
      for (int p = 0; p < P; ++p) acc[p] = _mm512_fmadd_ps(_mm512_set1_ps(x[2 * p + kx]), w, acc[p]);
    }
  }
  PPMS_UNROLL
  for (int p = 0; p < P; ++p) _mm512_mask_storeu_ps(y + (wo + p) * cout, out, activate16<A>(acc[p]));
}

// One pixel near the left or right edge, its taps past the row skipped.
template <Activation A>
PPMS_TARGET_AVX512F void edge(const float* const* rows, int64_t W, int64_t wo, const float* taps, __m512 bias,
                              __mmask16 out, float* y, int64_t cout) {
  __m512 acc = bias;
  for (int r = 0; r < 9; ++r) {
    if (rows[r] == nullptr) continue;
    for (int kx = 0; kx < 3; ++kx) {
      const int64_t ix = 2 * wo - 1 + kx;
      if (ix >= 0 && ix < W)
        acc = _mm512_fmadd_ps(_mm512_set1_ps(rows[r][ix]), _mm512_loadu_ps(taps + (3 * r + kx) * 16), acc);
    }
  }
  _mm512_mask_storeu_ps(y + wo * cout, out, activate16<A>(acc));
}

template <Activation A>
PPMS_TARGET_AVX512F void run(const float* x, int64_t H, int64_t W, const float* taps, const float* bias, int64_t cout,
                             int64_t ho0, int64_t ho1, float* y) {
  const int64_t Wo = (W - 1) / 2 + 1;
  // Columns [1, last) read no padding: 2 wo - 1 >= 0 and 2 wo + 1 <= W - 1.
  const int64_t last = W >= 3 ? (W - 2) / 2 + 1 : 1;
  const __mmask16 out = static_cast<__mmask16>((1u << cout) - 1);
  const __m512 b = _mm512_maskz_loadu_ps(out, bias);
  for (int64_t ho = ho0; ho < ho1; ++ho) {
    const float* rows[9];
    stem_input_rows(x, H, W, ho, rows);
    prefetch_rows(x, H, W, ho);
    float* yr = y + ho * Wo * cout;
    edge<A>(rows, W, 0, taps, b, out, yr, cout);
    int64_t wo = 1;
    for (; wo + 8 <= last; wo += 8) pixels<8, A>(rows, wo, taps, b, out, yr, cout);
    for (; wo + 2 <= last; wo += 2) pixels<2, A>(rows, wo, taps, b, out, yr, cout);
    for (; wo < last; ++wo) pixels<1, A>(rows, wo, taps, b, out, yr, cout);
    for (wo = std::max<int64_t>(last, 1); wo < Wo; ++wo) edge<A>(rows, W, wo, taps, b, out, yr, cout);
  }
}

}  // namespace

void stem_rows_avx512(const float* x, int64_t H, int64_t W, const float* taps, const float* bias, int64_t cout,
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
