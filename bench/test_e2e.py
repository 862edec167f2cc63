"""End-to-end latency, image in, label map out: every row of ``ppms bench`` (``ppms_kernels.benchmark.ROWS``:
eager, eager + VIM, ppms, torch.compile, ONNX Runtime; not Paddle) for tiny and base at 512x512, batch 1 and 8, 1 and 2
threads. Each row's output is checked against the plain-PyTorch reference before it is timed.

    .venv/bin/python -m pytest bench/test_e2e.py -k "b1 and t2"     # batch 1, 2 threads (~10 min)
    .venv/bin/python -m pytest bench/test_e2e.py                    # the whole matrix (exports/compiles per cell)

Weights are random (seeded), so how many classes VIM keeps differs from real images; bench/test_valid_interpolate.py
times the upsamplers on realistic logits.
"""
import pytest
import torch

from ppms_kernels import benchmark
from ppms_kernels.models import pp_mobileseg


# Row (f), Paddle, times itself in its own process and is left to `ppms bench --rows eager paddle`.
@pytest.mark.parametrize("row", [r for r in benchmark.ROWS if r != "paddle"])
@pytest.mark.parametrize("threads", [2, 1], ids=["t2", "t1"])
@pytest.mark.parametrize("batch", [1, 8], ids=["b1", "b8"])
@pytest.mark.parametrize("variant", ["tiny", "base"])
def test_e2e(timed, tmp_path, variant, batch, threads, row):
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        torch.manual_seed(0)
        model = pp_mobileseg(variant).eval()
        x = torch.rand(batch, 3, 512, 512, generator=torch.Generator().manual_seed(0))
        ref = benchmark.Reference(model, x)
        with torch.inference_mode():
            f = benchmark.build(row, model, x, threads, str(tmp_path))
            benchmark.check(row, f(), ref)
            timed(f"e2e {variant} {batch}x3x512x512, {threads} threads", benchmark.ROWS[row][0], f,
                  rounds=5 if batch == 1 else 3, warmup=1)
    finally:
        torch.set_num_threads(before)
