"""ppms_kernels: fast, faithful PP-MobileSeg for PyTorch.

Importing the package loads the native extension, which registers the ``torch.ops.ppms`` namespace. With
``PPMS_OPS_LIBRARY=/path/libppms_kernels.so`` it loads that CMake-built op library instead (a board or an
emulator without the Python extension): the ops and everything built on them work, the ``_C`` test hooks do not.
"""
import os

import torch

OPS_LIBRARY = os.environ.get("PPMS_OPS_LIBRARY")
if OPS_LIBRARY:
    if not os.path.isfile(OPS_LIBRARY):
        raise ImportError(f"PPMS_OPS_LIBRARY={OPS_LIBRARY!r} is not a file")
    torch.ops.load_library(OPS_LIBRARY)
    _C = None
else:
    from . import _C  # registers torch.ops.ppms
from . import ops, reference
from .ops import valid_interpolate
from .optimize import optimize
from .weights import WeightFileError, convert, load_model, load_weights, read_pdparams

__version__ = "0.1.0"
__all__ = ["valid_interpolate", "optimize", "ops", "reference", "convert", "load_model", "load_weights", "read_pdparams", "WeightFileError", "build_info"]


def build_info():
    """How the native extension was built (compiler, OpenMP, target), or which op library was loaded."""
    return _C.build_info() if _C is not None else f"op library {OPS_LIBRARY}"
