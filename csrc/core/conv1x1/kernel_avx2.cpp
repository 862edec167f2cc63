// AVX2 + FMA kernel: tiles of 6 rows x 16 columns in 12 accumulators; per k, two panel loads and six broadcasts
// feed twelve FMAs (the two FMA pipes stay busy, the loads fit the load ports). Columns past n go through a
// scratch row. Panel rows and the next tile's input lines are prefetched, as in the AVX-512 kernel.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "core/common/activate_avx2.h"
#include "core/conv1x1/kernels.h"
#include "core/cpu.h"

namespace ppms {
namespace pw {
namespace {

constexpr int kRows = 6;
constexpr int64_t kAhead = 8;  // panel rows (one cache line each) prefetched ahead

template <int R, Activation A, bool RES>
struct Rows {
  static constexpr bool kManyBlocks = false;
  PPMS_TARGET_AVX2_FMA static void run(const Tile& t) {
    // Locals: the stores through y may alias t, so every field read after one would be reloaded (nor may acc spill).
    const float *x = t.x, *residual = t.residual;
    const int64_t ldx = t.ldx, K = t.k, ldy = t.ldy, ldr = t.ldr, n = t.n;
    float* y = t.y;
    for (int64_t j = 0; j < n; j += kConv1x1Panel) {
      __m256 acc[R][2];
      const __m256 b0 = _mm256_loadu_ps(t.bias + j), b1 = _mm256_loadu_ps(t.bias + j + 8);
      PPMS_UNROLL
      for (int r = 0; r < R; ++r) {
        acc[r][0] = b0;
        acc[r][1] = b1;
      }
      const float* p = t.panel + (j / kConv1x1Panel) * t.panel_stride;
      for (int64_t k = 0; k < K; ++k, p += kConv1x1Panel) {
        _mm_prefetch(reinterpret_cast<const char*>(p + kAhead * kConv1x1Panel), _MM_HINT_T0);
        if ((k & 15) == 0)
          PPMS_UNROLL
          for (int r = 0; r < R; ++r) _mm_prefetch(reinterpret_cast<const char*>(x + (r + R) * ldx + k), _MM_HINT_T0);
        const __m256 w0 = _mm256_loadu_ps(p), w1 = _mm256_loadu_ps(p + 8);
        PPMS_UNROLL
        for (int r = 0; r < R; ++r) {
          const __m256 a = _mm256_broadcast_ss(x + r * ldx + k);
          acc[r][0] = _mm256_fmadd_ps(a, w0, acc[r][0]);
          acc[r][1] = _mm256_fmadd_ps(a, w1, acc[r][1]);
        }
      }
      if (n - j >= kConv1x1Panel) {
        PPMS_UNROLL
        for (int r = 0; r < R; ++r) {
          __m256 v0 = acc[r][0], v1 = acc[r][1];
          if constexpr (RES) {
            v0 = _mm256_add_ps(v0, _mm256_loadu_ps(residual + r * ldr + j));
            v1 = _mm256_add_ps(v1, _mm256_loadu_ps(residual + r * ldr + j + 8));
          }
          _mm256_storeu_ps(y + r * ldy + j, activate8<A>(v0));
          _mm256_storeu_ps(y + r * ldy + j + 8, activate8<A>(v1));
        }
        continue;
      }
      alignas(32) float tile[R][kConv1x1Panel];  // the last, partial panel: through memory, column by column
      PPMS_UNROLL
      for (int r = 0; r < R; ++r) {
        _mm256_store_ps(tile[r], acc[r][0]);
        _mm256_store_ps(tile[r] + 8, acc[r][1]);
      }
      for (int r = 0; r < R; ++r)
        for (int64_t c = 0; c < n - j; ++c)
          y[r * ldy + j + c] = activate(RES ? tile[r][c] + residual[r * ldr + j + c] : tile[r][c], A);
    }
  }
};

void tile(const Tile& t) { dispatch<Rows, kRows>(t); }

}  // namespace

Config kernel_avx2() { return {"avx2", tile, kRows}; }

}  // namespace pw
}  // namespace ppms
#endif
