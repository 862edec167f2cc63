"""Plain-PyTorch references for the ops that ppms_kernels accelerates.

Every fast path is tested against these. They follow PaddleSeg release/2.8 operation by operation
(see ``../shared/pp_mobileseg_spec.md``); the whole SEA attention block reference is
``ppms_kernels.models.SeaAttention`` in eval mode, built on :func:`axial_attention` below.
"""
import torch
import torch.nn.functional as F


def interp1d(pos_embed, n):
    """Resize a ``[1, C, L]`` positional embedding to length ``n`` (linear, half-pixel, as Paddle)."""
    return F.interpolate(pos_embed, size=n, mode="linear", align_corners=False)


def _squeezed_attention(q, k, v, pos_q, pos_k, num_heads):
    # q, k: [B, nh*kd, N]; v: [B, nh*dv, N] -> [B, nh*dv, N]. Every size spelt out, 3-D bmm (not -1 and a 4-D @) and
    # no reshape of a transpose: torch.export then traces one graph for every B and N, 1 included.
    B, C, N = q.shape
    kd, dv = C // num_heads, v.shape[1] // num_heads
    q = (q + interp1d(pos_q, N)).reshape(B * num_heads, kd, N).transpose(1, 2)
    k = (k + interp1d(pos_k, N)).reshape(B * num_heads, kd, N)
    attn = torch.softmax(torch.bmm(q, k) * kd ** -0.5, dim=-1)  # [B*nh, N (query), N (key)]
    return torch.bmm(v.reshape(B * num_heads, dv, N), attn.transpose(1, 2)).reshape(B, num_heads * dv, N)


def axial_attention(q, k, v, pos_rowq, pos_rowk, pos_colq, pos_colk, num_heads):
    """Squeeze-axial attention of SEA attention.

    q, k: ``[B, num_heads*key_dim, H, W]``; v: ``[B, num_heads*dv, H, W]``; pos_*: ``[1, num_heads*key_dim, L]``.
    Returns the row branch ``[B, num_heads*dv, H, 1]`` and the column branch ``[B, num_heads*dv, 1, W]``
    (before ``proj_encode_row`` / ``proj_encode_column``).
    """
    row = _squeezed_attention(q.mean(-1), k.mean(-1), v.mean(-1), pos_rowq, pos_rowk, num_heads)
    col = _squeezed_attention(q.mean(-2), k.mean(-2), v.mean(-2), pos_colq, pos_colk, num_heads)
    return row.unsqueeze(-1), col.unsqueeze(-2)


def sea_attention(x, weights, num_heads, key_dim):
    """The fused SEA attention block on its packed, BatchNorm-folded weights (``SEA_WEIGHTS`` order): what
    ``ppms::sea_attention`` computes, step by step as ``ppms_kernels.models.SeaAttention`` in eval mode."""
    sw, sb, qw, qb, dww, dwb, pw, pb, rw, rb, cw, cb, jw, jb, pos = weights
    nk, dh = num_heads * key_dim, rw.shape[0]

    def conv1x1(t, w, b):
        return F.conv2d(t, w[:, :, None, None], b)

    x_s = F.conv2d(x, sw.view(-1, 1, 3, 3), sb, 2, 1, groups=sw.shape[0])
    qkv = conv1x1(x_s, qw, qb)
    detail = conv1x1(F.relu6(F.conv2d(qkv, dww.view(-1, 1, 3, 3), dwb, 1, 1, groups=dww.shape[0])), pw, pb)
    q, k, v = qkv.split([nk, nk, dh], 1)
    row, col = axial_attention(q, k, v, *pos.split(1), num_heads)
    mix = v + (conv1x1(F.relu6(row), rw, rb) + conv1x1(F.relu6(col), cw, cb))
    out = F.hardsigmoid(conv1x1(F.relu6(mix), jw, jb)) * detail
    return F.interpolate(out, size=x.shape[-2:], mode="bilinear", align_corners=False)


def upsample_argmax(logits, size):
    """Full bilinear upsample of every class, then argmax: the exact label map. int64 ``[B, H, W]``."""
    up = F.interpolate(logits, size=tuple(size), mode="bilinear", align_corners=False)
    return up.argmax(1)


def vim(logits, size):
    """PaddleSeg's Valid Interpolate Module: upsample only the classes that win a low-res pixel.

    The label set is the union of the low-res argmax over the whole batch (Paddle semantics), so a class
    that wins no low-res pixel anywhere in the batch is never predicted. Returns int64 labels ``[B, H, W]``.
    """
    labelset = torch.unique(logits.argmax(1))
    up = F.interpolate(logits.index_select(1, labelset), size=tuple(size), mode="bilinear", align_corners=False)
    return labelset[up.argmax(1)]


def normalise(images, mean, std):
    """PaddleSeg's predict input of uint8 ``[B, H, W, 3]`` RGB images: ``(images / 255 - mean) / std`` per channel,
    float32 ``[B, 3, H, W]``."""
    x, on = images.permute(0, 3, 1, 2).to(torch.float32), images.device
    # 255 as a tensor on the images' device: CUDA divides by a CPU scalar as a product with its reciprocal
    return (x / torch.tensor(255.0, device=on) - torch.tensor(mean, device=on)[:, None, None]) / \
        torch.tensor(std, device=on)[:, None, None]
