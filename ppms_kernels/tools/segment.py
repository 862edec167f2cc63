"""``ppms segment``: images in (files or folders), PaddleSeg's outputs out: the label map as a palette PNG of class ids
and the image overlaid with the class colours, with a legend of the classes found."""
import contextlib
import functools
import hashlib
import os
import re
import socket
import statistics
import threading
import time

import numpy as np
import torch

from .. import ops
from .._extras import require
from ..models import INPUT_MEAN, INPUT_STD, MIN_INPUT_SIZE
from ..models.classes import ADE20K_CLASSES

IMAGE_WEIGHT = 0.6  # PaddleSeg's overlay (utils.visualize.visualize): image * 0.6 + class colours * 0.4
LEGEND_ROWS = 20    # classes listed by name; the rest are summed up in one line


@functools.lru_cache(maxsize=None)
def palette(n=256):
    """The colour of each class id as PaddleSeg draws predictions (``get_color_map_list(n)``): the PASCAL VOC colour
    map from its entry 1 on (class 0 is VOC's 1, dark red), so no class is black. Returns uint8 ``[n, 3]``, read
    only (made once)."""
    out = np.zeros((n, 3), np.uint8)
    for i in range(n):
        c, rgb = i + 1, [0, 0, 0]
        for bit in range(7, -1, -1):  # the bits of c dealt round-robin to R, G, B from the most significant bit down
            for ch in range(3):
                rgb[ch] |= ((c >> ch) & 1) << bit
            c >>= 3
        out[i] = rgb
    out.setflags(write=False)
    return out


def class_names(num_classes):
    """ADE20K's names for a 150-class model (the official weights), else ``class <id>``."""
    if num_classes > 256:
        raise ValueError(f"the model has {num_classes} classes; the label PNG (8-bit palette, PaddleSeg's format) "
                         f"holds class ids 0-255")
    if num_classes == len(ADE20K_CLASSES):
        return ADE20K_CLASSES
    return tuple(f"class {i}" for i in range(num_classes))


LIST_SUFFIX = ".txt"  # an input of this name lists image paths, one a line


def image_files(paths, out=None):
    """``[(image, output name)]`` for ``paths``: an image file is named by its file name; a folder is walked (sorted,
    ``out`` left out) for the files Pillow reads by their extension, each named by its path inside the folder, so
    that the outputs keep the folders' structure; a ``.txt`` file (UTF-8) lists paths (relative ones from its own
    folder), each named as it is written there when it is relative and inside it, else by its file name. An output
    name is the file's path without its extension. The same file reached twice counts once."""
    Image = require("PIL.Image", "images")

    readable = {ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN}
    skip = os.path.realpath(out) if out else None
    files, seen = [], set()

    def add(path, name):
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            files.append((path, name))

    def unreadable(e):
        raise ValueError(f"cannot list the folder {e.filename} ({e.strerror})")

    for path in map(str, paths):
        if path.lower().endswith(LIST_SUFFIX) and os.path.isfile(path):
            home, listed = os.path.dirname(path), 0
            try:
                with open(path, encoding="utf-8-sig") as f:
                    lines = [line.strip() for line in f]
            except UnicodeDecodeError as e:
                raise ValueError(f"{path}: a list of image paths must be UTF-8 text ({e.reason} at byte "
                                 f"{e.start})") from None
            for line in filter(None, lines):
                full = line if os.path.isabs(line) else os.path.join(home, line)
                parts = os.path.normpath(line).split(os.sep)
                inside = not os.path.isabs(line) and parts[0] != os.pardir
                add(full, os.path.splitext(os.path.normpath(line) if inside else os.path.basename(line))[0])
                listed += 1
            if not listed:
                raise ValueError(f"{path} lists no image path (one a line)")
            continue
        if not os.path.isdir(path):
            add(path, os.path.splitext(os.path.basename(path))[0])
            continue
        if skip is not None and os.path.realpath(path) == skip:
            raise ValueError(f"--out {out} is the input folder {path}: a rerun would take its outputs for inputs; "
                             f"choose another folder (a subfolder of it is fine)")
        found = []
        for folder, subfolders, names in os.walk(path, onerror=unreadable):
            subfolders[:] = sorted(d for d in subfolders if os.path.realpath(os.path.join(folder, d)) != skip)
            found += [os.path.join(folder, f) for f in sorted(names) if os.path.splitext(f)[1].lower() in readable]
        if not found:
            raise ValueError(f"{path} holds no image file (extensions Pillow reads: .png, .jpg, ...)")
        for f in found:
            add(f, os.path.splitext(os.path.relpath(f, path))[0])
    return files


