"""The bad-input matrix of every public entry point: each bad argument gets an exception of the right type whose
message names it, before anything is allocated or launched; the CPU ops and their Triton kernels share one table.
Valid but unusual inputs (layouts, NaN/inf) are the fuzz tests' domain (test_fuzz.py); they get the reference answer.
"""
import os
import pickle
import random

import numpy as np
import pytest
import torch

from ppms_kernels import WeightFileError, load_model, read_pdparams, upsample_argmax
from ppms_kernels.tools.cli import main as ppms
from ppms_kernels.models import MIN_INPUT_SIZE, pp_mobileseg
from ppms_kernels.ops import axial_attention, sea_attention
from ppms_kernels.models import FusedSeaAttention, pack
from ppms_kernels.ops.triton.sea_attention import sea_attention as triton_sea_attention
from ppms_kernels.ops.triton.upsample_argmax import upsample_argmax as triton_upsample_argmax

from helpers import TRITON_DEVICE, block, paddle_state, write_pdparams

x4 = torch.randn(1, 3, 4, 4)

VIM_BAD = [  # (args, exception, message)
    ((torch.randn(3, 4, 5), (8, 8)), ValueError, "4-D"),
    ((torch.randn(1, 3, 4, 4, 1), (8, 8)), ValueError, "4-D"),
    ((torch.randint(0, 5, (1, 3, 4, 4)), (8, 8)), TypeError, "float32"),
    ((x4 > 0, (8, 8)), TypeError, "float32"),
    ((x4.double(), (8, 8)), TypeError, "float32"),
    ((torch.randn(0, 3, 4, 4), (8, 8)), ValueError, "non-empty"),
    ((torch.randn(1, 0, 4, 4), (8, 8)), ValueError, "non-empty"),
    ((torch.randn(1, 3, 0, 4), (8, 8)), ValueError, "non-empty"),
    ((x4, (0, 8)), ValueError, "size"),
    ((x4, (-3, 8)), ValueError, "size"),
    ((x4, (8, 40000)), ValueError, "size"),
    ((x4, (1 << 20, 1 << 20)), ValueError, "size"),
    ((x4, (8, 8), "fast"), ValueError, "mode"),
    ((torch.randn(1, 300, 4, 4), (8, 8), "exact", torch.uint8), ValueError, "256"),
    ((x4, (8, 8), "exact", torch.float32), TypeError, "out_dtype"),
    ((x4, (8, 8), "exact", torch.bool), TypeError, "out_dtype"),
]
SIZE_BAD = [  # checked by the Python wrapper, before dispatch to any device
    ((x4, (8.5, 8)), TypeError, "size"),
    ((x4, (True, 8)), TypeError, "size"),
    ((x4, (8, 8, 8)), TypeError, "size"),
    ((x4, 8), TypeError, "size"),
    ((x4, None), TypeError, "size"),
    (([[1.0]], (8, 8)), TypeError, "logits must be a tensor"),
]


@pytest.mark.parametrize("args,err,match", VIM_BAD + SIZE_BAD)
def test_upsample_argmax(args, err, match):
    with pytest.raises(err, match=match):
        upsample_argmax(*args)


@pytest.mark.parametrize("args,err,match", VIM_BAD)
def test_upsample_argmax_triton(args, err, match):
    with pytest.raises(err, match=match):
        triton_upsample_argmax(args[0].to(TRITON_DEVICE), *args[1:])


x16 = torch.randn(1, 16, 8, 8)
SEA_BAD = [  # (x, weights, num_heads, key_dim, exception, message)
    (torch.randn(1, 8, 8, 8), None, 2, 4, ValueError, "channels"),
    (x16[0], None, 2, 4, ValueError, "4-D"),
    (x16[:0], None, 2, 4, ValueError, "non-empty"),
    (torch.randn(1, 16, 0, 8), None, 2, 4, ValueError, "non-empty"),
    (torch.randn(1, 16, 1, 20000), None, 2, 4, ValueError, "at most"),
    (x16.double(), None, 2, 4, TypeError, "float32"),
    (x16.long(), None, 2, 4, TypeError, "float32"),
    (x16 > 0, None, 2, 4, TypeError, "float32"),
    (x16, lambda i, t: t.double() if i == 2 else t, 2, 4, TypeError, "qkv_w must be float32"),
    (x16, "drop last", 2, 4, ValueError, "expected 15 packed weights"),
    (x16, None, 4, 4, ValueError, "qkv_w has shape"),
    (x16, None, 0, 4, ValueError, "num_heads and key_dim"),
    (x16, None, 2, -1, ValueError, "num_heads and key_dim"),
    (x16, lambda i, t: torch.randn(5) if i == 1 else t, 2, 4, ValueError, "stride_b has shape"),
    (x16, lambda i, t: torch.randn(16, 15) if i == 8 else t, 2, 4, ValueError, "row_w has shape"),
    (x16, lambda i, t: torch.randn(4, 8, 0) if i == 14 else t, 2, 4, ValueError, "pos must be"),
    (x16, lambda i, t: t[..., None] if i == 14 else t, 2, 4, ValueError, "pos must be"),
    (x16, lambda i, t: t.to("meta") if i == 3 else t, 2, 4, (ValueError, RuntimeError), "qkv_b is on meta"),
]


