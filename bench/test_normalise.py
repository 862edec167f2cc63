"""``ppms_kernels.ops.normalise`` against PyTorch's ``(images / 255 - mean) / std`` on decoded images: the rows of
``ppms_kernels.tools.bench.normalise``.

    .venv/bin/python -m pytest bench/test_normalise.py --benchmark-columns=median,min,rounds
"""
import pytest

from ppms_kernels.tools import bench

ROWS = list(bench.normalise("cpu"))


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.group}-{r.key}" for r in ROWS])
def test_normalise(timed, row):
    timed(row)
