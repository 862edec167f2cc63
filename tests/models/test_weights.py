"""Weight import: safe .pdparams reading, conversion, strict loading, and refusal of bad files."""
import copy
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from ppms_kernels import WeightFileError, convert, load_model, load_weights, optimize, read_pdparams
from ppms_kernels.tools.cli import main as ppms
from ppms_kernels.models import pp_mobileseg
from ppms_kernels.models.weights import STRUCTURE_KEY

from helpers import paddle_state, write_pdparams


@pytest.fixture(scope="module")
def tiny():
    model = pp_mobileseg("tiny", num_classes=7)
    with torch.no_grad():
        for t in model.state_dict().values():
            if t.is_floating_point():
                t.copy_(torch.rand_like(t) + 0.5)
    return model.eval()


def test_roundtrip_pdparams_and_pt(tiny, tmp_path):
    src = write_pdparams(tmp_path / "m.pdparams", paddle_state(tiny))
    assert convert(src, tmp_path / "m.pt") == ("tiny", 7)
    for path in (src, tmp_path / "m.pt"):
        loaded = load_model(path)
        assert (loaded.variant, loaded.num_classes) == ("tiny", 7)
        for k, v in tiny.state_dict().items():
            if not k.endswith("num_batches_tracked"):
                assert torch.equal(loaded.state_dict()[k], v), k
    x = torch.randn(1, 3, 48, 40)
    with torch.no_grad():
        assert torch.equal(load_model(src)(x), tiny(x))


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pdparams_is_refused_without_running(tiny, tmp_path):
    marker = tmp_path / "pwned"
    state = paddle_state(tiny)
    state["backbone.smb1.conv.c.weight"] = _Evil(marker)
    path = write_pdparams(tmp_path / "evil.pdparams", state)
    with pytest.raises(WeightFileError, match=r"refusing to load (posix|os)\.system"):
        read_pdparams(path)
    assert not marker.exists()
    # The CLI reports it plainly, with a non-zero exit.
    r = subprocess.run([sys.executable, "-m", "ppms_kernels.tools.cli", "convert", str(path), str(tmp_path / "o.pt")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "refusing to load" in r.stderr and "Traceback" not in r.stderr
    assert not marker.exists() and not (tmp_path / "o.pt").exists()


def test_malicious_pt_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"w": _Evil(marker)}, path)
    with pytest.raises(WeightFileError, match="not a readable torch weight file"):
        load_model(path)
    assert not marker.exists()


def test_truncated_pdparams(tiny, tmp_path):
    path = write_pdparams(tmp_path / "m.pdparams", paddle_state(tiny))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightFileError, match="truncated or corrupted"):
        read_pdparams(path)


def test_garbage_and_wrong_container(tmp_path):
    (tmp_path / "g.pdparams").write_bytes(os.urandom(4096))
    with pytest.raises(WeightFileError):
        read_pdparams(tmp_path / "g.pdparams")
    write_pdparams(tmp_path / "l.pdparams", [np.zeros(3)])
    with pytest.raises(WeightFileError, match="expected a dict"):
        read_pdparams(tmp_path / "l.pdparams")
    write_pdparams(tmp_path / "s.pdparams", {"a": "text"})
    with pytest.raises(WeightFileError, match="'a' is not a numeric array"):
        read_pdparams(tmp_path / "s.pdparams")
    write_pdparams(tmp_path / "o.pdparams", {"a": np.array([None, 1], dtype=object)})
    with pytest.raises(WeightFileError):
        read_pdparams(tmp_path / "o.pdparams")
    (tmp_path / "bad.pt").write_bytes(b"not a zip")
    with pytest.raises(WeightFileError, match="bad.pt"):
        load_model(tmp_path / "bad.pt")
    with pytest.raises(FileNotFoundError):
        read_pdparams(tmp_path / "missing.pdparams")


@pytest.mark.parametrize("damage,match", [
    (lambda s: s.pop("backbone.trans1.transformer_blocks.0.attn.to_q.c.weight"), "missing keys: .*to_q.c.weight"),
    (lambda s: s.__setitem__("backbone.extra.weight", np.zeros(3, np.float32)), "unexpected keys: backbone.extra"),
    (lambda s: s.__setitem__("backbone.smb1.conv.c.weight", np.zeros((16, 3, 5, 5), np.float32)),
     r"mis-shaped keys: backbone.smb1.conv.c.weight: file \(16, 3, 5, 5\)"),
    (lambda s: s["backbone.smb1.conv.bn._variance"].__setitem__(0, np.nan), "NaN"),
    (lambda s: s.pop("decode_head.conv_seg.weight"), "not a PP-MobileSeg checkpoint"),
])
def test_mismatched_weights_name_the_problem(tiny, tmp_path, damage, match):
    state = paddle_state(tiny)
    damage(state)
    path = write_pdparams(tmp_path / "m.pdparams", state)
    with pytest.raises(WeightFileError, match=match):
        load_model(path)
    assert ppms(["convert", str(path), str(tmp_path / "m.pt")]) == 2
    assert not (tmp_path / "m.pt").exists()


def test_load_weights_into_wrong_variant(tiny, tmp_path):
    path = write_pdparams(tmp_path / "m.pdparams", paddle_state(tiny))
    with pytest.raises(WeightFileError, match="PP-MobileSeg-base"):
        load_weights(pp_mobileseg("base", num_classes=7), path)
    with pytest.raises(WeightFileError, match="mis-shaped keys: decode_head.conv_seg"):
        load_weights(pp_mobileseg("tiny", num_classes=150), path)


@pytest.mark.parametrize("step", [optimize, lambda m: m.fuse(), lambda m: optimize(m, engine=False)])
def test_loading_after_optimize_says_load_first(tiny, tmp_path, step):
    path = write_pdparams(tmp_path / "m.pdparams", paddle_state(tiny))
    model = step(pp_mobileseg("tiny", num_classes=7))
    with pytest.raises(WeightFileError, match=r"after optimize\(\).*load first, then optimize"):
        load_weights(model, path)
    with pytest.raises(RuntimeError, match=r"load first, then optimize"):
        model.load_state_dict(tiny.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():  # the order the message gives works
        assert torch.equal(optimize(load_weights(pp_mobileseg("tiny", num_classes=7), path))(x), optimize(copy.deepcopy(tiny))(x))
