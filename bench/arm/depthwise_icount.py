"""Executed aarch64 instructions of the engine's depthwise convolution (+ hardswish) against aarch64 PyTorch's
depthwise ``F.conv2d`` (+ hardswish) on the same channels_last memory, at the network's shapes, 1 thread. Run by
``bench/arm/icount.sh depthwise_icount.py``."""
import sys

import torch
import torch.nn.functional as F

import ppms_kernels  # noqa: F401  (loads PPMS_OPS_LIBRARY: the cross-built op library)
from ppms_kernels.tools.bench import DEPTHWISE_SHAPES

sys.path.insert(0, sys.argv[1])  # bench/arm/icount, for icount.py
from icount import counted  # noqa: E402

torch.set_num_threads(1)
counted("empty", lambda: None)
for side, C, k, stride in DEPTHWISE_SHAPES:
    g = torch.Generator().manual_seed(side + C + k)
    nhwc, w, b = torch.randn(1, side, side, C, generator=g), torch.randn(C, 1, k, k, generator=g) / k, torch.randn(C, generator=g)
    nchw = nhwc.permute(0, 3, 1, 2)  # channels_last: the same memory
    packed = torch.ops.ppms._depthwise_pack(w, b)
    shape = f"{k}x{k}/{stride} {side}x{side}x{C}"
    want = counted(f"torch conv2d {shape}",
                   lambda: F.hardswish(F.conv2d(nchw, w, b, stride, k // 2, groups=C), inplace=True))
    got = counted(f"ppms depthwise {shape}", lambda: torch.ops.ppms._depthwise(nhwc, packed, k, stride, "hardswish", ""))
    assert torch.allclose(got.permute(0, 3, 1, 2), want, rtol=1e-4, atol=1e-4), shape
