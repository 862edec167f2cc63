"""End-to-end latency of the eager reference model, 512x512 input, label map out.

    .venv/bin/python -m pytest bench/test_e2e.py --benchmark-columns=median,min,rounds
"""
import pytest
import torch

from ppms_kernels.models import pp_mobileseg
from ppms_kernels.reference import upsample_argmax


@pytest.mark.parametrize("batch", [1])
@pytest.mark.parametrize("upsample", ["full", "vim"])
@pytest.mark.parametrize("variant", ["tiny", "base"])
def test_eager_reference(benchmark, variant, upsample, batch):
    benchmark.group = f"e2e {variant} {batch}x3x512x512"
    model = pp_mobileseg(variant).eval()
    x = torch.randn(batch, 3, 512, 512)
    if upsample == "full":
        run = lambda: upsample_argmax(model.logits(x), x.shape[-2:])  # noqa: E731
    else:
        run = lambda: model(x)  # noqa: E731
    with torch.inference_mode():
        labels = benchmark.pedantic(run, rounds=10, warmup_rounds=2)
    assert labels.shape == (batch, 512, 512)
