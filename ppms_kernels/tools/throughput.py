"""``ppms bench --suite segment``: images per second over a whole labelling job, JPEG files in, label maps out:
the engine alone on images decoded beforehand (its batches of the same size), the serial loop (decode, normalise,
network, write, one image after the other) and ``ppms segment``'s pipeline, interleaved round by round. The engine
alone runs as the pipeline does, an engine of one thread per torch thread, images in parallel; the serial loop on
all of torch's threads, as ``ppms segment`` ran before."""
import concurrent.futures
import copy
import os
import statistics
import tempfile
import time

import torch
import torch.nn.functional as F
from tqdm import tqdm

from .._extras import require
from ..models import optimize, pp_mobileseg
from . import pipeline, segment

SIZES = {"512": [(512, 512)], "mixed": [(512, 512), (384, 640), (480, 360), (720, 540)]}  # (H, W), cycled


def photo(h, w, generator):
    """A photo-like RGB uint8 ``[h, w, 3]`` image: colour fields with soft edges (6 x 6 random colours, bicubic)
    plus noise (sigma 10), drawn from ``generator``: the test image of the benches."""
    img = F.interpolate(torch.rand(1, 3, 6, 6, generator=generator), size=(h, w), mode="bicubic")[0].permute(1, 2, 0)
    return (img * 255 + torch.randn(h, w, 3, generator=generator) * 10).clamp(0, 255).round().to(torch.uint8).numpy()


def images(folder, count, sizes, seed=0):
    """``count`` JPEGs (quality 90) in ``folder``, ``photo``s of the sizes of ``SIZES[sizes]`` in turn. Returns their
    paths."""
    Image = require("PIL.Image", "images")

    g, paths = torch.Generator().manual_seed(seed), []
    for i in range(count):
        h, w = SIZES[sizes][i % len(SIZES[sizes])]
        paths.append(os.path.join(folder, f"{i:05d}.jpg"))
        Image.fromarray(photo(h, w, g)).save(paths[-1], quality=90)
    return paths


def _second_half(folder):
    """Images/s over the second half of the job that wrote ``folder``'s label maps, from their files' modification
    times: the rate once every process of the job runs, whatever it took to start them, and whenever the results
    reached the caller (None for fewer than 4 images)."""
    t = sorted(e.stat().st_mtime_ns for e in os.scandir(folder) if e.name.endswith("_labels.png"))
    n = len(t)
    return (n - n // 2) / ((t[-1] - t[n // 2 - 1]) / 1e9) if n >= 4 and t[-1] > t[n // 2 - 1] else None


def run(variants=("tiny", "base"), sizes=("512", "mixed"), count=256, batch=1, workers=1, repeat=3, overlay=False,
        ray=True):
    """``[{variant, sizes, row, images_per_s (median of the rounds), rounds, second_half}]``; each round runs every
    row of a (variant, sizes) once over the same ``count`` images, outputs written to a fresh folder (overwritten).
    With ``ray`` and Ray installed also ``ppms segment --ray`` on a new local cluster of this machine's CPUs each
    round (its processes would otherwise run beside the other rows), timed as that command times it: its actors'
    start (a process each, importing torch, optimising the model) with the job, the cluster's start and stop not.
    ``second_half``: for ``ppms segment`` and ``--ray``, the median images/s over each job's second half (from the
    label maps' modification times), which leaves out what the job took to start."""
    if ray:
        try:
            require("ray.data", "ray")
        except ImportError as e:
            print(f"the Ray row left out: {e}")
            ray = False
    results = []
    with tempfile.TemporaryDirectory(prefix="ppms-segment-bench-") as tmp:
        for size in sizes:
            os.makedirs(os.path.join(tmp, size))
            paths = images(os.path.join(tmp, size), count, size)
            decoded = [segment.read_image(p) for p in paths]
            inputs, group = [], []  # batches as the pipeline makes them: consecutive images of one size
            for rgb in decoded:
                if group and (group[0].shape != rgb.shape or len(group) == batch):
                    inputs.append(segment.normalise(group))
                    group = []
                group.append(rgb)
            inputs.append(segment.normalise(group))
            for variant in variants:
                torch.manual_seed(0)
                unoptimised = pp_mobileseg(variant).eval()
                model = optimize(copy.deepcopy(unoptimised))
                names = segment.class_names(model.num_classes)
                out = os.path.join(tmp, "out")

                def labels(x):
                    with torch.inference_mode():
                        return model.labels(x, torch.uint8)

                def engine():
                    with pipeline.one_thread() as engines, concurrent.futures.ThreadPoolExecutor(engines) as pool:
                        for _ in pool.map(labels, inputs):
                            pass
                    return count

                def serial():
                    for p in paths:
                        rgb, x = segment.load_image(p)
                        with torch.inference_mode():
                            labels = model.labels(x, torch.uint8)[0]
                        segment.save(rgb, labels, os.path.join(out, os.path.basename(p)[:-4]), names, overlay)
                    return count

                def piped():
                    jobs = [(p, os.path.join(out, os.path.basename(p)[:-4])) for p in paths]
                    with pipeline.one_thread() as engines:
                        return pipeline.segment_files(model, jobs, names, batch=batch, workers=workers,
                                                      engines=engines, overlay=overlay)

                def on_ray():
                    from . import cluster

                    jobs = [(p, os.path.join(out, os.path.basename(p)[:-4])) for p in paths]
                    return cluster.segment_files(jobs, unoptimised, batch=batch, overlay=overlay)

                rows = {"engine alone, decoded images": engine, "serial loop": serial,
                        f"ppms segment (batch {batch}, {workers} worker(s))": piped}
                if ray:
                    rows[f"ppms segment --ray (local, {os.cpu_count()} actors of 1 thread)"] = on_ray
                engine()  # warm: the engine's arenas, the decoders' libraries
                rates = {name: [] for name in rows}
                halves = {name: [] for name in rows}
                for _ in tqdm(range(repeat), desc=f"segment {variant} {size}", unit="round", leave=False):
                    for name, fn in rows.items():
                        t0 = time.perf_counter()
                        done = fn()
                        done, seconds = done if isinstance(done, tuple) else (done, time.perf_counter() - t0)
                        rates[name].append(done / seconds)
                        if fn in (piped, on_ray):
                            halves[name].append(_second_half(out))
                for name, r in rates.items():
                    h = [v for v in halves[name] if v is not None]
                    results.append({"variant": variant, "sizes": size, "row": name,
                                    "images_per_s": statistics.median(r), "rounds": r,
                                    "second_half": statistics.median(h) if h else None})
    return results


def table(results):
    lines, base = [], {}
    for r in results:
        key = (r["variant"], r["sizes"])
        base.setdefault(key, r["images_per_s"])
        half = "" if r["second_half"] is None else f"   second half {r['second_half']:6.1f} images/s"
        lines.append(f"{r['variant']:5s} {r['sizes']:6s} {r['row']:40s} {r['images_per_s']:8.1f} images/s  "
                     f"{r['images_per_s'] / base[key]:5.2f}x{half}")
    return "\n".join(lines)
