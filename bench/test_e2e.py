"""End-to-end latency, image in, label map out: the rows of ``ppms bench`` (``ppms_kernels.tools.bench.ROWS``:
eager, eager + VIM, ppms, torch.compile, ONNX Runtime, OpenVINO; not Paddle or ExecuTorch, which time themselves in
other processes) for tiny and base at 512x512, batch 1 and 8, 1 and 2 threads. Each row's output is checked against
the plain-PyTorch reference before it is timed.

    .venv/bin/python -m pytest bench/test_e2e.py -k "b1 and t2"     # batch 1, 2 threads (~10 min)
    .venv/bin/python -m pytest bench/test_e2e.py                    # the whole matrix (exports/compiles per cell)

Weights are random (seeded), so how many classes VIM keeps differs from real images; bench/test_upsample_argmax.py
times the upsamplers on realistic logits.
"""
import pytest
import torch

from ppms_kernels.models import pp_mobileseg
from ppms_kernels.tools import bench


# Rows (f) Paddle and (h) ExecuTorch time themselves in their own processes: `ppms bench --rows eager paddle`.
@pytest.mark.parametrize("row", [r for r in bench.ROWS if r not in bench.SELF_TIMED])
@pytest.mark.parametrize("threads", [2, 1], ids=["t2", "t1"])
@pytest.mark.parametrize("batch", [1, 8], ids=["b1", "b8"])
@pytest.mark.parametrize("variant", ["tiny", "base"])
def test_e2e(timed, variant, batch, threads, row):
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        torch.manual_seed(0)
        (r,) = bench.e2e("cpu", {variant: pp_mobileseg(variant)}, [row], batch=batch)
        timed(r)
    finally:
        torch.set_num_threads(before)
