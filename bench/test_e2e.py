"""End-to-end latency of the eager model, 1x3x512x512 input, label map out.

    .venv/bin/python -m pytest bench/test_e2e.py --benchmark-columns=median,min,rounds

Weights are random, so how many classes VIM keeps differs from real images; bench/test_valid_interpolate.py
times the upsamplers on realistic logits.
"""
import pytest
import torch

from ppms_kernels import valid_interpolate
from ppms_kernels.models import pp_mobileseg
from ppms_kernels.reference import upsample_argmax, vim

ROWS = {
    "eager, torch full upsample+argmax": lambda lo, s: upsample_argmax(lo, s),
    "eager, torch VIM (PaddleSeg)": lambda lo, s: vim(lo, s),
    "eager, ppms valid_interpolate exact": lambda lo, s: valid_interpolate(lo, s, "exact"),
    "fused SEA + ppms exact VIM": lambda lo, s: valid_interpolate(lo, s, "exact"),
}


@pytest.mark.parametrize("row", list(ROWS))
@pytest.mark.parametrize("variant", ["tiny", "base"])
def test_e2e(timed, variant, row):
    model = pp_mobileseg(variant).eval()
    if row.startswith("fused"):
        model.fuse()
    x = torch.randn(1, 3, 512, 512)
    size = x.shape[-2:]
    with torch.inference_mode():
        labels = timed(f"e2e {variant} 1x3x512x512", row, lambda: ROWS[row](model.logits(x), size), rounds=10)
    assert labels.shape == (1, 512, 512)
