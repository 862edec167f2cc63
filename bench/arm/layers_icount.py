"""Executed aarch64 instructions of the engine layer by layer (1 thread, 1x3xSxS, S = argv[2], default 512, variant
argv[3], default tiny), each labelled with its FLOPs / 8 (one 4-lane fmla per 8 flops: the arithmetic floor). Needs an
op library built with -DPPMS_ICOUNT_MARKS=ON, with which the core marks every layer boundary for the plugin:

    cmake -S . -B build/arm-marks <scripts/test_aarch64.sh's arguments> -DPPMS_ICOUNT_MARKS=ON
    cmake --build build/arm-marks --target ppms_ops
    PPMS_OPS_LIBRARY=$PWD/build/arm-marks/libppms_ops.so bash bench/arm/icount.sh layers_icount.py 512 base

One variant per run: the plugin keeps a mark's last value, and every network call sets the same marks."""
import sys

import torch

import ppms_kernels
from ppms_kernels.models import pp_mobileseg

FIRST_MARK = 10000  # network.cpp's kFirstMark
size = int(sys.argv[2]) if len(sys.argv) > 2 else 512
variant = sys.argv[3] if len(sys.argv) > 3 else "tiny"
torch.set_num_threads(1)
x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
with torch.inference_mode():
    model = ppms_kernels.optimize(pp_mobileseg(variant, num_classes=150).eval())
    names, _, flops = torch.ops.ppms._network_profile(x, model.engine)
    model.logits(x)  # warm: the marks of this call are the ones counted
for i, (name, f) in enumerate(zip(names, flops)):
    # icount.py pairs LABEL i with marks i and i + 1
    print(f"LABEL {FIRST_MARK + i} {variant} {name} (floor {f / 8 / 1e6:.1f}M)", flush=True)
