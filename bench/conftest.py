import os
from collections import defaultdict

import pytest
import torch

_RESULTS = defaultdict(dict)  # group -> {row: median seconds}


@pytest.fixture(autouse=True, scope="session")
def _threads():
    """Benchmarks run with PPMS_THREADS threads (default 2, this project's reference machine)."""
    torch.set_num_threads(int(os.environ.get("PPMS_THREADS", "2")))


@pytest.fixture
def timed(benchmark):
    """``timed(group, row, fn)``: benchmark ``fn`` and keep its median for the ratio table."""

    def run(group, row, fn, rounds=20, warmup=3):
        benchmark.group = group
        benchmark.name = row
        result = benchmark.pedantic(fn, rounds=rounds, warmup_rounds=warmup)
        _RESULTS[group][row] = benchmark.stats.stats.median
        return result

    return run


def pytest_terminal_summary(terminalreporter):
    if not _RESULTS:
        return
    tr = terminalreporter
    tr.section(f"medians and speed-ups, {torch.get_num_threads()} threads (ratio = reference / row)")
    for group, rows in _RESULTS.items():
        ref = next(iter(rows.values()))
        tr.write_line(f"{group}")
        for row, t in rows.items():
            tr.write_line(f"  {row:34} {t * 1e3:10.3f} ms {ref / t:9.1f}x")
