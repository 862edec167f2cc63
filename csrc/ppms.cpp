// The `ppms` operator namespace. Each op declares its schema here, once; backends register their kernels
// with TORCH_LIBRARY_IMPL(ppms, <Backend>, m) in their own files, and Python adds fake/autograd kernels in
// ppms_kernels/ops.py.
#include <torch/library.h>

TORCH_LIBRARY(ppms, m) {
}
