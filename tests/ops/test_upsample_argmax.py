"""ppms::upsample_argmax: every CPU kernel against the scalar one, and every implementation (the native CPU op, the
Triton kernel, the op on CUDA) against the plain-PyTorch references."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

import ppms_kernels
from ppms_kernels import upsample_argmax, valid_interpolate
from ppms_kernels.models import pp_mobileseg
from ppms_kernels.ops import kernels
from ppms_kernels.ops.reference import vim
from ppms_kernels.testing import assert_labels_match, realistic_logits

from helpers import IMPLS, impls, on

KERNELS = kernels("upsample_argmax")


def up(logits, size):
    return F.interpolate(logits.float(), size=tuple(size), mode="bilinear", align_corners=False)


def with_kernel(logits, size, mode, kernel):
    return torch.ops.ppms._upsample_argmax_with_kernel(logits, list(size), mode, kernel)



def check(logits, size, mode, out):
    """``out`` against the reference of ``mode``, up to measured near-ties of the reference's own logits."""
    full = up(logits, size)
    if mode == "exact":
        ref = full.argmax(1)
    else:
        ref = vim(logits.float(), size)
    return assert_labels_match(out, ref, full)


@settings(max_examples=150, deadline=None)
@given(B=st.integers(1, 3), C=st.integers(1, 40), h=st.integers(1, 12), w=st.integers(1, 12),
       H=st.integers(1, 50), W=st.integers(1, 50), mode=st.sampled_from(["exact", "paper"]),
       seed=st.integers(0, 2**31 - 1))
def test_kernels_match_scalar_and_reference(B, C, h, w, H, W, mode, seed):
    logits = torch.randn(B, C, h, w, generator=torch.Generator().manual_seed(seed))
    scalar = with_kernel(logits, [H, W], mode, "scalar")
    for k in KERNELS:
        assert torch.equal(with_kernel(logits, [H, W], mode, k), scalar), k
    assert torch.equal(upsample_argmax(logits, (H, W), mode), scalar)
    check(logits, (H, W), mode, scalar)


@pytest.mark.parametrize("K", [1, 15, 40, 150])
@pytest.mark.parametrize("h,size", [(64, (512, 512)), (32, (512, 512)), (17, (101, 67))])
@pytest.mark.parametrize("mode", ["exact", "paper"])
def test_realistic_logits(K, h, size, mode):
    logits = realistic_logits(1 if h > 32 else 3, 150, h, h + 3, K, seed=K + h)
    out = upsample_argmax(logits, size, mode)
    assert out.dtype == torch.int64
    check(logits, size, mode, out)
    for k in KERNELS:
        assert torch.equal(with_kernel(logits, list(size), mode, k), out), k


def test_paper_mode_approximates_exact_mode():
    # Class 2 wins no low-res pixel but wins between them: paper mode misses it, exact mode finds it.
    logits = torch.tensor([[[[4.0, 0.0]], [[0.0, 4.0]], [[2.5, 2.5]]]])
    assert 2 in upsample_argmax(logits, (1, 9), "exact")
    assert 2 not in upsample_argmax(logits, (1, 9), "paper")


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_accumulates_in_float32(dtype):
    logits = realistic_logits(3, 150, 16, 21, 15, seed=1, dtype=dtype)
    for mode in ("exact", "paper"):
        check(logits, (61, 90), mode, upsample_argmax(logits, (61, 90), mode))


def test_layouts_give_the_same_labels():
    logits = realistic_logits(2, 40, 13, 11, 10, seed=2)
    ref = upsample_argmax(logits, (50, 47))
    assert torch.equal(upsample_argmax(logits.contiguous(memory_format=torch.channels_last), (50, 47)), ref)
    wide = torch.zeros(2, 80, 13, 22)
    wide[:, ::2, :, ::2] = logits
    assert torch.equal(upsample_argmax(wide[:, ::2, :, ::2], (50, 47)), ref)
    assert torch.equal(upsample_argmax(logits.transpose(2, 3).contiguous().transpose(2, 3), (50, 47)), ref)
    one = realistic_logits(1, 40, 13, 11, 10, seed=3)
    assert torch.equal(upsample_argmax(one.expand(3, -1, -1, -1), (20, 20)),
                       upsample_argmax(one, (20, 20)).expand(3, -1, -1))


