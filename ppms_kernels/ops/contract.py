"""The facts of the ops' contracts, read from the native core (``ppms::_constants``) so that they are written once,
in ``csrc/include/ppms/``: the packed SEA weight names, size limits and the candidate margins of upsample_argmax."""
import torch

from . import _library  # noqa: F401  (registers torch.ops.ppms)

_c = torch.ops.ppms._constants()
VERSION: str = _c[0]
SEA_WEIGHTS: tuple = tuple(_c[1])      # the 15 packed weights of sea_attention, in order
SEA_MAX_SIDE: int = _c[2]              # largest H or W of sea_attention's input
UPSAMPLE_ARGMAX_MAX_SIDE: int = _c[3]  # largest output H or W of upsample_argmax
CANDIDATE_TOL: float = _c[4]           # a class is a candidate in a cell within TOL * max|corner| + FLOOR of the best
CANDIDATE_FLOOR: float = _c[5]
VIM_MODES = ("exact", "paper")


def kernels(op):
    """The CPU kernels of ``op`` this machine runs, the scalar reference first and the fastest last. ``op``: conv1x1,
    depthwise, gemm, image_conv, sea_attention, aam_head, upsample_argmax; or "configs" ("fp16 configs", "bf16
    configs"): the fp32 (fp16, bf16) kernel configs, each of which picks every op's kernels for one instruction set
    when a network is bound ("scalar": every reference)."""
    return list(torch.ops.ppms._kernels(op))


def build_info():
    """How the native library was built (compiler, target, kernels), and which file was loaded."""
    return f"{torch.ops.ppms._build_info()}; loaded from {_library.PATH}"