def _sea_case(x, change):
    w = pack(block(16, 4, 2))
    if change == "drop last":
        return x, w[:-1]
    return x, [change(i, t) for i, t in enumerate(w)] if change else w


@pytest.mark.parametrize("x,change,heads,kd,err,match", SEA_BAD)
def test_sea_attention(x, change, heads, kd, err, match):
    x, w = _sea_case(x, change)
    with pytest.raises(err, match=match):
        sea_attention(x, w, heads, kd)


@pytest.mark.parametrize("x,change,heads,kd,err,match", SEA_BAD)
def test_sea_attention_triton(x, change, heads, kd, err, match):
    x, w = _sea_case(x, change)
    with pytest.raises(err, match=match):
        triton_sea_attention(x.to(TRITON_DEVICE), [t if t.device.type == "meta" else t.to(TRITON_DEVICE) for t in w],
                             heads, kd)


def test_sea_attention_on_meta_tensors_is_shape_only():
    x, w = _sea_case(x16, None)
    out = sea_attention(x.to("meta"), [t.to("meta") for t in w], 2, 4)
    assert out.device.type == "meta" and out.shape == x.shape
    with pytest.raises(ValueError, match="is on cpu, x on meta"):
        sea_attention(x.to("meta"), w, 2, 4)


def test_fused_block_refuses_training():
    with pytest.raises(RuntimeError, match="inference-only"):
        FusedSeaAttention(block(16, 4, 2)).train()(x16)


q = torch.randn(2, 8, 5, 7)
v = torch.randn(2, 16, 5, 7)
pos = [torch.randn(1, 8, 16) for _ in range(4)]
AXIAL_BAD = [  # (q, k, v, pos, num_heads, exception, message)
    (q, q, v, pos, 3, ValueError, "multiples of num_heads"),
    (q, q, v, pos, 0, ValueError, "num_heads"),
    (q, q[:, :4], v, pos, 2, ValueError, "differ"),
    (q, q, v[..., :3], pos, 2, ValueError, "does not match q"),
    (q[0], q[0], v[0], pos, 2, ValueError, "4-D"),
    (q[:0], q[:0], v[:0], pos, 2, ValueError, "empty"),
    (q.long(), q.long(), v.long(), pos, 2, TypeError, "float32 or float64"),
    (q.half(), q.half(), v.half(), [p.half() for p in pos], 2, TypeError, "float32 or float64"),
    (q, q.double(), v, pos, 2, TypeError, "all inputs must be"),
    (q, q, v, [torch.randn(1, 4, 16)] + pos[1:], 2, ValueError, "positional embeddings"),
    (q, q, v, [p[..., :0] for p in pos], 2, ValueError, "positional embeddings"),  # was a segfault
    (q, q, v, [pos[0].to("meta")] + pos[1:], 2, (ValueError, RuntimeError), "meta"),
    (torch.randn(1, 2, 1, 9000), torch.randn(1, 2, 1, 9000), torch.randn(1, 2, 1, 9000), [torch.randn(1, 2, 4)] * 4,
     1, ValueError, "at most"),
]


@pytest.mark.parametrize("q,k,v,pos,heads,err,match", AXIAL_BAD)
def test_axial_attention(q, k, v, pos, heads, err, match):
    with pytest.raises(err, match=match):
        axial_attention(q, k, v, *pos, heads)


@pytest.fixture(scope="module")
def tiny():
    return pp_mobileseg("tiny", num_classes=7).eval()


