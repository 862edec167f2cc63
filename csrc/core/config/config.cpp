// The kernel configs: one per (data type, ISA), each naming every op's microkernels. A fast path enters the engine
// here and nowhere else: an op runs what its config says, and the configs are chosen when a network is bound.
#include "core/config/config.h"

#include <algorithm>

#include "ppms/ppms.h"

namespace ppms {
namespace config {

namespace {

constexpr dw::Config kDepthwiseScalar = {"scalar", dw::kernel_scalar};
constexpr gemm::Config kGemmScalar = {"scalar", gemm::kernel_scalar};
constexpr image_conv_detail::Config kColumns = {"columns", nullptr};
constexpr sea::Config kSeaScalar = {"scalar", sea::stride_dw, sea::dw3x3_relu6, sea::relu6, sea::mix_relu6,
                                    sea::gate_upsample};
constexpr aam::Config kAamScalar = {"scalar", aam::fuse_tiny, aam::fuse_base};
constexpr vim::Config kVimScalar = {"scalar", vim::kernel_scalar};

std::vector<KernelConfig> f32() {
  std::vector<KernelConfig> out = {{"scalar", DataType::f32, cpu::Isa::scalar, pw::kernel_scalar(), kDepthwiseScalar,
                                    kGemmScalar, kColumns, kSeaScalar, kAamScalar, kVimScalar}};
#if defined(__x86_64__) || defined(_M_X64)
  const vim::Config vim_avx2 = {"avx2", vim::kernel_avx2};
  out.push_back({"avx2", DataType::f32, cpu::Isa::avx2_fma, pw::kernel_avx2(), {"avx2", dw::kernel_avx2},
                 {"avx2", gemm::kernel_avx2}, kColumns, kSeaScalar, kAamScalar, vim_avx2});
  out.push_back({"avx512", DataType::f32, cpu::Isa::avx512f, pw::kernel_avx512(), {"avx512", dw::kernel_avx512},
                 {"avx512", gemm::kernel_avx512}, {"stem_avx512", image_conv_detail::stem_rows_avx512},
                 {"avx512", sea::stride_dw, sea::dw3x3_relu6_avx512, sea::relu6, sea::mix_relu6, sea::gate_upsample},
                 {"avx512", aam::fuse_tiny_avx512, aam::fuse_base_avx512}, vim_avx2});
#endif
#if defined(__aarch64__)
  out.push_back({"neon", DataType::f32, cpu::Isa::neon, pw::kernel_neon(), {"neon", dw::kernel_neon},
                 {"neon", gemm::kernel_neon}, {"stem_neon", image_conv_detail::stem_rows_neon},
                 {"neon", sea::stride_dw_neon, sea::dw3x3_relu6_neon, sea::relu6_neon, sea::mix_relu6_neon,
                  sea::gate_upsample_neon},
                 {"neon", aam::fuse_tiny_neon, aam::fuse_base_neon}, {"neon", vim::kernel_neon}});
#endif
  return out;
}

// f16: the half kernels of the stem, the 1x1 convolutions and depthwise convolutions (the MobileNetV3 blocks, the
// MLPs, AAM and the head, SEA's wide convolutions); the other ops on the f32 kernels of the same ISA.
std::vector<KernelConfig> f16() {
  const std::vector<KernelConfig>& f = all(DataType::f32);
  KernelConfig scalar = f.front();
  scalar.type = DataType::f16;
  scalar.f16 = {pw::kernel_f16_scalar(), dw::kernel_f16_scalar(), {"scalar", image_conv_detail::stem_rows_f16, 0},
                true};
  std::vector<KernelConfig> out = {scalar};
#if defined(__aarch64__)
  // by how the 1x1 convolutions sum: all of K in half (fewest instructions, past the 3e-3 error goal), or half
  // partial sums of 16 or 8 k steps added in float. f32acc8 is the default: f32acc16 too misses the goal on base
  // with BatchNorm far from identity (4.2e-3; f32acc8 2.5e-3, docs/fp16.md). The stem in half goes with the all-half
  // sums only: its 27 taps summed in half took base's error on a checkerboard from 2.5e-3 to 3.6e-3 (6M fewer
  // instructions); the others run the f32 stem and round its output. So do SEA's wide convolutions: in half with
  // f32acc8 they took base's error with BatchNorm far from identity from 2.78e-3 to 3.08e-3 (9M fewer).
  const image_conv_detail::HalfConfig half_stem = {"neonfp16arith", image_conv_detail::stem_rows_f16_neonfp16arith, 28},
                                      f32_stem = {"f32", nullptr, 0};
  for (const pw::ConfigT<half>& conv : {pw::kernel_f16_neonfp16arith(), pw::kernel_f16_neonfp16arith_f32acc16(),
                                        pw::kernel_f16_neonfp16arith_f32acc8()}) {
    KernelConfig neon = f.back();
    neon.name = conv.name, neon.type = DataType::f16, neon.isa = cpu::Isa::neon_fp16;
    const bool all_half = conv.half_steps < 0;
    neon.f16 = {conv, dw::kernel_f16_neonfp16arith(), all_half ? half_stem : f32_stem, all_half};
    out.push_back(neon);
  }
#endif
  return out;
}

// bf16: the 1x1 convolutions in bf16 (their weights packed in pairs of input channels when a network is bound), and
// the depthwise convolutions of blocks whose expansion runs in bf16 over its bf16 rows; every other op on the f32
// kernels of the same ISA.
std::vector<KernelConfig> bf16() {
  constexpr int64_t min_cout = 17;  // the same in every config: each rounds the same values to bf16
  const std::vector<KernelConfig>& f = all(DataType::f32);
  KernelConfig scalar = f.front();
  scalar.type = DataType::bf16;
  scalar.bf16 = {pw::kernel_bf16_scalar(), min_cout, dw::kernel_bf16_rows_scalar};
  std::vector<KernelConfig> out = {scalar};
#if defined(__x86_64__) || defined(_M_X64)
  KernelConfig avx512 = f.back();
  avx512.name = "avx512bf16", avx512.type = DataType::bf16, avx512.isa = cpu::Isa::avx512bf16;
  avx512.bf16 = {pw::kernel_bf16_avx512bf16(), min_cout, dw::kernel_bf16_rows_avx512};
  out.push_back(avx512);
  KernelConfig amx = avx512;
  amx.name = "amx", amx.isa = cpu::Isa::amx_bf16, amx.bf16 = {pw::kernel_bf16_amx(), min_cout, dw::kernel_bf16_rows_avx512};
  out.push_back(amx);
#endif
  return out;
}

}  // namespace

const std::vector<KernelConfig>& all(DataType type) {
  static const std::vector<KernelConfig> f32s = f32();
  if (type == DataType::f32) return f32s;
  static const std::vector<KernelConfig> f16s = f16();
  if (type == DataType::f16) return f16s;
  static const std::vector<KernelConfig> bf16s = bf16();
  return bf16s;
}

const KernelConfig* fastest(DataType type) {
  auto best = [](DataType t) {
    const KernelConfig* b = nullptr;
    for (const KernelConfig& c : all(t))
      if (cpu::supports(c.isa) && (t == DataType::f32 || c.isa != cpu::Isa::scalar)) b = &c;
    return b;
  };
  static const KernelConfig* const f32_fastest = best(DataType::f32);  // at least the scalar one
  static const KernelConfig* const f16_fastest = best(DataType::f16);
  static const KernelConfig* const bf16_fastest = best(DataType::bf16);
  return type == DataType::f32 ? f32_fastest : type == DataType::f16 ? f16_fastest : bf16_fastest;
}

const KernelConfig& fastest() { return *fastest(DataType::f32); }

}  // namespace config

std::vector<std::string> kernel_configs(DataType type) {
  std::vector<std::string> out;
  for (const KernelConfig& c : config::all(type))
    if (cpu::supports(c.isa)) out.push_back(c.name);
  return out;
}

Status kernel_config(const char* name, DataType type, const KernelConfig** config) {
  if (config == nullptr) return Status::invalid("kernel_config: null output");
  if (name == nullptr || *name == '\0') {
    *config = config::fastest(type) ? config::fastest(type) : &config::fastest();  // a type this CPU cannot run
    return Status();
  }
  for (const KernelConfig& c : config::all(type))
    if (cpu::supports(c.isa) && std::string(c.name) == name) {
      *config = &c;
      return Status();
    }
  std::string known;
  for (const std::string& n : kernel_configs(type)) known += (known.empty() ? "" : ", ") + n;
  return Status::unsupported("no kernel config \"" + std::string(name) + "\" on this CPU (it runs " + known + ")");
}

const char* kernel_config_name(const KernelConfig& config) { return config.name; }

const char* data_type_name(DataType type) {
  return type == DataType::f16 ? "fp16" : type == DataType::bf16 ? "bf16" : "fp32";
}

Status data_type(const std::string& name, DataType* type) {
  for (DataType t : {DataType::f32, DataType::f16, DataType::bf16})
    if (name == data_type_name(t)) {
      *type = t;
      return Status();
    }
  return Status::invalid("unknown precision \"" + name + "\": fp32, fp16 or bf16");
}

namespace config {
namespace {
// The name of op's kernel in c; null for an op not in kKernelOps.
const char* op_kernel(const KernelConfig& c, const std::string& op) {
  if (op == "conv1x1") return c.conv1x1.name;
  if (op == "depthwise") return c.depthwise.name;
  if (op == "gemm") return c.gemm.name;
  if (op == "image_conv") return c.image_conv.name;
  if (op == "sea_attention") return c.sea.name;
  if (op == "aam_head") return c.aam.name;
  if (op == "upsample_argmax") return c.upsample_argmax.name;
  return nullptr;
}
}  // namespace

const KernelConfig* with_op(const std::string& op, const char* name) {
  const KernelConfig& f = fastest();
  if (op_kernel(f, op) == nullptr) return nullptr;
  if (name == nullptr || *name == '\0' || std::string(op_kernel(f, op)) == name) return &f;
  const KernelConfig* found = nullptr;
  for (const KernelConfig& c : all(DataType::f32))
    if (cpu::supports(c.isa) && std::string(op_kernel(c, op)) == name) found = &c;
  return found;
}
}  // namespace config

std::vector<std::string> op_kernels(const std::string& op) {
  std::vector<std::string> out;
  for (const KernelConfig& c : config::all(DataType::f32)) {
    const char* n = config::op_kernel(c, op);
    if (n == nullptr) return {};
    if (!cpu::supports(c.isa)) continue;
    out.erase(std::remove(out.begin(), out.end(), n), out.end());  // each once, where its fastest config puts it
    out.push_back(n);
  }
  return out;
}

std::string build_info() {
  std::string s = std::string("ppms ") + version() + ", compiler: ";
#if defined(__clang__)
  s += "clang " __clang_version__;
#elif defined(__GNUC__)
  s += "gcc " __VERSION__;
#else
  s += "unknown";
#endif
#if defined(__aarch64__)
  s += ", aarch64";
#elif defined(__x86_64__)
  s += ", x86-64";
#endif
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& k : v) out += (out.empty() ? "" : "/") + k;
    return out;
  };
  const KernelConfig *f16 = config::fastest(DataType::f16), *bf16 = config::fastest(DataType::bf16);
  s += ", f32 kernel configs: " + join(kernel_configs(DataType::f32)) + " (bound by default: " +
       config::fastest().name + "), f16 kernel configs: " + join(kernel_configs(DataType::f16)) + " (fp16 runs on " +
       (f16 ? f16->name : "none: fp32 instead") + "), bf16 kernel configs: " + join(kernel_configs(DataType::bf16)) +
       " (bf16 runs on " + (bf16 ? bf16->name : "none: fp32 instead") + ")";
  for (const char* op : kKernelOps) s += ", " + std::string(op) + " kernels: " + join(op_kernels(op));
  return s;
}

}  // namespace ppms
