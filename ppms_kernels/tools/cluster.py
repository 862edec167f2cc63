"""Label maps on a Ray cluster (extra ``[ray]``): Ray Data places the work, retries it and restarts an actor that
dies; each actor loads the model once and runs the engine on the CPUs Ray gave it.

    import ray
    from ppms_kernels.tools.cluster import label_dataset
    ds = label_dataset(ray.data.from_items([{"path": p} for p in paths]), model)   # adds "labels"
"""
import os

import numpy as np
import torch

from .._extras import require
from ..models import optimize
from . import pipeline, segment


def _threads():
    """The CPUs Ray assigned to this actor, at least 1."""
    ray = require("ray", "ray")
    return max(1, int(ray.get_runtime_context().get_assigned_resources().get("CPU", 1)))


class _Labeller:
    """One actor's model. A batch's ``column`` holds image paths or uint8 RGB arrays; out come ``labels`` (uint8
    ``[H, W]`` each, or None) and ``error`` ("" or why the image could not be read). With ``overlay`` not None the
    batch also has ``stem`` and the actor writes ``segment.save``'s files there instead of returning labels."""

    def __init__(self, model, column, precision="fp32", overlay=None, batch=1):
        ray = require("ray", "ray")

        torch.set_num_threads(_threads())
        model = ray.get(model[0])
        self.model = optimize(model, precision=precision) if model.engine is None else model
        self.names = segment.class_names(self.model.num_classes)
        self.column, self.overlay, self.batch = column, overlay, batch

    def __call__(self, batch):
        items, errors, done = list(batch[self.column]), {}, {}

        def skip(i, item, e):
            errors[i] = pipeline.why(item, e)

        for i, _, rgb, labels in pipeline.labelled(self.model, items, batch=self.batch, on_error=skip):
            if self.overlay is None:
                done[i] = labels
            else:
                segment.save(rgb, labels, str(batch["stem"][i]), self.names, self.overlay)
        out = dict(batch)
        if self.overlay is None:
            out["labels"] = _objects([done.get(i) for i in range(len(items))])
        out["error"] = _objects([errors.get(i, "") for i in range(len(items))])
        return out


def _objects(values):
    """A 1-D object array of ``values`` (numpy would stack equal-shape arrays into one)."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


def label_dataset(ds, model, *, column="path", batch_size=16, batch=1, actors=None, threads=1, precision="fp32",
                  overlay=None):
    """``ds`` (a ``ray.data.Dataset`` whose ``column`` holds image paths or uint8 RGB arrays) with ``labels`` (uint8
    ``[H, W]``, None where the image could not be read) and ``error`` columns, computed by ``actors`` actors of
    ``threads`` CPUs each (default: as many as the cluster's CPUs hold), each holding ``model`` (a ``PPMobileSeg``,
    optimised in the actor at ``precision``), ``batch_size`` rows a call, ``batch`` images of one size an engine
    call. With ``overlay`` True or False the rows also need a ``stem`` column
    and the actors write ``ppms segment``'s files there (with or without the overlay) instead of returning
    labels."""
    ray = require("ray", "ray")

    if actors is None:
        actors = max(1, int(ray.cluster_resources().get("CPU", 1)) // threads)
    # no max_restarts: Ray Data restarts its pool's actors and retries their tasks by default
    return ds.map_batches(_Labeller, batch_size=batch_size, batch_format="numpy",
                          compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=threads,
                          # the model by a reference in a list: an actor that Ray restarts gets it from the object
                          # store, and its arguments stay small
                          fn_constructor_kwargs={"model": [ray.put(model)], "column": column, "precision": precision,
                                                 "overlay": overlay, "batch": batch})


def segment_files(jobs, model, *, address=None, batch_size=16, batch=1, threads=1, overlay=True, on_error=None,
                  progress=None):
    """``ppms segment --ray``: ``pipeline.segment_files``'s job on the Ray cluster at ``address`` (None: a new local
    one of this machine's CPUs, shut down after the job; where Ray is initialised already, that cluster), the files
    written by the actors, each the same bytes as the one-machine path writes: every node must see the inputs and
    the outputs' folder at the same paths. ``model`` unoptimised (each actor optimises its copy). Returns (images
    written, seconds)."""
    import logging
    import time

    ray = require("ray", "ray")

    started = not ray.is_initialized()
    if started:
        ray.init(address=address or "local", include_dashboard=False, logging_level=logging.WARNING,
                 log_to_driver=False)
    try:
        return _segment_files(ray, jobs, model, batch_size, batch, threads, overlay, on_error, progress)
    finally:
        if started:
            ray.shutdown()


def _segment_files(ray, jobs, model, batch_size, batch, threads, overlay, on_error, progress):
    import logging
    import time

    logging.getLogger("ray.data").setLevel(logging.ERROR)
    ray.data.DataContext.get_current().enable_progress_bars = False  # the caller's bar counts images
    t0 = time.perf_counter()
    ds = ray.data.from_items([{"path": os.path.abspath(p), "stem": os.path.abspath(s)} for p, s in jobs],
                             override_num_blocks=max(1, -(-len(jobs) // batch_size)))
    written = 0
    rows = label_dataset(ds, model, batch_size=batch_size, batch=batch, threads=threads, overlay=overlay)
    for row in rows.iter_rows():
        if row["error"]:
            if on_error is None:
                raise ValueError(row["error"])
            on_error(row["path"], row["error"])
            continue
        written += 1
        if progress is not None:
            progress.update()
    return written, time.perf_counter() - t0
