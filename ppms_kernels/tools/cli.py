"""The ``ppms`` command."""
import argparse
import sys


def _bench(args):
    import os

    import torch

    from .._extras import require
    from ..models import load_model, pp_mobileseg
    from . import bench

    if args.plot:
        require("matplotlib", "plot")  # before the minutes of timing, not after
    for path in (args.json, args.plot):
        if path:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    if "segment" in args.suite:  # whole jobs, not calls
        from . import throughput

        if len(args.suite) > 1 or args.device != "cpu":
            raise ValueError("--suite segment runs alone and on the CPU: it times whole jobs (images/s) of ppms "
                             "segment, the other suites single calls")
        print(f"segment: {args.images} JPEGs a round ({', '.join(args.sizes)}), label maps written, random weights, "
              f"{threads} threads (the engine alone and ppms segment: {threads} engine(s) of one thread, images in "
              f"parallel); median of {args.repeat} rounds, the rows interleaved; x: of the engine alone")
        results = throughput.run(args.variants, args.sizes, args.images, args.batch, args.workers, args.repeat)
        print(throughput.table(results))
        bench.save_json(results, args.json, suites=args.suite, threads=threads, repeat=args.repeat, images=args.images,
                        batch=args.batch, workers=args.workers)
        print(f"wrote {args.json}")
        return
    print(f"ppms bench: {', '.join(args.suite)} on {args.device}, {threads} threads; median of {args.repeat} "
          f"interleaved rounds, each row a block of at least {bench.BLOCK} consecutive calls (their median), after "
          f"{args.warmup} warm-up call(s)")
    meta = {"suites": args.suite, "device": args.device, "warmup": args.warmup, "repeat": args.repeat,
            "busy": args.busy}
    rows = []
    for suite in args.suite:
        if suite != "e2e":
            rows += bench.SUITES[suite](args.device)
            continue
        torch.manual_seed(0)
        if _official(args.weights):
            models = {v: pp_mobileseg(v, weights="ade20k") for v in args.variants}
            src = "the official ADE20K weights"
        elif args.weights:
            model = load_model(args.weights)
            models, src = {model.variant: model}, args.weights
        else:
            models = {v: pp_mobileseg(v) for v in args.variants}
            src = "random weights (pass --weights for official ones)"
        rows += bench.e2e(args.device, models, args.rows, args.size, args.batch)
        print(f"e2e: PP-MobileSeg {'/'.join(models)}, {src}; input {args.batch}x3x{args.size}x{args.size}, "
              f"label map out")
        meta.update(size=args.size, batch=args.batch, weights=src)
    if args.busy:
        print(f"every other round beside {args.busy} process(es) spinning on a core each: the slowdown column is that "
              f"round's median over the quiet one's")
    results = bench.run(rows, args.device, args.warmup, args.repeat, busy=args.busy)
    print(bench.table(results))
    bench.save_json(results, args.json, **meta)
    print(f"wrote {args.json}")
    if args.plot:
        bench.plot(results, args.plot, f"{args.device}, {threads} threads")
        print(f"wrote {args.plot}")


