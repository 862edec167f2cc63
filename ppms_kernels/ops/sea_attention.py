"""``ppms::sea_attention`` (the fused inference block) and ``ppms::axial_attention`` (its trainable core): wrappers,
fake kernels, CUDA kernels (Triton, and the reference for axial_attention) and autograd."""
import torch

from . import _library  # noqa: F401  (registers torch.ops.ppms)
from . import reference
from .reference import axial_attention as _axial_reference

_sea_attention_op = torch.ops.ppms.sea_attention.default


def sea_attention(x, weights, num_heads, key_dim):
    """Inference forward of one strided SEA attention block, fused: ``x [B, dim, H, W] -> [B, dim, H, W]``.
    ``weights``: the packed, BatchNorm-folded tensors of :func:`ppms_kernels.models.fuse.pack` (named by
    ``ppms_kernels.ops.SEA_WEIGHTS``). In a ``torch.onnx.export``, which has no such op, it is plain PyTorch."""
    if torch.onnx.is_in_onnx_export():
        return reference.sea_attention(x, weights, num_heads, key_dim)
    return _sea_attention_op(x, weights, num_heads, key_dim)


@torch.library.register_fake("ppms::sea_attention")
def _sea_attention_fake(x, weights, num_heads, key_dim):
    if all(isinstance(s, int) for t in (x, *weights) for s in t.shape):  # symbolic shapes are checked when it runs
        torch.ops.ppms._sea_attention_check(x, weights, num_heads, key_dim)
    return torch.empty_like(x, memory_format=torch.contiguous_format)


@torch.library.register_kernel("ppms::sea_attention", "cuda")
def _sea_attention_cuda(x, weights, num_heads, key_dim):
    from .triton.sea_attention import sea_attention as triton_sea_attention  # triton: only where CUDA runs

    return triton_sea_attention(x, weights, num_heads, key_dim)


def _sea_attention_backward(ctx, grad):
    # Without a registered backward, autograd would hand back no gradient with only a warning.
    raise RuntimeError("ppms::sea_attention is inference-only (its BatchNorm is folded into packed weights) and has "
                       "no backward: train the unfused model (SeaAttention, whose attention core is the "
                       "differentiable ppms_kernels.ops.axial_attention) and fuse() or optimize() it afterwards")


torch.library.register_autograd("ppms::sea_attention", _sea_attention_backward)


def axial_attention(q, k, v, pos_rowq, pos_rowk, pos_colq, pos_colk, num_heads):
    """Squeeze-axial attention of SEA attention, differentiable (same contract as
    :func:`ppms_kernels.ops.reference.axial_attention`): returns row ``[B, dv*heads, H, 1]`` and column
    ``[B, dv*heads, 1, W]`` branches. In a ``torch.onnx.export``, which has no such op, it is plain PyTorch."""
    if torch.onnx.is_in_onnx_export():
        return _axial_reference(q, k, v, pos_rowq, pos_rowk, pos_colq, pos_colk, num_heads)
    return torch.ops.ppms.axial_attention.default(q, k, v, pos_rowq, pos_rowk, pos_colq, pos_colk, num_heads)


@torch.library.register_fake("ppms::axial_attention")
def _axial_attention_fake(q, k, v, pos_rowq, pos_rowk, pos_colq, pos_colk, num_heads):
    for t in (k, v, pos_rowq, pos_rowk, pos_colq, pos_colk):
        torch._check(t.device == q.device, lambda: f"axial_attention: all inputs must be on {q.device}, got {t.device}")
    B, _, H, W = q.shape
    return v.new_empty((B, v.shape[1], H, 1)), v.new_empty((B, v.shape[1], 1, W))


@torch.library.register_kernel("ppms::axial_attention", "cuda")
def _axial_attention_cuda(q, k, v, pos_rowq, pos_rowk, pos_colq, pos_colk, num_heads):
    return tuple(t.contiguous() for t in _axial_reference(q, k, v, pos_rowq, pos_rowk, pos_colq, pos_colk, num_heads))


def _axial_setup_context(ctx, inputs, output):
    ctx.save_for_backward(*inputs[:7])
    ctx.num_heads = inputs[7]


def _axial_backward(ctx, grad_row, grad_col):
    # The backward of the reference, recomputed: the attention maps are tiny (H x H and W x W per head), so
    # recomputing them costs less than storing them.
    inputs = ctx.saved_tensors
    with torch.enable_grad():
        leaves = [t.detach().requires_grad_(need) for t, need in zip(inputs, ctx.needs_input_grad[:7])]
        row, col = _axial_reference(*leaves, ctx.num_heads)
        wanted = [t for t in leaves if t.requires_grad]
        grads = iter(torch.autograd.grad((row, col), wanted, (grad_row, grad_col), allow_unused=True))
    return (*(next(grads) if need else None for need in ctx.needs_input_grad[:7]), None)


torch.library.register_autograd("ppms::axial_attention", _axial_backward, setup_context=_axial_setup_context)
