// Exact upsample + argmax (and PaddleSeg's VIM): bilinear upsample (align_corners=False) of low-res logits, then
// argmax over classes, without materialising the upsampled logits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ppms/parallel.h"
#include "ppms/status.h"

namespace ppms {

enum class VimMode {
  exact,  // the labels of the full upsample + argmax over all classes
  paper,  // PaddleSeg's VIM: only classes that are the argmax of some low-res pixel of the batch
};
enum class LabelType { i64, i32, u8 };

// The largest output H or W.
constexpr int64_t kUpsampleArgmaxMaxSide = int64_t{1} << 15;
// A class is a candidate in a low-res cell when its largest corner is within kCandidateTol * (largest finite
// |corner|) + kCandidateFloor of the largest smallest corner of any class. Other implementations (Triton) use the
// same margins, so that they give the same labels.
constexpr float kCandidateTol = 4e-6f;
constexpr float kCandidateFloor = 1e-30f;

// logits: [B, C, h, w] contiguous float32; labels: [B, H, W] of label_type, written in full. kernel: a name of
// upsample_argmax_kernels(), or nullptr for the fastest. NaN and +-inf follow torch.argmax of the upsampled logits.
Status upsample_argmax(const float* logits, int64_t B, int64_t C, int64_t h, int64_t w, int64_t H, int64_t W,
                       VimMode mode, LabelType label_type, void* labels, const Parallel& parallel = {},
                       const char* kernel = nullptr);

// The kernels this CPU runs, by name: "scalar" (the reference) first, the fastest last.
std::vector<std::string> upsample_argmax_kernels();

}  // namespace ppms
