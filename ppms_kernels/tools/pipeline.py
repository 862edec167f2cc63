"""Images to label maps at dataset scale: images are decoded and normalised on worker threads (Pillow and torch
release the GIL) while the network runs, a bounded number ahead, so memory stays bounded for any number of images.

    from ppms_kernels.tools.pipeline import label_images
    for path, labels in label_images(model, paths, batch=4):   # model: optimize()'d; labels: uint8 [H, W]
        ...
"""
import collections
import concurrent.futures
import contextlib
import os
import time

import numpy as np
import torch

from . import segment


@contextlib.contextmanager
def one_thread():
    """torch at one thread inside, for as many engines of one thread as it had threads (``segment_files`` says
    why): yields that count, and sets it again after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield threads
    finally:
        torch.set_num_threads(threads)


def _is_path(item):
    return isinstance(item, (str, os.PathLike))


def decode(item):
    """RGB uint8 ``[H, W, 3]`` and the network's input ``[1, 3, H, W]`` of a path (``segment.read_image``) or of
    an array: ``[H, W, 3]`` RGB or ``[H, W]`` grey, uint8."""
    if _is_path(item):
        rgb = segment.read_image(item)
    else:
        rgb = np.asarray(item)
        if rgb.dtype != np.uint8 or rgb.ndim not in (2, 3) or (rgb.ndim == 3 and rgb.shape[2] != 3):
            raise ValueError(f"an image array must be uint8 [H, W, 3] (RGB) or [H, W], got {rgb.dtype} "
                             f"{list(rgb.shape)}")
        if rgb.ndim == 2:
            rgb = np.repeat(rgb[..., None], 3, axis=2)
    segment.check_size(item if _is_path(item) else "the array", rgb.shape[1], rgb.shape[0])
    return rgb, segment.normalise([rgb])


def why(item, e):
    """Why ``item`` (a path or an array) is skipped: its decoding's exception ``e``, in a line that names it."""
    where = str(item) if _is_path(item) else "an image array"
    return str(e) if isinstance(e, ValueError) and where in str(e) else f"cannot read {where} as an image ({e})"


def labelled(model, items, *, batch=1, workers=1, engines=1, ahead=None, on_error=None):
    """``(index, item, rgb, labels)`` for each of ``items`` that decodes, in their order (``index``: its place in
    ``items``): ``labels`` uint8 ``[H, W]`` (the model has at most 256 classes) or int64 beyond. ``workers``
    threads decode ``ahead`` images (default ``2 * batch + workers + engines``) ahead of the network, which takes up
    to ``batch`` consecutive images of one size at a time, on ``engines`` threads at once (each call on torch's
    thread count: images in parallel rather than each image's rows, see ``segment_files``). An item that cannot be
    decoded goes to ``on_error(index, item, exception)`` when it fails (the items before it may still be on their
    way) and is left out; without ``on_error`` the items before it are yielded, then its exception raised."""
    if batch < 1 or workers < 1 or engines < 1:
        raise ValueError(f"label_images: batch, workers and engines must be at least 1, got {batch}, {workers} and "
                         f"{engines}")
    ahead = ahead or 2 * batch + workers + engines
    wide = getattr(model, "num_classes", 256) > 256
    items = enumerate(items)
    pending, running = collections.deque(), collections.deque()

    def run(group):
        with torch.inference_mode():
            labels = model.labels(torch.cat([x for *_, x in group]) if len(group) > 1 else group[0][3],
                                  torch.int64 if wide else torch.uint8)
        return [(i, item, rgb, lab) for (i, item, rgb, _), lab in zip(group, labels.numpy())]

    with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="ppms-decode") as pool, \
            concurrent.futures.ThreadPoolExecutor(engines, thread_name_prefix="ppms-engine") as nets:
        def fill():
            while len(pending) < ahead:
                entry = next(items, pending)  # pending: the end
                if entry is pending:
                    return
                pending.append((*entry, pool.submit(decode, entry[1])))

        group, failed = [], None

        def submit():
            running.append(nets.submit(run, group[:]))
            group.clear()

        try:
            fill()
            while pending:
                i, item, future = pending.popleft()
                fill()
                try:
                    rgb, x = future.result()
                except Exception as e:
                    if on_error is None:
                        failed = e
                        break
                    on_error(i, item, e)
                    continue
                if group and group[0][2].shape != rgb.shape:
                    submit()
                group.append((i, item, rgb, x))
                if len(group) == batch:
                    submit()
                while len(running) > engines or (running and running[0].done()):
                    yield from running.popleft().result()
            if group:
                submit()
            while running:
                yield from running.popleft().result()
            if failed is not None:
                raise failed
        finally:  # an error, or the caller stopped early: no decoding of images nobody will take
            for *_, future in pending:
                future.cancel()


def _by_item(on_error):
    """``on_error(item, exception)`` as ``labelled`` calls it, with the item's index first (None stays None)."""
    return None if on_error is None else lambda _, item, e: on_error(item, e)


def label_images(model, items, *, batch=1, workers=1, engines=1, ahead=None, on_error=None):
    """``(item, labels)`` for each of ``items`` (image paths, or uint8 RGB ``[H, W, 3]`` / grey ``[H, W]`` arrays),
    in their order, decoding ahead of the network on ``workers`` threads, the network on ``engines`` threads:
    ``labelled`` without the images."""
    for _, item, _, labels in labelled(model, items, batch=batch, workers=workers, engines=engines, ahead=ahead,
                                       on_error=_by_item(on_error)):
        yield item, labels


def segment_files(model, jobs, names, *, batch=1, workers=1, engines=1, overlay=True, on_error=None, progress=None):
    """``ppms segment``'s job: for each ``(image path, output stem)`` of ``jobs`` its outputs (``segment.save``),
    written on ``workers`` threads in the background while the next images run, a bounded number behind; ``progress``
    (a tqdm bar, say) is updated per image written. ``engines`` network calls run at once: with torch at one thread
    and an engine per core, images run in parallel rather than each image's rows, so no layer waits at its end for
    a thread that a decoder or writer has preempted (1.1-1.2x the images/s of one engine on both cores of a 2-core
    Zen 5, tiny and base). Returns (images written, seconds)."""
    written, writing = 0, collections.deque()
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="ppms-write") as writer:
        def finish(w):
            nonlocal written
            w.result()  # a write that failed (a full disk) stops the run, named
            written += 1
            if progress is not None:
                progress.update()

        # each job once, duplicates included: its stem found by its place in jobs
        for i, _, rgb, labels in labelled(model, [path for path, _ in jobs], batch=batch, workers=workers,
                                          engines=engines, on_error=_by_item(on_error)):
            writing.append(writer.submit(segment.save, rgb, labels, jobs[i][1], names, overlay))
            while len(writing) > 2 * workers or (writing and writing[0].done()):
                finish(writing.popleft())
        while writing:
            finish(writing.popleft())
    return written, time.perf_counter() - t0
