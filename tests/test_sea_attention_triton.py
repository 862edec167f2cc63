"""The Triton implementation of ppms::sea_attention against the reference block (interpreter on CPU, or a GPU)."""
import pytest
import torch

from ppms_kernels.sea import pack
from ppms_kernels.triton.sea_attention import sea_attention

from test_sea_attention import block, rel_err

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


@pytest.mark.parametrize("dim,kd,heads,H,W,batch", [
    (32, 8, 2, 16, 16, 1), (16, 4, 2, 9, 14, 2), (24, 6, 2, 5, 3, 3), (16, 4, 2, 1, 2, 1), (64, 16, 4, 32, 32, 1),
])
def test_matches_reference_block(dim, kd, heads, H, W, batch):
    m = block(dim, kd, heads, seed=dim + H)
    x = torch.randn(batch, dim, H, W)
    with torch.no_grad():
        ref = m(x)
    out = sea_attention(x.to(DEVICE), [t.to(DEVICE) for t in pack(m)], heads, kd).cpu()
    assert out.shape == ref.shape
    assert rel_err(out, ref) <= 1e-5


def test_bad_input_is_refused():
    m = block(16, 4, 2)
    w = [t.to(DEVICE) for t in pack(m)]
    with pytest.raises(ValueError, match="channels"):
        sea_attention(torch.randn(1, 8, 8, 8, device=DEVICE), w, 2, 4)
    with pytest.raises(TypeError, match="float32"):
        sea_attention(torch.randn(1, 16, 8, 8, device=DEVICE, dtype=torch.float64), w, 2, 4)
    with pytest.raises(ValueError, match="15 packed"):
        sea_attention(torch.randn(1, 16, 8, 8, device=DEVICE), w[:3], 2, 4)
    with pytest.raises(ValueError, match="do not fit"):
        sea_attention(torch.randn(1, 16, 8, 8, device=DEVICE), w, 4, 4)
