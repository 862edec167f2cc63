"""The model through ``torch.export`` and ONNX for every input size it takes, in one graph.

Without help, ``torch.export`` specialises the graph on whether the 1/16, 1/32 and 1/64 maps are one pixel wide
(PyTorch's contiguity checks ask), which some sizes make them: a dynamic height or width then has to start at 33 or
65, depending on the example. Size-oblivious reasoning (``any_size()``) traces one graph that holds for every size
from ``MIN_INPUT_SIZE`` (16) to ``MAX_INPUT_SIZE``, one-pixel maps included (tests/models/test_exits.py).
"""
import copy

import torch
from torch.export import Dim
from torch.fx.experimental import _config as fx_config

from .._extras import require
from ..ops import UPSAMPLE_ARGMAX_MAX_SIDE
from .pp_mobileseg import MIN_INPUT_SIZE

MAX_INPUT_SIZE = UPSAMPLE_ARGMAX_MAX_SIDE  # the label map's side, which upsample_argmax bounds


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
