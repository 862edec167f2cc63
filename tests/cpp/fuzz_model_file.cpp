// Fuzzing the .ppms loader: every input is loaded as is and, so that mutations get past the checksum into the
// network's tables, again with its checksum made right; a model that loads then segments a small image. Nothing may
// crash, read outside the input (ASan), hit undefined behaviour (UBSan) or allocate beyond what the input's size
// allows.
//
// Two drivers: libFuzzer (target fuzz_model_file_libfuzzer of a clang build with -DPPMS_LIBFUZZER=ON, which
// scripts/test.sh runs for a minute), or the built-in one that ctest runs with a fixed budget: a seeded mutation loop
// over valid files (the small test
// network's, tiny's and base's head, fp32 and fp16, and any .ppms files named on the command line, e.g. an exported
// model):
//   fuzz_model_file ITERATIONS [FILE.ppms ...]
//   fuzz_model_file --seeds DIR     (the built-in seeds as files: libFuzzer's starting corpus, scripts/test.sh)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "ppms/model.h"
#include "synthetic_network.h"

namespace {

int64_t loaded = 0, refused = 0, segmented = 0;

void load(const uint8_t* data, size_t size) {
  std::shared_ptr<const ppms::Model> model;
  if (!ppms::Model::from_memory(data, static_cast<int64_t>(size), &model).ok()) {
    ++refused;
    return;
  }
  ++loaded;
  std::unique_ptr<ppms::Segmenter> seg;
  if (!ppms::Segmenter::create(model, {}, &seg).ok()) return;
  const int64_t H = 20, W = 24;
  std::vector<uint8_t> rgb(3 * H * W), labels(H * W);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i * 37);
  segmented += seg->segment(rgb.data(), H, W, 0, labels.data()).ok();  // any weights: it must only not crash
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  load(data, size);
  if (size >= 128) {
    std::vector<uint8_t> sealed(data, data + size);
    const uint64_t sum = ppms::model_file_checksum(sealed.data(), static_cast<int64_t>(size));
    std::memcpy(sealed.data() + 80, &sum, 8);
    load(sealed.data(), size);
  }
  return 0;
}

#ifndef PPMS_LIBFUZZER
namespace {

// The bytes that describe rather than hold weights: the file's header, the network's header, config and entries.
size_t tables(const std::vector<uint8_t>& f) {
  uint32_t config = 0, tensors = 0;
  std::memcpy(&config, f.data() + 128 + 12, 4);
  std::memcpy(&tensors, f.data() + 128 + 16, 4);
  return std::min(f.size(), 128 + 24 + 8 * size_t{config} + 56 * size_t{tensors});
}

std::vector<uint8_t> mutate(std::vector<uint8_t> f, size_t described, std::mt19937_64& rng) {
  const int64_t interesting[] = {0, 1, -1, 2, 3, 4, 7, 16, 63, 64, 65, 127, 128, 255, 256, 1 << 15, 1 << 16,
                                 (1 << 16) + 1, 1 << 24, 0x7fffffff, int64_t{1} << 31, 0xffffffffll,
                                 int64_t{1} << 32, INT64_MAX, INT64_MIN, static_cast<int64_t>(f.size()),
                                 static_cast<int64_t>(f.size() / 4)};
  const int steps = 1 + static_cast<int>(rng() % 3);
  for (int s = 0; s < steps && !f.empty(); ++s) {
    const size_t in_tables = rng() % std::min(described, f.size());
    switch (rng() % 8) {
      case 0: f[in_tables] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
      case 1: f[in_tables] = static_cast<uint8_t>(rng()); break;
      case 2: {  // an interesting value over an aligned 4- or 8-byte field
        const size_t width = rng() % 2 ? 8 : 4, at = in_tables / width * width;
        const int64_t v = interesting[rng() % (sizeof(interesting) / sizeof(interesting[0]))];
        if (at + width <= f.size()) std::memcpy(f.data() + at, &v, width);
        break;
      }
      case 3: {  // a small step of an 8-byte field (a config value, a dimension, an offset)
        const size_t at = in_tables / 8 * 8;
        int64_t v;
        if (at + 8 > f.size()) break;
        std::memcpy(&v, f.data() + at, 8);
        v += static_cast<int64_t>(rng() % 33) - 16;
        std::memcpy(f.data() + at, &v, 8);
        break;
      }
      case 4: f.resize(rng() % (f.size() + 1)); break;
      case 5: f.resize(f.size() + 1 + rng() % 64, static_cast<uint8_t>(rng())); break;
      case 6: f[rng() % f.size()] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
      default: {  // one field copied over another (entries swapped, a count taken from elsewhere)
        const size_t from = in_tables / 8 * 8, to = rng() % std::min(described, f.size()) / 8 * 8;
        if (from + 8 <= f.size() && to + 8 <= f.size()) std::memmove(f.data() + to, f.data() + from, 8);
      }
    }
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  // --seeds DIR: the seed files written into DIR (libFuzzer's corpus), nothing run
  const bool write_seeds = argc == 3 && std::strcmp(argv[1], "--seeds") == 0;
  const long iterations = write_seeds ? 0 : argc > 1 ? std::strtol(argv[1], nullptr, 10) : 20000;
  std::vector<std::vector<uint8_t>> seeds;
  for (const bool base : {false, true})
    for (const ppms::DataType precision : {ppms::DataType::f32, ppms::DataType::f16}) {
      const std::vector<uint8_t> blob = ppms::synthetic::small_network_blob(base);
      ppms::ModelInfo info;
      info.variant = base ? "base" : "tiny";
      info.classes = 5;
      info.precision = precision;
      for (int c = 0; c < 3; ++c) info.mean[c] = 0.5f, info.std[c] = 0.25f;
      std::vector<uint8_t> file;
      const ppms::Status s = ppms::model_file(blob.data(), static_cast<int64_t>(blob.size()), info, &file);
      if (!s.ok()) {
        std::printf("FAIL the seed file: %s\n", s.message().c_str());
        return 1;
      }
      seeds.push_back(file);
    }
  if (write_seeds) {
    for (size_t i = 0; i < seeds.size(); ++i) {
      const std::string path = std::string(argv[2]) + "/seed" + std::to_string(i) + ".ppms";
      std::ofstream out(path, std::ios::binary);
      out.write(reinterpret_cast<const char*>(seeds[i].data()), static_cast<std::streamsize>(seeds[i].size()));
      if (!out) {
        std::printf("FAIL cannot write %s\n", path.c_str());
        return 1;
      }
    }
    std::printf("wrote %zu seed files into %s\n", seeds.size(), argv[2]);
    return 0;
  }
  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  for (const auto& s : seeds) {
    LLVMFuzzerTestOneInput(s.data(), s.size());
    if (loaded != 2 * (&s - seeds.data() + 1)) {
      std::printf("FAIL a seed file does not load\n");
      return 1;
    }
  }
  std::mt19937_64 rng(15);
  for (long i = 0; i < iterations; ++i) {
    const auto& seed = seeds[i % seeds.size()];
    const auto f = mutate(seed, tables(seed), rng);
    LLVMFuzzerTestOneInput(f.data(), f.size());
  }
  std::printf("fuzz_model_file: %ld mutated files from %zu seeds, loaded %ld times (segmented %ld), refused %ld\n",
              iterations, seeds.size(), static_cast<long>(loaded), static_cast<long>(segmented),
              static_cast<long>(refused));
  return 0;
}
#endif
