"""The PyTorch exits of the model: ONNX (``torch.onnx.export`` of the plain and the optimised model, ``ppms
export-onnx``), run by ONNX Runtime; TorchScript (a trace follows the input size, script refuses by name);
``torch.export`` for every input size from 16x16 up."""
from unittest import mock

import pytest
import torch
import torch.nn.functional as F

from ppms_kernels import ops, optimize
from ppms_kernels.models import MIN_INPUT_SIZE, export_program, pack, pp_mobileseg
from ppms_kernels.models.engine import pack_network
from ppms_kernels.ops import reference
from ppms_kernels.testing import assert_labels_match
from ppms_kernels.tools.cli import main

from helpers import block, randomise

# Batch 2 at 16x16 (the 1/32 and 1/64 maps one pixel wide), odd sides, a wide image.
SIZES = [(2, 16, 16), (1, 17, 40), (1, 72, 100)]
ENGINES = {"plain": None, "engine": True, "modules": False}  # the model as built, optimize(), optimize(engine=False)


def tiny(engine=None):
    model = randomise(pp_mobileseg("tiny", num_classes=7), seed=2).eval()
    return model if engine is None else optimize(model, engine=engine)


def check_labels(run, model):
    """``run(x)`` gives the labels of ``model(x)`` (but for float near-ties) at every size of SIZES."""
    for i, (b, h, w) in enumerate(SIZES):
        x = torch.randn(b, 3, h, w, generator=torch.Generator().manual_seed(i))
        with torch.no_grad():
            labels, logits = model(x), model.logits(x)
        up = F.interpolate(logits, (h, w), mode="bilinear", align_corners=False)
        assert_labels_match(run(x), labels, up)


def onnxruntime_labels(path):
    ort = pytest.importorskip("onnxruntime")
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return lambda x: torch.from_numpy(sess.run(None, {name: x.numpy()})[0])


# ---- ONNX

def test_torch_onnx_export_of_the_plain_model(tmp_path):
    pytest.importorskip("onnxscript")
    model = tiny()
    x = torch.randn(1, 3, 48, 64)
    with torch.no_grad():
        # As a user calls it (this size only); without ONNX's own graph optimiser, which takes a third of the time.
        torch.onnx.export(model, (x,), tmp_path / "m.onnx", dynamo=True, optimize=False)
        logits = model.logits(x)
    up = F.interpolate(logits, (48, 64), mode="bilinear", align_corners=False)
    assert_labels_match(onnxruntime_labels(tmp_path / "m.onnx")(x), model(x), up)


def test_ppms_export_onnx_takes_every_size(tmp_path, capsys):
    pytest.importorskip("onnxscript")
    out = tmp_path / "new" / "m.onnx"
    assert main(["export-onnx", str(out), "--variant", "tiny", "--size", "64"]) == 0
    assert f"wrote {out}: PP-MobileSeg-tiny, 150 classes" in capsys.readouterr().out
    # The CLI exports optimize()'s model, whose engine has no ONNX form: the export runs the modules it was packed
    # from (fused, folded), and leaves the engine's blob out.
    assert out.stat().st_size < 1.2 * 4 * sum(p.numel() for p in pp_mobileseg("tiny").parameters())
    torch.manual_seed(0)  # the CLI's random weights
    check_labels(onnxruntime_labels(out), pp_mobileseg("tiny").eval())
    assert main(["export-onnx", str(out), "--size", "8"]) == 2
    assert "--size 8: the model takes sides from 16" in capsys.readouterr().err


def test_ops_in_an_onnx_export_are_plain_pytorch():
    """What each op becomes while torch.onnx.export traces (``is_in_onnx_export()``): the same result in plain
    PyTorch, or, for the engine's blob, a refusal that names the op and the way out."""
    attn = block(64, 16, 4, seed=3)
    x = torch.randn(2, 64, 17, 12)
    weights = pack(attn)
    logits = torch.randn(2, 7, 5, 6)
    q, k, v = torch.randn(2, 64, 5, 7), torch.randn(2, 64, 5, 7), torch.randn(2, 128, 5, 7)
    pos = [torch.randn(1, 64, 16) for _ in range(4)]
    packed, signature = ops.network_pack(*pack_network(tiny()))
    with torch.no_grad():
        want = [ops.sea_attention(x, weights, 4, 16), ops.axial_attention(q, k, v, *pos, 4),
                ops.upsample_argmax(logits, (40, 33), "paper", torch.uint8)]
        with mock.patch("torch.onnx.is_in_onnx_export", return_value=True):
            got = [ops.sea_attention(x, weights, 4, 16), ops.axial_attention(q, k, v, *pos, 4),
                   ops.upsample_argmax(logits, (40, 33), "paper", torch.uint8)]
            with pytest.raises(NotImplementedError, match="ppms::network has no ONNX form.*export the PPMobileSeg"):
                ops.network(torch.randn(1, 3, 32, 32), packed, signature)
    torch.testing.assert_close(got[0], want[0], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(got[1], want[1], rtol=1e-5, atol=1e-6)
    assert got[2].dtype == torch.uint8 and torch.equal(got[2], want[2])
    torch.testing.assert_close(reference.sea_attention(x, weights, 4, 16), attn(x), rtol=1e-4, atol=1e-5)


# ---- TorchScript

@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::torch.jit.TracerWarning")
@pytest.mark.parametrize("engine", ["plain", "engine"])
def test_trace_follows_the_input_size(engine):
    model = tiny(ENGINES[engine])
    with torch.no_grad():
        traced = torch.jit.trace(model, torch.randn(1, 3, 64, 64))
    with torch.no_grad():
        check_labels(traced, model)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_script_refuses_by_name():
    with pytest.raises(RuntimeError, match="torch.jit.script cannot compile PPMobileSeg.*torch.jit.trace"):
        torch.jit.script(tiny())


# ---- torch.export

@pytest.mark.parametrize("engine", list(ENGINES))
def test_export_program_takes_every_size(engine):
    model = tiny(ENGINES[engine])
    program = export_program(model, torch.randn(1, 3, 64, 64))
    with torch.no_grad():
        check_labels(program.module(), model)
        small = torch.randn(1, 3, MIN_INPUT_SIZE - 1, 32)
        with pytest.raises(Exception, match=f">= {MIN_INPUT_SIZE}"):  # the limits are checked
            program.module()(small)
