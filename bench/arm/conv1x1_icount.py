"""Executed aarch64 instructions of the engine's 1x1 convolution against the GEMM of the aarch64 PyTorch wheel
(``torch.addmm``), at the network's shapes, 1 thread: a deterministic proxy for their cost on a Cortex-A76.
Run by ``bench/arm/icount.sh`` under qemu with the counting plugin (``bench/arm/icount/``); prints the
LABEL lines that ``icount.py`` pairs with the plugin's counts."""
import sys

import torch

import ppms_kernels  # noqa: F401  (loads PPMS_OPS_LIBRARY: the cross-built op library)
from ppms_kernels.tools.bench import CONV1X1_SHAPES

sys.path.insert(0, sys.argv[1])  # bench/arm/icount, for icount.py
from icount import counted  # noqa: E402

torch.set_num_threads(1)
counted("empty", lambda: None)
for pixels, cin, cout in CONV1X1_SHAPES:
    g = torch.Generator().manual_seed(pixels + cin + cout)
    x, w, b = torch.randn(pixels, cin, generator=g), torch.randn(cout, cin, generator=g), torch.randn(cout, generator=g)
    wt = w.t().contiguous()
    packed = torch.ops.ppms._conv1x1_pack(w, b)
    shape = f"{pixels}x{cin}->{cout}"
    want = counted(f"torch.addmm {shape}", lambda: torch.addmm(b, x, wt))
    got = counted(f"ppms conv1x1 {shape}", lambda: torch.ops.ppms._conv1x1(x, packed, cout, None, "none", ""))
    assert torch.allclose(got, want, rtol=1e-4, atol=1e-4 * cin ** 0.5), shape
