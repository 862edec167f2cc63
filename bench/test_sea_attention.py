"""ppms::sea_attention (fused, BatchNorm folded) against the eager reference block, batch 1, per real shape.

    .venv/bin/python -m pytest bench/test_sea_attention.py --benchmark-columns=median,min,rounds
"""
import pytest
import torch

from ppms_kernels.models import SeaAttention
from ppms_kernels.sea import FusedSeaAttention

# (dim, key_dim, heads, input side) of tiny/base x trans1/trans2 at a 512x512 image
SHAPES = {"base trans1 128x32x32": (128, 16, 8, 32), "base trans2 192x16x16": (192, 24, 8, 16),
          "tiny trans1 64x32x32": (64, 16, 4, 32), "tiny trans2 128x16x16": (128, 24, 4, 16)}


@pytest.mark.parametrize("row", ["eager reference block", "ppms sea_attention (fused)"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_sea_attention(timed, shape, row):
    dim, kd, heads, side = SHAPES[shape]
    block = SeaAttention(dim, kd, heads, use_kernel=False).eval()
    if row.startswith("ppms"):
        block = FusedSeaAttention(block)
    x = torch.randn(1, dim, side, side)
    with torch.inference_mode():
        out = timed(f"SEA attention {shape}", row, lambda: block(x), rounds=200, warmup=20)
    assert out.shape == x.shape
