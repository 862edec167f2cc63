"""GPU benchmark: the Triton implementations of the ppms ops, and the model on CUDA, against plain PyTorch on
the same GPU, in one run. Every row is checked against its reference before it is timed.

    python bench/gpu.py [--json gpu.json] [--quick]

Times are medians of CUDA-event timings (``triton.testing.do_bench``); the ratio column is reference / row,
measured in the same run. TF32 is off everywhere (both sides compute in float32). Without a GPU it refuses to run (the CPU benchmarks are ``bench/test_*.py``).
"""
import argparse
import copy
import json
import sys

import torch
import torch.nn.functional as F


def _bench(fn, quick):
    from triton.testing import do_bench

    return do_bench(fn, warmup=10 if quick else 50, rep=30 if quick else 200, return_mode="median")


def _graphed(fn):
    """``fn`` captured once in a CUDA graph: returns a replay that yields the graph's (static) output. Replays cost
    one launch, so these rows show what the kernels cost without Python and launch overhead."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = fn()

    def replay():
        graph.replay()
        return out

    return replay


def vim_rows(quick):
    from ppms_kernels import valid_interpolate
    from ppms_kernels.reference import upsample_argmax, vim
    from ppms_kernels.testing import assert_labels_match, realistic_logits

    for name, h, batch in [("base", 64, 1), ("tiny", 32, 1), ("base", 64, 8)]:
        x = realistic_logits(batch, 150, h, h, K=15, seed=0).cuda()
        group = f"VIM {name} {batch}x150x{h}x{h} -> 512x512"
        up = F.interpolate(x, (512, 512), mode="bilinear", align_corners=False)
        ref = up.argmax(1)
        rows = {"torch full upsample+argmax": lambda: upsample_argmax(x, (512, 512)),
                "torch VIM (PaddleSeg)": lambda: vim(x, (512, 512)),
                "ppms exact (Triton)": lambda: valid_interpolate(x, (512, 512), "exact"),
                "ppms exact uint8 (Triton)": lambda: valid_interpolate(x, (512, 512), "exact", torch.uint8),
                "ppms paper (Triton)": lambda: valid_interpolate(x, (512, 512), "paper")}
        for row, fn in rows.items():
            expect = vim(x, (512, 512)) if "VIM" in row or "paper" in row else ref
            assert_labels_match(fn(), expect, up)
            yield group, row, _bench(fn, quick)


def sea_rows(quick):
    from ppms_kernels.models import SeaAttention
    from ppms_kernels.sea import FusedSeaAttention

    shapes = {"base trans1": (128, 16, 8, 32), "base trans2": (192, 24, 8, 16),
              "tiny trans1": (64, 16, 4, 32), "tiny trans2": (128, 24, 4, 16)}
    for batch in (1, 8):
        for name, (dim, kd, heads, side) in shapes.items():
            torch.manual_seed(0)
            block = SeaAttention(dim, kd, heads, use_kernel=False).eval()
            for m in block.modules():  # non-trivial BatchNorm statistics, so folding is really tested
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.5, 0.5), m.running_var.uniform_(0.5, 2.0)
            block = block.cuda()
            fused = FusedSeaAttention(block)
            x = torch.randn(batch, dim, side, side, device="cuda")
            group = f"SEA attention {name} {batch}x{dim}x{side}x{side}"
            with torch.inference_mode():
                ref = block(x)
                err = ((fused(x) - ref).norm() / ref.norm()).item()
                assert err <= 1e-5, f"{group}: relative error {err:.2e}"
                yield group, "eager reference block", _bench(lambda: block(x), quick)
                yield group, "ppms sea_attention (Triton)", _bench(lambda: fused(x), quick)
                for row, fn in [("eager reference block, CUDA graph", _graphed(lambda: block(x))),
                                ("ppms sea_attention, CUDA graph", _graphed(lambda: fused(x)))]:
                    err = ((fn() - ref).norm() / ref.norm()).item()
                    assert err <= 1e-5, f"{group} {row}: relative error {err:.2e}"
                    yield group, row, _bench(fn, quick)


def e2e_rows(quick):
    from ppms_kernels import benchmark, optimize
    from ppms_kernels.models import pp_mobileseg
    from ppms_kernels.reference import upsample_argmax
    from ppms_kernels.testing import assert_labels_match

    for variant in ("tiny", "base"):
        for batch in (1, 8):
            torch.manual_seed(0)
            model = pp_mobileseg(variant).eval().cuda()
            x = torch.rand(batch, 3, 512, 512, device="cuda")
            group = f"e2e {variant} {batch}x3x512x512 -> labels"
            ref_model = benchmark.reference_model(model)
            fast = optimize(copy.deepcopy(model))
            with torch.inference_mode():
                up = F.interpolate(ref_model.logits(x), (512, 512), mode="bilinear", align_corners=False)
                ref = up.argmax(1)
                eager = lambda: upsample_argmax(ref_model.logits(x), (512, 512))  # noqa: E731
                rows = {"(a) eager PyTorch, full upsample+argmax": eager,
                        "(c) ppms: optimize() + exact VIM": lambda: fast(x),
                        "(a) in a CUDA graph": _graphed(eager),
                        "(c) in a CUDA graph": _graphed(lambda: fast(x))}
                if not quick and batch == 1:  # compiling costs ~1 min a row
                    rows["(d) torch.compile of (a)"] = torch.compile(benchmark._Labels(ref_model))
                    rows["(d) torch.compile of (c)"] = torch.compile(fast, fullgraph=True)
                for row, fn in rows.items():
                    if isinstance(fn, torch.nn.Module):
                        fn = (lambda m: lambda: m(x))(fn)
                    assert_labels_match(fn(), ref, up)
                    yield group, row, _bench(fn, quick)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", help="write the results here")
    p.add_argument("--quick", action="store_true", help="fewer repetitions, no torch.compile rows")
    p.add_argument("--only", choices=["vim", "sea", "e2e"], nargs="*", default=["vim", "sea", "e2e"])
    args = p.parse_args(argv)
    if not torch.cuda.is_available():
        sys.exit("bench/gpu.py needs a CUDA GPU")
    from tqdm import tqdm

    import ppms_kernels  # noqa: F401  (registers the ops and their Triton CUDA kernels)

    # float32 means float32: TF32 convolutions (cuDNN's default) would move the reference's logits by ~1e-3.
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False

    gens = {"vim": vim_rows, "sea": sea_rows, "e2e": e2e_rows}
    results = []
    for what in args.only:
        for group, row, ms in tqdm(gens[what](args.quick), desc=what, unit="row"):
            results.append({"group": group, "row": row, "median_ms": ms})
    print(f"\n{torch.cuda.get_device_name()}, torch {torch.__version__}; ratio = group's first row / row")
    first = {}
    for r in results:
        if r["group"] not in first:
            first[r["group"]] = r["median_ms"]
            print(r["group"])
        print(f"  {r['row']:42} {r['median_ms'] * 1e3:10.1f} us {first[r['group']] / r['median_ms']:7.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "results": results}, f,
                      indent=1)


if __name__ == "__main__":
    main()
