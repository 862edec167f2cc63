"""``ppms export`` + ``ppms_run`` (the C++ API, no PyTorch): the label map equals ``optimize()``'s on the same image
and weights, natively and on aarch64 under qemu, at the image's own size and resized, and so do the logits
(``--logits``); an fp16 file is at most 0.52x the fp32 one and its logits are the fp32 file's within the rounding
of the weights to half; damaged files and bad arguments are refused with a message. ppms_run comes from the CMake build (build/core, or the aarch64 cross build
that scripts/test.sh makes); the native one is built here if missing."""
import os
import shutil
import subprocess

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps

from helpers import paddle_state, randomise, write_pdparams
from ppms_kernels.models import INPUT_MEAN, INPUT_STD, export_ppms, optimize, pp_mobileseg, read_ppms
from ppms_kernels.ops import bf16_arithmetic
from ppms_kernels.testing import assert_labels_match
from ppms_kernels.tools.cli import main
from ppms_kernels.tools.segment import read_image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARM_BUILD = os.path.join(ROOT, "build", "arm-armv8.2-a+fp16")
SYSROOT = "/usr/aarch64-linux-gnu"


@pytest.fixture(scope="module")
def native():
    path = os.path.join(ROOT, "build", "core", "ppms_run")
    if not os.path.exists(path):
        subprocess.run(["cmake", "-S", ROOT, "-B", os.path.join(ROOT, "build", "core")], check=True,
                       capture_output=True)
        subprocess.run(["cmake", "--build", os.path.join(ROOT, "build", "core"), "--target", "ppms_run", "-j2"],
                       check=True, capture_output=True)
    return [path]


@pytest.fixture(scope="module")
def aarch64():
    path = os.path.join(ARM_BUILD, "ppms_run")
    if not (os.path.exists(path) and shutil.which("qemu-aarch64")):
        if os.environ.get("PPMS_REQUIRE_AARCH64"):
            pytest.fail(f"{path} or qemu-aarch64 is missing (scripts/test.sh builds it)")
        pytest.skip("no aarch64 ppms_run (scripts/test.sh cross-builds it) or no qemu-aarch64")
    return ["qemu-aarch64", "-cpu", "cortex-a76", "-L", SYSROOT, path]


@pytest.fixture(scope="module")
def aarch64_baseline():
    """The armv8-a build (no FP16 arithmetic) on a Cortex-A53, which has none either."""
    path = os.path.join(ROOT, "build", "arm-armv8-a", "ppms_run")
    if not (os.path.exists(path) and shutil.which("qemu-aarch64")):
        if os.environ.get("PPMS_REQUIRE_AARCH64"):
            pytest.fail(f"{path} or qemu-aarch64 is missing (scripts/test.sh builds it)")
        pytest.skip("no armv8-a ppms_run (scripts/test.sh cross-builds it) or no qemu-aarch64")
    return ["qemu-aarch64", "-cpu", "cortex-a53", "-L", SYSROOT, path]


@pytest.fixture(scope="module", params=["tiny", "base"])
def exported(request, tmp_path_factory):
    torch.manual_seed(0)
    model = randomise(pp_mobileseg(request.param).eval(), seed=3)
    path = str(tmp_path_factory.mktemp("models") / f"{request.param}.ppms")
    export_ppms(model, path)
    return optimize(model), path


def _rgb(h, w, seed=0):
    """An image with regions and edges (smooth colour fields plus noise), uint8 [h, w, 3]."""
    g = torch.Generator().manual_seed(seed)
    fields = F.interpolate(torch.rand(1, 3, 5, 7, generator=g), size=(h, w), mode="bicubic", align_corners=False)
    img = fields[0].permute(1, 2, 0) * 255 + torch.randn(h, w, 3, generator=g) * 12
    return img.clamp(0, 255).round().to(torch.uint8).numpy()


