"""ppms::normalise: the network's input from decoded images, equal bit for bit to the PyTorch expression (the
reference), on any shape, batch, layout and normalisation; bad input refused by name."""
import pytest
import torch
from hypothesis import given, settings, strategies as st

from ppms_kernels import ops
from ppms_kernels.models import INPUT_MEAN, INPUT_STD
from ppms_kernels.ops import reference

from helpers import HAS_CUDA

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU"))]


def images(B, H, W, seed=0):
    return torch.randint(0, 256, (B, H, W, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


@settings(max_examples=60, deadline=None)
@given(B=st.integers(1, 3), H=st.integers(1, 40), W=st.integers(1, 70), seed=st.integers(0, 2**31 - 1),
       mean=st.lists(st.floats(-2, 2), min_size=3, max_size=3),
       std=st.lists(st.floats(0.01, 3), min_size=3, max_size=3))
def test_equals_the_reference(B, H, W, seed, mean, std):
    x = images(B, H, W, seed)
    got = ops.normalise(x, mean, std)
    assert got.dtype == torch.float32 and got.shape == (B, 3, H, W)
    assert torch.equal(got, reference.normalise(x, mean, std))


@pytest.mark.parametrize("device", DEVICES)
def test_model_input_every_byte_and_layouts(device):
    every = torch.arange(256, dtype=torch.uint8).repeat(3).reshape(1, 16, 16, 3)  # each byte in each channel
    want = reference.normalise(every, INPUT_MEAN, INPUT_STD)
    assert torch.equal(ops.normalise(every.to(device), INPUT_MEAN, INPUT_STD).cpu(), want)
    x = images(2, 33, 47)
    strided = x.transpose(1, 2)  # not contiguous: [2, 47, 33, 3]
    assert torch.equal(ops.normalise(strided.to(device), INPUT_MEAN, INPUT_STD).cpu(),
                       reference.normalise(strided, INPUT_MEAN, INPUT_STD))
    torch.library.opcheck(torch.ops.ppms.normalise.default, (x.to(device), list(INPUT_MEAN), list(INPUT_STD)))


@pytest.mark.parametrize("device", ["cpu", "meta", *DEVICES[1:]])
def test_refusals(device):
    x = images(1, 4, 5).to(device)
    cases = [(x.float(), INPUT_MEAN, INPUT_STD, TypeError, "uint8"),
             (x[0], INPUT_MEAN, INPUT_STD, ValueError, r"\[B, H, W, 3\]"),
             (torch.zeros(1, 4, 5, 4, dtype=torch.uint8, device=device), INPUT_MEAN, INPUT_STD, ValueError,
              r"\[B, H, W, 3\]"),
             (torch.zeros(0, 4, 5, 3, dtype=torch.uint8, device=device), INPUT_MEAN, INPUT_STD, ValueError,
              "non-empty"),
             (x, INPUT_MEAN[:2], INPUT_STD, ValueError, "3 values"),
             (x, INPUT_MEAN, (1.0, 0.0, 1.0), ValueError, "std non-zero"),
             (x, (float("nan"), 0.0, 0.0), INPUT_STD, ValueError, "finite")]
    for images_, mean, std, error, message in cases:
        with pytest.raises(error, match=message):
            ops.normalise(images_, mean, std)
    with pytest.raises(TypeError, match="must be a tensor"):
        ops.normalise([[1, 2, 3]], INPUT_MEAN, INPUT_STD)
    assert ops.normalise(x, INPUT_MEAN, INPUT_STD).shape == (1, 3, 4, 5)
