// Scalar reference kernel: every SIMD kernel must produce the same labels, bit for bit.
#include "core/upsample_argmax/kernel_impl.h"

namespace ppms {
namespace vim {

template <typename Out>
static void run(const Args& a, int64_t begin, int64_t end, float* fs, int32_t* is) {
  auto stats = [&](const float* row0, const float* row1, int64_t plane, float* mx, float* L, float* M) {
    detail::init_bounds(a.w, L, M);
    for (int64_t k = 0; k < a.num_classes; ++k) {
      const int64_t off = a.classes[k] * plane;
      detail::stats_class(row0 + off, row1 + off, a.w, 0, mx + k * a.w, L, M);
    }
  };
  auto pixels = [&](const detail::Cell& q, int64_t plane, const int32_t* cand, int64_t n, int64_t Y0, int64_t Y1,
                    int64_t X0, int64_t X1, Out* out) {
    const int64_t W = static_cast<int64_t>(a.xs->i0.size());
    for (int64_t Y = Y0; Y < Y1; ++Y) detail::argmax_pixels(a, q, plane, cand, n, Y, X0, X1, out + Y * W);
  };
  detail::rows<Out>(a, begin, end, fs, is, stats, pixels);
}

void kernel_scalar(const Args& a, int64_t begin, int64_t end, float* fs, int32_t* is) {
  detail::with_out_type(a.out_type, [&](auto label) { run<decltype(label)>(a, begin, end, fs, is); });
}

}  // namespace vim
}  // namespace ppms
