"""``ppms::sea_attention`` (fused, BatchNorm folded) against the eager reference block, batch 1, at the model's 4
shapes: the rows of ``ppms_kernels.tools.bench.sea_attention``.

    .venv/bin/python -m pytest bench/test_sea_attention.py --benchmark-columns=median,min,rounds
"""
import pytest

from ppms_kernels.tools import bench

ROWS = list(bench.sea_attention("cpu"))


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.group}-{r.key}" for r in ROWS])
def test_sea_attention(timed, row):
    timed(row)
