"""The dataset pipeline (``ppms_kernels.tools.pipeline``, ``ppms segment`` on many images): labels equal to the
one-image path for every image whatever the batch, the decoding threads and the engines, errors reported and
skipped, bounded read-ahead, outputs that keep the inputs' folders, written whole, and a rerun that skips finished
images."""
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from PIL import Image

import ppms_kernels
from ppms_kernels.models import pp_mobileseg
from ppms_kernels.tools import pipeline, segment
from ppms_kernels.tools.cli import main


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return ppms_kernels.optimize(pp_mobileseg("tiny").eval())


def _one_by_one(model, path_or_rgb):
    """The one-image path: read (or take) the image, normalise it alone, run the model on a batch of one."""
    rgb = segment.read_image(path_or_rgb) if isinstance(path_or_rgb, (str, os.PathLike)) else path_or_rgb
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=2)
    with torch.inference_mode():
        return model(segment.normalise([rgb]))[0].numpy()


def _mixed(folder):
    """Images of three sizes, in runs of equal sizes and alone, grey, RGBA, 16-bit grey and palette PNGs, a JPEG."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (h, w, mode) in enumerate([(40, 48, "RGB"), (40, 48, "RGB"), (40, 48, "L"), (33, 64, "RGBA"),
                                      (40, 48, "I;16"), (33, 64, "P"), (40, 48, "RGB"), (17, 21, "RGB")]):
        if mode == "I;16":
            im = Image.fromarray((rng.random((h, w)) * 65535).astype(np.uint16))
        else:
            im = Image.fromarray((rng.random((h, w, 4)) * 255).astype(np.uint8), "RGBA")
            im = im if mode == "RGBA" else im.convert("RGB").convert(mode)
        paths.append(folder / f"{i}.png")
        im.save(paths[-1])
    paths.append(folder / "photo.jpg")
    Image.fromarray((rng.random((40, 48, 3)) * 255).astype(np.uint8)).save(paths[-1], quality=80)
    return paths


@pytest.mark.parametrize("batch, workers, engines", [(1, 1, 1), (3, 2, 1), (8, 3, 1), (1, 1, 3), (2, 2, 2)])
def test_labels_equal_the_one_image_path(tmp_path, model, batch, workers, engines):
    paths = _mixed(tmp_path)
    rng = np.random.default_rng(1)
    arrays = [(rng.random((40, 48, 3)) * 255).astype(np.uint8), (rng.random((40, 48)) * 255).astype(np.uint8),
              (rng.random((48, 40, 3)) * 255).astype(np.uint8)[:, ::-1]]  # grey, and a non-contiguous view
    items = paths[:4] + arrays + paths[4:]
    got = list(pipeline.label_images(model, items, batch=batch, workers=workers, engines=engines))
    assert [item is want for (item, _), want in zip(got, items)] == [True] * len(items)  # in order, each once
    for item, labels in got:
        want = _one_by_one(model, item)
        assert labels.dtype == np.uint8 and labels.shape == want.shape
        assert (labels == want).all(), item


def test_unreadable_items_are_reported_and_skipped(tmp_path, model):
    good = _mixed(tmp_path)[:2]
    (tmp_path / "cut.png").write_bytes(good[0].read_bytes()[:100])
    bad = [tmp_path / "cut.png", tmp_path / "missing.png", np.zeros((40, 48, 3), np.float32),
           np.zeros((40, 48, 4), np.uint8), np.zeros((8, 48, 3), np.uint8)]
    errors = []
    got = list(pipeline.label_images(model, [good[0], *bad, good[1]], batch=2,
                                     on_error=lambda item, e: errors.append((item, str(e)))))
    assert [item for item, _ in got] == good
    assert [item is b for (item, _), b in zip(errors, bad)] == [True] * len(bad)
    whys = [why for _, why in errors]
    assert "float32" in whys[2] and "uint8 [H, W, 3]" in whys[3] and "needs at least 16x16" in whys[4]
    with pytest.raises(FileNotFoundError):
        list(pipeline.label_images(model, [good[0], tmp_path / "missing.png"]))
    with pytest.raises(ValueError, match="at least 1"):
        list(pipeline.label_images(model, good, batch=0))
    with pytest.raises(ValueError, match="at least 1"):
        list(pipeline.label_images(model, good, engines=0))


@pytest.mark.parametrize("engines", [1, 2])
def test_reads_a_bounded_number_of_images_ahead(model, engines):
    """However many images there are, the pipeline holds at most ``ahead`` decoded ones beside the batches the
    engines run, the one it fills and the one it hands out: it takes the next item from the caller's iterable only
    as it hands one out."""
    taken, rgb = [], np.zeros((32, 32, 3), np.uint8)

    def endless():
        while True:
            taken.append(1)
            yield rgb

    stream = pipeline.label_images(model, endless(), batch=2, workers=2, engines=engines, ahead=5)
    for n in range(1, 40):
        next(stream)
        assert len(taken) <= n + 5 + 2 * (engines + 2)
    stream.close()


def test_segment_keeps_the_folders_and_skips_finished_images(tmp_path, capsys):
    photos = tmp_path / "photos"
    deep, top = _mixed(photos / "a" / "b"), _mixed(photos)
    for extra in deep[3:] + top[:6] + top[7:]:
        extra.unlink()
    paths = deep[:3] + top[6:7]
    out = photos / "seg"  # inside the input folder: not taken for input on the next run
    listed = tmp_path / "list.txt"
    listed.write_text(f"photos/a/b/0.png\n\n{paths[3]}\n")
    twin = tmp_path / "other" / "6.png"
    twin.parent.mkdir()
    twin.write_bytes(paths[3].read_bytes())
    (tmp_path / "twin.txt").write_text(f"{twin}\n")
    assert main(["segment", str(photos), str(tmp_path / "twin.txt"), "--variant", "tiny", "--out",
                 str(tmp_path / "o2"), "--no-overlay"]) == 2  # photos/6.png and other/6.png: both o2/6_labels.png
    assert "would both write" in capsys.readouterr().err

    assert main(["segment", str(photos), "--variant", "tiny", "--out", str(out), "--batch", "2"]) == 0
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*.png"))
    assert names == sorted([f"a/b/{i}_{kind}.png" for i in range(3) for kind in ("labels", "overlay")] +
                           ["6_labels.png", "6_overlay.png"])
    torch.manual_seed(0)
    model = ppms_kernels.optimize(pp_mobileseg("tiny").eval())
    for path in paths:
        stem = out / os.path.relpath(os.path.splitext(path)[0], photos)
        assert (np.array(Image.open(f"{stem}_labels.png")) == _one_by_one(model, path)).all()
    assert "4 images in" in capsys.readouterr().out

    # as a run killed before a/b/1's overlay was renamed into place: its label map is there, its overlay is not
    os.remove(out / "a" / "b" / "1_overlay.png")
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    assert main(["segment", str(photos), "--variant", "tiny", "--out", str(out)]) == 0
    assert "3 images already segmented" in capsys.readouterr().out
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    assert {p for p in after if after[p] != before.get(p)} == {out / "a" / "b" / f"1_{k}.png" for k in
                                                                ("labels", "overlay")}
    assert main(["segment", str(photos), "--variant", "tiny", "--out", str(out), "--overwrite"]) == 0
    assert "4 images in" in capsys.readouterr().out

    lists = tmp_path / "lists"
    assert main(["segment", str(listed), "--variant", "tiny", "--out", str(lists), "--no-overlay"]) == 0
    assert sorted(str(p.relative_to(lists)) for p in lists.rglob("*.png")) == ["6_labels.png",
                                                                              "photos/a/b/0_labels.png"]


def test_outputs_are_written_whole_or_not_at_all(tmp_path, monkeypatch):
    rgb, labels = np.zeros((20, 30, 3), np.uint8), np.ones((20, 30), np.uint8)

    def full_disk(self, fp, *args, **kwargs):
        open(fp, "wb").write(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", full_disk)
    with pytest.raises(OSError, match="No space left"):
        segment.save(rgb, labels, str(tmp_path / "deep" / "x"), segment.class_names(7))
    assert os.listdir(tmp_path / "deep") == []  # no x_labels.png that a rerun would take for done, no .part left


def test_a_run_killed_mid_way_is_finished_by_the_next(tmp_path, model, capsys):
    """SIGKILL while images are being written, then a power cut's empty output and another process's temporary
    files: the rerun writes what is missing or not whole, leaves what is whole, and cleans up what the dead left."""
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    rng = np.random.default_rng(1)
    for i in range(400):
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(photos / f"{i:03}.png")
    run = [sys.executable, "-m", "ppms_kernels", "segment", str(photos), "--variant", "tiny", "--out", str(out),
           "--no-overlay"]
    with open(tmp_path / "killed.log", "w") as log:
        killed = subprocess.Popen(run, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while killed.poll() is None and time.monotonic() < deadline and len(list(out.glob("*_labels.png"))) < 5:
            time.sleep(0.005)
        killed.send_signal(signal.SIGKILL)
        code = killed.wait()
    assert code == -signal.SIGKILL, f"the run ended before it was killed: {(tmp_path / 'killed.log').read_text()}"
    written = sorted(out.glob("*_labels.png"))
    assert 5 <= len(written) < 400 and all(segment.whole(p) for p in written)

    host = segment._HOST
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    (out / f"x_labels.png.{host}.{gone}.1.part").write_bytes(b"\x89PNG half")  # a dead process's
    mine = out / f"y_labels.png.{host}.{os.getpid()}.1.part"  # a live one's, still writing
    mine.write_bytes(b"\x89PNG")
    elsewhere = out / f"z_labels.png.other-{host}.{gone}.1.part"  # another machine's (a shared folder)
    elsewhere.write_bytes(b"\x89PNG")
    written[0].write_bytes(b"")  # a power cut: the name kept, the data lost
    before = {p: p.stat().st_mtime_ns for p in written[1:]}

    assert main(run[3:]) == 0
    said = capsys.readouterr().out
    assert f"{len(written) - 1} images already segmented" in said
    assert int(re.search(r"removed (\d+) unfinished files", said).group(1)) >= 1  # the dead process's, at least
    labels = sorted(out.glob("*_labels.png"))
    assert [p.name for p in labels] == [f"{i:03}_labels.png" for i in range(400)]
    assert all(p.stat().st_mtime_ns == t for p, t in before.items())  # none written twice
    for path in labels[::9] + [written[0]]:
        assert (np.array(Image.open(path)) == _one_by_one(model, photos / path.name.replace("_labels", ""))).all()
    assert sorted(p.name for p in out.glob("*.part")) == sorted([mine.name, elsewhere.name])


def test_a_model_that_returns_logits_still_gives_labels(model):
    """``upsample="interpolate"`` models return interpolated logits from ``forward``: the pipeline labels them."""
    torch.manual_seed(0)
    interp = pp_mobileseg("tiny", upsample="interpolate").eval()
    rgb = (np.random.default_rng(2).random((40, 56, 3)) * 255).astype(np.uint8)
    (_, labels), = pipeline.label_images(interp, [rgb])
    with torch.inference_mode():
        want = interp(segment.normalise([rgb])).argmax(1)[0].numpy()
    assert labels.dtype == np.uint8 and (labels == want).all()


def test_one_thread_gives_back_the_thread_count():
    before = torch.get_num_threads()
    torch.set_num_threads(3)  # not 1, which a leak would leave too
    try:
        with pytest.raises(RuntimeError, match="inside"):
            with pipeline.one_thread() as n:
                assert n == 3 and torch.get_num_threads() == 1
                raise RuntimeError("inside")
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("engines", [1, 2])
def test_without_on_error_the_images_before_a_bad_one_come_first(tmp_path, model, engines):
    good = [np.zeros((32, 32, 3), np.uint8), np.full((32, 48, 3), 9, np.uint8), np.zeros((32, 32, 3), np.uint8)]
    stream = pipeline.label_images(model, [*good, tmp_path / "missing.png", good[0]], batch=2, engines=engines)
    got = []
    with pytest.raises(FileNotFoundError):
        for item, _ in stream:
            got.append(item)
    assert [item is g for item, g in zip(got, good)] == [True, True, True] and len(got) == 3
