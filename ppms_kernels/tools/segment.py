"""``ppms segment``: one image in, a colour label map and an overlay out."""
import time

import numpy as np
import torch

from .._extras import require

# ADE20K configs of PaddleSeg: RGB / 255, then these.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def palette(n=256):
    """The colour of each class as PaddleSeg draws ADE20K results (``get_color_map_list``): the bits of the class
    id dealt round-robin to R, G, B from the most significant bit down. Returns uint8 ``[n, 3]``."""
    out = np.zeros((n, 3), np.uint8)
    for i in range(n):
        c, rgb = i, [0, 0, 0]
        for bit in range(7, -1, -1):
            for ch in range(3):
                rgb[ch] |= ((c >> ch) & 1) << bit
            c >>= 3
        out[i] = rgb
    return out


def load_image(path):
    """RGB uint8 ``[H, W, 3]`` and the normalised float input ``[1, 3, H, W]``."""
    Image = require("PIL.Image", "images")

    with Image.open(path) as im:
        rgb = np.array(im.convert("RGB"))
    x = torch.from_numpy(rgb).permute(2, 0, 1).float().div_(255)
    x = (x - torch.tensor(MEAN)[:, None, None]) / torch.tensor(STD)[:, None, None]
    return rgb, x[None].contiguous()


def segment(model, x, repeat=3):
    """Labels ``[H, W]`` (int64) and the median latency in ms over ``repeat`` runs after one warm-up."""
    with torch.inference_mode():
        labels = model(x)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    return labels[0], sorted(times)[len(times) // 2] * 1e3


def save(rgb, labels, prefix, alpha=0.5):
    """``<prefix>_labels.png`` (palette colours) and ``<prefix>_overlay.png`` (image blended with them)."""
    Image = require("PIL.Image", "images")

    colours = palette()[labels.numpy().astype(np.int64) % 256]
    overlay = (rgb.astype(np.float32) * (1 - alpha) + colours.astype(np.float32) * alpha).round().astype(np.uint8)
    paths = f"{prefix}_labels.png", f"{prefix}_overlay.png"
    Image.fromarray(colours).save(paths[0])
    Image.fromarray(overlay).save(paths[1])
    return paths
