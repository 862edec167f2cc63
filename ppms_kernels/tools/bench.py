"""The one benchmark harness of ``ppms bench`` and ``bench/``: suites of rows, each row checked against its
reference, then timed, the rows of a group interleaved.

A row is (group, name, callable, reference check). A suite generates the rows of its groups on a device ("cpu" or
"cuda"): ``upsample_argmax`` and ``sea_attention`` (the ops at the model's shapes against plain PyTorch) and
``e2e`` (image in, label map out, every way of running the model: ``ROWS``); on cuda they add rows replayed from a
CUDA graph. ``run()`` checks every row of a group (label rows against the full upsample + argmax or PaddleSeg's
VIM, where only float near-ties may differ; float rows within a relative error; rows in bf16 or another reduced
precision within ``REDUCED_RTOL``), then times the group in rounds, each round running every row for a block of at
least ``BLOCK`` consecutive calls, each call timed: a row's time is the median over rounds of its blocks' medians. In
a block the engine's threads are awake, as for a user who runs frames back to back (an engine whose workers sleep
between calls, OpenVINO's TBB, pays its wake-up on a block's first call only), and this VM's slow swings hit all
rows of a group alike, so the ratios to the group's first row stay fair.
"""
import contextlib
import copy
import functools
import itertools
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from typing import Any, Callable, Optional

import torch
import torch.nn.functional as F

from .._extras import require
from ..models import INPUT_MEAN, INPUT_STD, FusedSeaAttention, SeaAttention, export_onnx, optimize
from ..models.weights import torch_to_paddle
from ..ops import VERSION, bf16_arithmetic, build_info
from ..ops import normalise as ppms_normalise
from ..ops import upsample_argmax as ppms_upsample_argmax
from ..ops.reference import normalise as torch_normalise
from ..ops.reference import upsample_argmax as full_upsample_argmax
from ..ops.reference import vim
from ..testing import assert_labels_match, realistic_logits
from .quiet import quiet


@dataclass
class Row:
    group: str
    key: str    # short name: the JSON's "row", pytest ids, ``ppms bench --rows``
    name: str   # the label in tables and plots; a group's first row, "(a) ...", is what its ratios compare with
    # () -> the callable to time. Copies, exports and compiles happen here, when the row runs, not when it is listed.
    make: Callable[[], Callable[[], Any]]
    check: Callable[[Any], int]  # raises unless an output agrees with the group's reference; returns near-tie flips
    # make(warmup, repeat) -> (output, seconds of each timed run), measured in another process (Paddle)
    times_itself: bool = False


@dataclass
class Result:
    """A row's times, or its error. What was not measured is None (null in the JSON), never NaN."""
    group: str
    row: str
    label: str
    threads: int
    median_ms: Optional[float] = None
    min_ms: Optional[float] = None
    runs: int = 0                    # rounds; the times are per call: the median and min of the rounds' block medians
    calls: int = 0                   # consecutive calls of the row in each round (its block)
    ratio: Optional[float] = None    # median of the group's first row / this row's median: its speed-up over (a)
    label_flips: int = 0             # near-tie pixels that differ from the row's reference
    peak_mb: Optional[float] = None  # growth of the process's peak RSS during one warm call (CPU, Linux: _peak_growth)
    busy_ms: Optional[float] = None  # median per call in the rounds run beside busy processes (run(busy=N))
    error: str = ""                  # why the row could not run (missing package, failed export or compile, mismatch)


def _use(device):
    """Refuse a device this machine lacks. On cuda float32 means float32: TF32 convolutions (cuDNN's default)
    would move the reference's logits by ~1e-3."""
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be cpu or cuda, got {device!r}")
    if device == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("device cuda: torch sees no CUDA GPU here")
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False


def _lazy(f, *args):
    """``f(*args)``, computed on the first call and kept: a group's reference costs only if one of its rows runs."""
    return functools.cache(functools.partial(f, *args))


def _ready(f, *args):
    """The ``make`` of a row with nothing to build."""
    return lambda: functools.partial(f, *args)


