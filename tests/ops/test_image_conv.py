"""The engine's stem (ppms::_image_conv: a dense convolution of an NCHW image into NHWC) against ``F.conv2d`` in
float64: the model's stem shape, random sizes and channel counts, k 1/3/5, stride 1/2, every activation, batch."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

import ppms_kernels  # noqa: F401  (registers torch.ops.ppms)

ACTS = {"none": lambda t: t, "relu": F.relu, "relu6": F.relu6, "hardswish": F.hardswish}


def check(B, C, H, W, cout, k, stride, act, seed):
    g = torch.Generator().manual_seed(seed)
    x, w, b = torch.randn(B, C, H, W, generator=g), torch.randn(cout, C, k, k, generator=g) / k, torch.randn(cout, generator=g)
    want = ACTS[act](F.conv2d(x.double(), w.double(), b.double(), stride, k // 2)).permute(0, 2, 3, 1).float()
    torch.testing.assert_close(torch.ops.ppms._image_conv(x, w, b, stride, act), want, rtol=1e-5, atol=1e-5)


def test_the_stem():
    check(2, 3, 67, 90, 16, 3, 2, "hardswish", 0)


@settings(max_examples=60, deadline=None)
@given(B=st.integers(1, 2), C=st.integers(1, 4), H=st.integers(1, 20), W=st.integers(1, 20), cout=st.integers(1, 40),
       k=st.sampled_from([1, 3, 5]), stride=st.sampled_from([1, 2]), act=st.sampled_from(list(ACTS)),
       seed=st.integers(0, 2**31 - 1))
def test_random_shapes(B, C, H, W, cout, k, stride, act, seed):
    check(B, C, H, W, cout, k, stride, act, seed)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"weight must be \[cout, 3, k, k\]"):
        torch.ops.ppms._image_conv(torch.randn(1, 3, 8, 8), torch.randn(16, 2, 3, 3), None, 2, "none")
    with pytest.raises(ValueError, match="stride"):
        torch.ops.ppms._image_conv(torch.randn(1, 3, 8, 8), torch.randn(16, 3, 3, 3), None, 3, "none")
    with pytest.raises(ValueError, match="k must be odd"):
        torch.ops.ppms._image_conv(torch.randn(1, 3, 8, 8), torch.randn(16, 3, 2, 2), None, 1, "none")
