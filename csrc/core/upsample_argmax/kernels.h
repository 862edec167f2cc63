// The kernels of upsample_argmax (ppms/upsample_argmax.h has the contract). kernel_scalar.cpp is the reference:
// every SIMD kernel gives its labels bit for bit. core/config/config.cpp puts each in the
// configs of its ISA.
//
// Every output pixel is a convex combination of the same <= 4 low-res neighbours as the other pixels of its
// cell, so class c can win anywhere in the cell only if max over the 4 corners of c >= L = max over classes
// of (min over the 4 corners). Only those candidates are interpolated; most cells have exactly one.
#pragma once

#include <cstdint>
#include <vector>

#include "core/common/linear_axis.h"
#include "ppms/upsample_argmax.h"

namespace ppms {
namespace vim {

using Axis = LinearAxis;

struct Args {
  const float* logits;     // [B, C, h, w], contiguous
  int64_t B, C, h, w;
  const int32_t* classes;  // the classes that may win, ascending (all C for exact results)
  int64_t num_classes;
  const Axis* ys;          // h -> H
  const Axis* xs;          // w -> W
  void* out;               // [B, H, W] labels of type out_type
  LabelType out_type;
};

// Scratch a caller provides per concurrent call, in floats and int32s.
int64_t scratch_floats(const Args& a);
int64_t scratch_ints(const Args& a);

// Labels for the work items [begin, end) of the B * h cell rows (item = b * h + r: all output rows whose
// upper neighbour is low-res row r). Items are independent: callers run them in parallel.
using RowsFn = void (*)(const Args& a, int64_t begin, int64_t end, float* fscratch, int32_t* iscratch);

void kernel_scalar(const Args& a, int64_t begin, int64_t end, float* fscratch, int32_t* iscratch);
#if defined(__x86_64__) || defined(_M_X64)
void kernel_avx2(const Args& a, int64_t begin, int64_t end, float* fscratch, int32_t* iscratch);
#endif
#if defined(__aarch64__)
void kernel_neon(const Args& a, int64_t begin, int64_t end, float* fscratch, int32_t* iscratch);
#endif

struct Config {
  const char* name;
  RowsFn rows;
};

// The kernel called `name` (of upsample_argmax_kernels(); nullptr: the fastest config's); nullptr if there is none.
RowsFn kernel(const char* name);

// upsample_argmax() on kernel k.
Status run(const Config& k, const float* logits, int64_t B, int64_t C, int64_t h, int64_t w, int64_t H, int64_t W,
           VimMode mode, LabelType label_type, void* labels, const Parallel& parallel);

// present[c] = 1 if class c is the argmax (first maximum; NaN counts as the maximum, as torch.argmax) of some
// low-res pixel of any batch element: PaddleSeg's VIM label set.
void present_classes(const float* logits, int64_t B, int64_t C, int64_t hw, uint8_t* present);

}  // namespace vim
}  // namespace ppms
