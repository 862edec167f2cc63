"""Where the engine's time goes on this CPU, by layer class, per precision: milliseconds and GFLOP/s of each class
(stem, MobileNetV3 blocks, transformers, AAM + head) from ``ppms::_network_profile``, the median of ``--calls``
profiled calls after a warm-up, calls of the precisions interleaved. With ``--openvino``, also OpenVINO's own
per-node profile (PERF_COUNT) of the same weights, at f32 and at its default precision, summed by node and kernel
type: OpenVINO's classes are operations, not layers, so the two tables meet only in their totals and in the
operations one class holds alone (depthwise convolutions, the stem's 3x3 convolution).

    .venv/bin/python bench/layer_classes.py --variants tiny base --precisions fp32 bf16 --threads 2 --openvino
"""
import argparse
import collections
import copy
import os
import re
import statistics
import sys
import tempfile

import torch
from tqdm import tqdm

import ppms_kernels
from ppms_kernels.models import pp_mobileseg

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from helpers import randomise  # noqa: E402  (tests/helpers.py: weights where every branch contributes)

CLASSES = ("stem", "blocks", "transformers", "aam + head")


def layer_class(name):
    """The class of a profile line ("stem", "stage 2 block 0 (se)", "transformer 1 block 0", "aam + head")."""
    if name == "stem":
        return "stem"
    if name.startswith("stage"):
        return "blocks"
    if name.startswith("transformer"):
        return "transformers"
    if re.match(r"aam|head", name):
        return "aam + head"
    raise ValueError(f"unknown layer {name!r}")


def openvino(model, x, calls, rows=12):
    """OpenVINO's mean ms per call by (node type, kernel), at f32 and at its default precision: the ``rows``
    largest of each, and the total."""
    import openvino as ov

    from ppms_kernels.tools.bench import Logits, _onnx, reference_model

    core = ov.Core()
    with tempfile.TemporaryDirectory() as tmp:
        onnx = _onnx(Logits(reference_model(model)), x, tmp)
        for precision in ("f32", None):
            config = {"INFERENCE_NUM_THREADS": torch.get_num_threads(), "PERFORMANCE_HINT": "LATENCY",
                      "PERF_COUNT": True}
            if precision:
                config["INFERENCE_PRECISION_HINT"] = precision
            compiled = core.compile_model(core.read_model(onnx), "CPU", config)
            request, xn = compiled.create_infer_request(), x.numpy()
            for _ in range(3):
                request.infer({0: xn})
            ms = collections.Counter()
            for _ in range(calls):
                request.infer({0: xn})
                for node in request.get_profiling_info():
                    ms[(node.node_type, node.exec_type)] += node.real_time.total_seconds() * 1e3 / calls
            hint = compiled.get_property("INFERENCE_PRECISION_HINT")
            print(f"  OpenVINO {getattr(hint, 'get_type_name', lambda: hint)()}: {sum(ms.values()):.2f} ms "
                  f"(mean of {calls} profiled calls), by node and kernel type:")
            for (node, kernel), t in ms.most_common(rows):
                print(f"    {node:18} {kernel:28} {t:6.2f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variants", nargs="+", default=["tiny", "base"], choices=["tiny", "base"])
    p.add_argument("--precisions", nargs="+", default=["fp32", "bf16"], choices=["fp32", "fp16", "bf16"])
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--threads", type=int, default=0, help="0: torch's default")
    p.add_argument("--calls", type=int, default=15)
    p.add_argument("--openvino", action="store_true", help="also OpenVINO's per-node profile, f32 and default")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"{ppms_kernels.build_info()}\n{torch.get_num_threads()} threads, 1x3x{args.size}x{args.size}, medians of "
          f"{args.calls} profiled calls")
    x = torch.rand(1, 3, args.size, args.size, generator=torch.Generator().manual_seed(0))
    for variant in args.variants:
        model = randomise(pp_mobileseg(variant, num_classes=150), seed=0).eval()
        packed = ppms_kernels.optimize(copy.deepcopy(model)).engine  # in place: model stays the plain one
        ms = {p: {c: [] for c in CLASSES} for p in args.precisions}
        flops = {}
        for p in args.precisions:
            torch.ops.ppms._network_profile(x, packed, p)  # warm: weights packed, scratch touched
        for _ in tqdm(range(args.calls), desc=variant, leave=False):
            for p in args.precisions:
                names, seconds, f = torch.ops.ppms._network_profile(x, packed, p)
                per = dict.fromkeys(CLASSES, 0.0)
                for n, s, fl in zip(names, seconds, f):
                    per[layer_class(n)] += s
                    flops[layer_class(n)] = flops.get(layer_class(n), 0.0) + fl / args.calls / len(args.precisions)
                for c in CLASSES:
                    ms[p][c].append(per[c] * 1e3)
        print(f"\n{variant}: class, MFLOP, then per precision ms (GFLOP/s)")
        print(f"  {'class':14} {'MFLOP':>7}" + "".join(f" {p:>16}" for p in args.precisions))
        for c in CLASSES + ("network",):
            cs = CLASSES if c == "network" else (c,)
            mf = sum(flops[k] for k in cs) / 1e6
            cells = ""
            for p in args.precisions:
                t = statistics.median([sum(v) for v in zip(*(ms[p][k] for k in cs))])
                cells += f" {t:8.2f} ({mf / t:5.0f})"
            print(f"  {c:14} {mf:7.0f}{cells}")
        if args.openvino:
            openvino(model, x, args.calls)


if __name__ == "__main__":
    main()
