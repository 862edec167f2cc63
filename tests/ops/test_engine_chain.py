"""The engine's operators chained as the network runs them (stem, MobileNetV3 blocks, transformer blocks, AAM + head
on NHWC, then upsample_argmax) reproduce the model's logits and labels: what the engine's graph will compose."""
import pytest
import torch
import torch.nn.functional as F

from ppms_kernels import upsample_argmax
from ppms_kernels.models import pack, pp_mobileseg
from ppms_kernels.models.fuse import fold
from ppms_kernels.testing import assert_labels_match

from helpers import aam_head_weights, block_weights, mlp_weights, randomise


def engine_logits(model, x):
    bb = model.backbone
    stem = bb.smb1.conv
    w, b = fold(stem.c.weight, None, stem.bn)
    y = torch.ops.ppms._image_conv(x, w.float().reshape(stem.c.weight.shape), b.float(), 2, "hardswish")

    def stage(y, smb):
        for unit in smb.blocks:
            act = "relu" if isinstance(unit.expand_conv.act, torch.nn.ReLU) else "hardswish"
            y = torch.ops.ppms._inverted_residual(y, block_weights(unit), unit.bottleneck_conv.c.stride[0], act, act)
        return y

    def trans(y, layer):
        for blk in layer.transformer_blocks:
            y = torch.ops.ppms._transformer_block(y, pack(blk.attn), mlp_weights(blk.mlp), blk.attn.num_heads,
                                                  blk.attn.key_dim)
        return y

    x8 = stage(stage(y, bb.smb1), bb.smb2)
    x16 = trans(stage(x8, bb.smb3), bb.trans1)
    x32 = trans(stage(x16, bb.smb4), bb.trans2)
    logits = torch.ops.ppms._aam_head(x8, x16, x32, aam_head_weights(model), model.variant == "base")
    return logits.permute(0, 3, 1, 2)


@pytest.mark.parametrize("variant", ["tiny", "base"])
@pytest.mark.parametrize("B,H,W", [(1, 256, 256), (2, 97, 131), (1, 16, 16)])
def test_chain_reproduces_the_model(variant, B, H, W):
    model = randomise(pp_mobileseg(variant, num_classes=19), seed=11).eval()
    x = torch.randn(B, 3, H, W)
    with torch.no_grad():
        want = model.logits(x)
    got = engine_logits(model, x)
    assert ((got - want).abs().max() / want.abs().max()).item() <= 1e-4
    up = F.interpolate(want, (H, W), mode="bilinear", align_corners=False)
    assert_labels_match(upsample_argmax(got, (H, W)), up.argmax(1), up)
