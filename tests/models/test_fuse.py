"""Inference fusion of the model: every SEA attention block fused (``fuse()``), every BatchNorm folded
(``optimize()``), on CPU and on CUDA, against the unfused model; training with the axial-attention kernel in place."""
import copy

import pytest
import torch
import torch.nn.functional as F

from ppms_kernels import optimize
from ppms_kernels.models import FusedSeaAttention, SeaAttention, pp_mobileseg
from ppms_kernels.ops import SEA_WEIGHTS
from ppms_kernels.testing import assert_labels_match

from helpers import HAS_CUDA, block, randomise, rel_err

cuda = pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU")


def test_fused_block_buffers_are_the_packed_weights_in_order():
    assert list(FusedSeaAttention(block(16, 4, 2))._buffers) == list(SEA_WEIGHTS)


@pytest.mark.parametrize("variant", ["tiny", "base"])
def test_fused_model_matches_unfused(variant):
    model = randomise(pp_mobileseg(variant, upsample="interpolate"), seed=3).eval()
    x = torch.randn(2, 3, 97, 130)
    with torch.no_grad():
        ref = model.logits(x)
        fused = model.fuse().logits(x)
    assert rel_err(fused, ref) <= 1e-5
    assert sum(isinstance(m, FusedSeaAttention) for m in model.modules()) == {"tiny": 4, "base": 6}[variant]


@pytest.mark.parametrize("engine", [True, False], ids=["engine", "modules"])
@pytest.mark.parametrize("variant", ["tiny", "base"])
def test_optimize_folds_every_batchnorm_and_stays_exact(variant, engine):
    model = randomise(pp_mobileseg(variant, num_classes=19), seed=5).eval()
    x = torch.randn(2, 3, 97, 130)
    with torch.no_grad():
        ref = model.logits(x)
        ref_labels = model(x)
        optimize(model, engine=engine)
        out = model.logits(x)
        labels = model(x)
    assert rel_err(out, ref) <= (1e-4 if engine else 1e-5)
    assert (model.engine is not None) == engine
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert_labels_match(labels, ref_labels, torch.nn.functional.interpolate(ref, x.shape[-2:], mode="bilinear"))


def test_fuse_then_optimize_runs_the_engine_on_the_same_weights():
    """What README's snippet does: fuse(), then optimize(): the engine packs the fused SEA blocks' folded weights,
    the same blob as from the unfused model."""
    model = randomise(pp_mobileseg("tiny", num_classes=7), seed=5).eval()
    fused = copy.deepcopy(model).fuse()
    assert torch.equal(optimize(fused).engine, optimize(model).engine)
    assert fused.engine_signature == model.engine_signature


def test_optimize_default_and_refusals():
    model = randomise(pp_mobileseg("tiny", num_classes=7), seed=5).eval()
    assert optimize(model).engine.dtype == torch.uint8
    optimize(model)  # again: the blob is kept
    assert optimize(model, engine=False).engine is None
    with pytest.raises(ValueError, match="optimised without the engine"):
        optimize(model, engine=True)
    with pytest.raises(ValueError, match="the engine runs on the CPU, this model is on meta"):
        optimize(pp_mobileseg("tiny").to("meta"), engine=True)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
@pytest.mark.parametrize("engine", [None, False, True])
def test_optimize_refuses_other_dtypes_at_once(dtype, engine):
    model = pp_mobileseg("tiny", num_classes=7).to(dtype)
    with pytest.raises(TypeError, match=rf"float32 models, this one is {dtype}: optimize\(model.float\(\)\)"):
        optimize(model, engine=engine)
    assert not model.is_fused() and all(p.dtype == dtype for p in model.parameters())  # left as it was


def test_compile_and_export_engine_model():
    model = optimize(randomise(pp_mobileseg("tiny", num_classes=7), seed=5))
    x = torch.randn(2, 3, 80, 96)
    with torch.no_grad():
        labels, logits = model(x), model.logits(x)
        compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
        torch.testing.assert_close(compiled(x), labels)
        ep = torch.export.export(model, (x,))
    assert "ppms.network" in str(ep.graph) and "ppms.upsample_argmax" in str(ep.graph)
    with torch.no_grad():
        torch.testing.assert_close(ep.module()(x), labels)
        torch.testing.assert_close(torch.compile(model.logits, fullgraph=True, backend="aot_eager")(x), logits)


def test_model_trains_with_the_kernel_in_place():
    torch.manual_seed(0)
    # float64, so that the comparison is not drowned by how training-mode BatchNorm amplifies float32 rounding.
    fast = randomise(pp_mobileseg("tiny", num_classes=19), seed=4).double().train()
    slow = randomise(pp_mobileseg("tiny", num_classes=19), seed=4).double().train()
    for m in slow.modules():
        if isinstance(m, SeaAttention):
            m.use_kernel = False
    x = torch.randn(2, 3, 64, 48, dtype=torch.float64)
    torch.manual_seed(1)
    a = fast(x)
    torch.manual_seed(1)
    b = slow(x)
    assert rel_err(a, b) <= 1e-10
    a.square().mean().backward()
    b.square().mean().backward()
    for (n, p), q in zip(fast.named_parameters(), slow.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-7, atol=1e-12, msg=n)


def test_compile_and_export_fused_model():
    model = randomise(pp_mobileseg("tiny", upsample="interpolate"), seed=5).eval().fuse()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        ref = model.logits(x)
        compiled = torch.compile(model.logits, fullgraph=True, backend="aot_eager")
        torch.testing.assert_close(compiled(x), ref)
        ep = torch.export.export(model, (x,))
    assert "ppms.sea_attention" in str(ep.graph)
    with torch.no_grad():
        torch.testing.assert_close(ep.module()(x), model(x))


@cuda
@pytest.mark.parametrize("variant", ["tiny", "base"])
def test_optimized_model_on_cuda_matches_cpu_reference(variant):
    model = randomise(pp_mobileseg(variant), seed=6).eval()
    x = torch.randn(2, 3, 256, 200)
    with torch.no_grad():
        logits = model.logits(x)
        up = F.interpolate(logits, x.shape[-2:], mode="bilinear", align_corners=False)
        fast = optimize(model.cuda())
        labels = fast(x.cuda())
        assert rel_err(fast.logits(x.cuda()).cpu(), logits) <= 1e-4
    assert_labels_match(labels.cpu(), up.argmax(1), up)


@cuda
def test_compiled_model_on_cuda():
    model = optimize(randomise(pp_mobileseg("tiny"), seed=7).cuda())
    x = torch.randn(1, 3, 128, 160, device="cuda")
    with torch.no_grad():
        logits = model.logits(x)
        compiled = torch.compile(model, fullgraph=True)(x)
    up = F.interpolate(logits, x.shape[-2:], mode="bilinear", align_corners=False)
    assert_labels_match(compiled, up.argmax(1), up)  # inductor may fuse the pointwise ops: near-ties can flip