def _segment(args):
    import contextlib
    import os

    import torch
    from tqdm import tqdm

    from ..models import optimize
    from . import pipeline, segment

    if args.threads:
        torch.set_num_threads(args.threads)
    skipped = []

    bar = None

    def skip(path, why):
        tqdm.write(f"ppms segment: skipped {path}: {why}", file=sys.stderr)  # above the bar, not through it
        skipped.append(path)
        if bar is not None:
            bar.update()  # the bar counts inputs done with

    args.ray = args.ray or args.ray_address is not None
    if args.ray:
        from .._extras import require

        require("ray.data", "ray")  # before any work
    jobs, missing, done = segment.plan(args.images, args.out, args.overwrite, args.overlay)
    for path, why in missing:
        skip(path, why)
    os.makedirs(args.out, exist_ok=True)
    if not os.access(args.out, os.W_OK):
        raise PermissionError(f"--out {args.out}: the folder is not writable")
    stale = segment.remove_stale_parts({os.path.dirname(stem) for _, stem in jobs})
    if stale:
        print(f"removed {stale} unfinished files that killed runs left in {args.out}")
    if done:
        print(f"{done} images already segmented in {args.out} (--overwrite: again)")
    if not jobs:
        return 1 if skipped else 0
    model = _model(args, ", so the labels below mean nothing")
    names = segment.class_names(model.num_classes)
    if args.ray:
        from . import cluster

        with tqdm(total=len(jobs), desc="ppms segment (Ray)", unit="image") as bar:
            written, seconds = cluster.segment_files(jobs, model, address=args.ray_address, batch=args.batch,
                                                     threads=args.threads or 1, overlay=args.overlay, progress=bar,
                                                     on_error=skip)
        return _summary(args, model, written, seconds, skipped, f"Ray, {args.threads or 1} thread(s) an actor")
    optimize(model)
    if len(jobs) == 1 and not skipped and not done:  # one image: its latency and what it shows
        rgb, x = segment.load_image(jobs[0][0])  # decoded once in plan() already
        labels, ms = segment.segment(model, x)
        written = segment.save(rgb, labels, jobs[0][1], names, overlay=args.overlay)
        print(f"PP-MobileSeg-{model.variant}, {x.shape[-1]}x{x.shape[-2]} image, {torch.get_num_threads()} threads: "
              f"{ms:.1f} ms (median of 3, optimize() + exact VIM)")
        print("largest classes: " + ", ".join(f"{name} ({i}) {share:.1%}"
                                              for i, name, share in segment.present(labels, names)[:5]))
        print(f"wrote {' and '.join(written)}")
        return 0

    # an engine a thread, images in parallel; fewer images than threads: one engine, each image on every thread
    threads = torch.get_num_threads()
    parallel = pipeline.one_thread() if len(jobs) >= threads else contextlib.nullcontext(1)
    with parallel as engines, tqdm(total=len(jobs), desc="ppms segment", unit="image") as bar:
        how = f"{engines} engine(s) of {torch.get_num_threads()} thread(s)"
        written, seconds = pipeline.segment_files(model, jobs, names, batch=args.batch, workers=args.workers,
                                                  engines=engines, overlay=args.overlay, progress=bar,
                                                  on_error=lambda path, e: skip(path, pipeline.why(path, e)))
    return _summary(args, model, written, seconds, skipped, how)


def _summary(args, model, written, seconds, skipped, how):
    """The last lines of a many-image ``ppms segment``; its exit status."""
    import os

    print(f"PP-MobileSeg-{model.variant}, {how}, batch {args.batch}: {written} images in {seconds:.1f} s, "
          f"{written / seconds:.1f} images/s (decoding, network, writing)")
    print(f"wrote {os.path.join(args.out, '<name>')}_labels.png (class ids, PaddleSeg's palette)"
          f"{' and _overlay.png' if args.overlay else ''} for each")
    if skipped:
        print(f"{len(skipped)} of {written + len(skipped)} inputs skipped (named above)")
        return 1
    return 0


def _official(weights):
    """Whether ``--weights`` names the official weights (``ade20k``) rather than a file."""
    return bool(weights) and weights.lower() == "ade20k"


def _model(args, consequence=""):
    """The model of ``--weights``, or a seeded random one of ``--variant``, said so."""
    import torch

    from ..models import load_model, pp_mobileseg

    if _official(args.weights):
        return pp_mobileseg(args.variant, weights="ade20k").eval()
    if args.weights:
        return load_model(args.weights)
    print(f"no --weights given: PP-MobileSeg-{args.variant} with RANDOM weights{consequence} (the official ones: "
          f"--weights ade20k, downloaded once; or --weights PATH to a .pdparams or .pt file)")
    torch.manual_seed(0)
    return pp_mobileseg(args.variant).eval()


def _convert(args):
    import os

    from ..models import convert

    variant, num_classes = convert(args.src, args.dst)
    print(f"wrote {os.path.abspath(args.dst)} ({os.path.getsize(args.dst) / 1e6:.1f} MB): the torch state dict of "
          f"PP-MobileSeg-{variant}, {num_classes} classes, converted from {args.src}")


def _export_onnx(args):
    import os

    import torch

    from ..models import MAX_INPUT_SIZE, MIN_INPUT_SIZE, export_onnx, optimize
    from .quiet import quiet

    if not MIN_INPUT_SIZE <= args.size <= MAX_INPUT_SIZE:
        raise ValueError(f"--size {args.size}: the model takes sides from {MIN_INPUT_SIZE} to {MAX_INPUT_SIZE}")
    model = _model(args)
    model.vim_mode = args.vim_mode
    optimize(model)  # BatchNorm folded: a leaner file, and a quicker export
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    print(f"exporting PP-MobileSeg-{model.variant} to ONNX (about a minute)")
    with quiet():
        export_onnx(model, torch.rand(1, 3, args.size, args.size), args.out, dynamic=not args.static)
    sizes = (f"1x3x{args.size}x{args.size} only" if args.static else
             f"any batch, height and width {MIN_INPUT_SIZE}..{MAX_INPUT_SIZE}")
    labels = "full upsample + argmax" if args.vim_mode == "exact" else "PaddleSeg's VIM"
    print(f"wrote {args.out}: PP-MobileSeg-{model.variant}, {model.num_classes} classes; float32 image [batch, 3, "
          f"height, width] normalised as `ppms segment` does ({sizes}) -> int64 labels ({labels})")


