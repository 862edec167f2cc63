"""pytest-benchmark runs of the suites of ``ppms_kernels.tools.bench``, one file a suite: every row is checked
against its reference, then timed on its own (pytest-benchmark cannot interleave rows); a table of medians and
ratios to each group's first row closes the run.

    .venv/bin/python -m pytest bench/test_upsample_argmax.py bench/test_sea_attention.py

``ppms bench --suite upsample_argmax sea_attention`` runs the same rows interleaved, round by round, which keeps
the ratios fair on a noisy machine. On a GPU (CUDA events, and rows replayed from CUDA graphs too; this replaces
bench/gpu.py):

    ppms bench --device cuda --suite upsample_argmax sea_attention e2e --json gpu.json
    ppms bench --device cuda --batch 8 --rows eager ppms --json gpu_b8.json
"""
import os
from collections import defaultdict

import pytest
import torch

from ppms_kernels.tools import bench

_RESULTS = defaultdict(dict)  # group -> {row: median seconds}


@pytest.fixture(autouse=True, scope="session")
def _threads():
    """Benchmarks run with PPMS_THREADS threads (default 2, this project's reference machine)."""
    torch.set_num_threads(int(os.environ.get("PPMS_THREADS", "2")))


@pytest.fixture
def timed(benchmark):
    """``timed(row)``: check a ``bench.Row`` against its reference, then time its callable (rounds for ~2 s, at
    least 3) and keep the median for the ratio table."""

    def run(row):
        with torch.inference_mode():
            fn = row.make()
            row.check(fn())
            once = bench.TIMERS["cpu"](fn, 1)
            group = f"{row.group}, {torch.get_num_threads()} threads"
            benchmark.group, benchmark.name = group, row.name
            benchmark.pedantic(fn, rounds=max(3, min(200, round(2 / once))), warmup_rounds=1)
        _RESULTS[group][row.name] = benchmark.stats.stats.median

    return run


def pytest_terminal_summary(terminalreporter):
    if not _RESULTS:
        return
    tr = terminalreporter
    tr.section("medians and speed-ups (ratio = the group's first row / row)")
    for group, rows in _RESULTS.items():
        ref = next(iter(rows.values()))
        tr.write_line(f"{group}")
        for row, t in rows.items():
            tr.write_line(f"  {row:46} {t * 1e3:10.3f} ms {ref / t:9.1f}x")
