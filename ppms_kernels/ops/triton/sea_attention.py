"""Triton implementation of ``ppms::sea_attention`` (the fused SEA attention block, BatchNorm folded).

The 1x1 convolutions are GEMMs (``torch.baddbmm``: cuBLAS on a GPU); Triton kernels do everything between
them: the depthwise convolutions (+ ReLU6), the squeeze-axial attention, the ReLU6 mix of v with the row and
column branches, and the hard-sigmoid gate fused with the bilinear upsample back to the input size.
"""
import torch

from ..reference import _squeezed_attention
from .common import linear_axis, tl, triton

BLOCK = 256
MAX_AXIS = 64   # the longest axis (H/2 or W/2) the fused axial-attention kernel takes


@triton.jit
def _dw3x3_kernel(x_ptr, w_ptr, b_ptr, out_ptr, C, H_in, W_in, H, W, STRIDE: tl.constexpr, RELU6: tl.constexpr,
                  BLOCK: tl.constexpr):
    # one program: a block of output pixels of one (image, channel) plane
    plane = tl.program_id(0).to(tl.int64)
    c = plane % C
    offs = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < H * W
    i = offs // W
    j = offs % W
    acc = tl.zeros((BLOCK,), tl.float32) + tl.load(b_ptr + c)
    for t in tl.static_range(9):
        y = i * STRIDE - 1 + t // 3
        xx = j * STRIDE - 1 + t % 3
        ok = mask & (y >= 0) & (y < H_in) & (xx >= 0) & (xx < W_in)
        v = tl.load(x_ptr + plane * H_in * W_in + y * W_in + xx, mask=ok, other=0.0)
        acc += v * tl.load(w_ptr + c * 9 + t)
    if RELU6:
        acc = tl.minimum(tl.maximum(acc, 0.0), 6.0)
    tl.store(out_ptr + plane * H * W + offs, acc, mask=mask)


@triton.jit
def _squeeze_attention_kernel(m_ptr, pos_ptr, out_ptr, n, L, Q, NK, DH, scale_pos, same_pos, scale,
                              KD: tl.constexpr, DV: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr,
                              BV: tl.constexpr):
    # one program: one (image, head) over one axis of length n. m: [B, Q, n] means (q, k, v rows stacked);
    # pos: [2, NK, L] (q and k embeddings of this axis); out: [B, DH, n], ReLU6 applied
    b = tl.program_id(0).to(tl.int64)
    h = tl.program_id(1)
    rn = tl.arange(0, BN)
    rk = tl.arange(0, BK)
    rv = tl.arange(0, BV)
    nm = rn < n
    km = rk < KD
    # linear resize of the positional embeddings to length n (half-pixel, as torch)
    i0, i1, l0, l1 = linear_axis(rn, L, scale_pos, same_pos)
    ch = h * KD + rk  # [BK]
    mk2 = km[:, None] & nm[None, :]
    base = m_ptr + b * Q * n
    q = tl.load(base + ch[:, None] * n + rn[None, :], mask=mk2, other=0.0)
    k = tl.load(base + (NK + ch[:, None]) * n + rn[None, :], mask=mk2, other=0.0)
    pq = (tl.load(pos_ptr + ch[:, None] * L + i0[None, :], mask=mk2, other=0.0) * l0[None, :]
          + tl.load(pos_ptr + ch[:, None] * L + i1[None, :], mask=mk2, other=0.0) * l1[None, :])
    pk = (tl.load(pos_ptr + (NK + ch[:, None]) * L + i0[None, :], mask=mk2, other=0.0) * l0[None, :]
          + tl.load(pos_ptr + (NK + ch[:, None]) * L + i1[None, :], mask=mk2, other=0.0) * l1[None, :])
    q = q + pq  # [BK, BN]
    k = k + pk
    s = tl.sum(q[:, :, None] * k[:, None, :], axis=0) * scale  # [BN (i), BN (j)]
    s = tl.where(nm[None, :], s, float("-inf"))
    s = s - tl.max(s, axis=1)[:, None]
    p = tl.exp(s)
    p = p / tl.sum(p, axis=1)[:, None]
    vm = (rv < DV)[:, None] & nm[None, :]
    v = tl.load(base + (2 * NK + h * DV + rv[:, None]) * n + rn[None, :], mask=vm, other=0.0)  # [BV, BN (j)]
    o = tl.sum(v[:, None, :] * p[None, :, :], axis=2)  # [BV, BN (i)]
    o = tl.minimum(tl.maximum(o, 0.0), 6.0)  # the ReLU6 that opens proj_encode_row / proj_encode_column
    tl.store(out_ptr + b * DH * n + (h * DV + rv[:, None]) * n + rn[None, :], o, mask=vm)


@triton.jit
def _mix_relu6_kernel(v_ptr, row_ptr, col_ptr, out_ptr, DH, H, W, v_stride, BLOCK: tl.constexpr):
    plane = tl.program_id(0).to(tl.int64)  # b * DH + c
    b = plane // DH
    c = plane % DH
    offs = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < H * W
    i = offs // W
    j = offs % W
    v = tl.load(v_ptr + b * v_stride + c * H * W + offs, mask=mask, other=0.0)
    r = tl.load(row_ptr + plane * H + i, mask=mask, other=0.0)
    cc = tl.load(col_ptr + plane * W + j, mask=mask, other=0.0)
    tl.store(out_ptr + plane * H * W + offs, tl.minimum(tl.maximum(v + (r + cc), 0.0), 6.0), mask=mask)


