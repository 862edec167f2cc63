"""Weight import: safe .pdparams reading, conversion, strict loading, and refusal of bad files."""
import copy
import os
import pickle
import struct
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
    with pytest.raises(WeightFileError, match=r"refusing to load (posix|os)\.system.*model\.state_dict\(\)") as e:
        load_model(path)
    assert "weights_only" not in str(e.value)  # torch's advice, weights_only=False, would run the file
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
        loaded = optimize(load_weights(pp_mobileseg("tiny", num_classes=7), path))
        assert torch.equal(loaded(x), optimize(copy.deepcopy(tiny))(x))


def test_files_are_recognised_by_content_not_name(tiny, tmp_path):
    state = paddle_state(tiny)
    torch.save(tiny.state_dict(), tmp_path / "torch.pdparams")
    torch.save(tiny.state_dict(), tmp_path / "legacy.bin", _use_new_zipfile_serialization=False)
    for path in (write_pdparams(tmp_path / "paddle.pt", state), write_pdparams(tmp_path / "paddle", state),
                 tmp_path / "torch.pdparams", tmp_path / "legacy.bin"):
        loaded = load_model(path).state_dict()
        for k, v in tiny.state_dict().items():
            assert torch.equal(loaded[k], v), (path, k)
    assert convert(tmp_path / "paddle", tmp_path / "out.pt") == ("tiny", 7)
    with pytest.raises(WeightFileError, match="a torch state dict, not a PaddleSeg .pdparams"):
        read_pdparams(tmp_path / "torch.pdparams")


@pytest.mark.parametrize("data,match", [
    (b"", "empty file"),
    (b"<!DOCTYPE html><html><body>404 Not Found</body></html>", "HTML .*failed download"),
    (b"\x00\x00\x00\x00" + bytes(60), "Paddle inference parameter file .*model.pdparams"),
    (b"\x89PNG\r\n\x1a\n" + bytes(60), r"not a weight file \(starts with b'\\x89PNG"),
    (b"(dp0\nS'a'\n", "not a weight file"),  # a protocol-0 pickle: no Paddle release writes one
    (b"PPMSMODL\x02\x00\x00\x00" + bytes(60), r"a \.ppms model file .*ppms_run or the C\+\+ API"),
], ids=["empty", "html", "pdiparams", "png", "protocol0", "ppms"])
def test_non_weight_files_are_named(tmp_path, data, match):
    path = tmp_path / "model.pdparams"
    path.write_bytes(data)
    for read in (load_model, read_pdparams):
        with pytest.raises(WeightFileError, match=match):
            read(path)


def test_torch_refusals_never_advise_unsafe_loading(tiny, tmp_path):
    torch.save(tiny, tmp_path / "whole_model.pt")  # a pickled module, not a state dict
    torch.save(tiny.state_dict(), tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    (tmp_path / "cut_legacy.pt").write_bytes((tmp_path / "legacy.pt").read_bytes()[:5000])
    torch.save(tiny.state_dict(), tmp_path / "zip.pt")
    (tmp_path / "cut_zip.pt").write_bytes((tmp_path / "zip.pt").read_bytes()[:5000])
    for name, match in [("whole_model.pt", r"refusing to load ppms_kernels\.models\.pp_mobileseg\.PPMobileSeg: "
                                           r".*torch.save\(model.state_dict\(\), path\)"),
                        ("cut_legacy.pt", "truncated or corrupted"), ("cut_zip.pt", "truncated or corrupted")]:
        with pytest.raises(WeightFileError, match=match) as e:
            load_model(tmp_path / name)
        assert "weights_only" not in str(e.value).lower() and "weights only" not in str(e.value).lower(), name


class _Py2Pickler(pickle._Pickler):
    """Writes bytes the way Python 2 wrote str (SHORT_BINSTRING, BINSTRING), as Paddle saves made under Python 2."""
    dispatch = dict(pickle._Pickler.dispatch)

    def _save_py2_str(self, obj):
        n = len(obj)
        head = pickle.SHORT_BINSTRING + bytes([n]) if n < 256 else pickle.BINSTRING + struct.pack("<i", n)
        self.write(head + obj)
        self.memoize(obj)

    dispatch[bytes] = _save_py2_str


@pytest.mark.parametrize("writer", ["protocol2", "python2"])
def test_protocol2_pdparams_load_safely(tiny, tmp_path, writer):
    state = paddle_state(tiny)
    path = tmp_path / "old.pdparams"
    if writer == "protocol2":  # what paddle.save(..., protocol=2) writes: bytes as _codecs.encode(str, "latin1")
        write_pdparams(path, state, protocol=2)
    else:
        with open(path, "wb") as f:
            _Py2Pickler(f, protocol=2).dump(state)
    params = read_pdparams(path)
    assert params.keys() == state.keys() - {STRUCTURE_KEY}
    for k, v in params.items():
        assert v.dtype == state[k].dtype and np.array_equal(v, state[k]), k
    assert torch.equal(load_model(path).decode_head.conv_seg.weight, tiny.decode_head.conv_seg.weight)


def test_protocol2_codec_is_restricted_to_latin1(tmp_path):
    class Encoded:
        def __reduce__(self):
            return (__import__("_codecs").encode, ("eJwrKs3LBgAEPQHn", "base64"))

    path = write_pdparams(tmp_path / "codec.pdparams", {"w": Encoded()}, protocol=2)
    with pytest.raises(WeightFileError, match="refusing _codecs.encode with 'base64'"):
        read_pdparams(path)


def test_convert_cli_guards_its_input_and_says_what_it_wrote(tiny, tmp_path, capsys):
    src = write_pdparams(tmp_path / "m.pdparams", paddle_state(tiny))
    original = src.read_bytes()
    (tmp_path / "link.pt").symlink_to(src)
    for dst in (src, tmp_path / "link.pt", tmp_path / "." / "m.pdparams"):
        assert ppms(["convert", str(src), str(dst)]) == 2
        assert "is the input file: refusing to overwrite it" in capsys.readouterr().err
    assert src.read_bytes() == original
    assert ppms(["convert", str(src), str(tmp_path)]) == 2
    assert f"{tmp_path} is a folder" in capsys.readouterr().err
    dst = tmp_path / "new" / "deeper" / "m.pt"
    assert ppms(["convert", str(src), str(dst)]) == 0
    out = capsys.readouterr().out
    size = f"{dst.stat().st_size / 1e6:.1f} MB"
    assert out.startswith(f"wrote {dst} ({size}): the torch state dict of PP-MobileSeg-tiny, 7 classes, converted "
                          f"from {src}"), out
    assert torch.equal(load_model(dst).decode_head.conv_seg.weight, tiny.decode_head.conv_seg.weight)