def _graphed(fn):
    """``fn`` captured once in a CUDA graph: returns a replay that yields the graph's (static) output. Replays cost
    one launch, so these rows show what the kernels cost without Python and launch overhead."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = fn()

    def replay():
        graph.replay()
        return out

    return replay


def _with_graphs(rows, device, keys):
    """``rows``, and on cuda the rows of ``keys`` again, replayed from a CUDA graph."""
    if device != "cuda":
        return rows
    return rows + [Row(r.group, f"{r.key}_graph", f"{r.name[:3]} in a CUDA graph", lambda r=r: _graphed(r.make()),
                       r.check) for r in rows if r.key in keys]


class Reference:
    """What label rows are checked against, in plain PyTorch: the logits (of ``model`` on the image ``x``, or ``x``
    itself when ``model`` is None), their full upsample to ``size`` (default: the image's), its argmax, VIM labels."""

    def __init__(self, model, x, size=None):
        size = tuple(size or x.shape[-2:])
        with torch.inference_mode():
            self.logits = x if model is None else reference_model(model).logits(x)
            self.up = F.interpolate(self.logits, size, mode="bilinear", align_corners=False)
            self.labels = {"argmax": self.up.argmax(1), "vim": vim(self.logits, size)}


# ---- suite upsample_argmax: the op against PyTorch at the model's shapes

UPSAMPLE_ROWS = {  # key: (label, the reference labels it must match, (logits, size) -> labels)
    "torch": ("(a) torch: full upsample + argmax", "argmax", full_upsample_argmax),
    "torch_vim": ("(b) torch: PaddleSeg VIM", "vim", vim),
    "ppms_exact": ("(c) ppms upsample_argmax exact", "argmax", ppms_upsample_argmax),
    "ppms_paper": ("(d) ppms upsample_argmax paper (VIM)", "vim",
                   lambda x, size: ppms_upsample_argmax(x, size, "paper")),
    "ppms_exact_uint8": ("(e) ppms upsample_argmax exact, uint8 out", "argmax",
                         lambda x, size: ppms_upsample_argmax(x, size, "exact", torch.uint8)),
}


def upsample_argmax(device="cpu"):
    """``ppms_kernels.upsample_argmax`` against PyTorch's full upsample + argmax and PaddleSeg's VIM, on realistic
    logits (15 of 150 classes present, ``realistic_logits``) at the head's shapes, to 512x512; batch 8 on cuda too."""
    _use(device)
    size = (512, 512)
    for variant, side, batch in [("base", 64, 1), ("tiny", 32, 1)] + [("base", 64, 8)] * (device == "cuda"):
        x = realistic_logits(batch, 150, side, side, K=15, seed=0).to(device)
        ref = _lazy(Reference, None, x, size)
        for key, (label, expect, f) in UPSAMPLE_ROWS.items():
            yield Row(f"upsample+argmax {variant} {batch}x150x{side}x{side} -> 512x512", key, label,
                      _ready(f, x, size), functools.partial(_labels_match, expect, ref))


def _labels_match(expect, ref, out):
    return assert_labels_match(out, ref().labels[expect], ref().up)


# ---- suite sea_attention: the fused block against the eager one at the model's 4 shapes

SEA_SHAPES = {  # (dim, key_dim, heads, input side) of tiny/base x trans1/trans2 at a 512x512 image
    "base trans1": (128, 16, 8, 32), "base trans2": (192, 24, 8, 16),
    "tiny trans1": (64, 16, 4, 32), "tiny trans2": (128, 24, 4, 16),
}


def sea_attention(device="cpu"):
    """``FusedSeaAttention`` (one ``ppms::sea_attention`` call, BatchNorm folded) against the eager reference
    block at the model's 4 shapes; batch 1, and 8 on cuda."""
    _use(device)
    for batch in (1, 8) if device == "cuda" else (1,):
        for name, shape in SEA_SHAPES.items():
            yield from _with_graphs(_sea_rows(device, name, batch, *shape), device, ("eager", "ppms"))


def _sea_rows(device, name, batch, dim, key_dim, heads, side):
    torch.manual_seed(0)
    block = SeaAttention(dim, key_dim, heads, use_kernel=False).eval()
    for m in block.modules():  # non-trivial BatchNorm statistics, so that the folding is really checked
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5), m.running_var.uniform_(0.5, 2.0)
    block.to(device)
    x = torch.randn(batch, dim, side, side).to(device)
    group, close = f"SEA attention {name} {batch}x{dim}x{side}x{side}", functools.partial(_close, _lazy(block, x))
    return [Row(group, "eager", "(a) eager reference block", _ready(block, x), close),
            Row(group, "ppms", "(b) ppms sea_attention (fused)", lambda: functools.partial(FusedSeaAttention(block), x),
                close)]


def _close(ref, out, rtol=1e-5):
    err = ((out - ref()).norm() / ref().norm()).item()
    assert err <= rtol, f"relative error {err:.2e} > {rtol:.0e}"
    return 0


# ---- suite conv1x1: the engine's 1x1 convolution against ATen's GEMM (MKL) at the network's shapes

