// The whole network, an NCHW image -> low-resolution logits (planar, NCHW), as one call over the engine's operators: the
// stem, the four MobileNetV3 stages, the two transformer stages (after the third and the fourth), AAM + head.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ppms/aam.h"
#include "ppms/conv1x1.h"
#include "ppms/inverted_residual.h"
#include "ppms/kernels.h"
#include "ppms/parallel.h"
#include "ppms/status.h"
#include "ppms/tensor.h"
#include "ppms/transformer_block.h"

namespace ppms {

struct Network {
  Conv1x1Weights stem;  // 3x3 / 2 over the 3 input channels (packed as [c0, 3 * 9]), then hardswish
  std::vector<InvertedResidual> stages[4];
  std::vector<TransformerBlock> transformers[2];
  AamHead head;
  const KernelConfig* kernels = nullptr;  // what every layer runs on (network_bind sets it in each)
  // On an f16 config, the arena of the half weights the layers' f16 views point into (network_set_kernels fills it),
  // and the stem's view.
  std::shared_ptr<const std::vector<uint16_t>> f16_weights;
  Conv1x1WeightsT<uint16_t> stem_f16;
  // On a bf16 config, the arena of the 1x1 convolutions' weights in bf16 pairs (the layers' bf16 views).
  std::shared_ptr<const std::vector<float>> bf16_weights;
};

// The packed network: one versioned blob with the architecture and every weight, BatchNorm folded and packed for the
// kernels (what optimize() keeps, and what a model file holds). Little-endian:
//   char magic[8] "PPMSNET"; uint32 format (kNetworkFormat); uint32 config values n; uint32 tensors t; uint32 0
//   int64 config[n]
//   t entries of int64 {kind (0 raw, 1 packed 1x1 [cout, cin], 2 packed depthwise [C, k, k]), rank, dims[4], offset}
//   float data from the first multiple of 64 bytes; an entry's floats start `offset` floats into it
// config: x8_output (1: base's AAMSx8 head, 0: tiny's AAM), c0 (the stem's channels); per MobileNetV3 stage its block
// count and per block (cin, cmid, cout, k, stride, se, hardswish); per transformer stage (after stages 3 and 4) its
// block count, dim, num_heads, key_dim.
// weights (network_pack's input), folded, in the same order: stem [c0, 3, 3, 3] + bias; per block expand [cmid, cin]
// + bias, depthwise [cmid, 1, k, k] + bias, project [cout, cmid] + bias, with SE [cse, cmid], [cse], [cmid, cse],
// [cmid]; per transformer block the 15 sea::kWeightNames then the MLP's expand, depthwise, project (+ biases); the
// AAM's embeddings E (the head's linear_fuse folded in, aam.h) then gates A as (weight [C, cin], bias) pairs,
// conv_seg [classes, C] + bias.
constexpr uint32_t kNetworkFormat = 2;  // 2: SE blocks' projections packed, linear_fuse folded into AAM

// Packs config + weights into *blob (checked: every shape against the config).
Status network_pack(const int64_t* config, int64_t config_size, const View* weights, int64_t num_weights,
                    std::vector<uint8_t>* blob);
// Checks a blob (from anywhere: every count, shape and offset is verified against its size) and points *net into it;
// the blob must stay alive and 4-byte aligned while net is used. kernels: what its layers run on (ppms/kernels.h);
// null: the fastest config.
Status network_bind(const void* blob, int64_t bytes, Network* net, const KernelConfig* kernels = nullptr);
// net's layers on other kernels (an f16 config converts the weights of the layers it runs in half, a bf16 config packs
// the 1x1 convolutions' weights in bf16 pairs, once).
void network_set_kernels(Network* net, const KernelConfig& kernels);

// The blob with its float data stored in 16 bits a value, as type says: IEEE half (f16) or bfloat16 (bf16), rounded
// to nearest, ties to even; its header, config and entries as they are: an fp16 or bf16 model file's form of it
// (model.h). The blob is checked first (network_bind); a value beyond the type's range (half: |v| > 65504; either: not
// finite) is an error naming its tensor.
Status network_to_16bit(const void* blob, int64_t bytes, DataType type, std::vector<uint8_t>* stored);
// The blob back from that form, each value the 16-bit value's float (exact): *blob_bytes bytes at *blob, 64-byte
// aligned. Checks the header and that the 16-bit data holds whole values; network_bind checks the rest.
Status network_from_16bit(const void* stored, int64_t bytes, DataType type, std::shared_ptr<const void>* blob,
                          int64_t* blob_bytes);

// What a caller must know of a network to size its output without running it: {classes, x8_output, then the
// stride of every layer before the x8 feature (the stem, stages 1 and 2)}. Logits are h x w with h = H passed
// through h = (h - 1) / s + 1 per stride, then halved (floor) unless x8_output.
std::vector<int64_t> network_signature(const Network& n);

// The logits' height and width for an H x W image.
void network_logits_size(const Network& n, int64_t H, int64_t W, int64_t* h, int64_t* w);

// Where a network_logits call spent its time, layer by layer (for tuning, and for the per-class GFLOP/s in docs/).
struct NetworkProfile {
  struct Layer {
    std::string name;   // "stem", "stage 2 block 0 (se)", "transformer 1 block 0", "aam + head"
    double seconds, flops;  // flops: 2 x multiply-adds of its convolutions and attention GEMMs
  };
  std::vector<Layer> layers;
};

// The most floats a network_logits call on parallel holds at once for an H x W image, beside the image and the
// logits: its one buffer (the activations, laid out so that a layer's input, its output and an SE block's depthwise
// output share the room of the largest layer, and the transformers' and AAM's scratch), plus the most a block
// allocates for itself (rings of k rows per lane): 9.0 MB (tiny) and 10.2 MB (base) at 512x512, 2 threads.
Status network_memory_floats(const Network& n, int64_t H, int64_t W, const Parallel& parallel, int64_t* floats);
// The floats of that one buffer, which a caller may hold across calls (network_logits' buffer).
Status network_buffer_floats(const Network& n, int64_t H, int64_t W, const Parallel& parallel, int64_t* floats);

// image [3][H][W] -> logits [classes][h][w] (network_logits_size); profile (optional) gets a line per layer. buffer:
// network_buffer_floats floats (best on a 64-byte line) for the activations, or null to allocate them for the call.
Status network_logits(const Network& n, const float* image, int64_t H, int64_t W, float* logits,
                      const Parallel& parallel = {}, NetworkProfile* profile = nullptr, float* buffer = nullptr);

// images [B][3][H][W] -> logits [B][classes][h][w]. Whole images per thread, as many as make equal shares (no thread
// waits on another inside an image: the most images per second), then the rest one after another, each on every
// thread (the lowest latency; all of them when parallel.threads is unknown).
Status network_logits_batch(const Network& n, const float* images, int64_t B, int64_t H, int64_t W, float* logits,
                            const Parallel& parallel = {});

}  // namespace ppms