@pytest.mark.parametrize("out_dtype", [torch.int32, torch.uint8])
def test_narrow_output_dtypes(out_dtype):
    logits = realistic_logits(2, 150, 16, 16, 15, seed=4)
    wide = upsample_argmax(logits, (64, 64))
    narrow = upsample_argmax(logits, (64, 64), out_dtype=out_dtype)
    assert narrow.dtype == out_dtype and torch.equal(narrow.long(), wide)


def test_nan_and_inf_follow_torch_argmax():
    logits = torch.randn(2, 6, 5, 7)
    logits[0, 3, 2, 2] = float("nan")
    logits[1, 1, 0, 0] = float("inf")
    logits[1, 4, 4, 6] = float("-inf")
    for mode in ("exact", "paper"):
        full = up(logits, (23, 29))
        ref = full.argmax(1) if mode == "exact" else vim(logits, (23, 29))
        out = upsample_argmax(logits, (23, 29), mode)
        assert full.isnan().any(1).any()
        assert torch.equal(out, ref)


def test_compile_and_export():
    def f(x):
        return upsample_argmax(x * 2.0, (40, 36))

    x = realistic_logits(2, 30, 10, 9, 6, seed=5)
    compiled = torch.compile(f, fullgraph=True, backend="aot_eager")
    assert torch.equal(compiled(x), f(x))

    class M(torch.nn.Module):
        def forward(self, x):
            return upsample_argmax(x, (x.shape[2] * 4, x.shape[3] * 4), "paper")

    ep = torch.export.export(M(), (x,))
    assert "ppms.upsample_argmax" in str(ep.graph)
    assert torch.equal(ep.module()(x), M()(x))


def test_model_vim_uses_the_op():
    model = pp_mobileseg("tiny", vim_mode="paper").eval()
    x = torch.randn(2, 3, 70, 50)
    with torch.no_grad():
        assert torch.equal(model(x), upsample_argmax(model.logits(x), (70, 50), "paper"))
    with pytest.raises(ValueError, match="vim_mode"):
        pp_mobileseg("tiny", vim_mode="approx")


def test_build_info_names_the_kernels():
    assert KERNELS[0] == "scalar" and "/".join(KERNELS) in ppms_kernels.build_info()


def test_valid_interpolate_is_upsample_argmax():
    x = realistic_logits(2, 30, 9, 7, 5, seed=9)
    for mode in ("exact", "paper"):
        want = upsample_argmax(x, (33, 20), mode, torch.int32)
        assert torch.equal(valid_interpolate(x, (33, 20), mode, torch.int32), want)
        assert torch.equal(torch.ops.ppms.valid_interpolate(x, [33, 20], mode, torch.int32), want)

    class Old(torch.nn.Module):
        def forward(self, x):
            return torch.ops.ppms.valid_interpolate(x, [16, 16])

    ep = torch.export.export(Old(), (x,))  # an exported graph that names the old op still runs
    assert torch.equal(ep.module()(x), upsample_argmax(x, (16, 16)))


# Every implementation of the contract (the Triton kernel runs in its interpreter without a GPU: small shapes).

