"""ppms::sea_attention (the fused block: the native CPU op with ATen's and with each core GEMM, the Triton kernel, the
op on CUDA) and ppms::axial_attention (the trainable core) against the references."""
import pytest
import torch

from ppms_kernels.models import FusedSeaAttention, pack
from ppms_kernels.ops import SEA_WEIGHTS, axial_attention, kernels, sea_attention
from ppms_kernels.ops.reference import axial_attention as ref_axial

from helpers import HAS_CUDA, IMPLS, block, on, rel_err

# (dim, key_dim, heads, input side): tiny/base x trans1/trans2 at a 512x512 image
REAL = {"base-trans1": (128, 16, 8, 32), "base-trans2": (192, 24, 8, 16),
        "tiny-trans1": (64, 16, 4, 32), "tiny-trans2": (128, 24, 4, 16)}


CASES = [(REAL[k], 1) for k in REAL] + [((128, 16, 8, (33, 20)), 2), ((64, 16, 4, (17, 17)), 3),
                                        ((32, 8, 2, (5, 9)), 2), ((16, 4, 2, (1, 2)), 1)]


@pytest.mark.parametrize("spec,batch", CASES, ids=[f"{s[0]}x{s[3]}-b{b}" for s, b in CASES])
def test_fused_block_matches_reference(spec, batch):
    dim, kd, heads, side = spec
    H, W = side if isinstance(side, tuple) else (side, side)
    m = block(dim, kd, heads)
    x = torch.randn(batch, dim, H, W)
    with torch.no_grad():
        ref = m(x)
        w = pack(m)
        out = sea_attention(x, w, heads, kd)
        assert out.shape == ref.shape
        assert rel_err(out, ref) <= 1e-5
        # The core's pipeline with each of its own GEMM kernels for every 1x1 convolution (the phone path).
        for gemm in kernels("gemm"):
            assert rel_err(torch.ops.ppms._sea_attention_with_gemm(x, w, heads, kd, gemm), ref) <= 1e-5, gemm
        assert torch.equal(FusedSeaAttention(m).eval()(x), out)


def test_layouts_and_strides():
    m = block(64, 16, 4)
    x = torch.randn(2, 64, 20, 14)
    w = pack(m)
    ref = sea_attention(x, w, 4, 16)
    torch.testing.assert_close(sea_attention(x.contiguous(memory_format=torch.channels_last), w, 4, 16), ref)
    torch.testing.assert_close(sea_attention(torch.cat([x, x], 3)[..., ::2], w, 4, 16),
                               sea_attention(torch.cat([x, x], 3)[..., ::2].contiguous(), w, 4, 16))


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dim,kd,heads,H,W,batch", [
    (32, 8, 2, 16, 16, 1), (16, 4, 2, 9, 14, 2), (24, 6, 2, 5, 3, 3), (16, 4, 2, 1, 2, 1), (64, 16, 4, 32, 32, 1),
    (16, 4, 2, 3, 200, 2),  # a 100-long axis: past the fused Triton kernel's MAX_AXIS, the attention goes through torch
])
def test_impls_match_reference_block(impl, dim, kd, heads, H, W, batch):
    m = block(dim, kd, heads, seed=dim + H)
    x = torch.randn(batch, dim, H, W)
    with torch.no_grad():
        ref = m(x)
    out = on(impl, sea_attention)(x, pack(m), heads, kd)
    assert out.shape == ref.shape
    assert rel_err(out, ref) <= 1e-5


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not HAS_CUDA, reason="GPU"))])
def test_opcheck(device):
    m = block(32, 8, 2)
    torch.library.opcheck(torch.ops.ppms.sea_attention.default,
                          (torch.randn(2, 32, 9, 12, device=device), [t.to(device) for t in pack(m)], 2, 8))
    q, k = torch.randn(2, 8, 5, 7, device=device), torch.randn(2, 8, 5, 7, device=device)
    v = torch.randn(2, 16, 5, 7, device=device)
    pos = [torch.randn(1, 8, 16, device=device) for _ in range(4)]
    torch.library.opcheck(torch.ops.ppms.axial_attention.default, (q, k, v, *pos, 2))
    grads = [t.requires_grad_() for t in (q, k, v, *pos)]
    torch.library.opcheck(torch.ops.ppms.axial_attention.default, (*grads, 2))


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not HAS_CUDA, reason="GPU"))])
@pytest.mark.parametrize("B,heads,kd,H,W", [(1, 2, 3, 4, 5), (2, 1, 2, 3, 1), (2, 2, 2, 17, 6)])
def test_axial_attention_gradcheck(device, B, heads, kd, H, W):
    g = torch.Generator().manual_seed(H * W)

    def leaf(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64).to(device).requires_grad_()

    q, k = leaf(B, heads * kd, H, W), leaf(B, heads * kd, H, W)
    v = leaf(B, heads * 2 * kd, H, W)
    pos = [leaf(1, heads * kd, 16) for _ in range(4)]
    assert torch.autograd.gradcheck(lambda *a: axial_attention(*a, heads), (q, k, v, *pos))


def test_axial_attention_matches_reference_values_and_grads():
    q, k = torch.randn(3, 64, 16, 11), torch.randn(3, 64, 16, 11)
    v = torch.randn(3, 128, 16, 11)
    pos = [torch.randn(1, 64, 16) for _ in range(4)]
    leaves = [t.clone().requires_grad_() for t in (q, k, v, *pos)]
    ref_leaves = [t.clone().requires_grad_() for t in (q, k, v, *pos)]
    row, col = axial_attention(*leaves, 4)
    rrow, rcol = ref_axial(*ref_leaves, 4)
    torch.testing.assert_close(row, rrow, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(col, rcol, rtol=1e-5, atol=1e-5)
    (row.square().sum() + col.sin().sum()).backward()
    (rrow.square().sum() + rcol.sin().sum()).backward()
    for a, b in zip(leaves, ref_leaves):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5)


def test_backward_through_fused_block_is_refused():
    m = block(16, 4, 2)
    x = torch.randn(1, 16, 6, 5, requires_grad=True)
    out = sea_attention(x, pack(m), 2, 4)
    with torch.no_grad():
        assert torch.equal(out, sea_attention(x, pack(m), 2, 4))
    with pytest.raises(RuntimeError, match="inference-only.*axial_attention"):
        out.sum().backward()


def test_weight_names_are_the_schema():
    assert len(SEA_WEIGHTS) == len(pack(block(16, 4, 2))) == 15
