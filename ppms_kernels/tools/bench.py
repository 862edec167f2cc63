"""End-to-end latency of PP-MobileSeg (image in, label map out) for every way of running it, in one process.

Used by ``ppms bench`` and ``bench/test_e2e.py``. Every row first checks that its label map agrees with its
reference on the same weights and input (the full upsample + argmax for exact rows, PaddleSeg's VIM for VIM
rows; only float near-ties may differ), then is timed: median of ``repeat`` runs after ``warmup``.
"""
import copy
import json
import os
import platform
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from ..models import SeaAttention, optimize
from ..models.weights import torch_to_paddle
from ..ops import build_info, VERSION
from ..ops.reference import upsample_argmax, vim
from ..testing import assert_labels_match

# key: (label, reference the labels are checked against)
ROWS = {
    "eager": ("(a) eager PyTorch, full upsample+argmax", "argmax"),
    "eager_vim": ("(b) eager PyTorch, PaddleSeg VIM", "vim"),
    "ppms": ("(c) ppms: optimize() + exact VIM", "argmax"),
    "compile_eager": ("(d) torch.compile of (a)", "argmax"),
    "compile_ppms": ("(d) torch.compile of (c)", "argmax"),
    "ort": ("(e) ONNX Runtime, full upsample+argmax", "argmax"),
    "ort_net": ("(e) ONNX Runtime, network only (logits)", None),
    "paddle": ("(f) official Paddle (PaddleSeg 2.8.0, VIM on)", "vim"),
}


@dataclass
class Result:
    variant: str
    row: str
    label: str
    batch: int
    threads: int
    median_ms: float = float("nan")
    min_ms: float = float("nan")
    runs: int = 0
    label_flips: int = 0  # near-tie pixels that differ from the row's reference
    error: str = ""       # why the row could not run (missing package, failed export or compile, mismatch)


def reference_model(model):
    """A plain-PyTorch copy of ``model``: no ppms op anywhere in its forward."""
    ref = copy.deepcopy(model).eval()
    for m in ref.modules():
        if isinstance(m, SeaAttention):
            m.use_kernel = False
    return ref


