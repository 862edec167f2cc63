"""The torch ops through the public API against their plain-PyTorch references, on small shapes and with no
test hook of the Python extension: the subset the aarch64 job (scripts/test_aarch64.sh) runs in aarch64
PyTorch under qemu against the cross-built libppms_kernels. It runs in the native suite too."""
import platform

import pytest
import torch

from ppms_kernels import build_info, valid_interpolate
from ppms_kernels.models import SeaAttention
from ppms_kernels.ops import axial_attention
from ppms_kernels.reference import axial_attention as ref_axial
from ppms_kernels.reference import upsample_argmax, vim
from ppms_kernels.sea import FusedSeaAttention
from ppms_kernels.testing import assert_labels_match, realistic_logits


def test_build_reports_this_machine():
    print(platform.machine(), build_info())
    assert build_info()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@pytest.mark.parametrize("B,C,h,w,H,W", [(1, 19, 16, 16, 64, 64), (2, 7, 5, 9, 23, 40), (1, 150, 8, 8, 61, 64)])
def test_valid_interpolate(B, C, h, w, H, W, dtype):
    logits = realistic_logits(B, C, h, w, K=5, seed=C + h, dtype=dtype)
    ref_logits = logits.float()
    assert_labels_match(valid_interpolate(logits, (H, W)), upsample_argmax(ref_logits, (H, W)),
                        torch.nn.functional.interpolate(ref_logits, (H, W), mode="bilinear", align_corners=False))
    paper = valid_interpolate(logits, (H, W), mode="paper")
    assert torch.equal(paper, vim(ref_logits, (H, W)))


def _randomised(dim, kd, heads):
    m = SeaAttention(dim, kd, heads, use_kernel=False)
    g = torch.Generator().manual_seed(dim + kd)
    with torch.no_grad():
        for name, t in m.named_parameters():
            t.copy_(torch.randn(t.shape, generator=g) * (1.0 if "pos_embed" in name else 0.2))
        for name, t in m.named_buffers():
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
            elif name.endswith("running_mean"):
                t.copy_(torch.randn(t.shape, generator=g) * 0.1)
    return m.eval()


@pytest.mark.parametrize("dim,kd,heads,B,H,W", [(32, 8, 2, 1, 16, 16), (64, 16, 4, 2, 17, 9), (16, 4, 2, 1, 1, 2)])
def test_sea_attention(dim, kd, heads, B, H, W):
    ref = _randomised(dim, kd, heads)
    x = torch.randn(B, dim, H, W)
    with torch.no_grad():
        want = ref(x)
        got = FusedSeaAttention(ref)(x)
    assert ((got - want).abs().max() / want.abs().max()).item() <= 1e-5


def test_axial_attention_gradients():
    B, heads, kd, dv, H, W = 2, 2, 3, 4, 5, 3
    leaves = [torch.randn(B, heads * kd, H, W), torch.randn(B, heads * kd, H, W), torch.randn(B, heads * dv, H, W)]
    leaves += [torch.randn(1, heads * kd, 7) for _ in range(4)]
    leaves = [t.double().requires_grad_() for t in leaves]
    assert torch.autograd.gradcheck(lambda *a: axial_attention(*a, heads), leaves)
    ours, want = axial_attention(*leaves, heads), ref_axial(*leaves, heads)
    for o, r in zip(ours, want):
        assert torch.allclose(o, r, rtol=1e-10, atol=1e-12)
