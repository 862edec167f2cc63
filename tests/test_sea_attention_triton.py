"""The Triton implementation of ppms::sea_attention against the reference block (interpreter on CPU, or a GPU)."""
import pytest
import torch

from ppms_kernels.sea import pack
from ppms_kernels.triton.sea_attention import sea_attention

from test_sea_attention import block, rel_err

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


@pytest.mark.parametrize("dim,kd,heads,H,W,batch", [
    (32, 8, 2, 16, 16, 1), (16, 4, 2, 9, 14, 2), (24, 6, 2, 5, 3, 3), (16, 4, 2, 1, 2, 1), (64, 16, 4, 32, 32, 1),
    (16, 4, 2, 3, 200, 2),  # a 100-long axis: past MAX_AXIS, the axial attention goes through torch
])
def test_matches_reference_block(dim, kd, heads, H, W, batch):
    m = block(dim, kd, heads, seed=dim + H)
    x = torch.randn(batch, dim, H, W)
    with torch.no_grad():
        ref = m(x)
    out = sea_attention(x.to(DEVICE), [t.to(DEVICE) for t in pack(m)], heads, kd).cpu()
    assert out.shape == ref.shape
    assert rel_err(out, ref) <= 1e-5