def _input(rgb):
    x = torch.from_numpy(rgb).permute(2, 0, 1).float().div_(255)
    return ((x - torch.tensor(INPUT_MEAN)[:, None, None]) / torch.tensor(INPUT_STD)[:, None, None])[None]


def _reference(model, rgb, size=None):
    """optimize()'s labels of ``rgb`` at its own size, or run at ``size`` and resized back (as ppms_run --size), and
    the upsampled logits that decide near-ties."""
    x = _input(rgb)
    if size:
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    with torch.inference_mode():
        logits = model.logits(x)
    H, W = rgb.shape[:2]
    labels = torch.ops.ppms.upsample_argmax(logits, (H, W))
    return labels, F.interpolate(logits, size=(H, W), mode="bilinear", align_corners=False)


def _run(cmd, model_path, image, out, *args):
    r = subprocess.run([*cmd, model_path, image, "-o", out, *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return torch.from_numpy(np.array(Image.open(out))).long()[None]


def _logits(cmd, model_path, image, out, *args):
    """ppms_run's --logits [1, classes, h, w], the shape from what it prints."""
    r = subprocess.run([*cmd, model_path, image, "--logits", out, *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    shape = [int(v) for v in r.stderr.split("logits: ")[1].split(" (")[0].split(" x ")]
    data = open(out, "rb").read()
    assert len(data) == 4 * np.prod(shape)
    return torch.from_numpy(np.frombuffer(data, dtype="<f4").copy()).reshape(1, *shape)


def _formats(cmd):
    """The image formats ppms_run was built to read, from its usage line "IMAGE  an image file (ppm pgm ...)"."""
    usage = subprocess.run([*cmd, "--help"], capture_output=True, text=True).stdout
    return set(usage.split("an image file (")[1].split(")")[0].split())


def _write_ppm(path, rgb):
    with open(path, "wb") as f:
        f.write(b"P6\n# a comment\n%d %d\n255\n" % (rgb.shape[1], rgb.shape[0]) + rgb.tobytes())
    return path


@pytest.mark.parametrize("size", [None, (64, 96)], ids=["own size", "resized"])
def test_native_labels_equal_optimize(native, exported, tmp_path, size):
    model, path = exported
    rgb = _rgb(97, 130)
    image = _write_ppm(str(tmp_path / "image.ppm"), rgb)
    args = ["--size", f"{size[0]}x{size[1]}"] if size else []
    ours = _run(native, path, image, str(tmp_path / "labels.pgm"), "--threads", "2", *args)
    ref, ref_logits = _reference(model, rgb, size)
    assert ref.unique().numel() > 1, "a test image of one class would check little"
    assert_labels_match(ours, ref, ref_logits, rtol=1e-4, max_fraction=1e-3)


@pytest.mark.parametrize("size", [None, (64, 96)], ids=["own size", "resized"])
def test_native_logits_equal_the_engines(native, exported, tmp_path, size):
    model, path = exported
    rgb = _rgb(97, 130, seed=4)
    image = _write_ppm(str(tmp_path / "image.ppm"), rgb)
    args = ["--size", f"{size[0]}x{size[1]}"] if size else []
    ours = _logits(native, path, image, str(tmp_path / "logits.f32"), *args)
    x = _input(rgb)
    if size:
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    with torch.inference_mode():
        want = model.logits(x)
    assert ours.shape == want.shape
    torch.testing.assert_close(ours, want, rtol=1e-4, atol=1e-4 * want.abs().max().item())


# fp16 storage rounds each weight by at most 2^-11 of itself: the logits move by about that much relative to their
# scale (measured 5.3e-4 tiny, 5.8e-4 base here; docs/fp16.md: 1.6e-3 and 2.2e-3 with fp16 activations too). 3e-3 of
# the largest logit leaves room for other weights, well under 1e-2.
FP16_LOGITS_TOLERANCE = 3e-3


def test_fp16_file_runs_close_to_fp32(native, exported, tmp_path):
    model, path = exported
    half = str(tmp_path / "half.ppms")
    export_ppms(model, half, precision="fp16")
    assert read_ppms(half)["precision"] == "fp16" and read_ppms(path)["precision"] == "fp32"
    image = _write_ppm(str(tmp_path / "image.ppm"), _rgb(97, 130, seed=5))
    full = _logits(native, path, image, str(tmp_path / "fp32.f32"))
    ours = _logits(native, half, image, str(tmp_path / "fp16.f32"))
    error = ((ours - full).abs().max() / full.abs().max()).item()
    assert 0 < error <= FP16_LOGITS_TOLERANCE, error


def test_bf16_file_runs_in_bf16_where_the_cpu_has_it(native, exported, tmp_path):
    # a bf16 file runs in bf16 by default: its weights rounded to bf16 (2^-9), the 1x1 convolutions' inputs too where
    # the CPU has AVX512_BF16 (docs/bf16.md: within 1.1e-2 at 512x512); elsewhere fp32 on the rounded weights, and
    # ppms_run says so
    model, path = exported
    short = str(tmp_path / "bf16.ppms")
    export_ppms(model, short, precision="bf16")
    assert read_ppms(short)["precision"] == "bf16"
    image = _write_ppm(str(tmp_path / "image.ppm"), _rgb(97, 130, seed=5))
    full = _logits(native, path, image, str(tmp_path / "fp32.f32"))
    ours = _logits(native, short, image, str(tmp_path / "bf16.f32"))
    error = ((ours - full).abs().max() / full.abs().max()).item()
    assert 0 < error <= 2e-2, error
    r = subprocess.run([*native, short, image], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and ("no AVX512_BF16" in r.stderr) != bf16_arithmetic(), r.stderr


@pytest.mark.parametrize("variant", ["tiny", "base"])
def test_fp16_export_is_half_the_file(tmp_path, variant):
    sizes = {}
    for precision in ("fp32", "fp16", "bf16"):
        out = str(tmp_path / f"{precision}.ppms")
        assert main(["export", out, "--variant", variant, "--precision", precision]) == 0
        assert read_ppms(out)["precision"] == precision
        sizes[precision] = os.path.getsize(out)
    assert sizes["fp16"] <= 0.52 * sizes["fp32"] and sizes["bf16"] == sizes["fp16"], sizes


def test_fp16_export_refuses_a_weight_beyond_half(tmp_path):
    model = pp_mobileseg("tiny").eval()
    with torch.no_grad():
        model.decode_head.conv_seg.bias[3] = 7e4
    with pytest.raises(ValueError, match="the classifier holds 70000.* half's range"):
        export_ppms(model, str(tmp_path / "big.ppms"), precision="fp16")
    assert not os.path.exists(tmp_path / "big.ppms")
    export_ppms(model, str(tmp_path / "big.ppms"))  # fp32 holds it, and so does bf16 (float's range)
    export_ppms(model, str(tmp_path / "big_bf16.ppms"), precision="bf16")
    with pytest.raises(ValueError, match="precision"):
        export_ppms(model, str(tmp_path / "x.ppms"), precision="fp8")


def test_native_reads_png_and_raw(native, exported, tmp_path):
    model, path = exported
    rgb = _rgb(61, 45, seed=1)
    ppm = _run(native, path, _write_ppm(str(tmp_path / "a.ppm"), rgb), str(tmp_path / "a.pgm"))
    assert ppm.unique().numel() > 1, "labels of one class would not tell the readers apart"
    raw = tmp_path / "a.rgb"
    raw.write_bytes(rgb.tobytes())
    assert torch.equal(_run(native, path, str(raw), str(tmp_path / "b.pgm"), "--raw", "45x61"), ppm)
    if "png" in _formats(native):
        Image.fromarray(rgb).save(tmp_path / "a.png")
        assert torch.equal(_run(native, path, str(tmp_path / "a.png"), str(tmp_path / "c.png")), ppm)
        # palette, grey + alpha, RGBA and 16-bit grey PNGs read as `ppms segment` reads them
        images = {m: Image.fromarray(rgb).convert(m) for m in ("P", "LA", "RGBA")}
        images["I;16"] = Image.fromarray((rgb[..., 0].astype(np.uint16) * 257 + 3).astype(np.uint16))
        for mode, im in images.items():
            png = tmp_path / f"{mode.replace(';', '')}.png"
            im.save(png)
            want = _run(native, path, _write_ppm(str(tmp_path / "m.ppm"), read_image(str(png))), str(tmp_path / "m.pgm"))
            assert torch.equal(_run(native, path, str(png), str(tmp_path / "m2.pgm")), want), mode
    grey = rgb[..., 1]
    (tmp_path / "g.pgm").write_bytes(b"P5\n45 61\n255\n" + grey.tobytes())
    as_rgb = _run(native, path, _write_ppm(str(tmp_path / "g3.ppm"), np.repeat(grey[..., None], 3, 2)),
                  str(tmp_path / "g3.pgm"))
    assert torch.equal(_run(native, path, str(tmp_path / "g.pgm"), str(tmp_path / "g.out.pgm")), as_rgb)


def test_aarch64_labels_equal_optimize(aarch64, exported, tmp_path):
    model, path = exported
    rgb = _rgb(40, 57, seed=2)
    ours = _run(aarch64, path, _write_ppm(str(tmp_path / "image.ppm"), rgb), str(tmp_path / "labels.pgm"))
    ref, ref_logits = _reference(model, rgb)
    assert_labels_match(ours, ref, ref_logits, rtol=1e-4, max_fraction=1e-3)


def _half_file(model, tmp_path):
    half = str(tmp_path / "half.ppms")
    export_ppms(model, half, precision="fp16")
    return half


def test_aarch64_fp16_runs_in_half_within_the_goal(aarch64, exported, tmp_path):
    # an fp16 file runs in half on the Cortex-A76 by default: the logits within the fp16 goal (3e-3 of the largest)
    # of the fp32 file's, and not equal to the fp16 file's in fp32 (so half arithmetic did run)
    model, path = exported
    half = _half_file(model, tmp_path)
    image = _write_ppm(str(tmp_path / "image.ppm"), _rgb(40, 57, seed=6))
    full = _logits(aarch64, path, image, str(tmp_path / "fp32.f32"))
    ours = _logits(aarch64, half, image, str(tmp_path / "fp16.f32"))
    stored = _logits(aarch64, half, image, str(tmp_path / "stored.f32"), "--precision", "fp32")
    error = ((ours - full).abs().max() / full.abs().max()).item()
    assert 0 < error <= FP16_LOGITS_TOLERANCE, error
    assert not torch.equal(ours, stored)


def test_a53_runs_an_fp16_file_in_fp32_and_says_so(aarch64_baseline, exported, tmp_path):
    model, path = exported
    half = _half_file(model, tmp_path)
    rgb = _rgb(40, 57, seed=7)
    image = _write_ppm(str(tmp_path / "image.ppm"), rgb)
    r = subprocess.run([*aarch64_baseline, half, image, "-o", str(tmp_path / "half.pgm"), "--precision", "fp16"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "no FP16 arithmetic" in r.stderr and "thread(s), fp32" in r.stdout
    ours = torch.from_numpy(np.array(Image.open(str(tmp_path / "half.pgm")))).long()[None]
    assert torch.equal(ours, _run(aarch64_baseline, half, image, str(tmp_path / "fp32.pgm"), "--precision", "fp32"))
    # the fp32 file's labels, but where the weights' rounding to half moves a near-tie
    ref, ref_logits = _reference(model, rgb)
    assert_labels_match(ours, ref, ref_logits, rtol=2 * FP16_LOGITS_TOLERANCE, max_fraction=1e-2)


def test_aarch64_binary_needs_only_libc_and_libstdcxx(aarch64):
    out = subprocess.run(["readelf", "-d", aarch64[-1]], capture_output=True, text=True, check=True).stdout
    needed = {line.split("[")[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line}
    assert needed and needed <= {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libpthread.so.0"}, needed


def test_threads_zero_is_every_core(native, exported, tmp_path):
    _, path = exported
    image = _write_ppm(str(tmp_path / "image.ppm"), _rgb(32, 40))
    r = subprocess.run([*native, path, image, "--threads", "0"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"{os.cpu_count()} thread(s)" in r.stdout


@pytest.mark.parametrize("orientation", range(1, 9))
def test_native_turns_jpeg_upright_by_its_exif(native, exported, tmp_path, orientation):
    """An EXIF-oriented JPEG gives the labels of its upright pixels (Pillow's exif_transpose, as `ppms segment`)."""
    _, path = exported
    if "jpeg" not in _formats(native):
        pytest.skip("this ppms_run was built without libjpeg")
    exif = Image.Exif()
    exif[0x0112] = orientation
    jpg = tmp_path / "a.jpg"
    Image.fromarray(_rgb(40, 56, seed=2)).save(jpg, quality=95, exif=exif)
    with Image.open(jpg) as im:
        plain = np.asarray(im.convert("RGB"))
        upright = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    raw = tmp_path / "plain.rgb"
    raw.write_bytes(plain.tobytes())
    if orientation == 1:  # the two decoders agree on the pixels, so the comparison below is exact
        assert torch.equal(_run(native, path, str(raw), str(tmp_path / "p.pgm"), "--raw", "56x40"),
                           _run(native, path, str(jpg), str(tmp_path / "j.pgm")))
    raw.write_bytes(upright.tobytes())
    want = _run(native, path, str(raw), str(tmp_path / "u.pgm"), "--raw", f"{upright.shape[1]}x{upright.shape[0]}")
    assert torch.equal(_run(native, path, str(jpg), str(tmp_path / "j.pgm")), want)


def test_refusals(native, exported, tmp_path):
    _, path = exported
    image = _write_ppm(str(tmp_path / "image.ppm"), _rgb(32, 32))

    def refused(model, img, *args):
        r = subprocess.run([*native, model, img, *args], capture_output=True, text=True, timeout=60)
        assert r.returncode != 0 and r.returncode < 128, (r.returncode, r.stderr)  # an error, not a signal
        return r.stderr

    data = bytearray(open(path, "rb").read())
    data[len(data) // 2] ^= 1
    damaged = tmp_path / "damaged.ppms"
    damaged.write_bytes(data)
    assert "checksum" in refused(str(damaged), image)
    cut = tmp_path / "cut.ppms"
    cut.write_bytes(open(path, "rb").read()[:-4])
    assert "truncated" in refused(str(cut), image)
    assert "bad magic" in refused(image, image)
    assert "cannot open" in refused(str(tmp_path / "none.ppms"), image)
    (tmp_path / "short.ppm").write_bytes(b"P6\n32 32\n255\n" + bytes(100))
    assert "truncated PPM" in refused(path, str(tmp_path / "short.ppm"))
    (tmp_path / "huge.ppm").write_bytes(b"P6\n99999999 99999999\n255\n")
    assert "outside what ppms_run reads" in refused(path, str(tmp_path / "huge.ppm"))
    if path.endswith("tiny.ppms"):  # tiny's logits at 1/16 (floored): none for a 4 x 4 image; base runs it
        (tmp_path / "small.ppm").write_bytes(b"P6\n4 4\n255\n" + bytes(48))
        assert "too small" in refused(path, str(tmp_path / "small.ppm"))
    assert "--threads" in refused(path, image, "--threads", "-1")
    # the label map's format checked before the model loads (the model path here does not exist)
    says = refused(str(tmp_path / "none.ppms"), image, "-o", str(tmp_path / "labels.jpg"))
    assert "labels.jpg" in says and ".png or .pgm" in says
    assert "--size" in refused(path, image, "--size", "12")
    assert "unknown option" in refused(path, image, "--frobnicate")
    for flag in ("-o", "--logits"):
        missing = str(tmp_path / "none" / "out.pgm")
        says = refused(path, image, flag, missing)
        assert flag in says and missing in says and "no folder" in says


def test_export_cli_and_read_back(tmp_path, capsys):
    out = str(tmp_path / "sub" / "tiny.ppms")
    assert main(["export", out, "--variant", "tiny"]) == 0
    info = read_ppms(out)
    assert info["variant"] == "tiny" and info["classes"] == 150 and info["bytes"] == os.path.getsize(out)
    assert info["mean"] == pytest.approx(INPUT_MEAN) and info["std"] == pytest.approx(INPUT_STD)
    assert "wrote" in capsys.readouterr().out
    data = bytearray(open(out, "rb").read())
    data[8] = 99  # the format version
    bad = tmp_path / "v99.ppms"
    bad.write_bytes(data)
    with pytest.raises(NotImplementedError, match="version 99"):
        read_ppms(str(bad))
    with pytest.raises(ValueError, match="empty"):
        (tmp_path / "empty.ppms").write_bytes(b"")
        read_ppms(str(tmp_path / "empty.ppms"))
    with pytest.raises(ValueError, match="fused"):
        export_ppms(pp_mobileseg("tiny").eval().fuse(), str(tmp_path / "fused.ppms"))
    with pytest.raises(TypeError, match="uint8"):
        torch.ops.ppms._model_file_info(torch.zeros(200))
    with pytest.raises(ValueError, match="too short"):
        torch.ops.ppms._model_file_info(torch.zeros(100, dtype=torch.uint8))
    packed = torch.frombuffer(bytearray(open(out, "rb").read()[128:]), dtype=torch.uint8)
    for variant, classes, mean, std, says in [("huge", 150, INPUT_MEAN, INPUT_STD, "variant"),
                                              ("base", 150, INPUT_MEAN, INPUT_STD, "head"),
                                              ("tiny", 19, INPUT_MEAN, INPUT_STD, "classes"),
                                              ("tiny", 150, INPUT_MEAN, (0.2, 0.0, 0.2), "normalisation"),
                                              ("tiny", 150, (float("nan"), 0, 0), INPUT_STD, "normalisation")]:
        with pytest.raises(ValueError, match=says):
            torch.ops.ppms._model_file(packed, variant, classes, list(mean), list(std))


def test_export_of_optimized_model_is_the_same_file(tmp_path):
    torch.manual_seed(0)
    model = pp_mobileseg("tiny").eval()
    export_ppms(model, str(tmp_path / "a.ppms"))
    export_ppms(optimize(model), str(tmp_path / "b.ppms"))
    assert (tmp_path / "a.ppms").read_bytes() == (tmp_path / "b.ppms").read_bytes()


def test_export_from_pdparams_and_pt_is_the_models_file(tmp_path):
    model = randomise(pp_mobileseg("tiny", num_classes=19).eval(), seed=5)
    write_pdparams(tmp_path / "m.pdparams", paddle_state(model))
    torch.save(model.state_dict(), tmp_path / "m.pth")
    export_ppms(model, str(tmp_path / "want.ppms"))
    want = (tmp_path / "want.ppms").read_bytes()
    for src in ("m.pdparams", "m.pth"):
        assert main(["export", str(tmp_path / f"{src}.ppms"), "--weights", str(tmp_path / src)]) == 0
        assert (tmp_path / f"{src}.ppms").read_bytes() == want, src
    assert read_ppms(str(tmp_path / "want.ppms"))["classes"] == 19
