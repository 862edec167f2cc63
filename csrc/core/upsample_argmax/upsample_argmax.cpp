#include "ppms/upsample_argmax.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/upsample_argmax/kernel_impl.h"

namespace ppms {

namespace vim {

RowsFn kernel(const char* name) {
  const KernelConfig* c = config::with_op("upsample_argmax", name);
  return c ? c->upsample_argmax.rows : nullptr;
}

int64_t scratch_floats(const Args& a) {
  return (a.num_classes + 2) * a.w + 2 * detail::kPixelLanes * a.num_classes + 16;
}
int64_t scratch_ints(const Args& a) { return a.num_classes + a.w + 16; }

void present_classes(const float* logits, int64_t B, int64_t C, int64_t hw, uint8_t* present) {
  std::vector<float> best(hw);
  std::vector<int32_t> arg(hw);
  std::fill(present, present + C, 0);
  for (int64_t b = 0; b < B; ++b) {
    const float* x = logits + b * C * hw;
    std::copy(x, x + hw, best.begin());
    std::fill(arg.begin(), arg.end(), 0);
    for (int64_t c = 1; c < C; ++c) {
      const float* p = x + c * hw;
      for (int64_t i = 0; i < hw; ++i) {
        const float v = p[i];
        const bool take = v > best[i] || (v != v && best[i] == best[i]);
        best[i] = take ? v : best[i];
        arg[i] = take ? static_cast<int32_t>(c) : arg[i];
      }
    }
    for (int64_t i = 0; i < hw; ++i) present[arg[i]] = 1;
  }
}

Status run(const Config& k, const float* logits, int64_t B, int64_t C, int64_t h, int64_t w, int64_t H, int64_t W,
           VimMode mode, LabelType label_type, void* labels, const Parallel& parallel) {
  auto n = [](int64_t v) { return std::to_string(v); };
  if (B < 1 || C < 1 || h < 1 || w < 1)
    return Status::invalid("logits must be non-empty [B, C, h, w], got [" + n(B) + ", " + n(C) + ", " + n(h) + ", " +
                           n(w) + "]");
  if (H < 1 || W < 1 || H > kUpsampleArgmaxMaxSide || W > kUpsampleArgmaxMaxSide)
    return Status::invalid("size must be within [1, " + n(kUpsampleArgmaxMaxSide) + "], got [" + n(H) + ", " + n(W) +
                           "]");
  if (C > std::numeric_limits<int32_t>::max()) return Status::invalid("too many classes: " + n(C));
  if (label_type == LabelType::u8 && C > 256)
    return Status::invalid("uint8 labels hold at most 256 classes, logits have " + n(C));
  if (logits == nullptr || labels == nullptr) return Status::invalid("logits and labels must not be null");

  std::vector<int32_t> classes;
  classes.reserve(C);
  if (mode == VimMode::paper) {
    std::vector<uint8_t> present(C);
    present_classes(logits, B, C, h * w, present.data());
    for (int64_t c = 0; c < C; ++c)
      if (present[c]) classes.push_back(static_cast<int32_t>(c));
  } else {
    for (int64_t c = 0; c < C; ++c) classes.push_back(static_cast<int32_t>(c));
  }
  const Axis ys(h, H), xs(w, W);
  const Args args{logits, B, C, h, w, classes.data(), static_cast<int64_t>(classes.size()), &ys, &xs, labels,
                  label_type};
  // One work item is one low-res row of cells and ~H/h output rows: grain 1 balances well.
  parallel.for_range(B * h, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> fs(scratch_floats(args));
    std::vector<int32_t> is(scratch_ints(args));
    k.rows(args, begin, end, fs.data(), is.data());
  });
  return Status();
}

}  // namespace vim

std::vector<std::string> upsample_argmax_kernels() { return op_kernels("upsample_argmax"); }

Status upsample_argmax(const float* logits, int64_t B, int64_t C, int64_t h, int64_t w, int64_t H, int64_t W,
                       VimMode mode, LabelType label_type, void* labels, const Parallel& parallel,
                       const char* kernel) {
  const KernelConfig* c = config::with_op("upsample_argmax", kernel);
  if (c == nullptr)
    return Status::unsupported("no upsample_argmax kernel \"" + std::string(kernel ? kernel : "") + "\" on this CPU");
  return vim::run(c->upsample_argmax, logits, B, C, h, w, H, W, mode, label_type, labels, parallel);
}

}  // namespace ppms
