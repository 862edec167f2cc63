"""Executed aarch64 instructions of the whole network on the engine, 1 thread, 1x3xSxS (S = argv[2], default 512)
for tiny and base (argv[3:], default both): image -> labels (``optimize()``'s ``model(x)``: the engine + exact VIM)
and image -> logits (the network alone), the figures the issue compares with ncnn's 275M / 737M for the network.
Random weights, seeded: the network's count does not depend on their values, but VIM's (its candidate pixels) does,
by 1-2M between draws. Run by
``bench/arm/icount.sh network_icount.py [size] [variants]`` under qemu with the counting plugin
(``bench/arm/icount/``); prints the LABEL lines that ``icount.py`` pairs with the plugin's counts."""
import sys

import torch

import ppms_kernels
from ppms_kernels.models import pp_mobileseg

sys.path.insert(0, sys.argv[1])  # bench/arm/icount, for icount.py
from icount import counted  # noqa: E402

size = int(sys.argv[2]) if len(sys.argv) > 2 else 512
variants = sys.argv[3:] or ["tiny", "base"]
torch.set_num_threads(1)
torch.manual_seed(0)  # torch seeds itself at random per process
counted("empty", lambda: None)
x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
with torch.inference_mode():
    for variant in variants:
        model = ppms_kernels.optimize(pp_mobileseg(variant, num_classes=150).eval())
        assert model.engine is not None, "the engine did not take the model"
        counted(f"ppms {variant} {size}x{size} -> labels (engine + exact VIM)", lambda: model(x), reps=2)
        counted(f"ppms {variant} {size}x{size} -> logits (network only)", lambda: model.logits(x), reps=2)
