"""The native engine's whole network (ppms::_network over pack_network's weights: stem, MobileNetV3 stages,
transformer stages, AAM + head, one core call per image) against the model's own logits and labels."""
import pytest
import torch
import torch.nn.functional as F

from ppms_kernels import upsample_argmax
from ppms_kernels.models import pp_mobileseg
from ppms_kernels.models.engine import pack_network
from ppms_kernels.testing import assert_labels_match

from helpers import randomise


CASES = [(v, *size) for v in ("tiny", "base") for size in ((1, 512, 512), (3, 97, 131), (1, 16, 16))]


@pytest.mark.parametrize("variant,B,H,W", CASES + [("tiny", 2, 1024, 512)])
def test_logits_and_labels_match_the_model(variant, B, H, W):
    model = randomise(pp_mobileseg(variant, num_classes=150), seed=13).eval()
    x = torch.randn(B, 3, H, W)
    with torch.no_grad():
        want = model.logits(x)
    got = torch.ops.ppms._network(x, *pack_network(model))
    assert got.shape == want.shape
    assert ((got - want).abs().max() / want.abs().max()).item() <= 1e-4
    up = F.interpolate(want, (H, W), mode="bilinear", align_corners=False)
    assert_labels_match(upsample_argmax(got, (H, W)), up.argmax(1), up)


def test_refuses_weights_that_do_not_fit():
    model = randomise(pp_mobileseg("tiny", num_classes=5)).eval()
    weights, config = pack_network(model)
    x = torch.randn(1, 3, 32, 32)
    with pytest.raises(ValueError, match="weights end early"):
        torch.ops.ppms._network(x, weights[:-3], config)
    with pytest.raises(ValueError, match="left over"):
        torch.ops.ppms._network(x, weights + [weights[-1]], config)
    with pytest.raises(ValueError, match="config ends early"):
        torch.ops.ppms._network(x, weights, config[:-2])
    with pytest.raises(ValueError, match=r"\[B, 3, H, W\]"):
        torch.ops.ppms._network(torch.randn(1, 4, 32, 32), weights, config)
    base_weights, base_config = pack_network(randomise(pp_mobileseg("base", num_classes=5)).eval())
    with pytest.raises(ValueError):
        torch.ops.ppms._network(x, weights, base_config)
