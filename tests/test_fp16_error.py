"""bench/fp16_error.py's accumulation modes: the emulated fp16 sums round where the device rounds."""
import importlib.util
from pathlib import Path

import pytest
import torch

_spec = importlib.util.spec_from_file_location("fp16_error", Path(__file__).parents[1] / "bench" / "fp16_error.py")
fp16_error = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fp16_error)
accumulate = fp16_error.Emulator.accumulate


@pytest.mark.parametrize("accum, total", [("fp16", 2048), ("k8", 4096), ("h8", 4096)])
def test_ones(accum, total):
    # an fp16 sum stalls at 2048 (2048 + 1 ties to even, 2048); partial sums of 8 pass it in fp16 and in float
    got = accumulate(torch.zeros(3, dtype=torch.half), (torch.ones(3, dtype=torch.half) for _ in range(4096)), accum)
    assert got.dtype == torch.float32 and got.tolist() == [total] * 3


@pytest.mark.parametrize("accum, total", [("fp16", 2048), ("k8", 2049), ("h8", 2048), ("k16", 2049)])
def test_where_the_total_rounds(accum, total):
    # 2048 + 8 steps of 1/8: each step alone is lost in fp16; their partial sum, 1, is kept by a float total and lost
    # again by an fp16 one (2049 ties to even)
    steps = [torch.full((1,), 0.125, dtype=torch.half)] * 8
    assert accumulate(torch.full((1,), 2048.0, dtype=torch.half), iter(steps), accum).item() == total
