// ppms_run: a model file and an image in, the label map out, on the core's C++ API alone (model.h): what an app on a
// phone does, and its timing.
//
//   ppms_run MODEL.ppms IMAGE [-o labels.png|.pgm] [--logits FILE] [--threads N] [--size HxW] [--bench N] [--raw WxH]
//            [--precision P] [--kernels NAME]
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "image_io.h"
#include "ppms/ppms.h"

namespace {

const char kUsage[] =
    "usage: ppms_run MODEL.ppms IMAGE [options]\n"
    "  IMAGE            an image file (%s), or raw RGB bytes with --raw\n"
    "  -o, --out PATH   write the label map (class ids as 8-bit grey): PATH ends in .png or .pgm\n"
    "  --logits PATH    write the network's low-resolution logits (before the upsample + argmax): raw little-endian\n"
    "                   float32, classes x h x w (the shape is printed to stderr)\n"
    "  --threads N      threads (default 1; 0: every core, as in ppms)\n"
    "  --size HxW       run the network at H x W (the image resized, bilinear); default: the image's own size\n"
    "  --bench N        after the first call, time N more and print their median and minimum\n"
    "  --raw WxH        IMAGE holds W x H raw RGB pixels\n"
    "  --precision P    fp32, fp16 (half precision where the CPU has FP16 arithmetic, else fp32) or bf16 (the 1x1\n"
    "                   convolutions in bfloat16 where the CPU has AVX512_BF16, else fp32); default: the model\n"
    "                   file's (ppms export --precision)\n"
    "  --kernels NAME   the kernel config to run (fp32: %s; fp16: %s; bf16: %s; default the fastest)\n";

std::string usage() {
  auto configs = [](ppms::DataType t) {
    std::string out;
    for (const std::string& c : ppms::kernel_configs(t)) out += (out.empty() ? "" : ", ") + c;
    return out;
  };
  std::vector<char> buf(sizeof(kUsage) + 512);
  std::snprintf(buf.data(), buf.size(), kUsage, ppms_tools::image_formats().c_str(),
                configs(ppms::DataType::f32).c_str(), configs(ppms::DataType::f16).c_str(),
                configs(ppms::DataType::bf16).c_str());
  return buf.data();
}

int fail(const std::string& message) {
  std::fprintf(stderr, "ppms_run: %s\n", message.c_str());
  return 1;
}

bool parse_int(const char* s, int64_t lo, int64_t hi, int64_t* v) {
  char* end = nullptr;
  const long long x = std::strtoll(s, &end, 10);
  if (end == s || *end != '\0' || x < lo || x > hi) return false;
  *v = x;
  return true;
}

// What keeps `path` from being written (its folder missing), or "": checked before the network runs.
std::string unwritable(const std::string& flag, const std::string& path) {
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  std::error_code e;
  if (folder.empty() || std::filesystem::is_directory(folder, e)) return "";
  return flag + " " + path + ": there is no folder " + folder.string();
}

// logits [classes][h][w] as raw little-endian float32 (the engine runs on little-endian CPUs only).
std::string write_floats(const std::string& path, const float* v, int64_t count) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return "cannot write " + path + " (" + std::strerror(errno) + ")";
  const bool ok = std::fwrite(v, sizeof(float), count, f) == static_cast<size_t>(count);
  return std::fclose(f) == 0 && ok ? "" : "cannot write " + path;
}

