// A KernelConfig per (data type, ISA): every op's microkernels, tiles and weight layout, in the style of XNNPACK's
// configs. config.cpp holds the table; each op's kernels.h declares its part (its Config) and its kernels.
#pragma once

#include <string>
#include <vector>

#include "core/aam/kernels.h"
#include "core/conv1x1/kernels.h"
#include "core/cpu.h"
#include "core/depthwise/kernels.h"
#include "core/gemm/kernels.h"
#include "core/image_conv/kernels.h"
#include "core/sea_attention/stages.h"
#include "core/upsample_argmax/kernels.h"
#include "ppms/kernels.h"

namespace ppms {

struct KernelConfig {
  const char* name;  // the ISA's: "scalar", "avx2", "avx512", "neon"
  DataType type;
  cpu::Isa isa;
  pw::Config conv1x1;
  dw::Config depthwise;
  gemm::Config gemm;
  image_conv_detail::Config image_conv;
  sea::Config sea;
  aam::Config aam;
  vim::Config upsample_argmax;
};

namespace config {

// The configs of this build for `type`, "scalar" first, the fastest last, whether or not this CPU runs them.
const std::vector<KernelConfig>& all(DataType type);
// The fastest config this CPU runs for `type` (decided once per process).
const KernelConfig& fastest(DataType type = DataType::f32);
// c, or the fastest when c is null: ops called without a bound config.
inline const KernelConfig& or_fastest(const KernelConfig* c) { return c ? *c : fastest(); }

// An op's kernel by its name (of op(config)) among the f32 configs this CPU runs: the fastest config when its kernel
// has that name (or name is null or ""), else the last one that has it; null when none has.
template <class Op>
const KernelConfig* with_op(const char* name, Op op) {
  const KernelConfig& f = fastest();
  if (name == nullptr || *name == '\0' || std::string(op(f)) == name) return &f;
  const KernelConfig* found = nullptr;
  for (const KernelConfig& c : all(DataType::f32))
    if (cpu::supports(c.isa) && std::string(op(c)) == name) found = &c;
  return found;
}

// The names of an op's kernels in the f32 configs this CPU runs, each once: the reference first, the fastest last.
template <class Op>
std::vector<std::string> op_names(Op op) {
  std::vector<std::string> out;
  for (const KernelConfig& c : all(DataType::f32)) {
    const std::string n = op(c);
    if (!cpu::supports(c.isa)) continue;
    for (auto it = out.begin(); it != out.end(); ++it)
      if (*it == n) {
        out.erase(it);
        break;
      }
    out.push_back(n);
  }
  return out;
}

}  // namespace config
}  // namespace ppms
