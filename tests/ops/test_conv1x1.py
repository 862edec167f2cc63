"""The engine's 1x1 convolution (ppms::_conv1x1 over packed weights, each kernel by name) against ``F.linear`` in
float64 on channels-last rows (a 1x1 convolution of NHWC pixels): random shapes, every activation, with and without
a residual."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from ppms_kernels.ops import kernels

KERNELS = kernels("conv1x1")
ACTS = {"none": lambda t: t, "relu": F.relu, "relu6": F.relu6, "hardswish": F.hardswish}


def check(P, cin, cout, act, residual, kernel, seed):
    g = torch.Generator().manual_seed(seed)
    x, w, b = torch.randn(P, cin, generator=g), torch.randn(cout, cin, generator=g) / cin ** 0.5, torch.randn(cout, generator=g)
    r = torch.randn(P, cout, generator=g) if residual else None
    want = F.linear(x.double(), w.double(), b.double())
    want = ACTS[act]((want + r.double()) if residual else want).float()
    got = torch.ops.ppms._conv1x1(x, torch.ops.ppms._conv1x1_pack(w[:, :, None, None], b), cout, r, act, kernel)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kernel", KERNELS)
@settings(max_examples=100, deadline=None)
@given(P=st.integers(0, 70), cin=st.integers(1, 80), cout=st.integers(1, 70),
       act=st.sampled_from(list(ACTS)), residual=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_random_shapes(kernel, P, cin, cout, act, residual, seed):
    check(P, cin, cout, act, residual, kernel, seed)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("P,cin,cout", [(4096, 16, 64), (1024, 240, 64), (256, 384, 128), (64, 256, 150)])
def test_network_shapes(kernel, P, cin, cout):
    check(P, cin, cout, "hardswish", cin == cout, kernel, P + cin)


def test_bad_arguments():
    w = torch.randn(8, 4)
    packed = torch.ops.ppms._conv1x1_pack(w, None)
    with pytest.raises(ValueError, match="packed holds"):
        torch.ops.ppms._conv1x1(torch.randn(3, 5), packed, 8, None, "none", "")
    with pytest.raises(ValueError, match="act must be"):
        torch.ops.ppms._conv1x1(torch.randn(3, 4), packed, 8, None, "gelu", "")
    with pytest.raises(NotImplementedError, match="no-such"):
        torch.ops.ppms._conv1x1(torch.randn(3, 4), packed, 8, None, "none", "no-such")
    with pytest.raises(TypeError, match="float32"):
        torch.ops.ppms._conv1x1_pack(w.double(), None)
    with pytest.raises(ValueError, match="residual"):
        torch.ops.ppms._conv1x1(torch.randn(3, 4), packed, 8, torch.randn(3, 7), "none", "")
