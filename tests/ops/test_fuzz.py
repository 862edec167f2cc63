"""Property-based tests (hypothesis) of every op against its plain-PyTorch reference, over random shapes, dtypes,
layouts, class counts, scale factors (down-sampling too) and non-finite values.

Every run does ``EXAMPLES`` (1000) examples per op on the CPU and on a GPU; without a GPU the Triton kernels run in
Triton's interpreter, which takes seconds an example, so they get a tenth (VIM) and a hundredth (SEA) of that.
The long run multiplies every budget by ``LONG``:

    .venv/bin/python -m pytest tests/test_fuzz.py -m slow      # ~20x the examples, tens of minutes
"""
import os

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings, strategies as st

import ppms_kernels
from ppms_kernels.ops import kernels
from ppms_kernels.ops import axial_attention, sea_attention
from ppms_kernels.ops.reference import axial_attention as ref_axial
from ppms_kernels.ops.reference import vim
from ppms_kernels.models import pack
from ppms_kernels.testing import assert_labels_match

from helpers import HAS_TRITON, TRITON_DEVICE, block

# PPMS_FUZZ_EXAMPLES: a smaller budget for slow machines (the aarch64 job under qemu runs the same properties on 50).
EXAMPLES = int(os.environ.get("PPMS_FUZZ_EXAMPLES", "1000"))
LONG = 20
DEVICE = TRITON_DEVICE
BUDGETS = [pytest.param(1, id="ci"), pytest.param(LONG, id="long", marks=pytest.mark.slow)]


def run(prop, strategies, examples, derandomize):
    """Run ``prop`` under hypothesis for ``examples`` examples (a fresh wrapper per call: settings apply once).
    ``derandomize``: the same examples every run (CI stays reproducible; the long run explores afresh)."""
    settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow],
             derandomize=derandomize, print_blob=True)(given(**strategies)(prop))()


def special_values(x, kind, g):
    """``ties``: integer logits, so exact ties are everywhere; ``nonfinite``: ~5% each of NaN, +inf and -inf."""
    if kind == "ties":
        return x.round()
    if kind == "nonfinite":
        u = torch.rand(x.shape, generator=g)
        x = x.clone()
        x[u < 0.05], x[(u >= 0.05) & (u < 0.1)], x[(u >= 0.1) & (u < 0.15)] = float("nan"), float("inf"), float("-inf")
    return x


def relayout(x, kind):
    """The same values in another memory layout: channels_last, a strided slice, or a stride-0 (expanded) batch."""
    if kind == "channels_last":
        return x.contiguous(memory_format=torch.channels_last)
    if kind == "strided":
        wide = torch.zeros(x.shape[0], x.shape[1] * 2, x.shape[2], x.shape[3] * 3, dtype=x.dtype)
        wide[:, ::2, :, ::3] = x
        return wide[:, ::2, :, ::3]
    if kind == "expanded":
        return x[:1].expand_as(x)
    return x


VIM = dict(B=st.integers(1, 3), C=st.integers(1, 200), h=st.integers(1, 16), w=st.integers(1, 16),
           H=st.integers(1, 64), W=st.integers(1, 64), mode=st.sampled_from(["exact", "paper"]),
           dtype=st.sampled_from([torch.float32, torch.float16, torch.bfloat16]),
           out_dtype=st.sampled_from([torch.int64, torch.int32, torch.uint8]),
           special=st.sampled_from(["none", "ties", "nonfinite"]),
           layout=st.sampled_from(["contiguous", "channels_last", "strided", "expanded"]),
           seed=st.integers(0, 2**31 - 1))


def vim_cpu(B, C, h, w, H, W, mode, dtype, out_dtype, special, layout, seed):
    g = torch.Generator().manual_seed(seed)
    x = special_values(torch.randn(B, C, h, w, generator=g) * 3, special, g).to(dtype)
    if out_dtype == torch.uint8 and C > 256:
        out_dtype = torch.int32
    x = relayout(x, layout)
    out = ppms_kernels.upsample_argmax(x, (H, W), mode, out_dtype)
    assert out.dtype == out_dtype and out.shape == (B, H, W) and out.is_contiguous()
    xf = x.float().contiguous()
    up = F.interpolate(xf, (H, W), mode="bilinear", align_corners=False)
    ref = up.argmax(1) if mode == "exact" else vim(xf, (H, W))
    # Integer or half-precision logits make exact ties in real arithmetic common (ATen sums the four weighted
    # corners in another order, so it breaks them differently): any number of flips, each still a near-tie.
    tie_prone = special == "ties" or dtype != torch.float32
    assert_labels_match(out, ref, up, max_fraction=1.0 if tie_prone else 1e-4)
    scalar = torch.ops.ppms._upsample_argmax_with_kernel(xf, [H, W], mode, "scalar")
    assert torch.equal(out.long(), scalar)  # every SIMD kernel gives the scalar kernel's labels exactly
    for kernel in kernels("upsample_argmax"):
        assert torch.equal(torch.ops.ppms._upsample_argmax_with_kernel(xf, [H, W], mode, kernel), scalar), kernel


