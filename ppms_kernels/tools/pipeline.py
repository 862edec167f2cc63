"""Images to label maps at dataset scale: images are decoded and normalised on worker threads (Pillow and torch
release the GIL) while the network runs, a bounded number ahead, so memory stays bounded for any number of images.

    from ppms_kernels.tools.pipeline import label_images
    for path, labels in label_images(model, paths, batch=4):   # model: optimize()'d; labels: uint8 [H, W]
        ...
"""
import collections
import concurrent.futures
import os
import time

import numpy as np
import torch

from . import segment


def decode(item):
    """RGB uint8 ``[H, W, 3]`` and the network's input ``[1, 3, H, W]`` of a path (``segment.read_image``) or of
    an array: ``[H, W, 3]`` RGB or ``[H, W]`` grey, uint8."""
    if isinstance(item, (str, os.PathLike)):
        rgb = segment.read_image(item)
    else:
        rgb = np.asarray(item)
        if rgb.dtype != np.uint8 or rgb.ndim not in (2, 3) or (rgb.ndim == 3 and rgb.shape[2] != 3):
            raise ValueError(f"an image array must be uint8 [H, W, 3] (RGB) or [H, W], got {rgb.dtype} "
                             f"{list(rgb.shape)}")
        if rgb.ndim == 2:
            rgb = np.repeat(rgb[..., None], 3, axis=2)
    segment.check_size(item if isinstance(item, (str, os.PathLike)) else "the array", rgb.shape[1], rgb.shape[0])
    return rgb, segment.normalise([rgb])


def why(item, e):
    """Why ``item`` (a path or an array) is skipped: its decoding's exception ``e``, in a line that names it."""
    where = str(item) if isinstance(item, (str, os.PathLike)) else "an image array"
    return str(e) if isinstance(e, ValueError) and where in str(e) else f"cannot read {where} as an image ({e})"


def labelled(model, items, *, batch=1, workers=1, ahead=None, on_error=None, decode=decode):
    """``(item, rgb, labels)`` for each of ``items`` that decodes, in their order: ``labels`` uint8 ``[H, W]`` (the
    model has at most 256 classes) or int64 beyond. ``workers`` threads decode ``ahead`` images (default
    ``2 * batch + workers``) ahead of the network, which takes up to ``batch`` consecutive images of one size at a
    time. An item that cannot be decoded goes to ``on_error(item, exception)`` and is left out; without
    ``on_error`` its exception is raised. ``decode``: item -> (RGB, input), for items that carry more than an
    image."""
    if batch < 1 or workers < 1:
        raise ValueError(f"label_images: batch and workers must be at least 1, got {batch} and {workers}")
    ahead = ahead or 2 * batch + workers
    wide = getattr(model, "num_classes", 256) > 256
    items = iter(items)
    pending = collections.deque()
    with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="ppms-decode") as pool:
        def fill():
            while len(pending) < ahead:
                item = next(items, pending)  # pending: the end
                if item is pending:
                    return
                pending.append((item, pool.submit(decode, item)))

        group = []

        def run():
            with torch.inference_mode():
                labels = model.labels(torch.cat([x for _, _, x in group]) if len(group) > 1 else group[0][2],
                                      torch.int64 if wide else torch.uint8)
            out = [(item, rgb, lab) for (item, rgb, _), lab in zip(group, labels.numpy())]
            group.clear()
            return out

        fill()
        while pending:
            item, future = pending.popleft()
            fill()
            try:
                rgb, x = future.result()
            except Exception as e:
                if on_error is None:
                    raise
                on_error(item, e)
                continue
            if group and group[0][1].shape != rgb.shape:
                yield from run()
            group.append((item, rgb, x))
            if len(group) == batch:
                yield from run()
        if group:
            yield from run()


def label_images(model, items, *, batch=1, workers=1, ahead=None, on_error=None):
    """``(item, labels)`` for each of ``items`` (image paths, or uint8 RGB ``[H, W, 3]`` / grey ``[H, W]`` arrays),
    in their order, decoding ahead of the network on ``workers`` threads: ``labelled`` without the images."""
    for item, _, labels in labelled(model, items, batch=batch, workers=workers, ahead=ahead, on_error=on_error):
        yield item, labels


def segment_files(model, jobs, names, *, batch=1, workers=1, overlay=True, on_error=None, progress=None):
    """``ppms segment``'s job: for each ``(image path, output stem)`` of ``jobs`` its outputs (``segment.save``),
    written on ``workers`` threads in the background while the next images run, a bounded number behind; ``progress``
    (a tqdm bar, say) is updated per image written. Returns (images written, seconds)."""
    written, writing = 0, collections.deque()
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="ppms-write") as writer:
        def finish(w):
            nonlocal written
            w.result()  # a write that failed (a full disk) stops the run, named
            written += 1
            if progress is not None:
                progress.update()

        # each job once, duplicates included: keyed by its place in jobs
        for (_, (_, stem)), rgb, labels in labelled(
                model, enumerate(jobs), batch=batch, workers=workers, decode=lambda job: decode(job[1][0]),
                on_error=None if on_error is None else lambda job, e: on_error(job[1][0], e)):
            writing.append(writer.submit(segment.save, rgb, labels, stem, names, overlay))
            while len(writing) > 2 * workers or (writing and writing[0].done()):
                finish(writing.popleft())
        while writing:
            finish(writing.popleft())
    return written, time.perf_counter() - t0