# (pixels, cin, cout) of 1x1 convolutions at 512x512: MobileNetV3 expand/project, SEA, AAM and the classifier.
CONV1X1_SHAPES = [(65536, 16, 64), (16384, 64, 32), (16384, 32, 96), (4096, 64, 240), (4096, 240, 64),
                  (1024, 128, 384), (1024, 384, 128), (4096, 64, 256), (4096, 256, 150)]


def conv1x1(device="cpu"):
    """``ppms::_conv1x1`` (packed weights, bias and hardswish in the epilogue) against ``torch.addmm`` + hardswish on
    the same channels-last rows, and against the GEMM alone."""
    _use(device)
    if device != "cpu":
        raise ValueError("suite conv1x1: the engine runs on the CPU only")
    for pixels, cin, cout in CONV1X1_SHAPES:
        g = torch.Generator().manual_seed(pixels + cin + cout)
        x, w, b = (torch.randn(pixels, cin, generator=g), torch.randn(cout, cin, generator=g) / cin ** 0.5,
                   torch.randn(cout, generator=g))
        wt = w.t().contiguous()
        packed = torch.ops.ppms._conv1x1_pack(w, b)
        group = f"conv1x1 {pixels}x{cin} -> {cout} ({2 * pixels * cin * cout / 1e6:.0f} MFLOP)"
        ref = _lazy(lambda x=x, wt=wt, b=b: F.hardswish(torch.addmm(b, x, wt)))
        close = functools.partial(_close, ref)
        yield Row(group, "aten", "(a) torch.addmm + hardswish (MKL)",
                  _ready(lambda x, wt, b: F.hardswish(torch.addmm(b, x, wt), inplace=True), x, wt, b), close)
        yield Row(group, "aten_gemm", "    torch.addmm alone (MKL sgemm)", _ready(torch.addmm, b, x, wt),
                  functools.partial(_close, _lazy(torch.addmm, b, x, wt)))
        yield Row(group, "ppms", "(b) ppms conv1x1 (engine, fused epilogue)",
                  _ready(torch.ops.ppms._conv1x1, x, packed, cout, None, "hardswish", ""), close)


# ---- suite depthwise: the engine's depthwise convolution against ATen's (oneDNN, channels_last) at the network's shapes

# (H = W, channels, k, stride) of the MobileNetV3 depthwise convolutions of base at 512x512.
DEPTHWISE_SHAPES = [(256, 16, 3, 1), (256, 64, 3, 2), (128, 96, 3, 1), (128, 128, 5, 2), (64, 240, 5, 1),
                    (64, 384, 5, 2), (32, 384, 5, 1), (32, 768, 5, 2), (16, 768, 5, 1)]


def depthwise(device="cpu"):
    """``ppms::_depthwise`` (NHWC, bias and hardswish fused) against ``F.conv2d(groups=C)`` + hardswish on the same
    channels_last memory."""
    _use(device)
    if device != "cpu":
        raise ValueError("suite depthwise: the engine runs on the CPU only")
    for side, C, k, stride in DEPTHWISE_SHAPES:
        g = torch.Generator().manual_seed(side + C + k)
        nhwc, w, b = torch.randn(1, side, side, C, generator=g), torch.randn(C, 1, k, k, generator=g) / k, torch.randn(C, generator=g)
        nchw = nhwc.permute(0, 3, 1, 2)  # channels_last: the same memory
        packed = torch.ops.ppms._depthwise_pack(w, b)
        out = (side - 1) // stride + 1
        group = f"depthwise {k}x{k}/{stride} {side}x{side}x{C} ({2 * out * out * C * k * k / 1e6:.0f} MFLOP)"
        aten = functools.partial(_aten_depthwise, nchw, w, b, stride)
        close = functools.partial(_close, _lazy(aten))
        yield Row(group, "aten", "(a) F.conv2d channels_last + hardswish", lambda aten=aten: aten, close)
        yield Row(group, "ppms", "(b) ppms depthwise (engine, fused epilogue)",
                  _ready(torch.ops.ppms._depthwise, nhwc, packed, k, stride, "hardswish", ""), close)