def plan(paths, out, overwrite=False, overlay=True):
    """``([(image, output stem)], [(path, why it is skipped)], done)`` for ``paths`` (``image_files``): no output
    of one overwrites another's or an input, and ``done`` images whose outputs are all there and ``whole`` are left
    out unless ``overwrite``. A single image is decoded here, so that a file that cannot be read
    fails before the model is built, naming it; among many, an unreadable image is found and skipped when decoded.
    ``outputs`` says which files an output stem stands for."""
    Image = require("PIL.Image", "images")

    files = image_files(paths, out)
    if len(files) == 1:
        path = files[0][0]
        try:
            with Image.open(path) as im:
                w, h = im.size
                im.load()
        except FileNotFoundError:
            raise FileNotFoundError(f"{path}: no such file or folder") from None
        except (OSError, ValueError) as e:
            raise ValueError(f"cannot read {path} as an image ({e})") from None
        check_size(path, w, h)
    inputs, writers, jobs, skipped, done = {os.path.abspath(p) for p, _ in files}, {}, [], [], 0
    for path, name in files:
        if not os.path.isfile(path):
            why = f"{path}: no such file" if not os.path.exists(path) else f"{path} is not a file"
            if len(files) == 1:
                raise FileNotFoundError(why)
            skipped.append((path, why))
            continue
        stem = os.path.join(out, name)
        for written in outputs(stem):
            if os.path.abspath(written) in inputs:
                raise ValueError(f"segmenting {path} would overwrite the input {written}: choose another --out")
            if written in writers:
                raise ValueError(f"{writers[written]} and {path} would both write {written}: segment them into "
                                 f"different --out folders")
            writers[written] = path
        if not overwrite and all(whole(f) for f in outputs(stem, overlay)):
            done += 1
            continue
        jobs.append((path, stem))
    return jobs, skipped, done


def check_size(path, w, h):
    if min(w, h) < MIN_INPUT_SIZE:
        raise ValueError(f"{path} is {w}x{h}; PP-MobileSeg needs at least {MIN_INPUT_SIZE}x{MIN_INPUT_SIZE} pixels")


def outputs(stem, overlay=True):
    """The label map and (unless ``overlay`` is False) the overlay written for output stem ``stem``."""
    return (f"{stem}_labels.png", f"{stem}_overlay.png") if overlay else (f"{stem}_labels.png",)


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


def normalise(rgbs):
    """``[B, 3, H, W]`` float32 input of equal-size RGB uint8 ``[H, W, 3]`` images: RGB / 255, less INPUT_MEAN, over
    INPUT_STD, as PaddleSeg's predict normalises (``ops.normalise``: one pass, where PyTorch's four took 7% of
    ``ppms segment``'s images/s with tiny)."""
    images = torch.from_numpy(np.stack(rgbs))  # a copy: the arrays may be read only, strided or reversed
    return ops.normalise(images, INPUT_MEAN, INPUT_STD)


def load_image(path):
    """RGB uint8 ``[H, W, 3]`` (``read_image``) and the normalised float input ``[1, 3, H, W]``."""
    rgb = read_image(path)
    return rgb, normalise([rgb])


