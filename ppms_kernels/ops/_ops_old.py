"""Python face of the ``torch.ops.ppms`` ops: wrappers, fake (meta) kernels, and the Triton CUDA kernels.

Schemas live in ``csrc/ppms.cpp``; CPU kernels in ``csrc/ops/<op>/``; Triton kernels in ``ppms_kernels/triton/``.
"""
import operator

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
    return torch.ops.ppms.valid_interpolate.default(logits, _size(size), mode, out_dtype)


def _size(size):
    """``size`` as two ints (SymInts pass through); floats, bools and other lengths are refused, not truncated."""
    try:
        if len(size) == 2 and not any(isinstance(s, (bool, float)) for s in size):
            return [s if isinstance(s, torch.SymInt) else operator.index(s) for s in size]
    except TypeError:
        pass
    raise TypeError(f"valid_interpolate: size must be (H, W), two ints, got {size!r}")


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


SEA_WEIGHTS = ("stride_w", "stride_b", "qkv_w", "qkv_b", "dw_w", "dw_b", "pw_w", "pw_b",
               "row_w", "row_b", "col_w", "col_b", "proj_w", "proj_b", "pos")


_sea_attention_op = torch.ops.ppms.sea_attention.default


def sea_attention(x, weights, num_heads, key_dim):
    """Inference forward of one strided SEA attention block, fused: ``x [B, dim, H, W] -> [B, dim, H, W]``.
    ``weights``: the packed, BatchNorm-folded tensors of :func:`ppms_kernels.sea.pack` (named by ``SEA_WEIGHTS``)."""
    return _sea_attention_op(x, weights, num_heads, key_dim)


@torch.library.register_fake("ppms::sea_attention")
def _sea_attention_fake(x, weights, num_heads, key_dim):
    torch._check(x.dim() == 4, lambda: f"sea_attention: x must be 4-D, got {x.dim()}-D")
    torch._check(len(weights) == len(SEA_WEIGHTS), lambda: f"sea_attention: expected {len(SEA_WEIGHTS)} weights")
    torch._check(x.shape[1] == weights[0].shape[0],
                 lambda: f"sea_attention: x has {x.shape[1]} channels, weights expect {weights[0].shape[0]}")
    for name, w in zip(SEA_WEIGHTS, weights):
        torch._check(w.device == x.device, lambda: f"sea_attention: weight {name} is on {w.device}, x on {x.device}")
    return torch.empty_like(x, memory_format=torch.contiguous_format)


@torch.library.register_kernel("ppms::sea_attention", "cuda")
def _sea_attention_cuda(x, weights, num_heads, key_dim):
    from .triton.sea_attention import sea_attention as triton_sea_attention

    return triton_sea_attention(x, weights, num_heads, key_dim)


def axial_attention(q, k, v, pos_rowq, pos_rowk, pos_colq, pos_colk, num_heads):
    """Squeeze-axial attention of SEA attention, differentiable (same contract as
    :func:`ppms_kernels.reference.axial_attention`): returns row ``[B, dv*heads, H, 1]`` and column
    ``[B, dv*heads, 1, W]`` branches."""
    return torch.ops.ppms.axial_attention.default(q, k, v, pos_rowq, pos_rowk, pos_colq, pos_colk, num_heads)


@torch.library.register_fake("ppms::axial_attention")
def _axial_attention_fake(q, k, v, pos_rowq, pos_rowk, pos_colq, pos_colk, num_heads):
    for t in (k, v, pos_rowq, pos_rowk, pos_colq, pos_colk):
        torch._check(t.device == q.device, lambda: f"axial_attention: all inputs must be on {q.device}, got {t.device}")
    B, _, H, W = q.shape
    return v.new_empty((B, v.shape[1], H, 1)), v.new_empty((B, v.shape[1], 1, W))


@torch.library.register_kernel("ppms::axial_attention", "cuda")
def _axial_attention_cuda(q, k, v, pos_rowq, pos_rowk, pos_colq, pos_colk, num_heads):
    from .reference import axial_attention as ref

    return tuple(t.contiguous() for t in ref(q, k, v, pos_rowq, pos_rowk, pos_colq, pos_colk, num_heads))


def _axial_setup_context(ctx, inputs, output):
    ctx.save_for_backward(*inputs[:7])
    ctx.num_heads = inputs[7]


def _axial_backward(ctx, grad_row, grad_col):
    # The backward of the reference, recomputed: the attention maps are tiny (H x H and W x W per head), so
    # recomputing them costs less than storing them.
    from .reference import axial_attention as ref

    inputs = ctx.saved_tensors
    with torch.enable_grad():
        leaves = [t.detach().requires_grad_(need) for t, need in zip(inputs, ctx.needs_input_grad[:7])]
        row, col = ref(*leaves, ctx.num_heads)
        wanted = [t for t in leaves if t.requires_grad]
        grads = iter(torch.autograd.grad((row, col), wanted, (grad_row, grad_col), allow_unused=True))
    return (*(next(grads) if need else None for need in ctx.needs_input_grad[:7]), None)


torch.library.register_autograd("ppms::axial_attention", _axial_backward, setup_context=_axial_setup_context)