def _aten_depthwise(x, w, b, stride):
    y = F.conv2d(x, w, b, stride, w.shape[-1] // 2, groups=w.shape[0])
    return F.hardswish(y, inplace=True).permute(0, 2, 3, 1)


# ---- suite normalise: decoded images to the network's input, the op against its PyTorch expression

def normalise(device="cpu"):
    """``ppms_kernels.ops.normalise`` against ``(images / 255 - mean) / std`` in PyTorch (the reference, which
    ``ppms segment`` ran before), uint8 ``[B, H, W, 3]`` images as decoders give them; the outputs must be equal."""
    _use(device)
    if device != "cpu":
        raise ValueError("suite normalise: the op is native on the CPU only (CUDA runs the PyTorch expression)")
    for B, H, W in [(1, 512, 512), (1, 540, 720), (8, 512, 512)]:
        x = torch.randint(0, 256, (B, H, W, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(H * W))
        ref = _lazy(torch_normalise, x, INPUT_MEAN, INPUT_STD)
        equal = functools.partial(_close, ref, rtol=0.0)
        group = f"normalise {B}x{H}x{W}x3 uint8"
        yield Row(group, "torch", "(a) torch: (x / 255 - mean) / std", _ready(torch_normalise, x, INPUT_MEAN,
                                                                                  INPUT_STD), equal)
        yield Row(group, "ppms", "(b) ppms normalise (one pass)", _ready(ppms_normalise, x, INPUT_MEAN, INPUT_STD),
                  equal)


# ---- suite e2e: image in, label map out, every way of running the model

# key: (label, reference the labels are checked against; None: the output is the logits)
ROWS = {
    "eager": ("(a) eager PyTorch, full upsample+argmax", "argmax"),
    "eager_vim": ("(b) eager PyTorch, PaddleSeg VIM", "vim"),
    "ppms": ("(c) ppms: optimize() (native engine on CPU) + exact VIM", "argmax"),
    "ppms_net": ("(c) ppms: optimize(), network only (logits)", None),
    "ppms_modules": ("(c) ppms: optimize(engine=False) + exact VIM", "argmax"),
    "compile_eager": ("(d) torch.compile of (a)", "argmax"),
    "compile_ppms": ("(d) torch.compile of (c)", "argmax"),
    "ort": ("(e) ONNX Runtime, full upsample+argmax", "argmax"),
    "ort_net": ("(e) ONNX Runtime, network only (logits)", None),
    "paddle": ("(f) official Paddle (PaddleSeg 2.8.0, VIM on)", "vim"),
    "ppms_bf16": ("(c) ppms: optimize(precision=\"bf16\") + exact VIM", "argmax"),
    "ppms_bf16_net": ("(c) ppms: optimize(precision=\"bf16\"), network only (logits)", None),
    "openvino": ("(g) OpenVINO f32, full upsample+argmax", "argmax"),
    "openvino_net": ("(g) OpenVINO f32, network only (logits)", None),
    # OpenVINO as installed: bf16 on CPUs with AVX512_BF16, f16 on Arm with FP16 (the label says which it ran)
    "openvino_default": ("(g) OpenVINO default precision, full upsample+argmax", "argmax"),
    "openvino_default_net": ("(g) OpenVINO default precision, network only (logits)", None),
    # Its own venv (bash scripts/executorch_venv.sh); lowering takes 1-2 minutes a model.
    "executorch": ("(h) ExecuTorch + XNNPACK, full upsample+argmax", "argmax"),
    "executorch_net": ("(h) ExecuTorch + XNNPACK, network only (logits)", None),
}
CPU_ONLY = ("ort", "ort_net", "paddle", "openvino", "openvino_net", "openvino_default", "openvino_default_net",
            "executorch", "executorch_net", "ppms_bf16", "ppms_bf16_net")
# Rows that may compute in bf16 or f16: logits within REDUCED_RTOL of the largest, labels equal but where the
# reference's two logits are that close (OpenVINO bf16 measured 6.0e-3 tiny, 7.8e-3 base; ppms bf16 docs/bf16.md).
REDUCED = ("ppms_bf16", "ppms_bf16_net", "openvino_default", "openvino_default_net")
REDUCED_RTOL = 2e-2


def row_precision(row):
    """The precision ``ppms bench --precision`` files an e2e row under: bf16 for ppms in bf16 and OpenVINO at its
    default precision (bf16 where the CPU has AVX512_BF16, f32 elsewhere: its label says which it ran), else fp32."""
    return "bf16" if row in REDUCED else "fp32"
SELF_TIMED = ("paddle", "executorch", "executorch_net")  # rows timed in their own process


def e2e(device, models, rows=tuple(ROWS), size=512, batch=1, seed=0):
    """``rows`` (keys of ``ROWS``) for each ``{variant: model}`` at ``batch x 3 x size x size``; on cuda also (a) and
    (c) replayed from a CUDA graph."""
    _use(device)
    x = torch.rand(batch, 3, size, size, generator=torch.Generator().manual_seed(seed)).to(device)
    for variant, model in models.items():
        model = model.eval().to(device)
        group, ref = f"PP-MobileSeg-{variant} {batch}x3x{size}x{size} -> labels", _lazy(Reference, model, x)
        yield from _with_graphs([_e2e_row(group, row, model, x, ref) for row in rows], device, ("eager", "ppms"))


def _e2e_row(group, row, model, x, ref):
    if row == "paddle":
        make = functools.partial(paddle, model, x)
    elif row in ("executorch", "executorch_net"):
        make = functools.partial(executorch, (_Labels if row == "executorch" else Logits)(reference_model(model)), x)
    else:
        make = functools.partial(build, row, model, x)
    return Row(group, row, ROWS[row][0], make, lambda out: check(row, out, ref()), times_itself=row in SELF_TIMED)


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
        return full_upsample_argmax(self.model.logits(x), x.shape[-2:])


class Logits(torch.nn.Module):
    """The network alone: image -> low-resolution logits (what the peers' rows and files run)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.logits(x)


def _onnx(module, x, tmp):
    """``module`` exported to ONNX for ``x``'s shape in directory ``tmp``: the file's path."""
    module.eval()  # the wrappers are new modules, in training mode
    return export_onnx(module, x, os.path.join(tmp, f"{type(module).__name__}.onnx"), dynamic=False)


def _ort(module, x):
    ort = require("onnxruntime", "bench")

    with tempfile.TemporaryDirectory() as tmp:
        so = ort.SessionOptions()
        so.intra_op_num_threads = torch.get_num_threads()
        so.inter_op_num_threads = 1
        so.log_severity_level = 3  # errors only: its warnings (graph rewrites) are not the user's business
        sess = ort.InferenceSession(_onnx(module, x, tmp), so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    xn = x.numpy()
    return lambda: torch.from_numpy(sess.run(None, {name: xn})[0])


class _Labelled:
    """A row's callable that names the precision it computes in (``run`` adds it to the row's label)."""

    def __init__(self, fn, precision):
        self.fn, self.precision = fn, precision

    def __call__(self):
        return self.fn()


def _openvino(module, x, precision="f32"):
    """OpenVINO's CPU plugin on the ONNX export, at torch's thread count, latency mode; at f32 precision, or with
    ``precision=None`` at its default (bf16 or f16 where the CPU has them), which the callable reports as the
    compiled model's INFERENCE_PRECISION_HINT."""
    ov = require("openvino", "bench")

    core = ov.Core()
    config = {"INFERENCE_NUM_THREADS": torch.get_num_threads(), "PERFORMANCE_HINT": "LATENCY"}
    if precision:
        config["INFERENCE_PRECISION_HINT"] = precision
    with tempfile.TemporaryDirectory() as tmp:
        compiled = core.compile_model(core.read_model(_onnx(module, x, tmp)), "CPU", config)
    request, xn = compiled.create_infer_request(), x.numpy()
    hint = compiled.get_property("INFERENCE_PRECISION_HINT")  # an ov.Type: "f32", "bf16", "f16"
    return _Labelled(lambda: torch.from_numpy(request.infer({0: xn})[0].copy()),
                     hint.get_type_name() if hasattr(hint, "get_type_name") else str(hint))


def paddle(model, x, warmup, repeat):
    """Run the official model in Paddle (a subprocess: Paddle and torch never share one) on ``model``'s weights:
    returns its labels and the seconds of each timed run."""
    import numpy as np

    if x.is_cuda:
        raise ValueError("runs on CPU only")
    probe = subprocess.run([sys.executable, "-c", "import paddle, paddleseg"], capture_output=True, text=True)
    if probe.returncode:
        raise ImportError(name="paddlepaddle/paddleseg")
    threads = str(torch.get_num_threads())
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(os.path.join(tmp, "paddle_weights.npz"), **torch_to_paddle(model.state_dict()))
        np.save(os.path.join(tmp, "x.npy"), x.numpy())
        env = dict(os.environ, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
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


def executorch(module, x, warmup, repeat):
    """``module`` through torch.export, lowered to ExecuTorch with the XNNPACK delegate and run at torch's thread
    count, in .cache/executorch-venv (its own packages; ``executorch_run.py``): its output and the seconds of each
    timed run."""
    import numpy as np

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    python = os.path.join(root, ".cache", "executorch-venv", "bin", "python")
    if x.is_cuda:
        raise ValueError("runs on CPU only")
    if not os.path.exists(python):
        raise ImportError(name="executorch (bash scripts/executorch_venv.sh)")
    with tempfile.TemporaryDirectory() as tmp:
        with torch.inference_mode(False), torch.no_grad():
            torch.export.save(torch.export.export(module.eval(), (x,)), os.path.join(tmp, "net.pt2"))
        np.save(os.path.join(tmp, "x.npy"), x.numpy())
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "executorch_run.py")
        done = subprocess.run([python, script, "--lower", os.path.join(tmp, "net.pt2"), "--program",
                               os.path.join(tmp, "net.pte"), "--input", os.path.join(tmp, "x.npy"), "--out", tmp,
                               "--threads", str(torch.get_num_threads()), "--warmup", str(warmup),
                               "--repeat", str(repeat)], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"ExecuTorch run failed: {done.stderr.strip().splitlines()[-1:]}")
        with open(os.path.join(tmp, "times.json")) as f:
            times = json.load(f)
        return torch.from_numpy(np.load(os.path.join(tmp, "out.npy"))), times


def _ppms(model, engine=None, precision="fp32"):
    """Row (c): an optimised copy of ``model`` returning exact labels."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bf16 without AVX512_BF16: the row's label says so
        fast = optimize(copy.deepcopy(model), engine=engine, precision=precision)
    fast.upsample, fast.vim_mode = "vim", "exact"
    return fast


def build(row, model, x):
    """The callable of e2e row ``row``: () -> label map [B, H, W] (or logits for ``ort_net``)."""
    size = tuple(x.shape[-2:])
    if row in CPU_ONLY and x.is_cuda:
        raise ValueError("runs on CPU only")
    if row == "eager":
        ref = reference_model(model)
        return lambda: full_upsample_argmax(ref.logits(x), size)
    if row == "eager_vim":
        ref = reference_model(model)
        return lambda: vim(ref.logits(x), size)
    if row in ("ppms", "ppms_modules"):
        fast = _ppms(model, engine=False if row == "ppms_modules" else None)
        return lambda: fast(x)
    if row == "ppms_net":
        fast = _ppms(model)
        return lambda: fast.logits(x)
    if row in ("ppms_bf16", "ppms_bf16_net"):
        fast = _ppms(model, precision="bf16")
        ran = "bf16" if bf16_arithmetic() else "fp32: no AVX512_BF16"
        return _Labelled((lambda: fast(x)) if row == "ppms_bf16" else (lambda: fast.logits(x)), ran)
    if row == "compile_eager":
        f = torch.compile(_Labels(reference_model(model)))
        return lambda: f(x)
    if row == "compile_ppms":
        f = torch.compile(_ppms(model), fullgraph=True)
        return lambda: f(x)
    if row == "ort":
        return _ort(_Labels(reference_model(model)), x)
    if row == "ort_net":
        return _ort(Logits(reference_model(model)), x)
    if row in ("openvino", "openvino_net"):
        return _openvino((_Labels if row == "openvino" else Logits)(reference_model(model)), x)
    if row in ("openvino_default", "openvino_default_net"):
        return _openvino((_Labels if row == "openvino_default" else Logits)(reference_model(model)), x, None)
    raise ValueError(f"unknown row {row!r}; rows: {', '.join(ROWS)}")


def check(row, out, ref):
    """Raise unless ``out`` (e2e row ``row``'s output) agrees with the Reference; returns the near-tie flips."""
    expect, rtol = ROWS[row][1], REDUCED_RTOL if row in REDUCED else 1e-4
    if expect is None:
        scale = ref.logits.abs().max().item()
        torch.testing.assert_close(out, ref.logits, rtol=rtol, atol=rtol * scale)
        return 0
    if row in REDUCED:
        return assert_labels_match(out, ref.labels[expect], ref.up, rtol=REDUCED_RTOL, max_fraction=0.05)
    return assert_labels_match(out, ref.labels[expect], ref.up)


SUITES = {"e2e": e2e, "upsample_argmax": upsample_argmax, "sea_attention": sea_attention, "conv1x1": conv1x1,
          "depthwise": depthwise, "normalise": normalise}


# ---- the runner

def _cpu_seconds(fn, calls):
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _cuda_seconds(fn, calls):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()  # else queued work of the previous row would hide this row's launch overhead
    start.record()
    for _ in range(calls):
        fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / 1e3 / calls


# Seconds per call of fn in a block of ``calls`` consecutive calls: on the CPU the median of the calls, each timed (a
# wake-up on the block's first call is not the row's time); on cuda the mean (events around the block).
TIMERS = {"cpu": _cpu_seconds, "cuda": _cuda_seconds}
ROUND_S = {"cpu": 0.05, "cuda": 0.01}  # a row's share of a round: enough calls to dwarf the timer's own cost
BLOCK = 8  # the fewest consecutive calls of a row in a round


def run(rows, device="cpu", warmup=2, repeat=10, progress=True, busy=0):
    """Check, then time ``rows`` (consecutive rows of one group form the group). Each row of a group is built,
    checked (its first call) and warmed up (``warmup`` calls in all, at least 2: the last ones, timed, pick its calls
    per round, at least ``BLOCK``); then ``repeat`` rounds each run every row of the group for its block of calls,
    and a row's time is the median of its blocks' (``TIMERS``). With ``busy`` (CPU only),
    ``busy`` processes spinning on a core each run beside a second round after each one (``Result.busy_ms``): how a
    row shares a machine, measured side by side with its quiet time. Returns one Result per row, in order; a row that
    cannot run has its error instead of times."""
    from tqdm import tqdm

    if repeat < 1 or warmup < 0:
        raise ValueError(f"repeat must be at least 1 and warmup at least 0, got repeat={repeat}, warmup={warmup}")
    if busy and device != "cpu":
        raise ValueError(f"busy: processes that keep cores busy compete with CPU rows only, not {device} ones")
    seconds = TIMERS[device]
    results = []
    total = len(rows) * repeat if hasattr(rows, "__len__") else None
    with tqdm(total=total, disable=not progress, desc="ppms bench", unit="round") as bar, _Busy(busy) as hogs:
        for group, members in itertools.groupby(rows, key=lambda r: r.group):
            timed = []  # (Result, callable, seconds of each round, of each busy round)
            for row in members:
                bar.set_postfix_str(f"{group}: checking {row.name}")
                r = Result(group, row.key, row.name, torch.get_num_threads())
                results.append(r)
                fn = _prepare(row, r, device, warmup, repeat)
                if fn:
                    timed.append((r, fn, [], []))
                else:
                    bar.update(repeat)
            bar.set_postfix_str(f"{group}: timing" + (f", every other round beside {busy} busy core(s)" if busy else ""))
            with torch.inference_mode():
                for _ in range(repeat):
                    for r, fn, times, _ in timed:
                        if busy:
                            _settle(fn)  # after the last busy round, as that one after the quiet one
                        times.append(seconds(fn, r.calls))
                    if busy and timed:
                        with hogs.running():
                            for r, fn, _, busy_times in timed:
                                _settle(fn)
                                busy_times.append(seconds(fn, r.calls))
                    bar.update(len(timed))
            for r, _, times, busy_times in timed:
                _summarise(r, times)
                r.busy_ms = statistics.median(busy_times) * 1e3 if busy_times else None
    for _, rs in itertools.groupby(results, key=lambda r: r.group):
        rs = list(rs)
        base = _baseline(rs)
        for r in rs:  # none where (a) did not run or a row has no time: nothing to compare
            r.ratio = base.median_ms / r.median_ms if base and base.median_ms and r.median_ms else None
    return results


def _baseline(rows):
    """The group's "(a)" row, which its ratios compare with, or None where it was not run (``--rows`` left it out)."""
    return next((r for r in rows if r.label.startswith("(a) ")), None)


def _settle(fn, seconds=0.2):
    """Untimed calls for ``seconds`` after the load changed: what the row meets in steady state beside it is timed,
    not its first calls while it (the engine's pool) and the scheduler adapt."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        fn()


class _Busy:
    """``n`` processes that each spin on a core while ``running()`` and are stopped (SIGSTOP) otherwise: the other
    load a phone's or a server's cores carry, switched on for every other round."""

    def __init__(self, n):
        if n and not hasattr(signal, "SIGSTOP"):
            raise ValueError("busy: needs POSIX signals to pause the busy processes between rounds")
        self.n, self.procs = n, []

    def __enter__(self):
        try:
            for _ in range(self.n):
                self.procs.append(subprocess.Popen([sys.executable, "-c", "while True: pass"]))
                os.kill(self.procs[-1].pid, signal.SIGSTOP)
        except BaseException:
            self.__exit__()
            raise
        return self

    @contextlib.contextmanager
    def running(self):
        for p in self.procs:
            os.kill(p.pid, signal.SIGCONT)
        time.sleep(0.1)  # the scheduler has placed them before the round starts
        try:
            yield
        finally:
            for p in self.procs:
                os.kill(p.pid, signal.SIGSTOP)

    def __exit__(self, *exc):
        for p in self.procs:
            p.kill()
            p.wait()


def _prepare(row, r, device, warmup, repeat):
    """Build, check and warm up ``row``, and pick its calls per round; returns its callable, or None when it
    cannot run (``r.error`` says why) or has timed itself."""
    try:
        with torch.inference_mode(), quiet():  # whether a row runs is the table's to say
            if row.times_itself:
                out, times = row.make(warmup, repeat)
                r.label_flips = row.check(out)
                _summarise(r, times)
                return None
            fn = row.make()
            r.label_flips = row.check(fn())  # the first warm-up call, where compilation happens
            once = min(TIMERS[device](fn, 1) for _ in range(max(warmup - 1, 1)))
            r.calls = max(BLOCK, round(ROUND_S[device] / max(once, 1e-6)))
            if hasattr(fn, "precision"):
                r.label = f"{r.label} [{fn.precision}]"
            if device == "cpu":
                r.peak_mb = _peak_growth(fn)
            return fn
    except ImportError as e:
        r.error = str(e) or f"not installed: {e.name}"
    except Exception as e:  # a row that cannot run is reported, not fatal to the others
        r.error = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"


PEAK_FLOOR_MB = 1.0


def _peak_growth(fn):
    """MB by which one call of ``fn`` raises the process's peak resident memory: its activations and scratch (weights
    and anything kept between calls are resident before it starts). Free heap memory is handed back first
    (malloc_trim), so that memory the call reuses from its last run counts. None where Linux's peak reset is missing,
    and where the call grew less than ``PEAK_FLOOR_MB``: the interpreter alone moves the peak by a tenth of a MB, an
    engine that keeps its activations resident between calls (ONNX Runtime's arena) hides them from this measure,
    and no network runs in less."""
    import ctypes

    def status(key):
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(key)) / 1024

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current VmRSS
        before = status("VmRSS:")
        fn()
        grown = status("VmHWM:") - before
        return grown if grown >= PEAK_FLOOR_MB else None
    except (OSError, StopIteration):
        return None


def _summarise(r, times):
    r.median_ms, r.min_ms, r.runs = statistics.median(times) * 1e3, min(times) * 1e3, len(times)


# ---- output

def table(results):
    """One block per group: median and min per call, the speed-up over the group's first row, the peak memory a call
    adds (``_peak_growth``), near-tie flips; after ``run(busy=N)`` also the median beside busy cores and the slowdown
    it makes."""
    def cell(value, width, form):  # "-" where nothing was measured
        return format(value, f">{width}{form}") if value is not None else f"{'-':>{width}}"

    busy = any(r.busy_ms is not None for r in results)  # run(busy=N): busy ms and the slowdown it makes
    lines = [f"  {'row':66} {'median ms':>10} {'min ms':>9} {'vs (a)':>7} {'peak MB':>8}"
             + (f" {'busy ms':>9} {'slowdown':>8}" if busy else "") + "  note"]
    for group, rs in itertools.groupby(results, key=lambda r: r.group):
        rs = list(rs)
        base = _baseline(rs)
        lines.append(f"{group} (vs (a): {base.label[4:] if base else 'not run'})")
        for r in rs:
            note = r.error or (f"{r.label_flips} near-tie pixel(s) differ" if r.label_flips else "")
            ratio = f"{r.ratio:>6.1f}x" if r.ratio is not None else f"{'-':>7}"
            slow = r.busy_ms / r.median_ms if r.busy_ms is not None and r.median_ms else None
            extra = f" {cell(r.busy_ms, 9, '.3f')} {cell(slow, 7, '.2f')}{'x' if slow is not None else ' '}" if busy else ""
            lines.append(f"  {r.label:66} {cell(r.median_ms, 10, '.3f')} {cell(r.min_ms, 9, '.3f')} {ratio} "
                         f"{cell(r.peak_mb, 8, '.1f')}{extra}  {note}".rstrip())
    return "\n".join(lines)


def environment():
    return {"torch": torch.__version__, "ppms_kernels": VERSION, "build": build_info(),
            "machine": platform.machine(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None}


def save_json(results, path, **meta):
    with open(path, "w") as f:
        json.dump({"environment": environment(), **meta,
                   "results": [r if isinstance(r, dict) else asdict(r) for r in results]}, f, indent=1,
                  allow_nan=False)  # strict JSON: what was not measured is null


def plot(results, path, title=""):
    """Horizontal bar chart of the medians, one panel per group, with the speed-up over its (a) on each bar."""
    matplotlib = require("matplotlib", "plot")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in results if not r.error]
    groups = list(dict.fromkeys(r.group for r in ok))
    fig, axes = plt.subplots(len(groups), 1, figsize=(9, 1.2 + 0.45 * len(ok) + 0.3 * len(groups)), squeeze=False)
    for ax, g in zip(axes[:, 0], groups):
        rs = [r for r in ok if r.group == g]
        ax.barh([r.label for r in rs], [r.median_ms for r in rs],
                color=["#c44e52" if "ppms" in r.row else "#4c72b0" for r in rs])
        for i, r in enumerate(rs):
            ratio = f" ({r.ratio:.1f}x)" if r.ratio is not None else ""
            ax.text(r.median_ms, i, f" {r.median_ms:.3g} ms{ratio}", va="center")
        ax.invert_yaxis()
        ax.set_title(g, loc="left")
        ax.set_xlim(0, max(r.median_ms for r in rs) * 1.35)
    axes[-1, 0].set_xlabel("median latency, ms (lower is better)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
