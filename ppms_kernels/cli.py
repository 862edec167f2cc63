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

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"ppms_kernels {ppms_kernels.__version__}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"native ops: {ppms_kernels.build_info()}")
    x = torch.rand(args.batch, 3, args.size, args.size)
    rows = []
    for variant in args.variants:
        model = (ppms_kernels.load_model(args.weights) if args.weights else pp_mobileseg(variant)).eval()
        if args.weights:
            variant = model.variant
        params = sum(p.numel() for p in model.parameters() if p.requires_grad)
        times = []
        with torch.inference_mode():
            for _ in tqdm(range(args.warmup + args.repeat), desc=f"{variant} {tuple(x.shape)}", leave=False):
                t0 = time.perf_counter()
                labels = model(x)
                times.append(time.perf_counter() - t0)
        times = times[args.warmup:]
        classes = torch.unique(labels).numel()
        rows.append((variant, params, tuple(labels.shape), classes, statistics.median(times) * 1e3, min(times) * 1e3))
        if args.weights:
            break
    src = args.weights or "random weights (pass --weights for official ones)"
    print(f"PP-MobileSeg eager reference (VIM), {src}, input {tuple(x.shape)}, "
          f"median of {args.repeat} runs after {args.warmup} warm-up:")
    print(f"{'variant':8} {'params':>10} {'label map':>18} {'classes':>8} {'median ms':>10} {'min ms':>8}")
    for v, p, shape, c, med, best in rows:
        print(f"{v:8} {p:>10,} {str(shape):>18} {c:>8} {med:>10.1f} {best:>8.1f}")


def _convert(args):
    from ppms_kernels import convert

    variant, num_classes = convert(args.src, args.dst)
    print(f"wrote {args.dst}: PP-MobileSeg-{variant}, {num_classes} classes")


def main(argv=None):
    p = argparse.ArgumentParser(prog="ppms", description="PP-MobileSeg kernels and model for PyTorch")
    sub = p.add_subparsers(dest="cmd", required=True)

    d = sub.add_parser("demo", help="build the model, segment a sample input, report shapes and latency")
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