@pytest.mark.parametrize("bad,err,match", [
    (torch.randn(3, 64, 64), ValueError, r"\[B, 3, H, W\]"),
    (torch.randn(1, 4, 64, 64), ValueError, r"\[B, 3, H, W\]"),
    (torch.zeros(1, 3, 64, 64, dtype=torch.int64), TypeError, "floating-point"),
    (torch.randn(1, 3, 64, 64, dtype=torch.float64), TypeError, "float64 but the model's weights are torch.float32"),
    (torch.randn(1, 3, 64, 64, dtype=torch.float16), TypeError, "float16"),
    (torch.randn(1, 3, 64, 64, device="meta"), ValueError, "input is on meta but the model is on cpu"),
    (torch.randn(0, 3, 64, 64), ValueError, "empty"),
    (torch.randn(1, 3, MIN_INPUT_SIZE - 1, 64), ValueError, "at least"),
    ([[0.0]], TypeError, "must be a tensor"),
])
def test_model(tiny, bad, err, match):
    with torch.no_grad(), pytest.raises(err, match=match):
        tiny(bad)


def test_model_nan_image_labels_like_torch_argmax(tiny):
    # NaN propagates to every logit; torch.argmax then picks the first NaN, class 0, everywhere.
    with torch.no_grad():
        labels = tiny(torch.full((1, 3, 64, 48), float("nan")))
        logits = tiny.logits(torch.full((1, 3, 64, 48), float("nan")))
    ref = torch.nn.functional.interpolate(logits, (64, 48), mode="bilinear", align_corners=False).argmax(1)
    assert torch.equal(labels, ref)


def _damaged(data, seed, n):
    """``data`` with ``n`` random bytes overwritten."""
    rng = random.Random(seed)
    b = bytearray(data)
    for _ in range(n):
        b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


@pytest.fixture(scope="module")
def weight_files(tmp_path_factory, tiny):
    d = tmp_path_factory.mktemp("weights")
    pd = write_pdparams(d / "ok.pdparams", paddle_state(tiny))
    pt = d / "ok.pt"
    torch.save(tiny.state_dict(), pt)
    return pd.read_bytes(), pt.read_bytes()


@pytest.mark.parametrize("ext", ["pdparams", "pt"])
def test_truncated_weight_files_are_refused(weight_files, tmp_path, ext):
    data = weight_files[ext == "pt"]
    for i, cut in enumerate([0, 1, 7, 100, len(data) // 3, len(data) // 2, len(data) - 100, len(data) - 1]):
        path = tmp_path / f"cut{i}.{ext}"
        path.write_bytes(data[:cut])
        with pytest.raises(WeightFileError, match=f"cut{i}.{ext}"):
            load_model(path)
        assert ppms(["convert", str(path), str(tmp_path / "out.pt")]) == 2
        assert not (tmp_path / "out.pt").exists()


@pytest.mark.parametrize("ext", ["pdparams", "pt"])
def test_corrupted_weight_files_load_or_are_refused(weight_files, tmp_path, ext):
    # Random damage either hits array bytes (a valid file of other numbers, or NaN/inf, which is refused) or the
    # structure (refused). Never anything else: no crash, no other exception type.
    data = weight_files[ext == "pt"]
    outcomes = {"loaded": 0, "refused": 0}
    for seed in range(60):
        path = tmp_path / f"bad{seed}.{ext}"
        path.write_bytes(_damaged(data, seed, 1 + seed % 8))
        try:
            model = load_model(path)
        except WeightFileError:
            outcomes["refused"] += 1
        else:
            assert all(torch.isfinite(t).all() for t in model.state_dict().values() if t.is_floating_point())
            outcomes["loaded"] += 1
    assert outcomes["refused"] > 0, outcomes


def test_weight_file_paths(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.pt")
    with pytest.raises((WeightFileError, IsADirectoryError)):
        load_model(tmp_path)
    assert ppms(["convert", str(tmp_path / "missing.pdparams"), str(tmp_path / "x.pt")]) == 2
    assert ppms(["convert", str(tmp_path), str(tmp_path / "x.pt")]) == 2


def test_integer_arrays_for_float_parameters_are_refused(tiny, tmp_path):
    state = paddle_state(tiny)
    key = "backbone.smb1.conv.c.weight"
    state[key] = state[key].astype(np.int64)
    with pytest.raises(WeightFileError, match=f"{key}.*int64"):
        load_model(write_pdparams(tmp_path / "int.pdparams", state))


def test_pdparams_that_is_not_a_pickle_of_arrays(tmp_path):
    path = tmp_path / "x.pdparams"
    path.write_bytes(pickle.dumps({"a": np.zeros(3)}, protocol=2)[:-1] + b"\x00")
    with pytest.raises(WeightFileError):
        read_pdparams(path)
    path.write_bytes(os.urandom(1))
    with pytest.raises(WeightFileError):
        read_pdparams(path)
