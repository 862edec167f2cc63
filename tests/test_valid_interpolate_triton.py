"""The Triton kernel of ppms::valid_interpolate against the references (interpreter on CPU, or a GPU)."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

import ppms_kernels

from ppms_kernels.reference import vim
from ppms_kernels.testing import assert_labels_match, realistic_logits
from ppms_kernels.triton.valid_interpolate import valid_interpolate


DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def check(logits, size, mode, **kw):
    out = valid_interpolate(logits.to(DEVICE), size, mode, **kw).cpu()
    full = F.interpolate(logits.float(), size=size, mode="bilinear", align_corners=False)
    ref = full.argmax(1) if mode == "exact" else vim(logits.float(), size)
    assert_labels_match(out, ref, full)
    return out


@pytest.mark.parametrize("mode", ["exact", "paper"])
@pytest.mark.parametrize("shape,size", [
    ((1, 1, 1, 1), (3, 5)), ((3, 7, 5, 9), (13, 31)), ((2, 40, 6, 4), (4, 9)), ((1, 13, 8, 8), (8, 8)),
])
def test_random_logits(shape, size, mode):
    check(torch.randn(shape, generator=torch.Generator().manual_seed(sum(shape))), size, mode)


@pytest.mark.parametrize("mode", ["exact", "paper"])
def test_realistic_logits_batch3(mode):
    check(realistic_logits(3, 150, 12, 9, 15, seed=7), (61, 50), mode)


def test_half_and_narrow_output():
    logits = realistic_logits(2, 40, 8, 10, 8, seed=8, dtype=torch.float16)
    wide = check(logits, (30, 41), "exact")
    narrow = check(logits, (30, 41), "exact", out_dtype=torch.uint8)
    assert narrow.dtype == torch.uint8 and torch.equal(narrow.long(), wide)


def test_nan_wins_like_torch_argmax():
    logits = torch.randn(1, 5, 4, 4)
    logits[0, 2, 1, 1] = float("nan")
    full = F.interpolate(logits, size=(9, 9), mode="bilinear", align_corners=False)
    assert torch.equal(valid_interpolate(logits.to(DEVICE), (9, 9)).cpu(), full.argmax(1))


@settings(max_examples=60, deadline=None)
@given(B=st.integers(1, 3), C=st.integers(1, 40), h=st.integers(1, 9), w=st.integers(1, 9), H=st.integers(1, 40),
       W=st.integers(1, 40), mode=st.sampled_from(["exact", "paper"]), special=st.sampled_from(["none", "ties", "nonfinite"]),
       seed=st.integers(0, 2**31 - 1))
def test_same_labels_as_the_cpu_kernel(B, C, h, w, H, W, mode, special, seed):
    # Ties (rounded logits) and NaN/+-inf corners are where the candidate bound and torch.argmax's order matter.
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, C, h, w, generator=g)
    if special == "ties":
        x = x.round()
    elif special == "nonfinite":
        u = torch.rand(x.shape, generator=g)
        x[u < 0.05], x[(u >= 0.05) & (u < 0.1)], x[(u >= 0.1) & (u < 0.15)] = float("nan"), float("inf"), float("-inf")
    out = valid_interpolate(x.to(DEVICE), (H, W), mode).cpu()
    assert torch.equal(out, ppms_kernels.valid_interpolate(x, (H, W), mode))


def test_weights_round_like_torch_cpu():
    # Found on an H100, where the GPU and torch computed the source row 1.5 * (1/3) - 0.5 with one rounding (1e-8)
    # and our CPU kernel with two (0): -inf * that weight is -inf or NaN, and a different class won.
    inf, nan = float("inf"), float("nan")
    x = torch.tensor([[[[-1.1258, nan, 0.5667, 0.7935, 0.5988, -1.5551]], [[-0.3414, 1.8530, 0.4681, nan, -inf, 0.1835]],
                       [[1.3894, 1.5863, 0.9463, -0.8437, 0.9318, 1.2590]]]])
    ref = F.interpolate(x, size=(3, 2), mode="bilinear", align_corners=False).argmax(1)
    assert torch.equal(valid_interpolate(x.to(DEVICE), (3, 2)).cpu(), ref)
    assert torch.equal(ppms_kernels.valid_interpolate(x, (3, 2)), ref)