def vim_triton(B, C, h, w, H, W, mode, dtype, out_dtype, special, layout, seed):
    from ppms_kernels.ops.triton.upsample_argmax import upsample_argmax as triton_upsample_argmax

    g = torch.Generator().manual_seed(seed)
    x = relayout(special_values(torch.randn(B, C, h, w, generator=g) * 3, special, g).to(dtype), layout)
    out_dtype = torch.int32 if out_dtype == torch.uint8 and C > 256 else out_dtype
    out = triton_upsample_argmax(x.to(DEVICE), (H, W), mode, out_dtype).cpu()
    assert torch.equal(out, ppms_kernels.upsample_argmax(x, (H, W), mode, out_dtype))


SEA = dict(heads=st.integers(1, 4), kd=st.integers(1, 8), dim=st.integers(1, 24), B=st.integers(1, 3),
           H=st.integers(1, 20), W=st.integers(1, 20),
           layout=st.sampled_from(["contiguous", "channels_last", "strided", "expanded"]),
           seed=st.integers(0, 2**31 - 1))


def close(out, ref):
    """Within float32 rounding of the reference: 1e-5 of its largest value, plus 1e-6 absolute for outputs that
    cancel to near zero (where another summation order, e.g. cuBLAS's, moves the relative error)."""
    assert out.shape == ref.shape
    err = (out - ref).abs().max().item()
    assert err <= 1e-5 * ref.abs().max().item() + 1e-6, f"max error {err:.3g}, max |ref| {ref.abs().max().item():.3g}"


def sea_cpu(heads, kd, dim, B, H, W, layout, seed):
    m = block(dim, kd, heads, seed=seed)
    x = relayout(torch.randn(B, dim, H, W, generator=torch.Generator().manual_seed(seed)), layout)
    with torch.no_grad():
        ref = m(x.contiguous())
    w = pack(m)
    out = sea_attention(x, w, heads, kd)
    close(out, ref)
    for gemm in kernels("gemm"):  # the torch-free core's forward with each GEMM kernel
        close(torch.ops.ppms._sea_attention_with_gemm(x.contiguous(), w, heads, kd, gemm), ref)


def sea_triton(heads, kd, dim, B, H, W, layout, seed):
    from ppms_kernels.ops.triton.sea_attention import sea_attention as triton_sea_attention

    m = block(dim, kd, heads, seed=seed)
    x = relayout(torch.randn(B, dim, H, W, generator=torch.Generator().manual_seed(seed)), layout)
    with torch.no_grad():
        ref = m(x.contiguous())
    close(triton_sea_attention(x.to(DEVICE), [t.to(DEVICE) for t in pack(m)], heads, kd).cpu(), ref)


AXIAL = dict(B=st.integers(1, 3), heads=st.integers(1, 4), kd=st.integers(1, 6), dv=st.integers(1, 6),
             H=st.integers(1, 20), W=st.integers(1, 20), L=st.integers(1, 24), seed=st.integers(0, 2**31 - 1))


def axial(B, heads, kd, dv, H, W, L, seed):
    g = torch.Generator().manual_seed(seed)

    def r(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    inputs = [r(B, heads * kd, H, W), r(B, heads * kd, H, W), r(B, heads * dv, H, W), *[r(1, heads * kd, L) for _ in range(4)]]
    ours = [t.clone().requires_grad_() for t in inputs]
    theirs = [t.clone().requires_grad_() for t in inputs]
    row, col = axial_attention(*ours, heads)
    rrow, rcol = ref_axial(*theirs, heads)
    torch.testing.assert_close(row, rrow, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(col, rcol, rtol=1e-10, atol=1e-12)
    grow, gcol = r(*row.shape), r(*col.shape)
    torch.autograd.backward((row, col), (grow, gcol))
    torch.autograd.backward((rrow, rcol), (grow, gcol))
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-9, atol=1e-12)


# name: (property, strategies, examples per run); the Triton interpreter takes ~1 s (VIM) and ~4 s (SEA) an example
PROPERTIES = {
    "upsample_argmax_cpu": (vim_cpu, VIM, EXAMPLES),
    "upsample_argmax_triton": (vim_triton, VIM, EXAMPLES if DEVICE == "cuda" else max(EXAMPLES // 10, 1)),
    "sea_attention_cpu": (sea_cpu, SEA, EXAMPLES),
    "sea_attention_triton": (sea_triton, SEA, EXAMPLES if DEVICE == "cuda" else max(EXAMPLES // 100, 1)),
    "axial_attention": (axial, AXIAL, EXAMPLES),
}


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("name", list(PROPERTIES))
def test_property(name, budget):
    if name.endswith("triton") and not HAS_TRITON:
        pytest.skip("needs Triton")
    prop, strategies, examples = PROPERTIES[name]
    run(prop, strategies, examples * budget, derandomize=budget == 1)
