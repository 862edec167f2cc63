// The depthwise row kernel, written once over a vector type V (V::N lanes of V::T, the stored element: float, or half
// for the f16 kernels; lane: the type the scalar channels read a V::T as (float, __fp16), summed in float; load,
// store, fma, activate (its type's common/activate_*.h); asm_blocks: whether V brings its own blocks_asm): the kernel
// files include it inside their target pragma, and everything here has internal linkage, so no function built for
// one instruction set can be shared with a file built for another.
//
// Per channel vector, a block of B interior output columns at a time: per kernel row, the K tap weights are loaded
// once and each input column once, then multiplied into every output column it reaches, so a kernel row costs
// K + (B - 1) * S + K loads for B * K FMAs (not B * K + K: the input is shared between neighbouring outputs). Border columns
// (whose taps reach the padding) take the checked path, one at a time; channels past the last full vector take the
// scalar one.
#pragma once

#include <type_traits>

#include "core/cpu.h"
#include "core/depthwise/kernels.h"

namespace ppms {
namespace dw {
namespace {

// The input rows' element and its load: V::In and V::load_in where V has them (input rows of another type than the
// outputs, widened as they are loaded), else V::T and V::load.
template <class V, class = void>
struct InOf {
  using type = typename V::T;
  using lane = typename V::lane;
  static typename V::reg load(const type* p) { return V::load(p); }
};
template <class V>
struct InOf<V, std::void_t<typename V::In>> {
  using type = typename V::In;
  using lane = typename V::In;
  static typename V::reg load(const type* p) { return V::load_in(p); }
};

template <class V>
using RowV = RowT<typename V::T, typename InOf<V>::type>;

// Output columns [wo, wo + B) of channels [c, c + V::N), all taps in range when Checked is false.
template <class V, Activation A, int K, int B, bool Checked>
inline void columns(const RowV<V>& r, int64_t wo, int64_t c) {
  const int64_t C = r.w->channels, pad = K / 2, s = r.stride, step = s * C;
  typename V::reg acc[B];
  const auto b = V::load(r.w->bias + c);
  for (int i = 0; i < B; ++i) acc[i] = b;
  for (int ky = 0; ky < K; ++ky) {
    const typename InOf<V>::type* row = r.rows[ky];
    if (!row) continue;
    // Input column ix of output column wo + i at base + i * step + kx * C: one pointer and constant offsets.
    const typename InOf<V>::type* base = row + (wo * s - pad) * C + c;
    const typename V::T* taps = r.w->taps + ky * K * C + c;
    for (int kx = 0; kx < K; ++kx) {
      const auto w = V::load(taps + kx * C);
      const typename InOf<V>::type* p = base + kx * C;
      for (int i = 0; i < B; ++i) {
        if (Checked) {
          const int64_t ix = (wo + i) * s - pad + kx;
          if (ix < 0 || ix >= r.W) continue;
        }
        acc[i] = V::fma(InOf<V>::load(p + i * step), w, acc[i]);
      }
    }
  }
  for (int i = 0; i < B; ++i) V::store(r.y + (wo + i) * C + c, V::template activate<A>(acc[i]));
}

// Interior output columns [lo, hi) in blocks of B, stride S, every full channel vector of a block before the next
// block, for a V with few general registers (x86; each input loaded once into a register: 3 x 3 / stride 1 from
// 117-126 to 142-165 GFLOP/s on Zen 5, L1 or L2 resident, 96 and 16 channels). Channels innermost: a block's loads of one kernel row and input
// column then walk contiguous memory, which the prefetchers follow, where one channel vector at a time across the
// columns (the other order) jumped C values per column and waited on L2 (38 -> 43+ GFLOP/s from a ring in L2).
// Input column j of the block (from the first one it reads) feeds output i through tap kx = j - S * i; the tap and
// input pointers walk by the channel stride, so a load costs one add. Returns the first column left.
template <class V, Activation A, int K, int B, int S>
inline int64_t sweep(const RowV<V>& r, int64_t lo, int64_t hi) {
  constexpr int J = (B - 1) * S + K;
  const int64_t C = r.w->channels, full = C - C % V::N;
  int64_t wo = lo;
  for (; wo + B <= hi; wo += B)
    for (int64_t c = 0; c < full; c += V::N) {
      typename V::reg acc[B], w[K];
      const auto bias = V::load(r.w->bias + c);
      for (int i = 0; i < B; ++i) acc[i] = bias;
      PPMS_UNROLL
      for (int ky = 0; ky < K; ++ky) {
        if (!r.rows[ky]) continue;
        const typename V::T* t = r.w->taps + ky * K * C + c;
        PPMS_UNROLL
        for (int kx = 0; kx < K; ++kx, t += C) w[kx] = V::load(t);
        const typename InOf<V>::type* p = r.rows[ky] + (wo * S - K / 2) * C + c;
        PPMS_UNROLL
        for (int j = 0; j < J; ++j, p += C) {
          auto x = InOf<V>::load(p);
          asm("" : "+v"(x));  // opaque: loaded once, not folded into each of its FMAs (3x the loads at k = 3)
          PPMS_UNROLL
          for (int i = 0; i < B; ++i) {
            const int kx = j - S * i;
            if (kx >= 0 && kx < K) acc[i] = V::fma(x, w[kx], acc[i]);
          }
        }
      }
      typename V::T* out = r.y + wo * C + c;
      PPMS_UNROLL
      for (int i = 0; i < B; ++i, out += C) V::store(out, V::template activate<A>(acc[i]));
    }
  return wo;
}

// Interior output columns from wo in blocks of B, channels [c, c + V::N), for a V with enough general registers
// (V::offset_loads): every address is a base register plus one of J loop-invariant byte offsets j * C, because with
// the channel stride known only at run time the compiler otherwise recomputes each offset per load (two more
// instructions per load on aarch64). K = 3's taps stay in registers for the whole row. Returns the first column left.
template <class V, Activation A, int K, int B, int S>
inline int64_t offset_blocks(const RowV<V>& r, int64_t wo, int64_t hi, int64_t c) {
  static_assert(std::is_same<typename InOf<V>::type, typename V::T>::value, "offsets are in V::T's bytes");
  constexpr int J = (B - 1) * S + K;
  constexpr bool held = K * K + B + 4 <= V::regs;
  const int64_t C = r.w->channels, cb = sizeof(typename V::T) * C;
  int64_t off[J];
  for (int j = 0; j < J; ++j) off[j] = j * cb;
  const char* rows[K];
  for (int ky = 0; ky < K; ++ky)
    rows[ky] = r.rows[ky] ? reinterpret_cast<const char*>(r.rows[ky] + c - K / 2 * C) : nullptr;
  const char* taps = reinterpret_cast<const char*>(r.w->taps + c);
  typename V::reg w[held ? K * K : K];
  if constexpr (held)
    for (int t = 0; t < K * K; ++t) w[t] = V::load(r.w->taps + t * C + c);
  const auto bias = V::load(r.w->bias + c);
  char* y = reinterpret_cast<char*>(r.y + c);
  for (; wo + B <= hi; wo += B) {
    const int64_t at = wo * S * cb;
    char* out = y + wo * cb;
    typename V::reg acc[B];
    for (int i = 0; i < B; ++i) acc[i] = bias;
    PPMS_UNROLL
    for (int ky = 0; ky < K; ++ky) {
      if (!rows[ky]) continue;
      const char* p = rows[ky] + at;
      const typename V::reg* wk = w + (held ? ky * K : 0);
      if constexpr (!held) {
        const char* t = taps + ky * K * cb;
        asm("" : "+r"(t));  // opaque: hoisted out of the block loop, the K * K tap addresses would spill
        PPMS_UNROLL
        for (int kx = 0; kx < K; ++kx) w[kx] = V::load(reinterpret_cast<const typename V::T*>(t + off[kx]));
      }
      PPMS_UNROLL
      for (int j = 0; j < J; ++j) {
        const auto x = V::load(reinterpret_cast<const typename V::T*>(p + off[j]));
        PPMS_UNROLL
        for (int i = 0; i < B; ++i) {
          const int kx = j - S * i;
          if (kx >= 0 && kx < K) acc[i] = V::fma(x, wk[kx], acc[i]);
        }
      }
    }
    PPMS_UNROLL
    for (int i = 0; i < B; ++i)
      V::store(reinterpret_cast<typename V::T*>(out + off[i]), V::template activate<A>(acc[i]));
  }
  return wo;
}

template <class V, Activation A, int K>
inline void row(const RowV<V>& r) {
  int64_t lo, hi;
  interior(r, &lo, &hi);
  const int64_t C = r.w->channels, full = C - C % V::N;
  // Blocks sized so that accumulators, tap weights and the block's inputs fit the vector registers (V::regs). x86's
  // 5 x 5 / stride 2 sweep with 32 registers: 6 columns, 1.12x the rate of 4 at 384 channels (Zen 5; 8 spilled).
  constexpr int B1 = V::regs >= 32 ? 8 : 4, B52 = V::regs >= 32 ? 6 : 4;
  int64_t swept = lo;  // x86: the interior blocks of every channel vector at once
  if constexpr (!V::offset_loads)
    swept = r.stride == 1 ? sweep<V, A, K, B1, 1>(r, lo, hi) : sweep<V, A, K, K == 3 ? B1 : B52, 2>(r, lo, hi);
  for (int64_t c = 0; c < full; c += V::N) {
    int64_t wo = 0;
    for (; wo < lo; ++wo) columns<V, A, K, 1, true>(r, wo, c);
    wo = swept;
    if constexpr (V::asm_blocks && (K == 3 || K == 5))  // V's own blocks (NEON: assembly), then the ones below
      wo = r.stride == 1 ? V::template blocks_asm<A, K, 1>(r, wo, hi, c) : V::template blocks_asm<A, K, 2>(r, wo, hi, c);
    if constexpr (V::offset_loads)
      wo = r.stride == 1 ? offset_blocks<V, A, K, B1, 1>(r, wo, hi, c) : offset_blocks<V, A, K, K == 3 ? 8 : 4, 2>(r, wo, hi, c);
    for (; wo < hi; ++wo) columns<V, A, K, 1, false>(r, wo, c);
    for (; wo < r.Wo; ++wo) columns<V, A, K, 1, true>(r, wo, c);
  }
  if (full == C) return;
  using L = typename V::lane;
  using LI = typename InOf<V>::lane;
  const int64_t pad = K / 2;  // the last channels, scalar
  const auto* taps = reinterpret_cast<const L*>(r.w->taps);
  auto* y = reinterpret_cast<L*>(r.y);
  for (int64_t wo = 0; wo < r.Wo; ++wo)
    for (int64_t c = full; c < C; ++c) {
      float sum = reinterpret_cast<const L*>(r.w->bias)[c];
      for (int ky = 0; ky < K; ++ky) {
        const auto* row = reinterpret_cast<const LI*>(r.rows[ky]);
        if (!row) continue;
        for (int kx = 0; kx < K; ++kx) {
          const int64_t ix = wo * r.stride - pad + kx;
          if (ix >= 0 && ix < r.W) sum += float(row[ix * C + c]) * float(taps[(ky * K + kx) * C + c]);
        }
      }
      y[wo * C + c] = L(activate<A>(sum));
    }
}

// The row kernel for any supported k (3, 5, 7) and activation, as compile-time constants.
template <class V, int K>
inline void row_k(const RowV<V>& r) {
  switch (r.act) {
    case Activation::none: return row<V, Activation::none, K>(r);
    case Activation::relu: return row<V, Activation::relu, K>(r);
    case Activation::relu6: return row<V, Activation::relu6, K>(r);
    case Activation::hardswish: return row<V, Activation::hardswish, K>(r);
  }
}

template <class V>
inline void run(const RowV<V>& r) {
  switch (r.w->k) {
    case 1: return row_k<V, 1>(r);
    case 3: return row_k<V, 3>(r);
    case 5: return row_k<V, 5>(r);
    default: return row_k<V, 7>(r);
  }
}

}  // namespace
}  // namespace dw
}  // namespace ppms
