"""The engine's fused MobileNetV3 block (ppms::_inverted_residual, NHWC, BatchNorm folded) against the model's own
``ResidualUnit`` in eval mode, for every configuration of base and tiny (k 3/5, stride 1/2, SE or not, relu or
hardswish, with and without the shortcut), and against the transformer stages' ``MLP`` (+ its residual), on odd
sizes and batch > 1."""
import pytest
import torch

from ppms_kernels.models.fuse import fold
from ppms_kernels.models.layers import ResidualUnit
from ppms_kernels.models.strideformer import MLP

from ppms_kernels.models.engine import block_weights as weights

from helpers import randomise


# (cin, mid, cout, k, stride, se, act): every block configuration of base and tiny
CONFIGS = sorted({(16, 16, 16, 3, 1, True, "relu"), (16, 64, 32, 3, 2, False, "relu"), (32, 96, 32, 3, 1, False, "relu"),
                  (32, 128, 64, 5, 2, True, "hardswish"), (64, 240, 64, 5, 1, True, "hardswish"),
                  (64, 384, 128, 5, 2, True, "hardswish"), (128, 384, 128, 5, 1, True, "hardswish"),
                  (128, 768, 192, 5, 2, True, "hardswish"), (192, 768, 192, 5, 1, True, "hardswish"),
                  (32, 48, 24, 3, 1, False, "relu"), (24, 96, 32, 5, 2, True, "hardswish"),
                  (64, 384, 128, 3, 2, True, "hardswish"), (128, 384, 128, 3, 1, True, "hardswish")})


@pytest.mark.parametrize("cfg", CONFIGS, ids=["-".join(map(str, c)) for c in CONFIGS])
@pytest.mark.parametrize("B,H,W", [(1, 16, 16), (2, 13, 9)])
def test_matches_the_model_block(cfg, B, H, W):
    cin, mid, cout, k, stride, se, act = cfg
    unit = randomise(ResidualUnit(cin, mid, cout, k, stride, se, act), seed=sum(cfg[:5])).eval()
    x = torch.randn(B, cin, H, W)
    with torch.no_grad():
        want = unit(x)
    got = torch.ops.ppms._inverted_residual(x.permute(0, 2, 3, 1).contiguous(), weights(unit), stride, act, act)
    torch.testing.assert_close(got.permute(0, 3, 1, 2), want, rtol=1e-4, atol=1e-4 * want.abs().max().item())


@pytest.mark.parametrize("dim,ratio", [(128, 2), (192, 4), (64, 2), (128, 4)])  # base and tiny trans1, trans2
def test_matches_the_transformer_mlp(dim, ratio):
    mlp = randomise(MLP(dim, dim * ratio), seed=dim).eval()
    x = torch.randn(2, dim, 9, 7)
    with torch.no_grad():
        want = x + mlp(x)
    fc1, fc2 = fold(mlp.fc1.c, mlp.fc1.bn), fold(mlp.fc2.c, mlp.fc2.bn)
    w = [fc1[0].float(), fc1[1].float(), mlp.dwconv.weight.detach(), mlp.dwconv.bias.detach(), fc2[0].float(),
         fc2[1].float()]
    got = torch.ops.ppms._inverted_residual(x.permute(0, 2, 3, 1).contiguous(), [t.contiguous() for t in w], 1, "none",
                                            "relu6")
    torch.testing.assert_close(got.permute(0, 3, 1, 2), want, rtol=1e-4, atol=1e-4 * want.abs().max().item())


def test_bad_arguments():
    unit = randomise(ResidualUnit(8, 16, 8, 3, 1, False, "relu")).eval()
    w = weights(unit)
    x = torch.randn(1, 5, 5, 8)
    with pytest.raises(ValueError, match="expected 6 weights"):
        torch.ops.ppms._inverted_residual(x, w[:5], 1, "relu", "relu")
    with pytest.raises(ValueError, match="do not fit"):
        torch.ops.ppms._inverted_residual(torch.randn(1, 5, 5, 7), w, 1, "relu", "relu")
    with pytest.raises(ValueError, match="stride"):
        torch.ops.ppms._inverted_residual(x, w, 3, "relu", "relu")
