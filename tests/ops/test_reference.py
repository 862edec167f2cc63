"""The plain-PyTorch references against independent, deliberately naive formulations."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from ppms_kernels.ops.reference import axial_attention, upsample_argmax, vim


def naive_axial(q, k, v, pos, nh):
    """Row/column squeeze attention with explicit loops over batch, head and position (float64)."""
    B, C, H, W = q.shape
    kd, dv = C // nh, v.shape[1] // nh
    out = []
    for axis, n, (pq, pk) in ((-1, H, pos[:2]), (-2, W, pos[2:])):
        qs, ks, vs = q.mean(axis), k.mean(axis), v.mean(axis)  # [B, C, n]
        # Half-pixel linear resize of the length-L embedding, by hand.
        L = pq.shape[-1]
        src = ((torch.arange(n, dtype=torch.float64) + 0.5) * L / n - 0.5).clamp(min=0)
        i0 = src.floor().long().clamp(max=L - 1)
        i1 = (i0 + 1).clamp(max=L - 1)
        t = src - i0
        qs = qs + pq[0][:, i0] * (1 - t) + pq[0][:, i1] * t
        ks = ks + pk[0][:, i0] * (1 - t) + pk[0][:, i1] * t
        res = torch.zeros(B, nh * dv, n, dtype=torch.float64)
        for b in range(B):
            for h in range(nh):
                Q = qs[b, h * kd:(h + 1) * kd]  # [kd, n]
                K = ks[b, h * kd:(h + 1) * kd]
                V = vs[b, h * dv:(h + 1) * dv]  # [dv, n]
                for i in range(n):
                    s = torch.stack([(Q[:, i] * K[:, j]).sum() / kd ** 0.5 for j in range(n)])
                    res[b, h * dv:(h + 1) * dv, i] = V @ torch.softmax(s, 0)
        out.append(res)
    return out[0].unsqueeze(-1), out[1].unsqueeze(-2)


@pytest.mark.parametrize("B,nh,kd,H,W", [(1, 2, 3, 4, 5), (2, 1, 4, 7, 3), (3, 2, 2, 16, 1), (1, 3, 2, 17, 20)])
def test_axial_attention_matches_naive(B, nh, kd, H, W):
    q = torch.randn(B, nh * kd, H, W, dtype=torch.float64)
    k = torch.randn_like(q)
    v = torch.randn(B, nh * 2 * kd, H, W, dtype=torch.float64)
    pos = [torch.randn(1, nh * kd, 16, dtype=torch.float64) for _ in range(4)]
    row, col = axial_attention(q, k, v, *pos, nh)
    nrow, ncol = naive_axial(q, k, v, pos, nh)
    assert row.shape == (B, nh * 2 * kd, H, 1) and col.shape == (B, nh * 2 * kd, 1, W)
    torch.testing.assert_close(row, nrow)
    torch.testing.assert_close(col, ncol)


@settings(max_examples=60, deadline=None)
@given(B=st.integers(1, 3), C=st.integers(1, 40), h=st.integers(1, 9), w=st.integers(1, 9),
       H=st.integers(1, 40), W=st.integers(1, 40), seed=st.integers(0, 2**31 - 1))
def test_vim_is_argmax_over_the_batch_labelset(B, C, h, w, H, W, seed):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(B, C, h, w, generator=g, dtype=torch.float64)
    labels = vim(logits, (H, W))
    assert labels.shape == (B, H, W) and labels.dtype == torch.int64
    # Naive: mask every class that wins no low-res pixel anywhere in the batch, then full argmax.
    winners = torch.zeros(C, dtype=torch.bool)
    winners[logits.argmax(1).flatten()] = True
    up = F.interpolate(logits, size=(H, W), mode="bilinear", align_corners=False)
    expected = up.masked_fill(~winners.view(1, C, 1, 1), float("-inf")).argmax(1)
    assert torch.equal(labels, expected)


def test_vim_equals_full_argmax_when_every_class_wins():
    # Each class wins one low-res pixel, so VIM's label set is complete.
    logits = torch.randn(1, 4, 2, 2)
    logits += 10 * torch.eye(4).view(4, 2, 2).unsqueeze(0)
    assert torch.equal(vim(logits, (13, 9)), upsample_argmax(logits, (13, 9)))


def test_vim_can_miss_a_class_full_argmax_finds():
    # Class 2 wins no low-res pixel but wins between the two: the approximation VIM makes.
    logits = torch.tensor([[[[4.0, 0.0]], [[0.0, 4.0]], [[2.5, 2.5]]]])
    assert 2 in upsample_argmax(logits, (1, 9))
    assert 2 not in vim(logits, (1, 9))
