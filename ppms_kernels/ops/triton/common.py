"""Triton helpers shared by the kernels."""
from ..._extras import require

# The kernels import triton from here: a missing one names the extra that brings it.
triton = require("triton", "gpu")
tl = require("triton.language", "gpu")


@triton.jit
def linear_axis(o, n_in, scale, same):
    """torch's linear-interpolation source indices and weights (align_corners=False, float32) of output
    indices ``o`` along an axis of ``n_in`` inputs; ``same``: input and output sizes are equal (identity)."""
    src = tl.maximum(tl.fma(scale, o.to(tl.float32) + 0.5, -0.5), 0.0)  # one rounding, as csrc/core/common/linear_axis.h
    i0 = tl.minimum(src.to(tl.int32), n_in - 1)
    l1 = tl.minimum(tl.maximum(src - i0.to(tl.float32), 0.0), 1.0)
    i1 = i0 + (i0 < n_in - 1).to(tl.int32)
    i0 = tl.where(same, o, i0)
    i1 = tl.where(same, o, i1)
    l1 = tl.where(same, 0.0, l1)
    return i0, i1, 1.0 - l1, l1