@triton.jit
def _gate(p_ptr, d_ptr, off, mask):
    p = tl.load(p_ptr + off, mask=mask, other=0.0)
    return tl.minimum(tl.maximum(p + 3.0, 0.0), 6.0) / 6.0 * tl.load(d_ptr + off, mask=mask, other=0.0)


@triton.jit
def _gate_upsample_kernel(p_ptr, d_ptr, out_ptr, H, W, H0, W0, scale_h, scale_w, same_h, same_w,
                          BLOCK: tl.constexpr):
    plane = tl.program_id(0).to(tl.int64)
    offs = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < H0 * W0
    Y = offs // W0
    X = offs % W0
    y0, y1, ly0, ly1 = linear_axis(Y, H, scale_h, same_h)
    x0, x1, lx0, lx1 = linear_axis(X, W, scale_w, same_w)
    base = plane * H * W
    g00 = _gate(p_ptr, d_ptr, base + y0 * W + x0, mask)
    g01 = _gate(p_ptr, d_ptr, base + y0 * W + x1, mask)
    g10 = _gate(p_ptr, d_ptr, base + y1 * W + x0, mask)
    g11 = _gate(p_ptr, d_ptr, base + y1 * W + x1, mask)
    out = (g00 * lx0 + g01 * lx1) * ly0 + (g10 * lx0 + g11 * lx1) * ly1
    tl.store(out_ptr + plane * H0 * W0 + offs, out, mask=mask)


def _conv1x1(w, b, x):
    # [O, C] @ [B, C, N] + b -> [B, O, N]: one strided-batched GEMM (the expanded weight has batch stride 0)
    return torch.baddbmm(b[None, :, None], w.expand(x.shape[0], -1, -1), x)


def _dw3x3(x, w, b, H_in, W_in, H, W, stride, relu6):
    B, C = x.shape[:2]
    out = torch.empty((B, C, H, W), device=x.device, dtype=torch.float32)
    _dw3x3_kernel[(B * C, triton.cdiv(H * W, BLOCK))](x, w, b, out, C, H_in, W_in, H, W, STRIDE=stride,
                                                    RELU6=relu6, BLOCK=BLOCK)
    return out


def _squeeze_attention(m, pos, heads, key_dim, dh):
    B, Q, n = m.shape
    nk, L = pos.shape[1], pos.shape[2]
    dv = dh // heads
    if n > MAX_AXIS:  # one program holds a [key_dim, n, n] product: past this, cuBLAS batched GEMMs do it
        q, k, v = m[:, :nk], m[:, nk:2 * nk], m[:, 2 * nk:]
        return _squeezed_attention(q, k, v, pos[0:1], pos[1:2], heads).clamp(0, 6)
    out = torch.empty((B, dh, n), device=m.device, dtype=torch.float32)
    _squeeze_attention_kernel[(B, heads)](m, pos, out, n, L, Q, nk, dh, L / n, L == n, key_dim ** -0.5,
                                          KD=key_dim, DV=dv, BN=triton.next_power_of_2(n),
                                          BK=triton.next_power_of_2(key_dim), BV=triton.next_power_of_2(dv))
    return out


def sea_attention(x, weights, num_heads, key_dim):
    """Same contract as :func:`ppms_kernels.ops.sea_attention`; any device Triton can run on."""
    torch.ops.ppms._sea_attention_check(x, weights, num_heads, key_dim)  # the kernels index by these shapes
    (sw, sb, qw, qb, dww, dwb, pw, pb, rw, rb, cw, cb, jw, jb, pos) = (w.contiguous() for w in weights)
    dim, dh = sw.shape[0], rw.shape[0]
    nk = num_heads * key_dim
    x = x.contiguous()
    B, _, H0, W0 = x.shape
    H, W = (H0 + 1) // 2, (W0 + 1) // 2
    xs = _dw3x3(x, sw, sb, H0, W0, H, W, 2, False)
    qkv = _conv1x1(qw, qb, xs.reshape(B, dim, H * W))  # [B, Q, HW]
    detail = _conv1x1(pw, pb, _dw3x3(qkv, dww, dwb, H, W, H, W, 1, True).reshape(B, -1, H * W))
    q4 = qkv.reshape(B, -1, H, W)
    row = _squeeze_attention(q4.mean(3), pos[:2].contiguous(), num_heads, key_dim, dh)  # [B, dh, H]
    col = _squeeze_attention(q4.mean(2), pos[2:].contiguous(), num_heads, key_dim, dh)  # [B, dh, W]
    row = _conv1x1(rw, rb, row)
    col = _conv1x1(cw, cb, col)
    t = torch.empty((B, dh, H * W), device=x.device, dtype=torch.float32)
    _mix_relu6_kernel[(B * dh, triton.cdiv(H * W, BLOCK))](qkv[:, 2 * nk:], row, col, t, dh, H, W, qkv.shape[1] * H * W,
                                                         BLOCK=BLOCK)
    p = _conv1x1(jw, jb, t)
    out = torch.empty_like(x)
    _gate_upsample_kernel[(B * dim, triton.cdiv(H0 * W0, BLOCK))](p, detail, out, H, W, H0, W0, H / H0, W / W0,
                                                                 H == H0, W == W0, BLOCK=BLOCK)
    return out