@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("mode", ["exact", "paper"])
@pytest.mark.parametrize("shape,size", [
    ((1, 1, 1, 1), (3, 5)), ((3, 7, 5, 9), (13, 31)), ((2, 40, 6, 4), (4, 9)), ((1, 13, 8, 8), (8, 8)),
])
def test_impls_random_logits(impl, shape, size, mode):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(sum(shape)))
    check(x, size, mode, on(impl, upsample_argmax)(x, size, mode))


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("mode", ["exact", "paper"])
def test_impls_realistic_logits_batch3(impl, mode):
    x = realistic_logits(3, 150, 12, 9, 15, seed=7)
    check(x, (61, 50), mode, on(impl, upsample_argmax)(x, (61, 50), mode))


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_impls_half_and_narrow_output(impl, dtype):
    x = realistic_logits(2, 40, 8, 10, 8, seed=8, dtype=dtype)
    run = on(impl, upsample_argmax)
    wide = run(x, (30, 41), "exact")
    check(x, (30, 41), "exact", wide)
    narrow = run(x, (30, 41), "exact", torch.uint8)
    assert narrow.dtype == torch.uint8 and torch.equal(narrow.long(), wide)
    assert torch.equal(wide, upsample_argmax(x, (30, 41)))  # the CPU kernel's labels


@pytest.mark.parametrize("impl", IMPLS)
def test_impls_nan_inf_like_torch_argmax(impl):
    x = torch.randn(2, 6, 5, 4)
    x[0, 2, 1, 1] = float("nan")
    x[1, 3, 2, 2] = float("inf")
    x[1, :, 0, 0] = float("-inf")
    run = on(impl, upsample_argmax)
    for mode in ("exact", "paper"):
        full = up(x, (11, 9))
        ref = full.argmax(1) if mode == "exact" else vim(x, (11, 9))
        assert torch.equal(run(x, (11, 9), mode), ref)


@pytest.mark.parametrize("impl", IMPLS)
def test_impls_weights_round_like_torch(impl):
    # Found on an H100, where the GPU and torch computed the source row 1.5 * (1/3) - 0.5 with one rounding (1e-8)
    # and our CPU kernel with two (0): -inf * that weight is -inf or NaN, and a different class won.
    inf, nan = float("inf"), float("nan")
    x = torch.tensor([[[[-1.1258, nan, 0.5667, 0.7935, 0.5988, -1.5551]], [[-0.3414, 1.8530, 0.4681, nan, -inf, 0.1835]],
                       [[1.3894, 1.5863, 0.9463, -0.8437, 0.9318, 1.2590]]]])
    ref = F.interpolate(x, size=(3, 2), mode="bilinear", align_corners=False).argmax(1)
    assert torch.equal(on(impl, upsample_argmax)(x, (3, 2)), ref)


@pytest.mark.parametrize("impl", impls("triton", "cuda"))
@settings(max_examples=60, deadline=None)
@given(B=st.integers(1, 3), C=st.integers(1, 40), h=st.integers(1, 9), w=st.integers(1, 9), H=st.integers(1, 40),
       W=st.integers(1, 40), mode=st.sampled_from(["exact", "paper"]),
       special=st.sampled_from(["none", "ties", "nonfinite"]), seed=st.integers(0, 2**31 - 1))
def test_impls_give_the_cpu_labels(impl, B, C, h, w, H, W, mode, special, seed):
    # Ties (rounded logits) and NaN/+-inf corners are where the candidate bound and torch.argmax's order matter.
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, C, h, w, generator=g)
    if special == "ties":
        x = x.round()
    elif special == "nonfinite":
        u = torch.rand(x.shape, generator=g)
        x[u < 0.05], x[(u >= 0.05) & (u < 0.1)], x[(u >= 0.1) & (u < 0.15)] = float("nan"), float("inf"), float("-inf")
    out = on(impl, upsample_argmax)(x, (H, W), mode)
    assert torch.equal(out, upsample_argmax(x, (H, W), mode))


@pytest.mark.parametrize("impl", impls("cpu", "cuda"))
def test_opcheck(impl):
    device = "cuda" if impl == "cuda" else "cpu"
    for args in [(realistic_logits(2, 30, 9, 7, 5).to(device), [33, 20], "exact", None),
                 (realistic_logits(1, 30, 9, 7, 5).to(device), [8, 40], "paper", torch.int32)]:
        torch.library.opcheck(torch.ops.ppms.upsample_argmax.default, args)
