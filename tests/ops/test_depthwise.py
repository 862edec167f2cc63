"""The engine's depthwise convolution (ppms::_depthwise over packed weights, each kernel by name) on NHWC images
against ``F.conv2d(..., groups=C)`` in float64: random shapes, k 1/3/5/7, stride 1 and 2, every activation, batch."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from ppms_kernels.ops import kernels

KERNELS = kernels("depthwise")
ACTS = {"none": lambda t: t, "relu": F.relu, "relu6": F.relu6, "hardswish": F.hardswish}


def check(B, H, W, C, k, stride, act, kernel, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, H, W, C, generator=g)
    w, b = torch.randn(C, 1, k, k, generator=g) / k, torch.randn(C, generator=g)
    want = F.conv2d(x.permute(0, 3, 1, 2).double(), w.double(), b.double(), stride, k // 2, groups=C)
    want = ACTS[act](want).permute(0, 2, 3, 1).float()
    got = torch.ops.ppms._depthwise(x, torch.ops.ppms._depthwise_pack(w, b), k, stride, act, kernel)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kernel", KERNELS)
@settings(max_examples=100, deadline=None)
@given(B=st.integers(1, 2), H=st.integers(1, 19), W=st.integers(1, 19), C=st.integers(1, 70),
       k=st.sampled_from([1, 3, 5, 7]), stride=st.sampled_from([1, 2]), act=st.sampled_from(list(ACTS)),
       seed=st.integers(0, 2**31 - 1))
def test_random_shapes(kernel, B, H, W, C, k, stride, act, seed):
    check(B, H, W, C, k, stride, act, kernel, seed)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("H,C,k,stride", [(64, 16, 3, 1), (64, 64, 3, 2), (32, 128, 5, 2), (16, 240, 5, 1),
                                          (8, 768, 5, 2)])
def test_network_shapes(kernel, H, C, k, stride):
    check(1, H, H + 3, C, k, stride, "hardswish", kernel, H + C)


def test_bad_arguments():
    w = torch.randn(8, 1, 3, 3)
    packed = torch.ops.ppms._depthwise_pack(w, None)
    with pytest.raises(ValueError, match="packed holds"):
        torch.ops.ppms._depthwise(torch.randn(1, 5, 5, 9), packed, 3, 1, "none", "")
    with pytest.raises(ValueError, match="stride"):
        torch.ops.ppms._depthwise(torch.randn(1, 5, 5, 8), packed, 3, 3, "none", "")
    with pytest.raises(ValueError, match="k must be odd"):
        torch.ops.ppms._depthwise(torch.randn(1, 5, 5, 8), torch.ops.ppms._depthwise_pack(torch.randn(8, 1, 4, 4), None),
                                  4, 1, "none", "")
    with pytest.raises(ValueError, match=r"\[C, 1, k, k\]"):
        torch.ops.ppms._depthwise_pack(torch.randn(8, 2, 3, 3), None)
    with pytest.raises(NotImplementedError, match="no-such"):
        torch.ops.ppms._depthwise(torch.randn(1, 5, 5, 8), packed, 3, 1, "none", "no-such")
