"""ppms_kernels: fast, faithful PP-MobileSeg for PyTorch.

Importing the package loads the native extension, which registers the ``torch.ops.ppms`` namespace.
"""
import torch  # noqa: F401  (loads libtorch before the extension)

from . import _C  # noqa: F401  (registers torch.ops.ppms)
from . import ops, reference
from .ops import valid_interpolate
from .weights import WeightFileError, convert, load_model, load_weights, read_pdparams

__version__ = "0.1.0"
__all__ = ["valid_interpolate", "ops", "reference", "convert", "load_model", "load_weights", "read_pdparams", "WeightFileError", "build_info"]


def build_info():
    """How the native extension was built (compiler, OpenMP, target)."""
    return _C.build_info()
