"""``ppms segment``: images read as PaddleSeg reads them, its outputs (a palette PNG of class ids, an overlay) with a
legend of ADE20K's class names, folders of images, and refusals before any work."""
import numpy as np
import pytest
import torch
from PIL import Image

from ppms_kernels.models import pp_mobileseg
from ppms_kernels.models.classes import ADE20K_CLASSES
from ppms_kernels.tools import segment
from ppms_kernels.tools.cli import main

# PaddleSeg's get_color_map_list(256): the PASCAL VOC colour map from its entry 1 on.
PADDLESEG_COLOURS = [[128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128], [128, 0, 128], [0, 128, 128],
                     [128, 128, 128], [64, 0, 0]]


def _image(path, h, w, seed=0):
    Image.fromarray((np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)).save(path)
    return path


def _labels(path):
    """The labels of tiny with seed 0's random weights, unoptimised, on the image at ``path``."""
    torch.manual_seed(0)
    model = pp_mobileseg("tiny").eval()
    with torch.inference_mode():
        return model(segment.load_image(path)[1])[0].numpy()


def test_palette_is_paddlesegs():
    p = segment.palette()
    assert p[:8].tolist() == PADDLESEG_COLOURS
    assert p[255].tolist() == [0, 0, 32] and len({tuple(c) for c in p}) == 256


def test_ade20k_class_names():
    assert len(ADE20K_CLASSES) == len(set(ADE20K_CLASSES)) == 150
    assert [ADE20K_CLASSES[i] for i in (0, 1, 2, 12, 20, 149)] == ["wall", "building", "sky", "person", "car", "flag"]
    assert segment.class_names(150) is ADE20K_CLASSES and segment.class_names(7)[3] == "class 3"
    with pytest.raises(ValueError, match="300 classes.*0-255"):
        segment.class_names(300)


