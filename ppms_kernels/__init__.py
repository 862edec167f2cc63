"""ppms_kernels: fast, faithful PP-MobileSeg for PyTorch.

Layers, imported one way only: ``tools`` (the ``ppms`` command, benchmarks) -> ``models`` (the network, fusion,
weights) -> ``ops`` (the ``torch.ops.ppms`` ops, references, Triton kernels) -> the native library (``csrc/``).
Importing the package loads the native library, which registers ``torch.ops.ppms``; ``PPMS_OPS_LIBRARY=path``
loads a CMake-built one instead (a board or an emulator).
"""
from . import models, ops
from .models import WeightFileError, convert, load_model, load_weights, optimize, pp_mobileseg, read_pdparams
from .ops import build_info, reference, upsample_argmax, valid_interpolate

__version__ = ops.VERSION
__all__ = ["upsample_argmax", "valid_interpolate", "optimize", "pp_mobileseg", "ops", "models", "reference",
           "convert", "load_model", "load_weights", "read_pdparams", "WeightFileError", "build_info"]
