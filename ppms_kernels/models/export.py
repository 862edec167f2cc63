"""The model through ``torch.export`` and ONNX for every input size it takes, in one graph; and as a ``.ppms`` model
file, which the C++ API and ``ppms_run`` load without PyTorch.

Without help, ``torch.export`` specialises the graph on whether the 1/16, 1/32 and 1/64 maps are one pixel wide
(PyTorch's contiguity checks ask), which some sizes make them: a dynamic height or width then has to start at 33 or
65, depending on the example. Size-oblivious reasoning (``any_size()``) traces one graph that holds for every size
from ``MIN_INPUT_SIZE`` (16) to ``MAX_INPUT_SIZE``, one-pixel maps included (tests/models/test_exits.py).
"""
import copy
import os

import torch
from torch.export import Dim
from torch.fx.experimental import _config as fx_config

from .._extras import require
from ..ops import UPSAMPLE_ARGMAX_MAX_SIDE, model_file, model_file_info, network_pack
from .engine import pack_network
from .pp_mobileseg import INPUT_MEAN, INPUT_STD, MIN_INPUT_SIZE

MAX_INPUT_SIZE = UPSAMPLE_ARGMAX_MAX_SIDE  # the label map's side, which upsample_argmax bounds
PRECISIONS = ("fp32", "fp16", "bf16")  # how a .ppms file stores the weights


def dynamic_shapes():
    """``dynamic_shapes`` for a module that takes one image batch ``[B, 3, H, W]``: any batch, and H and W from
    ``MIN_INPUT_SIZE`` to ``MAX_INPUT_SIZE``."""
    side = dict(min=MIN_INPUT_SIZE, max=MAX_INPUT_SIZE)
    return ({0: Dim("batch", min=1), 2: Dim("height", **side), 3: Dim("width", **side)},)


def any_size():
    """A context in which ``torch.export`` (and ``torch.onnx.export``) traces a module over all of
    ``dynamic_shapes()`` instead of refusing the sizes that make a map one pixel wide."""
    return fx_config.patch(backed_size_oblivious=True)


def _contiguous(module):
    """A copy of ``module`` with contiguous weights: for channels_last ones (``optimize()``'s), PyTorch picks a
    convolution's backend by the batch and the map's size, which would pin both in the graph."""
    return copy.deepcopy(module).to(memory_format=torch.contiguous_format)


def export_program(module, x, dynamic=True):
    """``torch.export.export(module, (x,))`` of a ``PPMobileSeg`` model (or any module taking one image batch), for
    every batch and input size (``dynamic_shapes()``) or, ``dynamic=False``, for ``x``'s shape only. The program's
    weights are contiguous (a copy's, when the model's are channels_last)."""
    with torch.no_grad(), any_size():
        return torch.export.export(_contiguous(module), (x,), dynamic_shapes=dynamic_shapes() if dynamic else None)


def export_onnx(module, x, path, dynamic=True):
    """Write ``module`` (a ``PPMobileSeg`` model, plain or optimised, or any module taking one image batch) to the
    ONNX file ``path``, weights inside, for every batch and input size or, ``dynamic=False``, for ``x``'s shape.
    The ppms ops become plain PyTorch in the export (see ``ppms_kernels.ops``): labels are the full upsample +
    argmax (``vim_mode="exact"``; equal to the model's but for float near-ties) or PaddleSeg's VIM (``"paper"``).
    Returns ``path``."""
    require("onnx", "bench")  # torch.onnx's exporter imports these two
    require("onnxscript", "bench")
    with torch.inference_mode(False), torch.no_grad(), any_size():
        torch.onnx.export(_contiguous(module), (x,), path, dynamo=True, external_data=False, verbose=False,
                          dynamic_shapes=dynamic_shapes() if dynamic else None)
    return path


def export_ppms(model, path, precision="fp32"):
    """Write ``model`` (a ``PPMobileSeg``, plain or after ``optimize()`` on the CPU) to the ``.ppms`` model file
    ``path``: its BatchNorm folded and every weight packed as the native engine runs them (``model.engine`` where
    ``optimize()`` packed them), with its variant, class count and input normalisation (``INPUT_MEAN``,
    ``INPUT_STD``). ``precision`` "fp16" ("bf16") stores every packed weight rounded to half (bfloat16), to nearest
    even: half the file, which runs in that precision by default; a weight beyond the type's range (half: |v| > 65504)
    raises ``ValueError`` naming its tensor. The file is written
    whole or not at all. Returns ``path``."""
    if precision not in PRECISIONS:
        raise ValueError(f"export_ppms: precision must be one of {PRECISIONS}, got {precision!r}")
    if any(p.device.type != "cpu" for p in model.parameters()):
        raise ValueError("export_ppms: the model must be on the CPU (model.cpu()), as the engine that packs it is")
    if model.engine is not None:
        packed = model.engine
    elif model.is_fused():
        raise ValueError("export_ppms: this model was fused (fuse() or optimize(engine=False)), which leaves no "
                         "BatchNorm to fold; export the model before, or after optimize() on the CPU")
    else:
        packed, _ = network_pack(*pack_network(model))
    data = model_file(packed, model.variant, model.num_classes, INPUT_MEAN, INPUT_STD, precision).numpy()
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(data.tobytes())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def read_ppms(path):
    """``{"variant", "classes", "mean", "std", "precision", "bytes"}`` of the ``.ppms`` file ``path``, checked whole as the C++
    loader checks it (``ValueError`` says what is wrong with a damaged or foreign file)."""
    with open(path, "rb") as f:
        data = f.read()
    if not data:
        raise ValueError(f"{path} is empty, not a .ppms model file")
    return {**model_file_info(torch.frombuffer(bytearray(data), dtype=torch.uint8)), "bytes": len(data)}
