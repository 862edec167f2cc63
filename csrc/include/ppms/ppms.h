// The ppms core: what an app includes. Torch-free; link ppms::core (CMake: find_package(ppms)).
#pragma once

#include "ppms/aam.h"
#include "ppms/conv1x1.h"
#include "ppms/depthwise.h"
#include "ppms/gemm.h"
#include "ppms/image_conv.h"
#include "ppms/inverted_residual.h"
#include "ppms/kernels.h"
#include "ppms/model.h"
#include "ppms/network.h"
#include "ppms/parallel.h"
#include "ppms/sea_attention.h"
#include "ppms/status.h"
#include "ppms/tensor.h"
#include "ppms/transformer_block.h"
#include "ppms/types.h"
#include "ppms/upsample_argmax.h"

namespace ppms {

// The version of the core (CMake's project version).
const char* version();
// Compiler, target, the kernel configs and every op's kernels this CPU runs, one line.
std::string build_info();

}  // namespace ppms
