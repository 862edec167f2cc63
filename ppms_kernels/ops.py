"""Python face of the ``torch.ops.ppms`` ops: wrappers, fake (meta) kernels, and the Triton CUDA kernels.

Schemas live in ``csrc/ppms.cpp``; CPU kernels in ``csrc/ops/<op>/``; Triton kernels in ``ppms_kernels/triton/``.
"""
import torch

VIM_MODES = ("exact", "paper")


def valid_interpolate(logits, size, mode="exact", out_dtype=None):
    """Bilinear upsample (``align_corners=False``) of ``logits [B, C, h, w]`` to ``size = (H, W)`` followed by
    argmax over classes, without materialising the upsampled logits. Returns labels ``[B, H, W]``.

    ``mode="exact"``: the labels of ``F.interpolate(logits, size, mode="bilinear").argmax(1)`` (up to float
    near-ties); ``mode="paper"``: PaddleSeg's VIM, only classes that win a low-res pixel somewhere in the batch.
    ``out_dtype``: ``torch.int64`` (default), ``torch.int32`` or ``torch.uint8`` (at most 256 classes).
    float16/bfloat16 logits are interpolated in float32.
    """
    if not torch.is_tensor(logits):
        raise TypeError(f"valid_interpolate: logits must be a tensor, got {type(logits).__name__}")
    return torch.ops.ppms.valid_interpolate.default(logits, [int(s) if not isinstance(s, torch.SymInt) else s
                                                             for s in size], mode, out_dtype)


@torch.library.register_fake("ppms::valid_interpolate")
def _valid_interpolate_fake(logits, size, mode="exact", out_dtype=None):
    torch._check(logits.dim() == 4, lambda: f"valid_interpolate: logits must be 4-D, got {logits.dim()}-D")
    torch._check(logits.dtype in (torch.float32, torch.float16, torch.bfloat16),
                 lambda: f"valid_interpolate: logits must be float32/float16/bfloat16, got {logits.dtype}")
    torch._check(mode in VIM_MODES, lambda: f"valid_interpolate: mode must be 'exact' or 'paper', got {mode!r}")
    return logits.new_empty((logits.shape[0], size[0], size[1]), dtype=out_dtype or torch.int64)


@torch.library.register_kernel("ppms::valid_interpolate", "cuda")
def _valid_interpolate_cuda(logits, size, mode="exact", out_dtype=None):
    from .triton.valid_interpolate import valid_interpolate as triton_valid_interpolate

    return triton_valid_interpolate(logits, size, mode, out_dtype)
