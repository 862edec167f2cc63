import ast
from pathlib import Path

import pytest
import torch

from ppms_kernels.models import pp_mobileseg
from ppms_kernels.testing import assert_labels_match


DATA = Path(__file__).parent.parent / "data"
# Trainable parameters and state entries (incl. BN statistics) from pp_mobileseg_spec.md section 2.
SPEC_COUNTS = {"base": (5_943_878, 5_996_422), "tiny": (1_492_298, 1_515_898)}


def paddle_keys(variant):
    keys = {}
    for line in (DATA / f"paddle_keys_{variant}.txt").read_text().splitlines():
        if line.startswith(("backbone.", "decode_head.")):
            name, shape = line.split(" ", 1)
            name = name.replace("._mean", ".running_mean").replace("._variance", ".running_var")
            keys[name] = tuple(ast.literal_eval(shape))
    return keys


@pytest.mark.parametrize("variant", ["tiny", "base"])
def test_parameter_counts_match_spec(variant):
    model = pp_mobileseg(variant)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    state = sum(t.numel() for k, t in model.state_dict().items() if not k.endswith("num_batches_tracked"))
    print(f"PP-MobileSeg-{variant}: {trainable:,} trainable parameters, {state:,} with BN statistics")
    assert (trainable, state) == SPEC_COUNTS[variant]


@pytest.mark.parametrize("variant", ["tiny", "base"])
def test_module_paths_are_paddle_names(variant):
    want = paddle_keys(variant)
    assert len(want) == {"tiny": 453, "base": 567}[variant]
    ours = {k: tuple(v.shape) for k, v in pp_mobileseg(variant).state_dict().items()
            if not k.endswith("num_batches_tracked")}
    assert ours == want


@pytest.mark.parametrize("variant,stride", [("tiny", 16), ("base", 8)])
@pytest.mark.parametrize("shape", [(1, 3, 64, 64), (2, 3, 97, 130), (3, 3, 33, 16), (1, 3, 16, 71)])
def test_output_shapes_any_size(variant, stride, shape):
    model = pp_mobileseg(variant).eval()
    x = torch.randn(shape)
    with torch.no_grad():
        lowres = model.logits(x)
        labels = model(x)
        model.upsample = "interpolate"
        logits = model(x)
    B, _, H, W = shape
    h = -(-H // stride) if variant == "base" else -(-H // 8) // 2  # tiny halves the 1/8 map with floor
    w = -(-W // stride) if variant == "base" else -(-W // 8) // 2
    assert lowres.shape == (B, 150, h, w)
    assert labels.shape == (B, H, W) and labels.dtype == torch.int64
    assert logits.shape == (B, 150, H, W)
    # The default VIM mode is exact: the labels of the full upsample + argmax.
    assert_labels_match(labels, logits.argmax(1), logits)


def test_training_mode_returns_full_logits_and_backprops():
    model = pp_mobileseg("tiny", num_classes=19).train()
    x = torch.randn(2, 3, 64, 96)
    out = model(x)
    assert out.shape == (2, 19, 64, 96)
    out.mean().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_batch_elements_independent_in_eval():
    model = pp_mobileseg("base", upsample="interpolate").eval()
    x = torch.randn(3, 3, 70, 90)
    with torch.no_grad():
        together = model(x)
        alone = torch.cat([model(x[i:i + 1]) for i in range(3)])
    torch.testing.assert_close(together, alone, rtol=1e-4, atol=1e-5)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="variant"):
        pp_mobileseg("large")
    with pytest.raises(ValueError, match="upsample"):
        pp_mobileseg("tiny", upsample="intepolate")
    with pytest.raises(ValueError, match="num_classes"):
        pp_mobileseg("tiny", num_classes=0)



@pytest.mark.parametrize("upsample, vim_mode", [("vim", "exact"), ("vim", "paper"), ("interpolate", "exact")])
def test_labels_whatever_the_model_returns(upsample, vim_mode):
    torch.manual_seed(0)
    model = pp_mobileseg("tiny", num_classes=9, upsample=upsample, vim_mode=vim_mode).eval()
    x = torch.randn(2, 3, 40, 56)
    with torch.no_grad():
        out = model(x)
        want = out.argmax(1) if upsample == "interpolate" else out
        assert want.shape == (2, 40, 56) and want.dtype == torch.int64
        assert torch.equal(model.labels(x), want)
        small = model.labels(x, torch.uint8)
    assert small.dtype == torch.uint8 and torch.equal(small.long(), want)