def _exif(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


# (name, write the file, the RGB pixels PaddleSeg's cv2.imread + BGR -> RGB gives for it), the pixels by hand
FORMATS = [
    ("grey8", lambda p: Image.fromarray(np.array([[0, 77, 255]], np.uint8)).save(p),
     [[[0, 0, 0], [77, 77, 77], [255, 255, 255]]]),
    ("grey16", lambda p: Image.fromarray(np.array([[300, 0x1234, 65535]], np.uint16)).save(p),
     [[[1, 1, 1], [18, 18, 18], [255, 255, 255]]]),
    ("rgba", lambda p: Image.fromarray(np.array([[[10, 20, 30, 0], [40, 50, 60, 128], [70, 80, 90, 255]]], np.uint8),
                                       "RGBA").save(p),
     [[[10, 20, 30], [40, 50, 60], [70, 80, 90]]]),
    ("grey_alpha", lambda p: Image.fromarray(np.array([[[77, 0], [99, 255], [5, 9]]], np.uint8), "LA").save(p),
     [[[77, 77, 77], [99, 99, 99], [5, 5, 5]]]),
    ("palette", lambda p: _palette_image().save(p, transparency=1),
     [[[255, 0, 0], [0, 255, 0], [0, 0, 255]]]),
    # orientation 6: the stored 1x3 row is shown turned 90 degrees clockwise, a 3x1 column from its first pixel down
    ("exif_rotated", lambda p: Image.fromarray(np.array([[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], np.uint8)).save(
        p, exif=_exif(6)), [[[1, 2, 3]], [[4, 5, 6]], [[7, 8, 9]]]),
    # orientation 2: mirrored left to right
    ("exif_mirrored", lambda p: Image.fromarray(np.array([[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], np.uint8)).save(
        p, exif=_exif(2)), [[[7, 8, 9], [4, 5, 6], [1, 2, 3]]]),
]


def _palette_image():
    im = Image.fromarray(np.array([[0, 1, 2]], np.uint8))
    im.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255])
    return im


@pytest.mark.parametrize("name, write, expected", FORMATS, ids=[f[0] for f in FORMATS])
def test_images_are_read_as_paddleseg_reads_them(tmp_path, name, write, expected):
    path = tmp_path / f"{name}.png"
    write(path)
    rgb = segment.read_image(path)
    assert rgb.dtype == np.uint8 and rgb.tolist() == expected
    try:
        import cv2
    except ImportError:
        return
    assert rgb.tolist() == cv2.imread(str(path))[..., ::-1].tolist()  # PaddleSeg's own reader, where installed


def test_segment_writes_paddlesegs_outputs_and_a_legend(tmp_path, capsys):
    img = _image(tmp_path / "img.png", 61, 90)
    out = tmp_path / "new" / "folder"
    assert main(["segment", str(img), "--variant", "tiny", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "RANDOM weights" in stdout and " ms " in stdout
    expected = _labels(img)
    label_map = Image.open(out / "img_labels.png")
    assert label_map.mode == "P" and label_map.getpalette()[:24] == sum(PADDLESEG_COLOURS, [])
    ids = np.array(label_map)
    assert ids.shape == (61, 90) and (ids != expected).mean() <= 1e-3  # near-ties may differ after optimize()
    top = np.bincount(ids.ravel()).argmax()
    assert f"{ADE20K_CLASSES[top]} ({top})" in stdout

    overlay = np.array(Image.open(out / "img_overlay.png").convert("RGB"))
    assert overlay.shape[0] >= 61 and overlay.shape[1] > 90  # the legend on the right
    colours = np.array(label_map.getpalette()).reshape(-1, 3)
    blend = np.round(0.6 * np.array(Image.open(img)) + 0.4 * colours[ids])  # PaddleSeg's weights
    assert (overlay[:61, :90] == blend).all()
    legend = overlay[:, 90:].reshape(-1, 3)
    assert (legend == segment.palette()[top]).all(-1).sum() >= 100  # the swatch of the largest class

    assert main(["segment", str(img), "--variant", "tiny", "--out", str(tmp_path / "bare"), "--no-overlay"]) == 0
    assert sorted(p.name for p in (tmp_path / "bare").iterdir()) == ["img_labels.png"]


def test_segment_a_folder_with_a_progress_bar(tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, (h, w) in enumerate([(32, 40), (48, 32), (40, 40)]):
        _image(folder / f"{i}.png", h, w, seed=i)
    (folder / "notes.txt").write_text("not an image")
    assert main(["segment", str(folder), "--variant", "tiny", "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "3/3" in captured.err and "ppms segment" in captured.err and "3 images" in captured.out
    for i in range(3):
        ids = np.array(Image.open(tmp_path / "out" / f"{i}_labels.png"))
        assert (ids != _labels(folder / f"{i}.png")).mean() <= 1e-3


def test_segment_skips_and_names_unreadable_images_among_many(tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(2):
        _image(folder / f"{i}.png", 32, 40, seed=i)
    good = (folder / "0.png").read_bytes()
    (folder / "cut.png").write_bytes(good[: len(good) // 2])  # the header reads; the pixels do not
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "text.png").write_text("not an image")
    _image(folder / "tiny.png", 8, 8)
    assert main(["segment", str(folder), "--variant", "tiny", "--out", str(tmp_path / "out")]) == 1
    out, err = capsys.readouterr()
    for name in ("cut.png", "empty.jpg", "text.png", "tiny.png"):
        assert f"skipped {folder / name}" in err
    assert "4 of 6 inputs skipped" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["0_labels.png", "0_overlay.png", "1_labels.png",
                                                                    "1_overlay.png"]


def test_a_truncated_single_image_is_named_before_the_model_is_built(tmp_path, capsys, monkeypatch):
    _image(tmp_path / "a.png", 32, 40)
    good = (tmp_path / "a.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(good[: len(good) // 2])
    import ppms_kernels.tools.cli as cli

    monkeypatch.setattr(cli, "_model", lambda *a: pytest.fail("the model was built"))
    assert main(["segment", str(tmp_path / "cut.png"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "cannot read" in err and "cut.png" in err


def test_segment_refuses_before_any_work(tmp_path, capsys):
    small = tmp_path / "small.png"
    Image.fromarray(np.zeros((8, 40, 3), np.uint8)).save(small)
    assert main(["segment", str(small), "--variant", "tiny"]) == 2
    assert main(["segment", str(tmp_path / "missing.png")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["segment", str(tmp_path / "empty")]) == 2
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.png").write_bytes(b"not a png")
    assert main(["segment", str(broken)]) == 2
    twins = tmp_path / "twins"
    twins.mkdir()
    _image(twins / "a.png", 32, 32)
    _image(twins / "a.jpg", 32, 32)
    assert main(["segment", str(twins), "--out", str(tmp_path / "o")]) == 2
    again = tmp_path / "again"
    again.mkdir()
    _image(again / "b.png", 32, 32)
    _image(again / "b_labels.png", 32, 32)  # as if segmented here before
    assert main(["segment", str(again), "--out", str(again)]) == 2
    assert main(["segment", str(again / "b.png"), str(again / "b_labels.png"), "--out", str(again)]) == 2
    (tmp_path / "list.txt").write_text("\n \n")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9.png\n".encode("latin-1"))
    assert main(["segment", str(tmp_path / "list.txt")]) == 2
    assert main(["segment", str(tmp_path / "latin1.txt")]) == 2
    (tmp_path / "list.txt").unlink()
    (tmp_path / "latin1.txt").unlink()
    err = capsys.readouterr().err
    for message in ["small.png is 40x8; PP-MobileSeg needs at least 16x16", "missing.png: no such file",
                    "empty holds no image file", "cannot read", "x.png as an image",
                    "a.jpg and", "a.png would both write", "is the input folder", "would overwrite the input",
                    "b_labels.png", "list.txt lists no image path", "latin1.txt: a list of image paths must be UTF-8"]:
        assert message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again", "broken", "empty", "small.png", "twins"]
    with pytest.raises(SystemExit):
        main(["segment", str(small), "--threads", "-1"])
    assert "--threads: expected a whole number of at least 0, got '-1'" in capsys.readouterr().err
