// AVX2 kernel: statistics and the single-candidate test vectorised over 8 cell columns, argmax over 8 output pixels.
// Same labels as rows_scalar, bit for bit (no FMA: the scalar kernel's operation order exactly).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <algorithm>

#include "core/cpu.h"
#include "core/upsample_argmax/kernel_impl.h"

namespace ppms {
namespace vim {
namespace {

PPMS_TARGET_AVX2_FMA void stats(const Args& a, const float* row0, const float* row1, int64_t plane, float* mx, float* L,
                     float* M) {
  const int64_t w = a.w;
  detail::init_bounds(w, L, M);
  const __m256 ninf = _mm256_set1_ps(-detail::kInf);
  const __m256 qnan = _mm256_set1_ps(std::numeric_limits<float>::quiet_NaN());
  const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  for (int64_t k = 0; k < a.num_classes; ++k) {
    const int64_t off = a.classes[k] * plane;
    const float* p0 = row0 + off;
    const float* p1 = row1 + off;
    float* m = mx + k * w;
    // Chunks of 8 cells whose right neighbours j + 1 all exist (j + 8 <= w - 1); the last one is moved left to end
    // at w - 2, overlapping the one before (max statistics and stored maxima come out the same when recomputed),
    // so only the last cell is left to the scalar code (at w = 64, the scalar tail was 8 cells).
    int64_t j = 0;  // the first cell left to the scalar code
    if (w >= 9) {
      for (int64_t next = 0; next < w - 1; next += 8) {
        const int64_t c = std::min(next, w - 9);
        const __m256 x00 = _mm256_loadu_ps(p0 + c), x01 = _mm256_loadu_ps(p0 + c + 1);
        const __m256 x10 = _mm256_loadu_ps(p1 + c), x11 = _mm256_loadu_ps(p1 + c + 1);
        const __m256 nan = _mm256_or_ps(_mm256_cmp_ps(x00, x01, _CMP_UNORD_Q), _mm256_cmp_ps(x10, x11, _CMP_UNORD_Q));
        const __m256 mn = _mm256_min_ps(_mm256_min_ps(x00, x01), _mm256_min_ps(x10, x11));
        const __m256 mxv = _mm256_max_ps(_mm256_max_ps(x00, x01), _mm256_max_ps(x10, x11));
        const __m256 lv = _mm256_max_ps(_mm256_loadu_ps(L + c), _mm256_blendv_ps(mn, ninf, nan));
        const __m256 mag = _mm256_max_ps(_mm256_and_ps(mn, absmask), _mm256_and_ps(mxv, absmask));
        const __m256 mv = _mm256_max_ps(_mm256_loadu_ps(M + c), _mm256_andnot_ps(nan, mag));
        _mm256_storeu_ps(L + c, lv);
        _mm256_storeu_ps(M + c, mv);
        _mm256_storeu_ps(m + c, _mm256_blendv_ps(mxv, qnan, nan));
      }
      j = w - 1;
    }
    detail::stats_class(p0, p1, w, j, m, L, M);
  }
}

// The cells of a row with exactly one candidate, 8 at a time: per class, the candidates() test on 8 cells at once, a
// count and the last class that passed (candidates() scanned the classes cell by cell, a third of the label step).
// The same float operations in the same order as candidates(), so the same cells come out single.
PPMS_TARGET_AVX2_FMA void singles(const Args& a, const float* mx, const float* L, const float* M, int32_t* single,
                                  int64_t w) {
  const int64_t K = a.num_classes;
  const __m256 tol = _mm256_set1_ps(detail::kTol), floor = _mm256_set1_ps(detail::kFloor);
  const __m256 ninf = _mm256_set1_ps(-detail::kInf);
  int64_t j = 0;
  for (; j + 8 <= w; j += 8) {
    const __m256 thr = _mm256_sub_ps(_mm256_loadu_ps(L + j), _mm256_add_ps(_mm256_mul_ps(tol, _mm256_loadu_ps(M + j)), floor));
    __m256i count = _mm256_setzero_si256(), last = _mm256_setzero_si256(), k_now = _mm256_setzero_si256();
    const __m256i step = _mm256_set1_epi32(1);
    for (int64_t k = 0; k < K; ++k, k_now = _mm256_add_epi32(k_now, step)) {
      const __m256 v = _mm256_loadu_ps(mx + k * w + j);
      const __m256i pass =
          _mm256_castps_si256(_mm256_or_ps(_mm256_cmp_ps(v, thr, _CMP_GE_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q)));
      count = _mm256_sub_epi32(count, pass);
      last = _mm256_blendv_epi8(last, k_now, pass);
    }
    // thr not above -inf (infinite or all-NaN corners): every class is a candidate, as candidates() decides
    const __m256i bounded = _mm256_castps_si256(_mm256_cmp_ps(thr, ninf, _CMP_GT_OQ));
    const __m256i one = _mm256_and_si256(_mm256_cmpeq_epi32(count, step), bounded);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(single + j), _mm256_blendv_epi8(_mm256_set1_epi32(-1), last, one));
  }
  for (; j < w; ++j) single[j] = -1;  // the last w % 8 cells: candidates()
}

// A multi-candidate cell, 8 output columns at a time: each candidate's top and bottom rows interpolated once for the
// cell (into tb), then each output row from them (the operations of detail::interp, in its order).
template <typename Out>
PPMS_TARGET_AVX2_FMA void pixels(const Args& a, const detail::Cell& q, int64_t plane, const int32_t* cand, int64_t n,
                                 int64_t Y0, int64_t Y1, int64_t X0, int64_t X1, Out* out, float* tb) {
  const int64_t W = static_cast<int64_t>(a.xs->i0.size());
  int64_t X = X0;
  for (; X + 8 <= X1; X += 8) {
    const __m256 lx0 = _mm256_loadu_ps(a.xs->l0.data() + X), lx1 = _mm256_loadu_ps(a.xs->l1.data() + X);
    for (int64_t i = 0; i < n; ++i) {
      const float* p = q.p00 + a.classes[cand[i]] * plane;
      const __m256 top = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(p[0]), lx0), _mm256_mul_ps(_mm256_set1_ps(p[q.d01]), lx1));
      const __m256 bot = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(p[q.d10]), lx0), _mm256_mul_ps(_mm256_set1_ps(p[q.d11]), lx1));
      _mm256_storeu_ps(tb + 16 * i, top);
      _mm256_storeu_ps(tb + 16 * i + 8, bot);
    }
    for (int64_t Y = Y0; Y < Y1; ++Y) {
      const __m256 ly0 = _mm256_set1_ps(a.ys->l0[Y]), ly1 = _mm256_set1_ps(a.ys->l1[Y]);
      __m256 best = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(tb), ly0), _mm256_mul_ps(_mm256_loadu_ps(tb + 8), ly1));
      __m256 best_k = _mm256_castsi256_ps(_mm256_set1_epi32(a.classes[cand[0]]));  // class ids, as int32 bits
      for (int64_t i = 1; i < n; ++i) {
        const __m256 top = _mm256_loadu_ps(tb + 16 * i), bot = _mm256_loadu_ps(tb + 16 * i + 8);
        const __m256 v = _mm256_add_ps(_mm256_mul_ps(top, ly0), _mm256_mul_ps(bot, ly1));
        const __m256 take = _mm256_or_ps(_mm256_cmp_ps(v, best, _CMP_GT_OQ),
                                         _mm256_andnot_ps(_mm256_cmp_ps(best, best, _CMP_UNORD_Q),
                                                          _mm256_cmp_ps(v, v, _CMP_UNORD_Q)));
        best = _mm256_blendv_ps(best, v, take);
        best_k = _mm256_blendv_ps(best_k, _mm256_castsi256_ps(_mm256_set1_epi32(a.classes[cand[i]])), take);
      }
      alignas(32) int32_t ks[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(ks), _mm256_castps_si256(best_k));
      Out* orow = out + Y * W;
      for (int l = 0; l < 8; ++l) orow[X + l] = static_cast<Out>(ks[l]);
    }
  }
  if (X < X1)
    for (int64_t Y = Y0; Y < Y1; ++Y) detail::argmax_pixels(a, q, plane, cand, n, Y, X, X1, out + Y * W);
}

