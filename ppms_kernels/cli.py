"""The ``ppms`` command."""
import argparse
import statistics
import sys
import time


def _demo(args):
    import torch
    from tqdm import tqdm

    import ppms_kernels
    from ppms_kernels.models import pp_mobileseg
    from ppms_kernels.reference import upsample_argmax

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"ppms_kernels {ppms_kernels.__version__}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"native ops: {ppms_kernels.build_info()}")
    x = torch.rand(args.batch, 3, args.size, args.size)
    rows = []
    variants = [None] if args.weights else args.variants
    for variant in variants:
        model = ppms_kernels.load_model(args.weights) if args.weights else pp_mobileseg(variant).eval()
        params = sum(p.numel() for p in model.parameters() if p.requires_grad)
        reference = lambda m=model: upsample_argmax(m.logits(x), x.shape[-2:])  # noqa: E731
        fused = pp_mobileseg(model.variant, model.num_classes).eval()
        fused.load_state_dict(model.state_dict())
        fused.fuse()
        medians = {}
        with torch.inference_mode():
            for name, run in (("eager reference, full upsample+argmax", reference), ("ppms fused, exact VIM", fused)):
                times = []
                for _ in tqdm(range(args.warmup + args.repeat), desc=f"{model.variant}: {name}", leave=False):
                    t0 = time.perf_counter()
                    labels = run(x) if run is fused else run()
                    times.append(time.perf_counter() - t0)
                medians[name] = statistics.median(times[args.warmup:])
        classes = torch.unique(labels).numel()
        for name, t in medians.items():
            ratio = next(iter(medians.values())) / t
            rows.append((model.variant, params, tuple(labels.shape), classes, name, t * 1e3, ratio))
    src = args.weights or "random weights (pass --weights for official ones)"
    print(f"PP-MobileSeg, {src}, input {tuple(x.shape)}, median of {args.repeat} runs after {args.warmup} warm-up:")
    print(f"{'variant':8} {'params':>10} {'label map':>18} {'classes':>8}  {'path':38} {'median ms':>10} {'speed-up':>9}")
    for v, p, shape, c, name, med, ratio in rows:
        print(f"{v:8} {p:>10,} {str(shape):>18} {c:>8}  {name:38} {med:>10.1f} {ratio:>8.1f}x")


def _convert(args):
    from ppms_kernels import convert

    variant, num_classes = convert(args.src, args.dst)
    print(f"wrote {args.dst}: PP-MobileSeg-{variant}, {num_classes} classes")


def main(argv=None):
    p = argparse.ArgumentParser(prog="ppms", description="PP-MobileSeg kernels and model for PyTorch")
    sub = p.add_subparsers(dest="cmd", required=True)

    d = sub.add_parser("demo", help="segment a sample input with the eager reference and the fused model, "
                                    "report shapes and latency")
    d.add_argument("--variants", nargs="+", default=["base", "tiny"], choices=["base", "tiny"])
    d.add_argument("--weights", help=".pdparams or .pt weights (variant read from the file)")
    d.add_argument("--size", type=int, default=512)
    d.add_argument("--batch", type=int, default=1)
    d.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    d.add_argument("--warmup", type=int, default=2)
    d.add_argument("--repeat", type=int, default=10)
    d.set_defaults(func=_demo)

    c = sub.add_parser("convert", help="convert official PaddleSeg .pdparams weights to a torch .pt state dict")
    c.add_argument("src", help="PaddleSeg model.pdparams")
    c.add_argument("dst", help="output .pt")
    c.set_defaults(func=_convert)

    args = p.parse_args(argv)
    from ppms_kernels.weights import WeightFileError

    try:
        args.func(args)
    except (WeightFileError, FileNotFoundError) as e:
        print(f"ppms {args.cmd}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
