"""ppms::sea_attention (fused block) and ppms::axial_attention (trainable core) against the references."""
import pytest
import torch

from ppms_kernels import _C, optimize
from ppms_kernels.models import SeaAttention, pp_mobileseg
from ppms_kernels.ops import SEA_WEIGHTS, axial_attention, sea_attention
from ppms_kernels.reference import axial_attention as ref_axial
from ppms_kernels.sea import FusedSeaAttention, pack
from ppms_kernels.testing import assert_labels_match

# (dim, key_dim, heads, input side): tiny/base x trans1/trans2 at a 512x512 image
REAL = {"base-trans1": (128, 16, 8, 32), "base-trans2": (192, 24, 8, 16),
        "tiny-trans1": (64, 16, 4, 32), "tiny-trans2": (128, 24, 4, 16)}


def randomise(module, seed=0):
    """Every weight and BN statistic random (gammas too), as in the Paddle parity test."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=g) * 1.5 + 0.5)
            elif t.dim() == 4:
                t.copy_(torch.randn(t.shape, generator=g) / t[0].numel() ** 0.5)
            elif name.endswith("bn.weight") or name.endswith("stride_conv.1.weight"):
                t.copy_((torch.rand(t.shape, generator=g) + 0.5) * torch.randn(t.shape, generator=g).sign())
            else:
                t.copy_(torch.randn(t.shape, generator=g) * (1.0 if "pos_embed" in name else 0.2))
    return module


def block(dim, kd, heads, seed=0):
    return randomise(SeaAttention(dim, kd, heads, use_kernel=False), seed).eval()


def rel_err(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


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
        # The torch-free core's own single-threaded forward, with every GEMM kernel this CPU runs.
        for gemm in _C.gemm_kernels():
            assert rel_err(_C.sea_attention_core(x, w, heads, kd, gemm), ref) <= 1e-5, gemm
        assert torch.equal(FusedSeaAttention(m).eval()(x), out)


def test_layouts_and_strides():
    m = block(64, 16, 4)
    x = torch.randn(2, 64, 20, 14)
    w = pack(m)
    ref = sea_attention(x, w, 4, 16)
    torch.testing.assert_close(sea_attention(x.contiguous(memory_format=torch.channels_last), w, 4, 16), ref)
    torch.testing.assert_close(sea_attention(torch.cat([x, x], 3)[..., ::2], w, 4, 16),
                               sea_attention(torch.cat([x, x], 3)[..., ::2].contiguous(), w, 4, 16))


def test_opcheck():
    m = block(32, 8, 2)
    torch.library.opcheck(torch.ops.ppms.sea_attention.default, (torch.randn(2, 32, 9, 12), pack(m), 2, 8))
    q, k, v = torch.randn(2, 8, 5, 7), torch.randn(2, 8, 5, 7), torch.randn(2, 16, 5, 7)
    pos = [torch.randn(1, 8, 16) for _ in range(4)]
    torch.library.opcheck(torch.ops.ppms.axial_attention.default, (q, k, v, *pos, 2))
    grads = [t.requires_grad_() for t in (q, k, v, *pos)]
    torch.library.opcheck(torch.ops.ppms.axial_attention.default, (*grads, 2))


@pytest.mark.parametrize("B,heads,kd,H,W", [(1, 2, 3, 4, 5), (2, 1, 2, 3, 1), (2, 2, 2, 17, 6)])
def test_axial_attention_gradcheck(B, heads, kd, H, W):
    g = torch.Generator().manual_seed(H * W)
    q, k = (torch.randn(B, heads * kd, H, W, generator=g, dtype=torch.float64, requires_grad=True) for _ in range(2))
    v = torch.randn(B, heads * 2 * kd, H, W, generator=g, dtype=torch.float64, requires_grad=True)
    pos = [torch.randn(1, heads * kd, 16, generator=g, dtype=torch.float64, requires_grad=True) for _ in range(4)]
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


@pytest.mark.parametrize("variant", ["tiny", "base"])
def test_fused_model_matches_unfused(variant):
    model = randomise(pp_mobileseg(variant, upsample="interpolate"), seed=3).eval()
    x = torch.randn(2, 3, 97, 130)
    with torch.no_grad():
        ref = model.logits(x)
        fused = model.fuse().logits(x)
    assert rel_err(fused, ref) <= 1e-5
    assert sum(isinstance(m, FusedSeaAttention) for m in model.modules()) == {"tiny": 4, "base": 6}[variant]


@pytest.mark.parametrize("variant", ["tiny", "base"])
def test_optimize_folds_every_batchnorm_and_stays_exact(variant):
    model = randomise(pp_mobileseg(variant, num_classes=19), seed=5).eval()
    x = torch.randn(2, 3, 97, 130)
    with torch.no_grad():
        ref = model.logits(x)
        ref_labels = model(x)
        optimize(model)
        out = model.logits(x)
        labels = model(x)
    assert rel_err(out, ref) <= 1e-5
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert_labels_match(labels, ref_labels, torch.nn.functional.interpolate(ref, x.shape[-2:], mode="bilinear"))


def test_model_trains_with_the_kernel_in_place():
    torch.manual_seed(0)
    # float64, so that the comparison is not drowned by how training-mode BatchNorm amplifies float32 rounding.
    fast = randomise(pp_mobileseg("tiny", num_classes=19), seed=4).double().train()
    slow = randomise(pp_mobileseg("tiny", num_classes=19), seed=4).double().train()
    for m in slow.modules():
        if isinstance(m, SeaAttention):
            m.use_kernel = False
    x = torch.randn(2, 3, 64, 48, dtype=torch.float64)
    torch.manual_seed(1)
    a = fast(x)
    torch.manual_seed(1)
    b = slow(x)
    assert rel_err(a, b) <= 1e-10
    a.square().mean().backward()
    b.square().mean().backward()
    for (n, p), q in zip(fast.named_parameters(), slow.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-7, atol=1e-12, msg=n)


def test_compile_and_export_fused_model():
    model = randomise(pp_mobileseg("tiny", upsample="interpolate"), seed=5).eval().fuse()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        ref = model.logits(x)
        compiled = torch.compile(model.logits, fullgraph=True, backend="aot_eager")
        torch.testing.assert_close(compiled(x), ref)
        ep = torch.export.export(model, (x,))
    assert "ppms.sea_attention" in str(ep.graph)
    with torch.no_grad():
        torch.testing.assert_close(ep.module()(x), model(x))


def test_weight_names_are_the_schema():
    assert len(SEA_WEIGHTS) == len(pack(block(16, 4, 2))) == 15