class _Labels(torch.nn.Module):
    """Network + full upsample + argmax as one module (what an exported graph contains)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return upsample_argmax(self.model.logits(x), x.shape[-2:])


class _Logits(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.logits(x)


def _ort(module, x, threads, tmp):
    import onnxruntime as ort

    path = os.path.join(tmp, f"{type(module).__name__}.onnx")
    with torch.inference_mode(False), torch.no_grad():
        torch.onnx.export(module, (x,), path, dynamo=True, verbose=False).save(path)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    xn = x.numpy()
    return lambda: torch.from_numpy(sess.run(None, {name: xn})[0])


def paddle(model, x, threads, warmup, repeat, tmp):
    """Run the official model in Paddle (a subprocess: Paddle and torch never share one) on ``model``'s weights:
    returns its labels and the seconds of each timed run."""
    import subprocess
    import sys

    import numpy as np

    probe = subprocess.run([sys.executable, "-c", "import paddle, paddleseg"], capture_output=True, text=True)
    if probe.returncode:
        raise ImportError(name="paddlepaddle/paddleseg")
    np.savez(os.path.join(tmp, "paddle_weights.npz"), **torch_to_paddle(model.state_dict()))
    np.save(os.path.join(tmp, "x.npy"), x.numpy())
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "paddle_run.py")
    done = subprocess.run([sys.executable, script, "--variant", model.variant, "--weights",
                           os.path.join(tmp, "paddle_weights.npz"), "--input", os.path.join(tmp, "x.npy"),
                           "--out", tmp, "--warmup", str(warmup), "--repeat", str(repeat)],
                          env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"Paddle run failed: {done.stderr.strip().splitlines()[-1:]}")
    with open(os.path.join(tmp, "times.json")) as f:
        times = json.load(f)
    return torch.from_numpy(np.load(os.path.join(tmp, "labels.npy"))).long(), times


def _ppms(model):
    """Row (c): an optimised copy of ``model`` returning exact labels."""
    fast = optimize(copy.deepcopy(model))
    fast.upsample, fast.vim_mode = "vim", "exact"
    return fast


def build(row, model, x, threads, tmp):
    """The callable of one row: () -> label map [B, H, W] (or logits for ``ort_net``)."""
    size = tuple(x.shape[-2:])
    if row == "eager":
        ref = reference_model(model)
        return lambda: upsample_argmax(ref.logits(x), size)
    if row == "eager_vim":
        ref = reference_model(model)
        return lambda: vim(ref.logits(x), size)
    if row == "ppms":
        fast = _ppms(model)
        return lambda: fast(x)
    if row == "compile_eager":
        f = torch.compile(_Labels(reference_model(model)))
        return lambda: f(x)
    if row == "compile_ppms":
        f = torch.compile(_ppms(model), fullgraph=True)
        return lambda: f(x)
    if row == "ort":
        return _ort(_Labels(reference_model(model)), x, threads, tmp)
    if row == "ort_net":
        return _ort(_Logits(reference_model(model)), x, threads, tmp)
    raise ValueError(f"unknown row {row!r}; rows: {', '.join(ROWS)}")


class Reference:
    """The plain-PyTorch outputs a row is checked against: logits, their full upsample, its argmax, VIM labels."""

    def __init__(self, model, x):
        with torch.inference_mode():
            self.logits = reference_model(model).logits(x)
            self.up = F.interpolate(self.logits, x.shape[-2:], mode="bilinear", align_corners=False)
            self.labels = {"argmax": self.up.argmax(1), "vim": vim(self.logits, x.shape[-2:])}


def check(row, out, ref):
    """Raise unless ``out`` (the row's output) agrees with the reference; returns the near-tie flips allowed."""
    expect = ROWS[row][1]
    if expect is None:
        scale = ref.logits.abs().max().item()
        torch.testing.assert_close(out, ref.logits, rtol=1e-4, atol=1e-4 * scale)
        return 0
    return assert_labels_match(out, ref.labels[expect], ref.up)


def run(models, rows=tuple(ROWS), size=512, batch=1, threads=None, warmup=2, repeat=10, seed=0, progress=True):
    """Time ``rows`` for each ``{variant: model}`` at ``batch x 3 x size x size``; returns a list of Results."""
    from tqdm import tqdm

    threads = threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    x = torch.rand(batch, 3, size, size, generator=torch.Generator().manual_seed(seed))
    results = []
    bar = tqdm(total=len(models) * len(rows), disable=not progress, desc="ppms bench", unit="row")
    with tempfile.TemporaryDirectory() as tmp:
        for variant, model in models.items():
            model = model.eval()
            reference = Reference(model, x)
            for row in rows:
                label = ROWS[row][0]
                bar.set_postfix_str(f"{variant}: {label}")
                r = Result(variant, row, label, batch, threads)
                try:
                    with torch.inference_mode():
                        if row == "paddle":
                            labels, times = paddle(model, x, threads, warmup, repeat, tmp)
                            r.label_flips = check(row, labels, reference)
                        else:
                            f = build(row, model, x, threads, tmp)
                            r.label_flips = check(row, f(), reference)  # also the first warm-up (compilation)
                            for _ in range(max(warmup - 1, 0)):
                                f()
                            times = []
                            for _ in range(repeat):
                                t0 = time.perf_counter()
                                f()
                                times.append(time.perf_counter() - t0)
                    r.median_ms, r.min_ms, r.runs = statistics.median(times) * 1e3, min(times) * 1e3, repeat
                except ImportError as e:
                    r.error = f"not installed: {e.name or e}"
                except Exception as e:  # a row that cannot run is reported, not fatal to the others
                    r.error = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
                results.append(r)
                bar.update()
    bar.close()
    return results


def speedups(results):
    """{(variant, row): eager median / row median} for rows that ran."""
    base = {r.variant: r.median_ms for r in results if r.row == "eager" and not r.error}
    return {(r.variant, r.row): base[r.variant] / r.median_ms
            for r in results if not r.error and r.variant in base}


def table(results):
    sp = speedups(results)
    lines = [f"{'variant':8} {'row':44} {'median ms':>10} {'min ms':>9} {'vs (a)':>7}  note"]
    for r in results:
        if r.error:
            lines.append(f"{r.variant:8} {r.label:44} {'-':>10} {'-':>9} {'-':>7}  {r.error}")
            continue
        note = f"{r.label_flips} near-tie pixel(s) differ" if r.label_flips else ""
        lines.append(f"{r.variant:8} {r.label:44} {r.median_ms:>10.1f} {r.min_ms:>9.1f} "
                     f"{sp.get((r.variant, r.row), float('nan')):>6.1f}x  {note}")
    return "\n".join(lines)


def environment():
    return {"torch": torch.__version__, "ppms_kernels": VERSION, "build": build_info(),
            "machine": platform.machine(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count()}


def save_json(results, path, **meta):
    with open(path, "w") as f:
        json.dump({"environment": environment(), **meta, "results": [asdict(r) for r in results]}, f, indent=1)


def plot(results, path, title=""):
    """Horizontal bar chart of the medians, one group per variant, with the speed-up over (a) on each bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in results if not r.error]
    variants = list(dict.fromkeys(r.variant for r in ok))
    sp = speedups(results)
    fig, axes = plt.subplots(len(variants), 1, figsize=(9, 1.2 + 0.45 * len(ok)), squeeze=False)
    for ax, v in zip(axes[:, 0], variants):
        rs = [r for r in ok if r.variant == v]
        ax.barh([r.label for r in rs], [r.median_ms for r in rs],
                color=["#c44e52" if r.row.startswith("ppms") or r.row == "compile_ppms" else "#4c72b0" for r in rs])
        for i, r in enumerate(rs):
            ax.text(r.median_ms, i, f" {r.median_ms:.0f} ms ({sp.get((v, r.row), float('nan')):.1f}x)", va="center")
        ax.invert_yaxis()
        ax.set_title(f"PP-MobileSeg-{v}", loc="left")
        ax.set_xlim(0, max(r.median_ms for r in rs) * 1.35)
    axes[-1, 0].set_xlabel("median latency, ms (lower is better)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
