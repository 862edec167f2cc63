#include "ppms/conv1x1.h"

#include <algorithm>
#include <string>

#include "core/config/config.h"
#include "core/conv1x1/kernels.h"
#include "core/common/bf16.h"
#include "core/cpu.h"

namespace ppms {

namespace {

std::string n(int64_t v) { return std::to_string(v); }

}  // namespace

std::vector<std::string> conv1x1_kernels() { return op_kernels("conv1x1"); }

namespace {
template <class T, class Convert>
Status pack(const float* weight, const float* bias, int64_t cout, int64_t cin, T* out, Convert convert) {
  if (cout < 1 || cin < 1) return Status::invalid("conv1x1 weights must be non-empty, got [" + n(cout) + ", " + n(cin) + "]");
  if (weight == nullptr || out == nullptr) return Status::invalid("conv1x1 weight or output is null");
  const int64_t P = kConv1x1Panel, panels = (cout + P - 1) / P;
  std::fill(out, out + conv1x1_packed_floats(cout, cin), convert(0.0f));
  T* packed_bias = out + panels * cin * P;
  for (int64_t o = 0; o < cout; ++o) {
    T* dst = out + (o / P) * cin * P + o % P;
    for (int64_t k = 0; k < cin; ++k) dst[k * P] = convert(weight[o * cin + k]);
    if (bias) packed_bias[o] = convert(bias[o]);
  }
  return Status();
}
}  // namespace

Status conv1x1_pack(const float* weight, const float* bias, int64_t cout, int64_t cin, float* out) {
  return pack(weight, bias, cout, cin, out, [](float v) { return v; });
}

namespace pw {
std::vector<ConfigT<half>> f16_kernels() {
  std::vector<ConfigT<half>> out = {kernel_f16_scalar()};
#if defined(__aarch64__)
  if (cpu::supports(cpu::Isa::neon_fp16))
    out.insert(out.end(), {kernel_f16_neonfp16arith(), kernel_f16_neonfp16arith_f32acc8(),
                           kernel_f16_neonfp16arith_f32acc16()});
#endif
  return out;
}

Status pack_f16(const float* weight, const float* bias, int64_t cout, int64_t cin, half* out) {
  return pack(weight, bias, cout, cin, out, half_from_float);
}

std::vector<Config> bf16_kernels() {
  std::vector<Config> out = {kernel_bf16_scalar()};
#if defined(__x86_64__) || defined(_M_X64)
  if (cpu::supports(cpu::Isa::avx512bf16)) out.push_back(kernel_bf16_avx512bf16());
  if (cpu::supports(cpu::Isa::amx_bf16)) out.push_back(kernel_bf16_amx());
#endif
  return out;
}

PPMS_CLONES Conv1x1Weights pack_bf16(const Conv1x1Weights& w, float* out) {
  constexpr int64_t P = kConv1x1Panel;
  const int64_t panels = (w.cout + P - 1) / P, words = bf16_pair_rows(w.cin);
  auto* o = reinterpret_cast<uint32_t*>(out);
  for (int64_t p = 0; p < panels; ++p) {
    std::fill(o + (p * words + (w.cin + 1) / 2) * P, o + (p + 1) * words * P, 0u);
    for (int64_t k = 0; k < w.cin; k += 2) {
      const float* lo = w.panels + (p * w.cin + k) * P;
      const float* hi = k + 1 < w.cin ? lo + P : nullptr;
      uint32_t* dst = o + (p * words + k / 2) * P;
      if (hi) {
#pragma omp simd
        for (int64_t j = 0; j < P; ++j) dst[j] = bf16_bits(lo[j]) | bf16_bits(hi[j]) << 16;
      } else {
#pragma omp simd
        for (int64_t j = 0; j < P; ++j) dst[j] = bf16_bits(lo[j]);
      }
    }
  }
  float* bias = out + panels * words * P;
  std::copy(w.bias, w.bias + panels * P, bias);
  return Conv1x1Weights{w.cin, w.cout, out, bias};
}
}  // namespace pw

Conv1x1Weights conv1x1_weights(const float* packed, int64_t cout, int64_t cin) {
  const int64_t panels = (cout + kConv1x1Panel - 1) / kConv1x1Panel;
  return Conv1x1Weights{cin, cout, packed, packed + panels * cin * kConv1x1Panel};
}

PPMS_CLONES Conv1x1Weights conv1x1_scale_inputs(const Conv1x1Weights& w, const float* scale, float* out, int64_t k0,
                                                int64_t k1) {
  constexpr int64_t P = kConv1x1Panel;
  const int64_t panels = (w.cout + P - 1) / P;
  if (k1 < 0) k1 = w.cin;
  for (int64_t p = 0; p < panels; ++p)
    for (int64_t k = k0; k < k1; ++k) {
      const float s = scale[k];
      const float* src = w.panels + (p * w.cin + k) * P;
      float* dst = out + (p * w.cin + k) * P;
#pragma omp simd
      for (int64_t j = 0; j < P; ++j) dst[j] = src[j] * s;
    }
  if (k0 == 0) std::copy(w.bias, w.bias + panels * P, out + panels * w.cin * P);
  return conv1x1_weights(out, w.cout, w.cin);
}

Status conv1x1(const Conv1x1Weights& w, const float* x, int64_t ldx, int64_t pixels, float* y, int64_t ldy,
               Activation act, const float* residual, int64_t ldr, const Parallel& parallel, const char* kernel) {
  if (w.cin < 1 || w.cout < 1 || w.panels == nullptr || w.bias == nullptr)
    return Status::invalid("conv1x1: the packed weights are empty");
  if (pixels < 0) return Status::invalid("conv1x1: pixels must be >= 0, got " + n(pixels));
  if (ldx < 1 || ldy < w.cout || (residual && ldr < w.cout))
    return Status::invalid("conv1x1: row strides must be >= 1 for x and cover cout " + n(w.cout) +
                           " for y and residual, got ldx " + n(ldx) + ", ldy " + n(ldy) + ", ldr " + n(ldr));
  if (pixels > 0 && (x == nullptr || y == nullptr)) return Status::invalid("conv1x1: x and y must not be null");
  const KernelConfig* c = config::with_op("conv1x1", kernel);
  if (c == nullptr)
    return Status::unsupported("no conv1x1 kernel \"" + std::string(kernel ? kernel : "") + "\" on this CPU");
  pw::run(c->conv1x1, w, x, ldx, pixels, y, ldy, act, residual, ldr, parallel);
  return Status();
}

namespace pw {

template <class T>
void run(const ConfigT<T>& k, const Conv1x1WeightsT<T>& w, TileT<T> at, int64_t pixels, const Parallel& parallel) {
  const int64_t R = k.rows, P = kConv1x1Panel, panels = (w.cout + P - 1) / P;
  // A task of at least ~64k multiply-adds, so that handing it to another thread pays.
  const int64_t grain = std::max<int64_t>(1, 65536 / (R * w.cin * panels * P));
  at.k = w.cin, at.panel = w.panels, at.panel_stride = panel_rows(k, w.cin) * P, at.bias = w.bias, at.n = w.cout;
  parallel.for_range((pixels + R - 1) / R, grain, [&](int64_t b0, int64_t b1) {
    const int64_t r0 = b0 * R;
    TileT<T> t = at;
    t.x = at.x + r0 * at.ldx, t.m = std::min(b1 * R, pixels) - r0;  // bf16 pairs: words, 4 bytes as floats are
    if (at.y) t.y = at.y + r0 * at.ldy;
    if (at.y32) t.y32 = at.y32 + r0 * at.ldy;
    if (at.y16) t.y16 = at.y16 + r0 * at.ldy;
    if (at.residual) t.residual = at.residual + r0 * at.ldr;
    k.tile(t);
  });
}

template <class T>
void run(const ConfigT<T>& k, const Conv1x1WeightsT<T>& w, const T* x, int64_t ldx, int64_t pixels, T* y, int64_t ldy,
         Activation act, const T* residual, int64_t ldr, const Parallel& parallel, const float* x_scale) {
  TileT<T> at{};
  at.x = x, at.ldx = ldx, at.y = y, at.ldy = ldy, at.residual = residual, at.ldr = ldr, at.act = act;
  at.x_scale = x_scale;
  run(k, w, at, pixels, parallel);
}

void run(const ConfigT<half>& k, const Conv1x1WeightsT<half>& w, const half* x, int64_t ldx, int64_t pixels, float* y,
         int64_t ldy, const Parallel& parallel) {
  TileT<half> at{};
  at.x = x, at.ldx = ldx, at.y32 = y, at.ldy = ldy, at.act = Activation::none;
  run(k, w, at, pixels, parallel);
}

template void run(const Config&, const Conv1x1Weights&, Tile, int64_t, const Parallel&);
template void run(const ConfigT<half>&, const Conv1x1WeightsT<half>&, TileT<half>, int64_t, const Parallel&);
template void run(const Config&, const Conv1x1Weights&, const float*, int64_t, int64_t, float*, int64_t, Activation,
                  const float*, int64_t, const Parallel&, const float*);
template void run(const ConfigT<half>&, const Conv1x1WeightsT<half>&, const half*, int64_t, int64_t, half*, int64_t,
                  Activation, const half*, int64_t, const Parallel&, const float*);

}  // namespace pw
}  // namespace ppms
