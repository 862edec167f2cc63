// The kernels of conv1x1 (ppms/conv1x1.h has the contract): each computes rows [0, m) of all n output columns, a row
// block at a time and each block panel after panel, while the block's input rows stay in L1. kernel_scalar.cpp is the
// reference the SIMD kernels are tested against; core/config/config.cpp puts each in the configs of its ISA.
#pragma once

#include <cstdint>
#include <vector>

#include "core/common/activate.h"
#include "core/common/bf16.h"
#include "core/common/half.h"
#include "ppms/conv1x1.h"

namespace ppms {
namespace pw {

// T: float, or half (common/half.h) for the f16 kernels.
template <class T>
struct TileT {
  const T* x;  // row 0 of the tile, rows ldx apart
  int64_t ldx, k;
  const T* panel;  // [k][kConv1x1Panel] per panel, panel_stride values apart
  int64_t panel_stride;
  const T* bias;  // [panels * kConv1x1Panel]
  T* y;           // rows ldy apart
  int64_t ldy;
  const T* residual;  // or null; rows ldr apart
  int64_t ldr;
  Activation act;
  int64_t m, n;  // rows and columns to store: n is all the output channels
  // f16 only: where set, the outputs go here in float (rows ldy apart), not rounded to half, and y is unused; no
  // residual or activation then (the network's logits)
  float* y32 = nullptr;
  // bf16 only, x in floats: input channel k multiplied by x_scale[k] before it is rounded (SE's gate)
  const float* x_scale = nullptr;
  // bf16 only: x holds the inputs already rounded, in pairs (to_bf16_pairs: two a 32-bit word, the even one low, the
  // last word's high half zero when k is odd; rows ldx words apart), not floats
  bool x_pairs = false;
  // bf16 only: where set, the outputs go here rounded to bf16 (after residual and activation), rows ldy values apart,
  // and y is unused
  bf16* y16 = nullptr;
};
using Tile = TileT<float>;

template <class T>
struct ConfigT {
  const char* name;
  void (*tile)(const TileT<T>& t);
  int64_t rows;  // the row block the kernel computes at once
  // f16: the most k steps one sum in half takes (-1: all of K, from the bias; 0: none, the sums are float), what
  // the kernel's rounding error grows with (tests/cpp/test_conv1x1.cpp).
  int64_t half_steps = 0;
  // The input channels one panel row holds: 1, or 2 for bf16 (a pair in each 32-bit word, vdpbf16ps's operand).
  int64_t k_pack = 1;
  // Whether it writes bf16 outputs (TileT::y16): the bf16 kernels, and the f32 ones of the bf16 configs.
  bool y16 = false;
};
using Config = ConfigT<float>;
using TileFn = void (*)(const Tile& t);

// f16: weights and activations in half, packed as the f32 ones (pack_f16). The scalar kernel computes in float and
// rounds each output once. The NEON ones run blocks of generated R x 16 microkernels (csrc/gen/conv1x1_neon.py):
// neonfp16arith accumulates all of K in half (FMLA on .8h), R = 8, 4, 2, 1; neonfp16arith_f32acc<C> sums C k steps
// in half, then adds the partial sums into float accumulators, R = 4, 2, 1, where K > 64 (smaller K all in half).
ConfigT<half> kernel_f16_scalar();
#if defined(__aarch64__)
ConfigT<half> kernel_f16_neonfp16arith();
ConfigT<half> kernel_f16_neonfp16arith_f32acc8();
ConfigT<half> kernel_f16_neonfp16arith_f32acc16();
#define PPMS_F16_UKERNEL(name) \
  void name(int64_t K, const __fp16* x, int64_t ldx, const __fp16* p, const __fp16* bias, __fp16* y, int64_t ldy);
PPMS_F16_UKERNEL(f16_conv1x1_ukernel_1x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_conv1x1_ukernel_2x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_conv1x1_ukernel_4x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_conv1x1_ukernel_8x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_f32acc8_conv1x1_ukernel_1x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_f32acc8_conv1x1_ukernel_2x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_f32acc8_conv1x1_ukernel_4x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_f32acc16_conv1x1_ukernel_1x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_f32acc16_conv1x1_ukernel_2x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_f32acc16_conv1x1_ukernel_4x16__neonfp16arith)
#undef PPMS_F16_UKERNEL
#define PPMS_F16_UKERNEL(name) \
  void name(int64_t K, const __fp16* x, int64_t ldx, const __fp16* p, const __fp16* bias, float* y, int64_t ldy);
PPMS_F16_UKERNEL(f16_conv1x1_f32out_ukernel_1x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_conv1x1_f32out_ukernel_2x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_conv1x1_f32out_ukernel_4x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_conv1x1_f32out_ukernel_8x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_f32acc8_conv1x1_f32out_ukernel_1x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_f32acc8_conv1x1_f32out_ukernel_2x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_f32acc8_conv1x1_f32out_ukernel_4x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_f32acc16_conv1x1_f32out_ukernel_1x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_f32acc16_conv1x1_f32out_ukernel_2x16__neonfp16arith)
PPMS_F16_UKERNEL(f16_f32acc16_conv1x1_f32out_ukernel_4x16__neonfp16arith)
#undef PPMS_F16_UKERNEL
#endif
// The f16 kernels this CPU runs, the scalar one first.
std::vector<ConfigT<half>> f16_kernels();
// conv1x1_pack's layout in half: out takes conv1x1_packed_floats(cout, cin) values.
Status pack_f16(const float* weight, const float* bias, int64_t cout, int64_t cin, half* out);

Config kernel_scalar();
#if defined(__x86_64__) || defined(_M_X64)
Config kernel_avx2();
Config kernel_avx512();
#endif

// bf16 (DataType::bf16): f32 inputs, outputs, bias, residual and activation, as the f32 kernels; the weights in pairs
// of input channels (pack_bf16): panels [ceil(cout / 16)][bf16_pair_rows(cin)][16] 32-bit words, each the bf16 weights
// of input channels 2i (low half) and 2i + 1 (high half), zero past cin (up to a multiple of 32 input channels: an AMX
// tile's depth), then the float bias [ceil(cout / 16) * 16]. Each input is rounded to bf16 once per row block and the
// products summed in float. The scalar kernel is the reference; avx512bf16 runs vdpbf16ps (two k steps of 16 columns
// an instruction) on 12 x 32 tiles; amx runs tdpbf16ps (16 x 16 outputs, 32 k steps an instruction) on 32 x 32 tiles.
// Both convert a row block's inputs into a scratch of pairs once, for every panel, unless they come in pairs
// (TileT::x_pairs: avx512bf16 reads them where they are, amx copies them into its tile scratch).
Config kernel_bf16_scalar();
#if defined(__x86_64__) || defined(_M_X64)
Config kernel_bf16_avx512bf16();
Config kernel_bf16_amx();
#endif
// The bf16 kernels this CPU runs, the scalar one first.
std::vector<Config> bf16_kernels();
// The rows of pairs of a bf16 panel: cin / 2 rounded up to whole AMX tiles of 16 rows.
inline int64_t bf16_pair_rows(int64_t cin) { return (cin + 31) / 32 * 16; }
// The floats (32-bit words) pack_bf16 writes for a cout x cin convolution.
inline int64_t bf16_packed_floats(int64_t cout, int64_t cin) {
  const int64_t panels = (cout + kConv1x1Panel - 1) / kConv1x1Panel;
  return panels * kConv1x1Panel * (bf16_pair_rows(cin) + 1);
}
// The rows of k's panels for cin input channels: cin, or bf16_pair_rows(cin) for a bf16 kernel.
template <class T>
int64_t panel_rows(const ConfigT<T>& k, int64_t cin) {
  return k.k_pack == 2 ? bf16_pair_rows(cin) : cin;
}
// w (conv1x1_pack's f32 layout) in bf16 pairs into out (bf16_packed_floats).
Conv1x1Weights pack_bf16(const Conv1x1Weights& w, float* out);
#if defined(__aarch64__)
Config kernel_neon();
#endif

// conv1x1() on kernel k, its arguments already checked (the engine's layers, whose shapes network_bind checked).
// T: float or half.
// x_scale: bf16 kernels only (TileT::x_scale).
template <class T>
void run(const ConfigT<T>& k, const Conv1x1WeightsT<T>& w, const T* x, int64_t ldx, int64_t pixels, T* y, int64_t ldy,
         Activation act, const T* residual = nullptr, int64_t ldr = 0, const Parallel& parallel = {},
         const float* x_scale = nullptr);
// f16 into float y, not rounded to half (TileT::y32).
void run(const ConfigT<half>& k, const Conv1x1WeightsT<half>& w, const half* x, int64_t ldx, int64_t pixels, float* y,
         int64_t ldy, const Parallel& parallel = {});
// Rows [0, pixels) of `at` (its x, ldx, y, y32 or y16, ldy, residual, ldr, act, x_scale, x_pairs; the rest is set here
// from w), split over `parallel`: what the two above build. x_scale and x_pairs need a bf16 kernel (k_pack 2), y16 a
// kernel with ConfigT::y16.
template <class T>
void run(const ConfigT<T>& k, const Conv1x1WeightsT<T>& w, TileT<T> at, int64_t pixels, const Parallel& parallel = {});

// Runs t's rows in blocks of R through F<R, a, residual>::run (the activation and whether there is a residual as
// compile-time constants, so that the loops over k and over panels carry no branch on them), the last rows through a
// smaller block: one call per tile, not per block (the per-call cost was 5% of a network's instructions on aarch64).
// F::kManyBlocks: run takes m = any multiple of R rows in one call (NEON: a block's setup was 40-90 instructions, up to
// a third of a 4 x 16 block's FMAs at K = 16).
// Both are static: F is each kernel file's own (unnamed-namespace) block, yet GCC mangles every file's unnamed
// namespace alike and emitted dispatch<Rows, R> as a weak symbol, so the linker kept one file's instances for all (a
// kernel could run another file's blocks for some row counts: the AVX2 kernel AVX-512 ones).
// Every block streams all the panels from L2, so a last block of at most R / 2 rows is joined to the one before and
// the two run as halves: 12 + 4 rows (the network's rows of 16, 64 and 256 pixels) as 8 + 8 took 4-row blocks, 5% of
// base's x86 time at a third of the 12-row rate, away. (NEON's R = 4 gains no instruction from it, so it keeps 4 + 1.)
template <template <int, Activation, bool> class F, int R>
static inline void dispatch(const Tile& t);

template <template <int, Activation, bool> class F, int R, Activation A, bool RES>
static inline void blocks(const Tile& t) {
  Tile b = t;
  auto at = [&](int64_t r, int64_t m) {
    b.x = t.x + r * t.ldx, b.residual = RES ? t.residual + r * t.ldr : nullptr;
    if (t.y) b.y = t.y + r * t.ldy;  // y is null where the outputs go to y16
    if (t.y16) b.y16 = t.y16 + r * t.ldy;
    b.m = m;
  };
  const int64_t rem = t.m % R, full = t.m / R - (R > 4 && t.m > R && rem > 0 && rem <= R / 2);
  if constexpr (F<R, A, RES>::kManyBlocks) {  // run takes all the full blocks, its fields read once
    if (full > 0) at(0, full * R), F<R, A, RES>::run(b);
  } else {
    for (int64_t r = 0; r < full * R; r += R) at(r, R), F<R, A, RES>::run(b);
  }
  if constexpr (R > 1) {
    const int64_t r = full * R, left = t.m - r;
    if (left == 0) return;
    if (left <= R) return at(r, left), dispatch<F, R - 1>(b);
    at(r, left / 2), dispatch<F, R - 1>(b);
    at(r + left / 2, left - left / 2), dispatch<F, R - 1>(b);
  }
}

template <template <int, Activation, bool> class F, int R>
static inline void dispatch(const Tile& t) {
  if constexpr (R > 1) {
    if (t.m < R) return dispatch<F, R - 1>(t);
  }
  const bool res = t.residual != nullptr;
  switch (t.act) {
    case Activation::none: return res ? blocks<F, R, Activation::none, true>(t) : blocks<F, R, Activation::none, false>(t);
    case Activation::relu: return res ? blocks<F, R, Activation::relu, true>(t) : blocks<F, R, Activation::relu, false>(t);
    case Activation::relu6:
      return res ? blocks<F, R, Activation::relu6, true>(t) : blocks<F, R, Activation::relu6, false>(t);
    case Activation::hardswish:
      return res ? blocks<F, R, Activation::hardswish, true>(t) : blocks<F, R, Activation::hardswish, false>(t);
  }
}

}  // namespace pw
}  // namespace ppms
