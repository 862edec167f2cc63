"""Parity with the official PaddleSeg 2.8.0 implementation (AAM gates fixed to Sigmoid), every weight random.

The Paddle model is saved with ``paddle.save`` as a real ``.pdparams`` and converted with ``ppms convert``.
"""
import json

import numpy as np
import pytest
import torch

from ppms_kernels import load_model
from ppms_kernels.tools.cli import main as ppms
from ppms_kernels.ops.reference import vim
from ppms_kernels.testing import assert_labels_match


RTOL = 1e-5  # max |ours - paddle| / max |paddle|


def max_rel_err(ours, ref):
    return ((ours - ref).abs().max() / ref.abs().max()).item()


@pytest.fixture(scope="module", params=["tiny", "base"])
def converted(request, paddle_reference, tmp_path_factory):
    ref = paddle_reference(request.param)
    pt = tmp_path_factory.mktemp("converted") / f"{request.param}.pt"
    assert ppms(["convert", str(ref / "model.pdparams"), str(pt)]) == 0
    return request.param, ref, pt


def cases(ref):
    for case in json.loads((ref / "cases.json").read_text()):
        yield case, lambda key, case=case: torch.from_numpy(np.load(ref / f"{case}_{key}.npy"))


def test_converted_weights_load_strictly(converted):
    variant, ref, pt = converted
    model = load_model(pt)
    assert (model.variant, model.num_classes) == (variant, 150)
    direct = load_model(ref / "model.pdparams")
    for (k, a), (_, b) in zip(model.state_dict().items(), direct.state_dict().items()):
        assert torch.equal(a, b), k


def test_logits_match_paddle(converted):
    variant, ref, pt = converted
    model = load_model(pt, upsample="interpolate")
    seen = []
    for case, load in cases(ref):
        x = load("x")
        with torch.no_grad():
            lowres, logits = model.logits(x), model(x)
        assert logits.shape == load("logits").shape
        for name, ours, theirs in (("low-res", lowres, load("lowres")), ("upsampled", logits, load("logits"))):
            err = max_rel_err(ours, theirs)
            assert err <= RTOL, f"{variant} {case} {name} logits: max relative error {err:.2e}"
        seen.append(case)
    assert any(c.startswith("2x") for c in seen) and any(int(c.split("x")[1]) % 32 for c in seen)


def test_vim_labels_match_paddle(converted):
    variant, ref, pt = converted
    paper = load_model(pt, upsample="vim", vim_mode="paper")
    exact = load_model(pt, upsample="vim", vim_mode="exact")
    for case, load in cases(ref):
        x, theirs, their_logits = load("x"), load("vim").long(), load("logits")
        with torch.no_grad():
            ours = paper(x)
            ours_exact = exact(x)
        assert ours.dtype == torch.int64 and ours.shape == theirs.shape
        assert_labels_match(ours, theirs, their_logits)
        # Exact mode: the labels of Paddle's full upsample + argmax.
        assert_labels_match(ours_exact, their_logits.argmax(1), their_logits)
        # The same low-res logits through our VIM reference: only the bilinear arithmetic differs.
        assert_labels_match(vim(load("lowres"), x.shape[-2:]), theirs, their_logits)