def segment(model, x, repeat=3):
    """Labels ``[H, W]`` (int64) and the latency in ms: the median of ``repeat`` runs after a warm-up one, or with
    ``repeat=0`` the one run's."""
    times = []
    with torch.inference_mode():
        for _ in range(repeat + 1):
            t0 = time.perf_counter()
            labels = model.labels(x)
            times.append(time.perf_counter() - t0)
    return labels[0], statistics.median(times[1:] or times) * 1e3


def present(labels, names):
    """``[(class id, name, share of the pixels)]`` of the classes in ``labels``, the largest first."""
    ids, counts = np.unique(np.asarray(labels), return_counts=True)
    top = sorted(zip(counts.tolist(), ids.tolist()), key=lambda t: (-t[0], t[1]))
    return [(i, names[i], c / counts.sum()) for c, i in top]


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
    colours with a legend of the classes on its right; the folder made if missing. Each file is written whole or
    not at all (``_atomic``), the label map first, so that a stem whose ``outputs`` all exist is complete. Returns
    the paths written."""
    Image = require("PIL.Image", "images")

    ids = np.asarray(labels).astype(np.uint8)  # class_names() refuses models with more than 256 classes
    labels_png, *overlay_png = outputs(stem, overlay)
    os.makedirs(os.path.dirname(labels_png) or ".", exist_ok=True)
    label_map = Image.fromarray(ids)
    label_map.putpalette(palette().tobytes())  # makes it a "P" image
    _atomic(label_map, labels_png, compress_level=1)  # half the time of Pillow's default 6, a quarter larger
    if not overlay:
        return [labels_png]
    overlay_png = overlay_png[0]
    blend = (rgb * IMAGE_WEIGHT + palette()[ids] * (1 - IMAGE_WEIGHT)).round().astype(np.uint8)
    panel = legend(present(labels, names), rgb.shape[0])
    picture = Image.new("RGB", (rgb.shape[1] + panel.width, panel.height), "white")
    picture.paste(Image.fromarray(blend), (0, 0))
    picture.paste(panel, (rgb.shape[1], 0))
    _atomic(picture, overlay_png, compress_level=1)  # a photo: level 6 takes 4x longer (70 ms at 512x512)
    return [labels_png, overlay_png]


PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the last 12 bytes of every PNG: its IEND chunk, empty
# this machine in temporary names: short whatever the host name, and free of characters a file name cannot hold
_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]


def whole(path):
    """Whether ``path`` is a PNG written to its end. A killed run leaves no half-written output (``_atomic``), but
    after a power cut a file system may keep a renamed file's name without all its data (ext4 can leave it empty),
    which a rerun must write again rather than count as done. Checking the end, not fsyncing every file, keeps the
    cost on the rare rerun."""
    try:
        with open(path, "rb") as f:
            f.seek(-len(PNG_END), os.SEEK_END)
            return f.read() == PNG_END
    except OSError:  # missing, a folder, or shorter than the chunk
        return False


def remove_stale_parts(folders):
    """Removes from ``folders`` the temporary files (``_atomic``) that runs on this machine left when they were
    killed while writing: those whose process is gone (a run still writing keeps its own; one that cannot be
    removed, another user's, stays). Returns how many went."""
    pattern = re.compile(r".+\.png\." + _HOST + r"\.(\d{1,9})\.\d+\.part")
    removed = 0
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:  # not made yet, or unreadable: plan() and the writes report what matters
            continue
        for name in names:
            m = pattern.fullmatch(name)
            if m and not _alive(int(m.group(1))):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(folder, name))
                    removed += 1
    return removed


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        pass
    return True


def _atomic(image, path, **png):
    """``image`` as the PNG ``path``, through a temporary file renamed over it: a run killed while writing leaves no
    half-written ``path``, which a rerun would take for done, only a ``.part`` file that names this machine and
    process, for ``remove_stale_parts``."""
    part = f"{path}.{_HOST}.{os.getpid()}.{threading.get_ident()}.part"
    try:
        image.save(part, format="PNG", **png)
        os.replace(part, path)
    except BaseException:
        if os.path.exists(part):
            os.remove(part)
        raise