bool parse_size(const std::string& s, int64_t* a, int64_t* b) {
  const size_t x = s.find('x');
  return x != std::string::npos && parse_int(s.substr(0, x).c_str(), 1, ppms_tools::kMaxSide, a) &&
         parse_int(s.substr(x + 1).c_str(), 1, ppms_tools::kMaxSide, b);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> positional;
  std::string out, logits_out, kernels, precision;
  ppms::DataType asked = ppms::DataType::f32;
  int64_t threads = 1, bench = 0, size_h = 0, size_w = 0, raw_w = 0, raw_h = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "-h" || a == "--help") {
      std::printf("%s", usage().c_str());
      return 0;
    } else if ((a == "-o" || a == "--out") && has_value) {
      out = argv[++i];
    } else if (a == "--logits" && has_value) {
      logits_out = argv[++i];
    } else if (a == "--threads" && has_value) {
      if (!parse_int(argv[++i], 0, 1024, &threads)) return fail("--threads takes a number in [0, 1024] (0: every core)");
      if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    } else if (a == "--bench" && has_value) {
      if (!parse_int(argv[++i], 0, 1000000, &bench)) return fail("--bench takes a number in [0, 1000000]");
    } else if (a == "--precision" && has_value) {
      precision = argv[++i];
      const ppms::Status known = ppms::data_type(precision, &asked);
      if (!known.ok()) return fail("--precision: " + known.message());
    } else if (a == "--kernels" && has_value) {
      kernels = argv[++i];
    } else if (a == "--size" && has_value) {
      if (!parse_size(argv[++i], &size_h, &size_w)) return fail("--size takes HxW, e.g. 512x512");
    } else if (a == "--raw" && has_value) {
      if (!parse_size(argv[++i], &raw_w, &raw_h)) return fail("--raw takes WxH, e.g. 640x480");
    } else if (!a.empty() && a[0] == '-') {
      return fail("unknown option or missing value: " + a + "\n" + usage());
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2) {
    std::fprintf(stderr, "%s", usage().c_str());
    return 2;
  }
  if (!out.empty()) {
    const std::string e = ppms_tools::grey_format_error(out);
    if (!e.empty()) return fail("-o " + e);
  }
  for (const auto& flag_path : {std::make_pair("-o", out), std::make_pair("--logits", logits_out)}) {
    const std::string e = flag_path.second.empty() ? "" : unwritable(flag_path.first, flag_path.second);
    if (!e.empty()) return fail(e);
  }

  std::shared_ptr<const ppms::Model> model;
  ppms::Status s = ppms::Model::load(positional[0], &model);
  if (!s.ok()) return fail(s.message());
  const ppms::ModelInfo& info = model->info();
  if (info.classes > 256) return fail("the model has " + std::to_string(info.classes) + " classes; the label map holds 256");
  ppms_tools::Image image;
  const std::string e = ppms_tools::read_image(positional[1], &image, raw_w, raw_h);
  if (!e.empty()) return fail(e);

  ppms::SegmenterOptions options;
  options.threads = static_cast<int>(threads);
  options.height = size_h, options.width = size_w;
  options.kernels = kernels;
  options.precision = precision;
  std::unique_ptr<ppms::Segmenter> seg;
  s = ppms::Segmenter::create(model, options, &seg);
  if (!s.ok()) return fail(s.message());
  const int64_t H = image.height, W = image.width;
  std::vector<uint8_t> labels(H * W);
  auto call = [&] { return seg->segment(image.rgb.data(), H, W, 3 * W, labels.data()); };
  auto t0 = std::chrono::steady_clock::now();
  s = call();
  const double first = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!s.ok()) return fail(s.message());

  std::printf("model %s: PP-MobileSeg %s, %lld classes, %s weights; image %lld x %lld", positional[0].c_str(),
              info.variant.c_str(), static_cast<long long>(info.classes),
              ppms::data_type_name(info.precision), static_cast<long long>(W),
              static_cast<long long>(H));
  if (size_h) std::printf(" at %lld x %lld", static_cast<long long>(size_w), static_cast<long long>(size_h));
  std::printf("; %lld thread(s), %s\nfirst call %.2f ms\n", static_cast<long long>(threads),
              ppms::data_type_name(seg->precision()), first);
  const ppms::DataType wanted = precision.empty() ? info.precision : asked;
  if (wanted != seg->precision())
    std::fprintf(stderr, "ppms_run: this CPU has no %s: running fp32\n",
                 wanted == ppms::DataType::f16 ? "FP16 arithmetic (Armv8.2-A asimdhp)" : "AVX512_BF16");
  if (bench > 0) {
    std::vector<double> t(bench);
    for (auto& v : t) {
      t0 = std::chrono::steady_clock::now();
      s = call();
      v = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (!s.ok()) return fail(s.message());
    }
    std::sort(t.begin(), t.end());
    std::printf("%lld calls: median %.2f ms, min %.2f ms\n", static_cast<long long>(bench), t[t.size() / 2], t[0]);
  }
  std::vector<int64_t> count(info.classes, 0);
  for (uint8_t l : labels) ++count[l];
  std::vector<int> order(info.classes);
  for (int c = 0; c < info.classes; ++c) order[c] = c;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return count[a] > count[b]; });
  std::printf("largest classes:");
  for (int i = 0; i < std::min<int>(5, static_cast<int>(info.classes)) && count[order[i]] > 0; ++i)
    std::printf(" %d (%.1f%%)", order[i], 100.0 * count[order[i]] / (H * W));
  std::printf("\n");
  if (!out.empty()) {
    const std::string w = ppms_tools::write_grey(out, labels.data(), W, H);
    if (!w.empty()) return fail(w);
    std::printf("wrote %s\n", out.c_str());
  }
  if (!logits_out.empty()) {
    int64_t h, w;
    const float* logits = seg->logits(&h, &w);
    const std::string e = write_floats(logits_out, logits, info.classes * h * w);
    if (!e.empty()) return fail(e);
    std::fprintf(stderr, "logits: %lld x %lld x %lld (classes x h x w) float32 in %s\n",
                 static_cast<long long>(info.classes), static_cast<long long>(h), static_cast<long long>(w),
                 logits_out.c_str());
  }
  return 0;
}
