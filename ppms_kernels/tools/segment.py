"""``ppms segment``: images in (files or folders), PaddleSeg's outputs out: the label map as a palette PNG of class ids
and the image overlaid with the class colours, with a legend of the classes found."""
import os
import statistics
import time

import numpy as np
import torch

from .._extras import require
from ..models import INPUT_MEAN, INPUT_STD, MIN_INPUT_SIZE
from ..models.classes import ADE20K_CLASSES

IMAGE_WEIGHT = 0.6  # PaddleSeg's overlay (utils.visualize.visualize): image * 0.6 + class colours * 0.4
LEGEND_ROWS = 20    # classes listed by name; the rest are summed up in one line


def palette(n=256):
    """The colour of each class id as PaddleSeg draws predictions (``get_color_map_list(n)``): the PASCAL VOC colour
    map from its entry 1 on (class 0 is VOC's 1, dark red), so no class is black. Returns uint8 ``[n, 3]``."""
    out = np.zeros((n, 3), np.uint8)
    for i in range(n):
        c, rgb = i + 1, [0, 0, 0]
        for bit in range(7, -1, -1):  # the bits of c dealt round-robin to R, G, B from the most significant bit down
            for ch in range(3):
                rgb[ch] |= ((c >> ch) & 1) << bit
            c >>= 3
        out[i] = rgb
    return out


def class_names(num_classes):
    """ADE20K's names for a 150-class model (the official weights), else ``class <id>``."""
    if num_classes > 256:
        raise ValueError(f"the model has {num_classes} classes; the label PNG (8-bit palette, PaddleSeg's format) "
                         f"holds class ids 0-255")
    if num_classes == len(ADE20K_CLASSES):
        return ADE20K_CLASSES
    return tuple(f"class {i}" for i in range(num_classes))


def image_files(paths):
    """``paths`` with each folder replaced by the files in it that Pillow reads by their extension, sorted."""
    Image = require("PIL.Image", "images")

    readable = {ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN}
    files = []
    for path in paths:
        if not os.path.isdir(path):
            files.append(path)
            continue
        found = sorted(os.path.join(path, f) for f in os.listdir(path)
                       if os.path.splitext(f)[1].lower() in readable and os.path.isfile(os.path.join(path, f)))
        if not found:
            raise ValueError(f"{path} holds no image file (extensions Pillow reads: .png, .jpg, ...)")
        files += found
    return files


def plan(paths, out):
    """``([(image, output stem)], [(path, why it is skipped)])`` for ``paths`` (files and folders), every image
    checked before the model runs: that it opens, is at least MIN_INPUT_SIZE a side, and that no output of one
    overwrites another's or an input. An image that fails is an error when it is the only input, else skipped and
    named; so is a folder without images, or inputs none of which can be read."""
    Image = require("PIL.Image", "images")

    files = image_files(paths)
    jobs, skipped = [], []
    for path in files:
        try:
            with Image.open(path) as im:
                w, h = im.size
                if len(files) == 1:
                    im.load()  # one image: decoded now, so that a truncated file fails before the model is built
            if min(w, h) < MIN_INPUT_SIZE:
                raise ValueError(f"{path} is {w}x{h}; PP-MobileSeg needs at least {MIN_INPUT_SIZE}x{MIN_INPUT_SIZE} "
                                 f"pixels")
        except FileNotFoundError:
            raise FileNotFoundError(f"{path}: no such file or folder") from None
        except (OSError, ValueError) as e:
            why = str(e) if isinstance(e, ValueError) else f"cannot read {path} as an image ({e})"
            if len(files) == 1:
                raise ValueError(why) from None
            skipped.append((path, why))
            continue
        jobs.append((path, os.path.join(out, os.path.splitext(os.path.basename(path))[0])))
    if not jobs:
        raise ValueError("no input could be read as an image: " + "; ".join(why for _, why in skipped))
    inputs, writers = {os.path.abspath(p) for p, _ in jobs}, {}
    for path, stem in jobs:
        for written in outputs(stem):
            if os.path.abspath(written) in inputs:
                raise ValueError(f"segmenting {path} would overwrite the input {written}: choose another --out")
            if written in writers:
                raise ValueError(f"{writers[written]} and {path} would both write {written}: segment them into "
                                 f"different --out folders")
            writers[written] = path
    return jobs, skipped


def outputs(stem):
    """The label map and the overlay written for output stem ``stem``."""
    return f"{stem}_labels.png", f"{stem}_overlay.png"


