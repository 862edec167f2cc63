"""Triton kernels of ``ppms::upsample_argmax``. A first pass bounds each low-res cell: only classes whose largest
corner reaches the largest smallest corner can win anywhere inside it (usually one to three of 150). The second
labels the output pixels, interpolating only their cell's candidates, with the running argmax in registers."""
import torch

from ..contract import CANDIDATE_FLOOR, CANDIDATE_TOL
from .common import linear_axis, tl, triton

BLOCK = 256        # output pixels per program
CELLS, CLS = 32, 32  # low-res cells x classes per tile of the candidate pass

# A class can win somewhere in a cell only if its largest corner reaches L, the largest smallest corner of any class
# (interpolation weights are convex). TOL * (largest finite |corner|) + FLOOR absorbs the rounding of the weights and
# of the interpolation: the core's margins, so that both give the same labels.
TOL, FLOOR = CANDIDATE_TOL, CANDIDATE_FLOOR


@triton.jit
def _corners(p, o00, o01, o10, o11, m):
    a = tl.load(p + o00, mask=m, other=0.0).to(tl.float32)
    b = tl.load(p + o01, mask=m, other=0.0).to(tl.float32)
    c = tl.load(p + o10, mask=m, other=0.0).to(tl.float32)
    d = tl.load(p + o11, mask=m, other=0.0).to(tl.float32)
    nan = (a != a) | (b != b) | (c != c) | (d != d)
    return tl.minimum(tl.minimum(a, b), tl.minimum(c, d)), tl.maximum(tl.maximum(a, b), tl.maximum(c, d)), nan


@triton.jit
def _candidates_kernel(x_ptr, cls_ptr, K, cand_ptr, cnt_ptr, C, h, w, TOL: tl.constexpr, FLOOR: tl.constexpr,
                       CELLS: tl.constexpr, CLS: tl.constexpr):
    # one program: CELLS low-res cells of one image, all K allowed classes in tiles of CLS. Cell (r, j) has the
    # corners (r, j), (r, j1), (r1, j), (r1, j1) with r1 = min(r + 1, h - 1): every output pixel whose source
    # rows and columns start at (r, j) interpolates between those. Writes the candidate classes of each cell,
    # ascending, to cand[b, cell, :count] and the count to cnt[b, cell].
    b = tl.program_id(1).to(tl.int64)
    cell = tl.program_id(0) * CELLS + tl.arange(0, CELLS)
    cm = cell < h * w
    r = cell // w
    j = cell % w
    r1 = r + (r < h - 1).to(tl.int32)
    j1 = j + (j < w - 1).to(tl.int32)
    o00 = (r * w + j)[:, None]
    o01 = (r * w + j1)[:, None]
    o10 = (r1 * w + j)[:, None]
    o11 = (r1 * w + j1)[:, None]
    base = x_ptr + b * C * h * w
    plane = h * w
    rk = tl.arange(0, CLS)
    L = tl.full((CELLS,), float("-inf"), tl.float32)
    M = tl.zeros((CELLS,), tl.float32)
    for k0 in range(0, K, CLS):
        km = (k0 + rk) < K
        c = tl.load(cls_ptr + k0 + rk, mask=km, other=0).to(tl.int64)
        m = cm[:, None] & km[None, :]
        mn, mx, nan = _corners(base + (c * plane)[None, :], o00, o01, o10, o11, m)
        ok = m & ~nan  # NaN corners make a class a candidate and leave the bound alone
        L = tl.maximum(L, tl.max(tl.where(ok, mn, float("-inf")), axis=1))
        M = tl.maximum(M, tl.max(tl.where(ok, tl.maximum(tl.abs(mn), tl.abs(mx)), 0.0), axis=1))
    thr = L - (TOL * M + FLOOR)
    keep_all = ~(thr > float("-inf"))  # infinities, or every corner NaN: no bound holds
    n = tl.zeros((CELLS,), tl.int32)
    out = cand_ptr + (b * plane + cell) * K
    for k0 in range(0, K, CLS):
        km = (k0 + rk) < K
        c = tl.load(cls_ptr + k0 + rk, mask=km, other=0)
        m = cm[:, None] & km[None, :]
        mn, mx, nan = _corners(base + (c.to(tl.int64) * plane)[None, :], o00, o01, o10, o11, m)
        take = m & ((mx >= thr[:, None]) | nan | keep_all[:, None])
        t = take.to(tl.int32)
        slot = n[:, None] + tl.cumsum(t, axis=1) - t
        tl.store(out[:, None] + slot, c[None, :], mask=take)
        n += tl.sum(t, axis=1)
    tl.store(cnt_ptr + b * plane + cell, n, mask=cm)


@triton.jit
def _vim_kernel(x_ptr, cand_ptr, cnt_ptr, K, out_ptr, C, h, w, H, W, scale_h, scale_w, same_h, same_w,
                BLOCK: tl.constexpr):
    # one program: BLOCK output pixels of one image, each an argmax over its cell's candidates only
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
    cell = b * h * w + o00
    n = tl.load(cnt_ptr + cell, mask=mask, other=0)
    cand = cand_ptr + cell * K
    base = x_ptr + b * C * h * w
    best = tl.full((BLOCK,), float("-inf"), tl.float32)
    best_c = tl.load(cand, mask=mask, other=0)
    for k in range(0, tl.max(n, axis=0)):
        live = k < n
        c = tl.load(cand + k, mask=live, other=0)
        p = base + c.to(tl.int64) * h * w
        a = tl.load(p + o00, mask=live, other=0.0).to(tl.float32)
        bb = tl.load(p + o01, mask=live, other=0.0).to(tl.float32)
        cc = tl.load(p + o10, mask=live, other=0.0).to(tl.float32)
        d = tl.load(p + o11, mask=live, other=0.0).to(tl.float32)
        v = (a * lx0 + bb * lx1) * ly0 + (cc * lx0 + d * lx1) * ly1
        take = live & ((v > best) | ((v != v) & (best == best)))
        best = tl.where(take, v, best)
        best_c = tl.where(take, c, best_c)
    tl.store(out_ptr + b * H * W + offs, best_c.to(out_ptr.dtype.element_ty), mask=mask)


def upsample_argmax(logits, size, mode="exact", out_dtype=None):
    """Same contract as :func:`ppms_kernels.upsample_argmax`; any device Triton can run on."""
    torch.ops.ppms._upsample_argmax_check(logits, size, mode, out_dtype)
    H, W = (int(s) for s in size)
    out_dtype = out_dtype or torch.int64
    B, C, h, w = logits.shape
    x = logits.contiguous()
    if mode == "paper":
        classes = torch.unique(x.argmax(1)).to(torch.int32)
    else:
        classes = torch.arange(C, dtype=torch.int32, device=x.device)
    K = classes.numel()
    cand = torch.empty((B, h * w, K), dtype=torch.int32, device=x.device)  # only the first count[b, cell] are written
    count = torch.empty((B, h * w), dtype=torch.int32, device=x.device)
    _candidates_kernel[(triton.cdiv(h * w, CELLS), B)](x, classes, K, cand, count, C, h, w, TOL=TOL, FLOOR=FLOOR,
                                                       CELLS=CELLS, CLS=CLS)
    out = torch.empty((B, H, W), dtype=out_dtype, device=x.device)
    # No implicit FMA contraction: the interpolation must round as the CPU kernels do, so that both give the same labels.
    _vim_kernel[(triton.cdiv(H * W, BLOCK), B)](x, cand, count, K, out, C, h, w, H, W, h / H, w / W, h == H, w == W,
                                                BLOCK=BLOCK, enable_fp_fusion=False)
    return out
