"""Triton kernel of ``ppms::valid_interpolate``: one program labels a block of output pixels of one image,
interpolating only the allowed classes and keeping the running argmax in registers."""
import torch
import triton
import triton.language as tl

from ..ops import VIM_MODES
from .common import linear_axis

BLOCK = 256


@triton.jit
def _vim_kernel(x_ptr, cls_ptr, n_cls, out_ptr, C, h, w, H, W, scale_h, scale_w, same_h, same_w,
                BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    b = tl.program_id(1).to(tl.int64)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < H * W
    Y = offs // W
    X = offs % W
    y0, y1, ly0, ly1 = linear_axis(Y, h, scale_h, same_h)
    x0, x1, lx0, lx1 = linear_axis(X, w, scale_w, same_w)
    o00 = y0 * w + x0
    o01 = y0 * w + x1
    o10 = y1 * w + x0
    o11 = y1 * w + x1
    base = x_ptr + b * C * h * w
    best = tl.full((BLOCK,), float("-inf"), tl.float32)
    best_c = tl.zeros((BLOCK,), tl.int32) + tl.load(cls_ptr)
    for k in range(0, n_cls):
        c = tl.load(cls_ptr + k)
        p = base + c.to(tl.int64) * h * w
        a = tl.load(p + o00, mask=mask, other=0.0).to(tl.float32)
        bb = tl.load(p + o01, mask=mask, other=0.0).to(tl.float32)
        cc = tl.load(p + o10, mask=mask, other=0.0).to(tl.float32)
        d = tl.load(p + o11, mask=mask, other=0.0).to(tl.float32)
        v = (a * lx0 + bb * lx1) * ly0 + (cc * lx0 + d * lx1) * ly1
        take = (v > best) | ((v != v) & (best == best))
        best = tl.where(take, v, best)
        best_c = tl.where(take, c, best_c)
    tl.store(out_ptr + b * H * W + offs, best_c.to(out_ptr.dtype.element_ty), mask=mask)


def valid_interpolate(logits, size, mode="exact", out_dtype=None):
    """Same contract as :func:`ppms_kernels.valid_interpolate`; any device Triton can run on."""
    if logits.dim() != 4 or logits.numel() == 0:
        raise ValueError(f"valid_interpolate: logits must be a non-empty 4-D [B, C, h, w], got {tuple(logits.shape)}")
    if logits.dtype not in (torch.float32, torch.float16, torch.bfloat16):
        raise TypeError(f"valid_interpolate: logits must be float32/float16/bfloat16, got {logits.dtype}")
    if mode not in VIM_MODES:
        raise ValueError(f"valid_interpolate: mode must be 'exact' or 'paper', got {mode!r}")
    H, W = (int(s) for s in size)
    if H < 1 or W < 1 or H > 1 << 15 or W > 1 << 15:
        raise ValueError(f"valid_interpolate: size must be within [1, 32768], got {(H, W)}")
    out_dtype = out_dtype or torch.int64
    if out_dtype not in (torch.int64, torch.int32, torch.uint8):
        raise TypeError(f"valid_interpolate: out_dtype must be int64, int32 or uint8, got {out_dtype}")
    B, C, h, w = logits.shape
    if out_dtype == torch.uint8 and C > 256:
        raise ValueError(f"valid_interpolate: out_dtype uint8 holds at most 256 classes, logits have {C}")
    x = logits.contiguous()
    if mode == "paper":
        classes = torch.unique(x.argmax(1)).to(torch.int32)
    else:
        classes = torch.arange(C, dtype=torch.int32, device=x.device)
    out = torch.empty((B, H, W), dtype=out_dtype, device=x.device)
    grid = (triton.cdiv(H * W, BLOCK), B)
    _vim_kernel[grid](x, classes, classes.numel(), out, C, h, w, H, W, h / H, w / W, h == H, w == W, BLOCK=BLOCK)
    return out