def _export(args):
    import os

    from ..models import export_ppms, read_ppms

    model = _model(args)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    export_ppms(model, args.out, args.precision)
    info = read_ppms(args.out)
    print(f"wrote {args.out} ({info['bytes'] / 1e6:.1f} MB): PP-MobileSeg-{info['variant']}, {info['classes']} "
          f"classes, {info['precision']} weights folded and packed for the native engine; run it with ppms_run (C++, "
          f"no PyTorch)")


def _count(least, why=""):
    """An argparse type: an int of at least ``least`` (``why``: what the bound is)."""
    def parse(text):
        try:
            n = int(text)
        except ValueError:
            n = None
        if n is None or n < least:
            bound = f"{least} ({why})" if why else f"{least}"
            raise argparse.ArgumentTypeError(f"expected a whole number of at least {bound}, got {text!r}")
        return n

    return parse


def main(argv=None):
    import torch

    from ..models import MIN_INPUT_SIZE, PRECISIONS
    from ..ops import VERSION, VIM_MODES
    from .bench import ROWS as _ROWS, SUITES, row_precision

    p = argparse.ArgumentParser(prog="ppms", description="PP-MobileSeg kernels and model for PyTorch")
    p.add_argument("--version", action="version", version=f"ppms_kernels {VERSION} (torch {torch.__version__})")
    sub = p.add_subparsers(dest="cmd", required=True)

    b = sub.add_parser("bench", help="latency of every way to run the model (eager, ppms, torch.compile, ONNX "
                                     "Runtime) or of the ops, outputs checked first; table, JSON, plot")
    b.add_argument("--suite", nargs="+", default=["e2e"], choices=[*SUITES, "segment"],
                   help="e2e: the model, image in, label map out (default); upsample_argmax, sea_attention, "
                        "conv1x1, depthwise, normalise: the ops against PyTorch at the model's shapes; segment "
                        "(alone): images/s of whole labelling jobs, the engine alone beside ppms segment")
    b.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                   help="cuda adds rows replayed from CUDA graphs and times with CUDA events")
    b.add_argument("--variants", nargs="+", default=["base", "tiny"], choices=["base", "tiny"])
    b.add_argument("--weights", help=".pdparams or .pt weights (variant read from the file), or ade20k (the official "
                                     "weights of each of --variants, downloaded once)")
    b.add_argument("--rows", nargs="+", default=None, metavar="ROW",
                   help="e2e rows to run (default all): " + ", ".join(_ROWS))
    b.add_argument("--precision", nargs="+", default=["fp32", "bf16"], choices=["fp32", "bf16"],
                   help="e2e: only the rows of these precisions: fp32, or bf16 (ppms in bf16 beside OpenVINO at its "
                        "default precision, bf16 on CPUs with AVX512_BF16)")
    b.add_argument("--size", type=_count(MIN_INPUT_SIZE, "PP-MobileSeg's smallest input"), default=512,
                   help="e2e: the side of the square input image")
    b.add_argument("--batch", type=_count(1), default=1)
    b.add_argument("--images", type=_count(1), default=256, help="segment suite: JPEGs a round")
    b.add_argument("--sizes", nargs="+", default=["512", "mixed"], choices=["512", "mixed"],
                   help="segment suite: 512x512 images, or four sizes in turn")
    b.add_argument("--workers", type=_count(1), default=1, help="segment suite: ppms segment's --workers")
    b.add_argument("--threads", type=_count(0), default=0, help="torch and ORT threads (0: torch's default, all cores)")
    b.add_argument("--warmup", type=_count(0), default=2, help="calls before timing (at least 2 are made)")
    b.add_argument("--repeat", type=_count(1), default=10, help="timed rounds")
    b.add_argument("--busy", type=_count(0), default=0, metavar="N",
                   help="CPU: also time every row beside N processes that keep a core busy each, in a round after "
                        "each quiet one (the table adds busy ms and the slowdown)")
    b.add_argument("--json", default="ppms_bench.json", help="where to write the results")
    b.add_argument("--plot", help="also write a PNG bar chart here")
    b.set_defaults(func=_bench)

    s = sub.add_parser("segment", help="segment images: label maps (palette PNGs of class ids, as PaddleSeg writes "
                                       "them) and overlays with a legend of the classes, latency")
    s.add_argument("images", nargs="+", metavar="IMAGE",
                   help=f"image files Pillow reads (at least {MIN_INPUT_SIZE}x{MIN_INPUT_SIZE}), folders of them "
                        f"(walked; the outputs keep their structure), or .txt files listing them one a line")
    s.add_argument("--weights", help=".pdparams or .pt weights (variant read from the file), or ade20k (the official "
                                     "weights of --variant, downloaded once)")
    s.add_argument("--variant", default="base", choices=["base", "tiny"], help="without --weights, or with ade20k")
    s.add_argument("--out", default=".", help="folder for <name>_labels.png and <name>_overlay.png (created; default: "
                                               "the current folder)")
    s.add_argument("--overlay", action=argparse.BooleanOptionalAction, default=True,
                   help="also write the image overlaid with the class colours and a legend (ADE20K's class names for "
                        "150-class models)")
    s.add_argument("--threads", type=_count(0), default=0,
                   help="torch threads (0: torch's default); with several images, as many engines of one thread, "
                        "images in parallel")
    s.add_argument("--batch", type=_count(1), default=1, help="images of one size run together, up to this many")
    s.add_argument("--workers", type=_count(1), default=1,
                   help="threads that decode images ahead of the network, and threads that write the outputs")
    s.add_argument("--ray", action="store_true",
                   help="run on a Ray cluster (pip install 'ppms_kernels[ray]'): a local one of this machine's CPUs, "
                        "or the one at --ray-address; actors of --threads CPUs each (default 1)")
    s.add_argument("--ray-address", metavar="ADDRESS",
                   help="the Ray cluster for --ray (implies it), as ray.init takes it; its nodes read the inputs and "
                        "write --out at the same paths as here (a shared filesystem)")
    s.add_argument("--overwrite", action="store_true",
                   help="segment images whose outputs are in --out already (by default they are left as they are)")
    s.set_defaults(func=_segment)

    c = sub.add_parser("convert", help="convert official PaddleSeg .pdparams weights to a torch .pt state dict")
    c.add_argument("src", help="PaddleSeg model.pdparams")
    c.add_argument("dst", help="output .pt")
    c.set_defaults(func=_convert)

    e = sub.add_parser("export-onnx", help="write the model as an ONNX file (image in, label map out) that ONNX "
                                           "Runtime runs, for any input size")
    e.add_argument("out", help="output .onnx (weights inside)")
    e.add_argument("--weights", help=".pdparams or .pt weights (variant read from the file), or ade20k (the official "
                                     "weights of --variant, downloaded once)")
    e.add_argument("--variant", default="base", choices=["base", "tiny"], help="without --weights, or with ade20k")
    e.add_argument("--vim-mode", default="exact", choices=VIM_MODES,
                   help="labels: exact (those of the full upsample + argmax) or paper (PaddleSeg's VIM)")
    e.add_argument("--size", type=int, default=512, help="side of the example image the export traces")
    e.add_argument("--static", action="store_true", help="take only --size x --size images, batch 1")
    e.set_defaults(func=_export_onnx)

    x = sub.add_parser("export", help="write the model as a .ppms file, which ppms_run and the C++ API load")
    x.add_argument("out", help="output .ppms")
    x.add_argument("--weights", help=".pdparams or .pt weights (variant read from the file), or ade20k (the official "
                                     "weights of --variant, downloaded once)")
    x.add_argument("--variant", default="base", choices=["base", "tiny"], help="without --weights, or with ade20k")
    x.add_argument("--precision", default="fp32", choices=PRECISIONS,
                   help="how the file stores the weights: fp16 (bf16) rounds each to half (bfloat16), nearest even, half "
                        "the file, which ppms_run then runs in that precision (bf16: x86 with AVX512_BF16)")
    x.set_defaults(func=_export)

    args = p.parse_args(argv)
    if getattr(args, "rows", 0) is None:
        args.rows = list(_ROWS)
    if getattr(args, "rows", None):
        bad = [r for r in args.rows if r not in _ROWS]
        if bad:
            p.error(f"unknown row(s) {bad}; rows: {', '.join(_ROWS)}")
    if getattr(args, "precision", None) and args.cmd == "bench":
        kept = [r for r in args.rows if row_precision(r) in args.precision]
        if not kept:
            p.error(f"none of the rows {args.rows} runs in {' or '.join(args.precision)}")
        args.rows = kept
    from ..models import WeightFileError

    try:
        return args.func(args) or 0  # a command that did part of its work says so: 1
    except (WeightFileError, FileNotFoundError, ValueError, OSError, ModuleNotFoundError) as e:
        print(f"ppms {args.cmd}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
