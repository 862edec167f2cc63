// What an app needs to segment images without PyTorch: a model file (.ppms), loaded and checked once, and a
// Segmenter that turns images into label maps with its scratch memory kept across calls.
//
//   std::shared_ptr<const ppms::Model> model;
//   ppms::Status s = ppms::Model::load("pp_mobileseg_tiny.ppms", &model);
//   std::unique_ptr<ppms::Segmenter> seg;
//   if (s.ok()) s = ppms::Segmenter::create(model, {/*threads=*/2}, &seg);
//   std::vector<uint8_t> labels(H * W);
//   if (s.ok()) s = seg->segment(rgb, H, W, /*stride=*/3 * W, labels.data());   // class ids, H x W
//   if (!s.ok()) std::fprintf(stderr, "%s\n", s.message().c_str());
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ppms/network.h"
#include "ppms/parallel.h"
#include "ppms/status.h"
#include "ppms/types.h"

namespace ppms {

// The .ppms file, little-endian, version kModelFileVersion:
//   char magic[8] "PPMSMODL"; uint32 version; uint32 header bytes (128)
//   char variant[16] ("tiny" or "base", NUL-padded); uint32 classes; uint32 precision (0: fp32, 1: fp16, 2: bf16)
//   float mean[3], std[3]: the input normalisation, (rgb / 255 - mean) / std per channel
//   uint64 network offset (128), uint64 network bytes; uint64 checksum; zeros up to 128 bytes
//   the packed network (network.h's blob, format kNetworkFormat), which ends the file; in an fp16 (bf16) file its float
//   data is stored as IEEE half (bfloat16) (network_to_16bit), 2 bytes a value, its header, config and entries as
//   they are
// The checksum is FNV-1a over the file's 64-bit little-endian words (the last one zero-padded), with the checksum
// field read as zero. The blob's floats start on 64-byte boundaries of the file, so a mapped fp32 file is used in
// place; an fp16 or bf16 file's values are expanded to the float blob on loading (exact), so the engine runs any alike
// (a file's precision is the one it runs in by default).
// Version 1 files are version 2's with the precision word 0 (a reserved zero then): they still load, as fp32.
constexpr uint32_t kModelFileVersion = 2;
constexpr int64_t kModelFileMaxBytes = int64_t{1} << 30;  // ten times base's 24 MB: anything larger is not a model

struct ModelInfo {
  std::string variant;  // "tiny" or "base"
  int64_t classes = 0;
  DataType precision = DataType::f32;  // how the file stores the weights (f16, bf16: each rounded by model_file)
  float mean[3] = {0, 0, 0}, std[3] = {0, 0, 0};  // `ppms export` writes those the weights were trained with
};

// The bytes of a .ppms file for a packed network (network_pack) and its description, checked against each other,
// with the weights stored as info.precision says.
Status model_file(const void* network_blob, int64_t blob_bytes, const ModelInfo& info, std::vector<uint8_t>* file);

// The checksum the header of a file of `bytes` bytes (at least 128) should hold.
uint64_t model_file_checksum(const void* file, int64_t bytes);

// Checks the bytes of a .ppms file (from anywhere: every field, size, offset and the checksum) and binds *net: an
// fp32 file's into the bytes, which must stay alive, unchanged and 4-byte aligned while net is used (*expanded is
// then null); an fp16 or bf16 file's into the float blob expanded from it, which *expanded holds (the bytes may go).
Status model_bind(const void* file, int64_t bytes, ModelInfo* info, Network* net,
                  std::shared_ptr<const void>* expanded);

class Model {
 public:
  // Maps the file read-only (POSIX; elsewhere reads it) and checks it whole (model_bind); an fp16 file is expanded
  // to floats and let go.
  static Status load(const std::string& path, std::shared_ptr<const Model>* model);
  // From bytes in memory, copied.
  static Status from_memory(const void* bytes, int64_t size, std::shared_ptr<const Model>* model);

  const ModelInfo& info() const { return info_; }
  const Network& network() const { return net_; }
  ~Model();

 private:
  Model() = default;
  ModelInfo info_;
  Network net_;
  std::shared_ptr<const void> bytes_;  // what net_ points into: the file's bytes, mapped or copied, or fp16's expansion
};

struct SegmenterOptions {
  int threads = 1;                     // threads of the segmenter's own pool, the calling one included
  const Parallel* parallel = nullptr;  // the caller's pool instead (threads is then ignored); must outlive the segmenter
  // The network's input size: images are resized to it (bilinear, half-pixel centres, as cv2.INTER_LINEAR and
  // torch's align_corners=False). 0 x 0: each image at its own size. The labels always come at the image's size.
  int64_t height = 0, width = 0;
  // What the network computes in: "fp32", "fp16" (half storage and arithmetic where the CPU has FP16 arithmetic;
  // elsewhere fp32, which Segmenter::precision() then reports), or "": the model file's (ModelInfo::precision).
  std::string precision;
  std::string kernels;  // a name of kernel_configs(precision) (ppms/kernels.h): "scalar" runs the reference of every op; "": the fastest
};

// The network's input from decoded images: rgb holds B images of H x W pixels of 3 bytes (R, G, B), each row
// `stride` bytes after the one before (0: 3 * W; the images follow each other), planes gets float [B][3][H][W] =
// (rgb / 255 - mean) / std per channel, in float32 as PyTorch computes it (bit for bit).
Status normalise_rgb(const uint8_t* rgb, int64_t B, int64_t H, int64_t W, int64_t stride, const float mean[3],
                     const float std[3], float* planes, const Parallel& parallel = {});
// What normalise_rgb requires of mean and std: finite values and a non-zero std.
Status check_normalisation(const float mean[3], const float std[3]);

// image -> labels, one call at a time per Segmenter (one per thread of an app that segments concurrently; they may
// share the Model). Scratch memory (input planes, activations, logits) is allocated by the first call of a size and
// reused by the next ones; a larger image grows it.
class Segmenter {
 public:
  static Status create(std::shared_ptr<const Model> model, const SegmenterOptions& options,
                       std::unique_ptr<Segmenter>* segmenter);
  ~Segmenter();

  // rgb: H x W pixels of 3 bytes (R, G, B), rows `stride` bytes apart (0: 3 * W), normalised by the model's
  // ModelInfo. labels: H x W class ids (uint8: models of at most 256 classes).
  Status segment(const uint8_t* rgb, int64_t H, int64_t W, int64_t stride, uint8_t* labels);
  Status segment(const uint8_t* rgb, int64_t H, int64_t W, int64_t stride, int32_t* labels);
  // image: float [3][H][W], the network's input (normalised already), resized only when the options say so.
  Status segment(const float* image, int64_t H, int64_t W, uint8_t* labels);
  Status segment(const float* image, int64_t H, int64_t W, int32_t* labels);

  // The low-resolution logits of the last call (before the upsample + argmax), [classes][h][w] (network_logits_size of
  // the network's input), valid until the next call; null until a call has computed them, and after one that failed
  // before.
  const float* logits(int64_t* h, int64_t* w) const;
  const Model& model() const { return *model_; }
  // What the network runs in: the options' precision, or fp32 where fp16 was asked for on a CPU without FP16
  // arithmetic.
  DataType precision() const;

 private:
  struct State;
  Segmenter() = default;
  template <typename In, typename Label>
  Status run(const In* in, int64_t H, int64_t W, int64_t stride, Label* labels);
  std::shared_ptr<const Model> model_;
  std::unique_ptr<State> state_;
};

}  // namespace ppms
