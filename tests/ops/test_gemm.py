"""The core's GEMM kernels (ppms::_gemm, by name) against torch.mm, on random shapes and on the 1x1 convolutions of
the network, with and without bias."""
import pytest
import torch
from hypothesis import given, settings, strategies as st

from ppms_kernels.ops import kernels

KERNELS = kernels("gemm")


def check(M, N, K, kernel, bias, seed):
    g = torch.Generator().manual_seed(seed)
    a, b = torch.randn(M, K, generator=g), torch.randn(K, N, generator=g)
    c = torch.randn(M, generator=g) if bias else None
    want = (a.double() @ b.double() + (c.double()[:, None] if bias else 0)).float()
    got = torch.ops.ppms._gemm(a, b, c, kernel)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5 * K ** 0.5)


@pytest.mark.parametrize("kernel", KERNELS)
@settings(max_examples=100, deadline=None)
@given(M=st.integers(1, 40), N=st.integers(1, 80), K=st.integers(1, 100), bias=st.booleans(),
       seed=st.integers(0, 2**31 - 1))
def test_random_shapes(kernel, M, N, K, bias, seed):
    check(M, N, K, kernel, bias, seed)


# (out channels, pixels, in channels) of 1x1 convolutions in base at 512x512: SEA qkv/pw/proj and MobileNetV3 blocks.
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("M,N,K", [(256, 256, 128), (128, 256, 256), (192, 64, 384), (64, 4096, 240), (24, 9, 24)])
def test_network_shapes(kernel, M, N, K):
    check(M, N, K, kernel, True, M + N + K)


def test_unknown_kernel_and_bad_shapes():
    a = torch.randn(3, 4)
    with pytest.raises(NotImplementedError, match="no-such"):
        torch.ops.ppms._gemm(a, torch.randn(4, 2), None, "no-such")
    with pytest.raises(ValueError, match="do not multiply"):
        torch.ops.ppms._gemm(a, torch.randn(5, 2), None, "scalar")
