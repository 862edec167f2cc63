"""``ppms_kernels.upsample_argmax`` (exact, paper, uint8 out) against the full PyTorch upsample + argmax and PyTorch
VIM at the model's shapes: the rows of ``ppms_kernels.tools.bench.upsample_argmax``.

    .venv/bin/python -m pytest bench/test_upsample_argmax.py --benchmark-columns=median,min,rounds
"""
import pytest

from ppms_kernels.tools import bench

ROWS = list(bench.upsample_argmax("cpu"))


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.group}-{r.key}" for r in ROWS])
def test_upsample_argmax(timed, row):
    timed(row)
