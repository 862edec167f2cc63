"""The engine's StrideFormer block (ppms::_transformer_block: SEA attention + residual, MLP + residual, on NHWC)
against the model's own ``Block`` in eval mode, at the 4 real shapes of base and tiny, odd sizes and batch > 1."""
import pytest
import torch

from ppms_kernels.models import pack
from ppms_kernels.models.strideformer import Block

from ppms_kernels.models.engine import mlp_weights

from helpers import randomise


# (dim, key_dim, heads, mlp_ratio, side): base and tiny, trans1 and trans2, at a 512x512 image; then odd sizes
CASES = [(128, 16, 8, 2, (32, 32), 1), (192, 24, 8, 4, (16, 16), 1), (64, 16, 4, 2, (32, 32), 1),
         (128, 24, 4, 4, (16, 16), 1), (64, 16, 4, 2, (17, 9), 2), (32, 8, 2, 2, (1, 3), 3)]


@pytest.mark.parametrize("dim,kd,heads,ratio,side,batch", CASES)
def test_matches_the_model_block(dim, kd, heads, ratio, side, batch):
    block = randomise(Block(dim, kd, heads, ratio, 0.0), seed=dim + kd).eval()
    x = torch.randn(batch, dim, *side)
    with torch.no_grad():
        want = block(x)
    got = torch.ops.ppms._transformer_block(x.permute(0, 2, 3, 1).contiguous(), pack(block.attn),
                                            mlp_weights(block.mlp), heads, kd)
    torch.testing.assert_close(got.permute(0, 3, 1, 2), want, rtol=1e-4, atol=1e-4 * want.abs().max().item())


def test_bad_arguments():
    block = randomise(Block(32, 8, 2, 2, 0.0)).eval()
    x = torch.randn(1, 6, 6, 32)
    with pytest.raises(ValueError, match="channels"):
        torch.ops.ppms._transformer_block(torch.randn(1, 6, 6, 16), pack(block.attn), mlp_weights(block.mlp), 2, 8)
    with pytest.raises(ValueError, match="expected 15"):
        torch.ops.ppms._transformer_block(x, pack(block.attn)[:-1], mlp_weights(block.mlp), 2, 8)
    with pytest.raises(ValueError, match="expected 6 weights"):
        torch.ops.ppms._transformer_block(x, pack(block.attn), mlp_weights(block.mlp)[:4], 2, 8)