def read_image(path):
    """RGB uint8 ``[H, W, 3]`` as PaddleSeg's predict reads an image (``cv2.imread``, then BGR to RGB): turned as its
    EXIF orientation says, grey repeated, palette looked up, alpha dropped, 16 bits cut to their high byte."""
    Image = require("PIL.Image", "images")
    ImageOps = require("PIL.ImageOps", "images")

    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im)
        if im.mode.startswith("I"):  # 16- or 32-bit grey, which convert("RGB") would clip at 255
            grey = (np.asarray(im).astype(np.int64).clip(0, 65535) >> 8).astype(np.uint8)
            return np.repeat(grey[..., None], 3, axis=2)
        if im.mode == "F":
            raise ValueError(f"{path} has floating-point pixels: save it as an 8- or 16-bit image")
        return np.array(im.convert("RGB"))


def load_image(path):
    """RGB uint8 ``[H, W, 3]`` (``read_image``) and the normalised float input ``[1, 3, H, W]``."""
    rgb = read_image(path)
    x = torch.from_numpy(rgb).permute(2, 0, 1).float().div_(255)
    x = (x - torch.tensor(INPUT_MEAN)[:, None, None]) / torch.tensor(INPUT_STD)[:, None, None]
    return rgb, x[None].contiguous()


def segment(model, x, repeat=3):
    """Labels ``[H, W]`` (int64) and the latency in ms: the median of ``repeat`` runs after a warm-up one, or with
    ``repeat=0`` the one run's."""
    times = []
    with torch.inference_mode():
        for _ in range(repeat + 1):
            t0 = time.perf_counter()
            labels = model(x)
            times.append(time.perf_counter() - t0)
    return labels[0], statistics.median(times[1:] or times) * 1e3


def present(labels, names):
    """``[(class id, name, share of the pixels)]`` of the classes in ``labels``, the largest first."""
    ids, counts = labels.unique(return_counts=True)
    top = sorted(zip(counts.tolist(), ids.tolist()), key=lambda t: (-t[0], t[1]))
    return [(i, names[i], c / labels.numel()) for c, i in top]


def legend(classes, height):
    """A white panel at least ``height`` tall listing ``classes`` (``present``'s): a swatch of each class's colour,
    its id, name and share; beyond LEGEND_ROWS classes one line sums up the rest."""
    Image = require("PIL.Image", "images")
    ImageDraw = require("PIL.ImageDraw", "images")
    ImageFont = require("PIL.ImageFont", "images")

    font = ImageFont.load_default(size=max(12, height // 40))
    size = font.getbbox("Ag")[3]
    step, pad = size + size // 2, size // 2
    lines = [(palette()[i], f"{i:>3}  {name}  {share:.1%}") for i, name, share in classes[:LEGEND_ROWS]]
    if len(classes) > LEGEND_ROWS:
        rest = classes[LEGEND_ROWS:]
        lines.append((None, f"+ {len(rest)} more classes, {sum(s for _, _, s in rest):.1%}"))
    width = pad * 3 + size + max(int(font.getlength(text)) for _, text in lines)
    panel = Image.new("RGB", (width, max(height, pad * 2 + step * len(lines))), "white")
    draw = ImageDraw.Draw(panel)
    for row, (colour, text) in enumerate(lines):
        y = pad + row * step
        if colour is not None:
            draw.rectangle([pad, y, pad + size - 1, y + size - 1], fill=tuple(int(c) for c in colour))
        draw.text((pad * 2 + size, y), text, fill="black", font=font)
    return panel


def save(rgb, labels, stem, names, overlay=True):
    """PaddleSeg's two outputs: ``<stem>_labels.png``, a palette PNG whose pixels are the class ids (the colours are
    only its palette), and unless ``overlay`` is False ``<stem>_overlay.png``, the image blended with the class
    colours with a legend of the classes on its right. Returns the paths written."""
    Image = require("PIL.Image", "images")

    ids = labels.numpy().astype(np.uint8)  # class_names() refuses models with more than 256 classes
    labels_png, overlay_png = outputs(stem)
    label_map = Image.fromarray(ids)
    label_map.putpalette(palette().tobytes())  # makes it a "P" image
    label_map.save(labels_png)
    if not overlay:
        return [labels_png]
    blend = (rgb * IMAGE_WEIGHT + palette()[ids] * (1 - IMAGE_WEIGHT)).round().astype(np.uint8)
    panel = legend(present(labels, names), rgb.shape[0])
    picture = Image.new("RGB", (rgb.shape[1] + panel.width, panel.height), "white")
    picture.paste(Image.fromarray(blend), (0, 0))
    picture.paste(panel, (rgb.shape[1], 0))
    picture.save(overlay_png)
    return [labels_png, overlay_png]
