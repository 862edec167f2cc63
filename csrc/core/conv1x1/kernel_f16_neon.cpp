// The f16 kernels on NEON with FP16 arithmetic (Armv8.2-A; chosen only where the CPU reports it), one per set of
// generated R x 16 microkernels (gen/): rows in blocks of the set's largest R, the rest by the smaller ones, each
// block panel after panel, then the residual and the activation on the block's rows while they are in L1. A last
// partial panel goes through a 16-column scratch.
#if defined(__aarch64__)
#include <arm_neon.h>

#include <algorithm>
#include <array>

#include "core/common/activate_neon.h"
#include "core/conv1x1/kernels.h"

#define PPMS_F16 __attribute__((target("arch=armv8.2-a+fp16")))

namespace ppms {
namespace pw {
namespace {

using Ukernel = void (*)(int64_t K, const __fp16* x, int64_t ldx, const __fp16* p, const __fp16* bias, __fp16* y,
                         int64_t ldy);
using UkernelF32 = void (*)(int64_t K, const __fp16* x, int64_t ldx, const __fp16* p, const __fp16* bias, float* y,
                            int64_t ldy);
struct Block {
  int rows;
  Ukernel k;
  UkernelF32 k32;  // the same sums stored to float
};
// Rows halving from the largest down to 1, so that one block of each smaller size covers what the largest leaves.
constexpr std::array<Block, 4> kHalf = {
    {{8, f16_conv1x1_ukernel_8x16__neonfp16arith, f16_conv1x1_f32out_ukernel_8x16__neonfp16arith},
     {4, f16_conv1x1_ukernel_4x16__neonfp16arith, f16_conv1x1_f32out_ukernel_4x16__neonfp16arith},
     {2, f16_conv1x1_ukernel_2x16__neonfp16arith, f16_conv1x1_f32out_ukernel_2x16__neonfp16arith},
     {1, f16_conv1x1_ukernel_1x16__neonfp16arith, f16_conv1x1_f32out_ukernel_1x16__neonfp16arith}}};
constexpr std::array<Block, 3> kF32acc8 = {
    {{4, f16_f32acc8_conv1x1_ukernel_4x16__neonfp16arith, f16_f32acc8_conv1x1_f32out_ukernel_4x16__neonfp16arith},
     {2, f16_f32acc8_conv1x1_ukernel_2x16__neonfp16arith, f16_f32acc8_conv1x1_f32out_ukernel_2x16__neonfp16arith},
     {1, f16_f32acc8_conv1x1_ukernel_1x16__neonfp16arith, f16_f32acc8_conv1x1_f32out_ukernel_1x16__neonfp16arith}}};
constexpr std::array<Block, 3> kF32acc16 = {
    {{4, f16_f32acc16_conv1x1_ukernel_4x16__neonfp16arith, f16_f32acc16_conv1x1_f32out_ukernel_4x16__neonfp16arith},
     {2, f16_f32acc16_conv1x1_ukernel_2x16__neonfp16arith, f16_f32acc16_conv1x1_f32out_ukernel_2x16__neonfp16arith},
     {1, f16_f32acc16_conv1x1_ukernel_1x16__neonfp16arith,
      f16_f32acc16_conv1x1_f32out_ukernel_1x16__neonfp16arith}}};

// rows [0, R) of y (16 columns, rows ldy apart) = act(y + residual)
template <Activation A, bool RES>
PPMS_F16 inline void epilogue(int R, __fp16* y, int64_t ldy, const __fp16* residual, int64_t ldr) {
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < 16; c += 8) {
      float16x8_t v = vld1q_f16(y + r * ldy + c);
      if constexpr (RES) v = vaddq_f16(v, vld1q_f16(residual + r * ldr + c));
      vst1q_f16(y + r * ldy + c, activate8h<A>(v));
    }
}

template <Activation A, bool RES>
PPMS_F16 void block(const Block& b, const TileT<half>& t, int64_t i) {
  const Ukernel k = b.k;
  const int R = b.rows;
  const auto* x = reinterpret_cast<const __fp16*>(t.x) + i * t.ldx;
  const auto* bias = reinterpret_cast<const __fp16*>(t.bias);
  auto* y = reinterpret_cast<__fp16*>(t.y) + i * t.ldy;
  const auto* res = RES ? reinterpret_cast<const __fp16*>(t.residual) + i * t.ldr : nullptr;
  for (int64_t j = 0; j < t.n; j += kConv1x1Panel) {
    const auto* p = reinterpret_cast<const __fp16*>(t.panel) + j / kConv1x1Panel * t.panel_stride;
    const int64_t w = std::min<int64_t>(kConv1x1Panel, t.n - j);
    if (w == kConv1x1Panel) {
      k(t.k, x, t.ldx, p, bias + j, y + j, t.ldy);
      if constexpr (RES || A != Activation::none) epilogue<A, RES>(R, y + j, t.ldy, RES ? res + j : nullptr, t.ldr);
      continue;
    }
    __fp16 out[8][16], rows[8][16] = {};  // the partial panel, and its residual columns
    k(t.k, x, t.ldx, p, bias + j, out[0], 16);
    for (int r = 0; r < R && RES; ++r) std::copy_n(res + r * t.ldr + j, w, rows[r]);
    epilogue<A, RES>(R, out[0], 16, rows[0], 16);
    for (int r = 0; r < R; ++r) std::copy_n(out[r], w, y + r * t.ldy + j);
  }
}

// to y32: no residual, no activation
PPMS_F16 void block_f32(const Block& b, const TileT<half>& t, int64_t i) {
  const auto* x = reinterpret_cast<const __fp16*>(t.x) + i * t.ldx;
  const auto* bias = reinterpret_cast<const __fp16*>(t.bias);
  float* y = t.y32 + i * t.ldy;
  for (int64_t j = 0; j < t.n; j += kConv1x1Panel) {
    const auto* p = reinterpret_cast<const __fp16*>(t.panel) + j / kConv1x1Panel * t.panel_stride;
    const int64_t w = std::min<int64_t>(kConv1x1Panel, t.n - j);
    if (w == kConv1x1Panel) {
      b.k32(t.k, x, t.ldx, p, bias + j, y + j, t.ldy);
      continue;
    }
    float out[8][16];
    b.k32(t.k, x, t.ldx, p, bias + j, out[0], 16);
    for (int r = 0; r < b.rows; ++r) std::copy_n(out[r], w, y + r * t.ldy + j);
  }
}

// F: block<A, RES> or block_f32
template <const auto& S, class F>
PPMS_F16 void each_block(const TileT<half>& t, F f) {
  int64_t i = 0;
  for (; i + S[0].rows <= t.m; i += S[0].rows) f(S[0], t, i);
  for (size_t b = 1; b < S.size(); ++b)
    if (i + S[b].rows <= t.m) f(S[b], t, i), i += S[b].rows;
}

template <const auto& S, Activation A, bool RES>
void rows(const TileT<half>& t) {
  each_block<S>(t, block<A, RES>);
}

template <const auto& S, bool RES>
void act(const TileT<half>& t) {
  switch (t.act) {
    case Activation::none: return rows<S, Activation::none, RES>(t);
    case Activation::relu: return rows<S, Activation::relu, RES>(t);
    case Activation::relu6: return rows<S, Activation::relu6, RES>(t);
    case Activation::hardswish: return rows<S, Activation::hardswish, RES>(t);
  }
}

template <const auto& S>
void tile(const TileT<half>& t) {
  if (t.y32) return each_block<S>(t, block_f32);
  return t.residual ? act<S, true>(t) : act<S, false>(t);
}

// Sums of K <= kHalfK run all in half, on the 8-row blocks (146 instructions per 1024 MACs, f32acc8's 4x16 block
// 220): the network's K <= 64 convolutions are a third of its 1x1 MACs (the K = 16 expansions at 256 x 256 the
// largest), and their sums in half move its logits little. Measured at 512 on the bench's weights and on BatchNorm far
// from identity, the worst of three images (docs/fp16.md): K <= 8 2.45e-3 (base) at 224.8M / 570.2M instructions
// (tiny / base), K <= 64 2.65e-3 at 192.4M / 529.0M, K <= 128 3.74e-3, past the 3e-3 goal.
constexpr int64_t kHalfK = 64;
template <const auto& S>
void tile_f32acc(const TileT<half>& t) {
  return t.k <= kHalfK ? tile<kHalf>(t) : tile<S>(t);
}

}  // namespace

ConfigT<half> kernel_f16_neonfp16arith() { return {"neonfp16arith", tile<kHalf>, kHalf[0].rows, -1}; }
ConfigT<half> kernel_f16_neonfp16arith_f32acc8() {
  return {"neonfp16arith_f32acc8", tile_f32acc<kF32acc8>, kF32acc8[0].rows, kHalfK + 1};
}
ConfigT<half> kernel_f16_neonfp16arith_f32acc16() {
  return {"neonfp16arith_f32acc16", tile_f32acc<kF32acc16>, kF32acc16[0].rows, kHalfK + 1};
}

}  // namespace pw
}  // namespace ppms
#endif
