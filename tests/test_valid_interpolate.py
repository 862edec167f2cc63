"""ppms::valid_interpolate (CPU): every kernel against the scalar kernel, and all against the references."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

import ppms_kernels
from ppms_kernels import _C, valid_interpolate
from ppms_kernels.models import pp_mobileseg
from ppms_kernels.reference import vim
from ppms_kernels.testing import assert_labels_match, realistic_logits


KERNELS = _C.vim_kernels()


def up(logits, size):
    return F.interpolate(logits.float(), size=tuple(size), mode="bilinear", align_corners=False)


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
    scalar = _C.valid_interpolate_with(logits, [H, W], mode, "scalar")
    for k in KERNELS:
        assert torch.equal(_C.valid_interpolate_with(logits, [H, W], mode, k), scalar), k
    assert torch.equal(valid_interpolate(logits, (H, W), mode), scalar)
    check(logits, (H, W), mode, scalar)


@pytest.mark.parametrize("K", [1, 15, 40, 150])
@pytest.mark.parametrize("h,size", [(64, (512, 512)), (32, (512, 512)), (17, (101, 67))])
@pytest.mark.parametrize("mode", ["exact", "paper"])
def test_realistic_logits(K, h, size, mode):
    logits = realistic_logits(1 if h > 32 else 3, 150, h, h + 3, K, seed=K + h)
    out = valid_interpolate(logits, size, mode)
    assert out.dtype == torch.int64
    check(logits, size, mode, out)
    for k in KERNELS:
        assert torch.equal(_C.valid_interpolate_with(logits, list(size), mode, k), out), k


def test_paper_mode_approximates_exact_mode():
    # Class 2 wins no low-res pixel but wins between them: paper mode misses it, exact mode finds it.
    logits = torch.tensor([[[[4.0, 0.0]], [[0.0, 4.0]], [[2.5, 2.5]]]])
    assert 2 in valid_interpolate(logits, (1, 9), "exact")
    assert 2 not in valid_interpolate(logits, (1, 9), "paper")


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_accumulates_in_float32(dtype):
    logits = realistic_logits(3, 150, 16, 21, 15, seed=1, dtype=dtype)
    for mode in ("exact", "paper"):
        check(logits, (61, 90), mode, valid_interpolate(logits, (61, 90), mode))


def test_layouts_give_the_same_labels():
    logits = realistic_logits(2, 40, 13, 11, 10, seed=2)
    ref = valid_interpolate(logits, (50, 47))
    assert torch.equal(valid_interpolate(logits.contiguous(memory_format=torch.channels_last), (50, 47)), ref)
    wide = torch.zeros(2, 80, 13, 22)
    wide[:, ::2, :, ::2] = logits
    assert torch.equal(valid_interpolate(wide[:, ::2, :, ::2], (50, 47)), ref)
    assert torch.equal(valid_interpolate(logits.transpose(2, 3).contiguous().transpose(2, 3), (50, 47)), ref)
    one = realistic_logits(1, 40, 13, 11, 10, seed=3)
    assert torch.equal(valid_interpolate(one.expand(3, -1, -1, -1), (20, 20)),
                       valid_interpolate(one, (20, 20)).expand(3, -1, -1))


@pytest.mark.parametrize("out_dtype", [torch.int32, torch.uint8])
def test_narrow_output_dtypes(out_dtype):
    logits = realistic_logits(2, 150, 16, 16, 15, seed=4)
    wide = valid_interpolate(logits, (64, 64))
    narrow = valid_interpolate(logits, (64, 64), out_dtype=out_dtype)
    assert narrow.dtype == out_dtype and torch.equal(narrow.long(), wide)


def test_nan_and_inf_follow_torch_argmax():
    logits = torch.randn(2, 6, 5, 7)
    logits[0, 3, 2, 2] = float("nan")
    logits[1, 1, 0, 0] = float("inf")
    logits[1, 4, 4, 6] = float("-inf")
    for mode in ("exact", "paper"):
        full = up(logits, (23, 29))
        ref = full.argmax(1) if mode == "exact" else vim(logits, (23, 29))
        out = valid_interpolate(logits, (23, 29), mode)
        assert full.isnan().any(1).any()
        assert torch.equal(out, ref)


def test_opcheck():
    for args in [(realistic_logits(2, 30, 9, 7, 5), [33, 20], "exact", None),
                 (realistic_logits(1, 30, 9, 7, 5), [8, 40], "paper", torch.int32)]:
        torch.library.opcheck(torch.ops.ppms.valid_interpolate.default, args)


def test_compile_and_export():
    def f(x):
        return valid_interpolate(x * 2.0, (40, 36))

    x = realistic_logits(2, 30, 10, 9, 6, seed=5)
    compiled = torch.compile(f, fullgraph=True, backend="aot_eager")
    assert torch.equal(compiled(x), f(x))

    class M(torch.nn.Module):
        def forward(self, x):
            return valid_interpolate(x, (x.shape[2] * 4, x.shape[3] * 4), "paper")

    ep = torch.export.export(M(), (x,))
    assert "ppms.valid_interpolate" in str(ep.graph)
    assert torch.equal(ep.module()(x), M()(x))


def test_model_vim_uses_the_op():
    model = pp_mobileseg("tiny", vim_mode="paper").eval()
    x = torch.randn(2, 3, 70, 50)
    with torch.no_grad():
        assert torch.equal(model(x), valid_interpolate(model.logits(x), (70, 50), "paper"))
    with pytest.raises(ValueError, match="vim_mode"):
        pp_mobileseg("tiny", vim_mode="approx")


def test_build_info_names_the_kernel():
    assert KERNELS[-1] in ppms_kernels.build_info()