template <typename Out>
PPMS_TARGET_AVX2_FMA void run(const Args& a, int64_t begin, int64_t end, float* fs, int32_t* is) {
  auto st = [&](const float* row0, const float* row1, int64_t plane, float* mx, float* L, float* M) {
    stats(a, row0, row1, plane, mx, L, M);
  };
  static_assert(detail::kPixelLanes == 8, "pixels keeps 8 columns of a top and a bottom row a candidate: 16 floats");
  float* tb = detail::pixel_scratch(a, fs);
  auto px = [&](const detail::Cell& q, int64_t plane, const int32_t* cand, int64_t n, int64_t Y0, int64_t Y1,
                int64_t X0, int64_t X1, Out* out) { pixels<Out>(a, q, plane, cand, n, Y0, Y1, X0, X1, out, tb); };
  auto one = [&](const float* mx, const float* L, const float* M, int32_t* single, int64_t w) {
    singles(a, mx, L, M, single, w);
  };
  detail::rows<Out>(a, begin, end, fs, is, st, px, one);
}

}  // namespace

void kernel_avx2(const Args& a, int64_t begin, int64_t end, float* fs, int32_t* is) {
  detail::with_out_type(a.out_type, [&](auto label) { run<decltype(label)>(a, begin, end, fs, is); });
}

}  // namespace vim
}  // namespace ppms
#endif
