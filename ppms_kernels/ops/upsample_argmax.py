"""``ppms::upsample_argmax`` (first named ``valid_interpolate``): wrapper, fake kernel and CUDA kernel (Triton)."""
import operator

import torch

from . import _library  # noqa: F401  (registers torch.ops.ppms)
from . import reference


def upsample_argmax(logits, size, mode="exact", out_dtype=None):
    """Bilinear upsample (``align_corners=False``) of ``logits [B, C, h, w]`` to ``size = (H, W)`` followed by
    argmax over classes, without materialising the upsampled logits. Returns labels ``[B, H, W]``.

    ``mode="exact"``: the labels of ``F.interpolate(logits, size, mode="bilinear").argmax(1)`` (up to float
    near-ties); ``mode="paper"``: PaddleSeg's VIM, only classes that win a low-res pixel somewhere in the batch.
    ``out_dtype``: ``torch.int64`` (default), ``torch.int32`` or ``torch.uint8`` (at most 256 classes).
    float16/bfloat16 logits are interpolated in float32.

    In a ``torch.jit.trace`` or a ``torch.onnx.export`` the labels come from plain PyTorch (the full upsample +
    argmax, or PaddleSeg's VIM): ONNX has no such op, and a trace would record the op's size as constants, freezing
    the traced model to the example's size.
    """
    if not torch.is_tensor(logits):
        raise TypeError(f"upsample_argmax: logits must be a tensor, got {type(logits).__name__}")
    checked = _size(size)
    if torch.jit.is_tracing() or torch.onnx.is_in_onnx_export():
        torch.ops.ppms._upsample_argmax_check(logits, checked, mode, out_dtype)
        labels = (reference.upsample_argmax if mode == "exact" else reference.vim)(logits, size)
        return labels.to(out_dtype or torch.int64)
    return torch.ops.ppms.upsample_argmax.default(logits, checked, mode, out_dtype)


def valid_interpolate(logits, size, mode="exact", out_dtype=None):
    """The first name of :func:`upsample_argmax` (PaddleSeg calls its approximation the Valid Interpolate Module);
    kept so that code written against it keeps working. Same arguments, same result."""
    return upsample_argmax(logits, size, mode, out_dtype)


def _size(size):
    """``size`` as two ints (SymInts pass through); floats, bools and other lengths are refused, not truncated."""
    try:
        if len(size) == 2 and not any(isinstance(s, (bool, float)) for s in size):
            return [s if isinstance(s, torch.SymInt) else operator.index(s) for s in size]
    except TypeError:
        pass
    raise TypeError(f"upsample_argmax: size must be (H, W), two ints, got {size!r}")


@torch.library.register_fake("ppms::upsample_argmax")
def _fake(logits, size, mode="exact", out_dtype=None):
    torch.ops.ppms._upsample_argmax_check(logits, size, mode, out_dtype)
    return logits.new_empty((logits.shape[0], size[0], size[1]), dtype=out_dtype or torch.int64)


@torch.library.register_kernel("ppms::upsample_argmax", "cuda")
def _cuda(logits, size, mode="exact", out_dtype=None):
    from .triton.upsample_argmax import upsample_argmax as triton_upsample_argmax  # triton: only where CUDA runs

    return triton_upsample_argmax(logits, size, mode, out_dtype)

