"""Helpers shared by the tests: where each implementation of an op runs, random modules with non-trivial weights, and
Paddle-format weight files."""
import importlib
import importlib.util
import pickle

import pytest
import torch

from ppms_kernels.models import SeaAttention
from ppms_kernels.models.weights import STRUCTURE_KEY

HAS_CUDA = torch.cuda.is_available()
# Where a Triton kernel runs: compiled on a GPU, or in Triton's interpreter on CPU tensors (tests/conftest.py sets
# TRITON_INTERPRET=1 then).
TRITON_DEVICE = "cuda" if HAS_CUDA else "cpu"
# The implementations of an op's contract: the torch op on CPU (the native core), the Triton kernel called
# directly, and the torch op on CUDA (which dispatches to Triton). Without Triton (aarch64 under qemu) its cases skip.
HAS_TRITON = importlib.util.find_spec("triton") is not None
IMPLS = ["cpu", pytest.param("triton", marks=pytest.mark.skipif(not HAS_TRITON, reason="needs Triton")),
         pytest.param("cuda", marks=pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU"))]


def impls(*names):
    """The entries of IMPLS called ``names``."""
    return [p for p in IMPLS if (p.values[0] if hasattr(p, "values") else p) in names]


def on(impl, op):
    """The torch op wrapper ``op`` (``ppms_kernels.ops.<name>``) run by ``impl``, or the Triton kernel of the same
    name (``ppms_kernels.ops.triton.<name>.<name>``); takes and returns CPU tensors."""
    def to(t, device):
        if torch.is_tensor(t):
            return t.to(device)
        if isinstance(t, (list, tuple)) and t and torch.is_tensor(t[0]):
            return [x.to(device) for x in t]
        return t

    def run(*args, **kw):
        if impl == "cpu":
            return op(*args, **kw)
        if impl == "cuda":
            fn, device = op, "cuda"
        else:
            fn = getattr(importlib.import_module(f"ppms_kernels.ops.triton.{op.__name__}"), op.__name__)
            device = TRITON_DEVICE
        out = fn(*(to(a, device) for a in args), **kw)
        return tuple(o.cpu() for o in out) if isinstance(out, tuple) else out.cpu()

    return run


def randomise(module, seed=0):
    """Every weight and BN statistic random (gammas too), as in the Paddle parity test."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=g) * 1.5 + 0.5)
            elif t.dim() == 4:
                t.copy_(torch.randn(t.shape, generator=g) / t[0].numel() ** 0.5)
            elif name.endswith("bn.weight") or name.endswith("stride_conv.1.weight"):
                t.copy_((torch.rand(t.shape, generator=g) + 0.5) * torch.randn(t.shape, generator=g).sign())
            else:
                t.copy_(torch.randn(t.shape, generator=g) * (1.0 if "pos_embed" in name else 0.2))
    return module


def block(dim, kd, heads, seed=0):
    return randomise(SeaAttention(dim, kd, heads, use_kernel=False), seed).eval()


def rel_err(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


def paddle_state(model):
    """The Paddle-named numpy state dict of a model (the inverse of the converter, written independently)."""
    out = {}
    for k, v in model.state_dict().items():
        if k.endswith("num_batches_tracked"):
            continue
        k = k.replace(".running_mean", "._mean").replace(".running_var", "._variance")
        out[k] = v.numpy().copy()
    out[STRUCTURE_KEY] = {k: f"param_{i}" for i, k in enumerate(out)}
    return out


def write_pdparams(path, state, protocol=4):
    with open(path, "wb") as f:
        pickle.dump(state, f, protocol=protocol)  # 4: what paddle.save writes for a state dict by default
    return path
