"""The engine's AAM + head (ppms::_aam_head on NHWC features) against the model's own fusion module and head in
eval mode, for tiny (AAM, output at 1/16, whose first resize is F.interpolate(scale_factor=0.5)) and base (AAMSx8),
at the shapes of 512x512 and of odd inputs, batch > 1."""
import pytest
import torch

from ppms_kernels.models import pp_mobileseg

from ppms_kernels.models.engine import aam_head_weights as weights

from helpers import randomise


def nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous()


@pytest.mark.parametrize("variant", ["tiny", "base"])
@pytest.mark.parametrize("B,H,W", [(1, 512, 512), (2, 97, 131), (1, 16, 16)])
def test_matches_the_model(variant, B, H, W):
    model = randomise(pp_mobileseg(variant, num_classes=19), seed=7).eval()
    bb = model.backbone
    x = torch.randn(B, 3, H, W)
    with torch.no_grad():
        x8 = bb.smb2(bb.smb1(x))
        x16 = bb.trans1(bb.smb3(x8))
        x32 = bb.trans2(bb.smb4(x16))
        want = model.decode_head(bb.inj_module(x8, x16, x32))
    got = torch.ops.ppms._aam_head(nhwc(x8), nhwc(x16), nhwc(x32), weights(model), variant == "base")
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4 * want.abs().max().item())


def test_bad_arguments():
    model = randomise(pp_mobileseg("tiny", num_classes=5)).eval()
    w = weights(model)
    x8, x16, x32 = torch.randn(1, 8, 8, 24), torch.randn(1, 4, 4, 64), torch.randn(1, 2, 2, 128)
    with pytest.raises(ValueError, match=r"expected 14 AAM \+ head weights"):
        torch.ops.ppms._aam_head(x8, x16, x32, w[:-1], False)
    with pytest.raises(ValueError, match="channels"):
        torch.ops.ppms._aam_head(torch.randn(1, 8, 8, 7), x16, x32, w, False)
    with pytest.raises(ValueError, match="batch"):
        torch.ops.ppms._aam_head(x8, torch.randn(2, 4, 4, 64), x32, w, False)
