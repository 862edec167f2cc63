"""ppms::valid_interpolate against the full PyTorch upsample+argmax and PyTorch VIM, at the model's shapes.

    .venv/bin/python -m pytest bench/test_valid_interpolate.py --benchmark-columns=median,min,rounds

The first row of each group is the reference the ratios are taken against.
"""
import pytest
import torch

from ppms_kernels import valid_interpolate
from ppms_kernels.reference import upsample_argmax, vim
from ppms_kernels.testing import realistic_logits

SHAPES = {"base 150x64x64->512x512": 64, "tiny 150x32x32->512x512": 32}
ROWS = {
    "torch full upsample+argmax": lambda x: upsample_argmax(x, (512, 512)),
    "torch VIM (PaddleSeg)": lambda x: vim(x, (512, 512)),
    "ppms valid_interpolate exact": lambda x: valid_interpolate(x, (512, 512), "exact"),
    "ppms valid_interpolate paper": lambda x: valid_interpolate(x, (512, 512), "paper"),
    "ppms valid_interpolate exact, uint8": lambda x: valid_interpolate(x, (512, 512), "exact", torch.uint8),
}


@pytest.mark.parametrize("row", list(ROWS))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_valid_interpolate(timed, shape, row):
    h = SHAPES[shape]
    x = realistic_logits(1, 150, h, h, K=15, seed=0)
    fast = row.startswith("ppms")
    labels = timed(f"VIM {shape}, K=15", row, lambda: ROWS[row](x), rounds=50 if fast else 5, warmup=3 if fast else 1)
    assert labels.shape == (1, 512, 512)
