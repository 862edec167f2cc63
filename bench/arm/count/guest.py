"""What bench/arm/count.sh runs in aarch64 Python (PyTorch and the cross-built op library) under qemu with the count
plugin, 1 thread. Each subcommand prints the LABEL lines that marks.py pairs with the plugin's marks:

    network SIZE VARIANT ...     the engine through optimize(): image -> labels and image -> logits
    layers SIZE VARIANT          per layer (an op library built with -DPPMS_ICOUNT_MARKS=ON marks each boundary)
    functions SIZE VARIANT PRECISION   two network calls for the plugin's per-block profile (report.py functions)
    op conv1x1|depthwise         one op at the network's shapes against aarch64 PyTorch's
    peers MODELDIR SIZE VARIANT ...    PyTorch eager and optimize(), ncnn fp32 and default (fp16), onnxruntime
"""
import os
import sys

import torch

import ppms_kernels  # noqa: F401  (loads PPMS_OPS_LIBRARY: the cross-built op library)
from ppms_kernels.models import pp_mobileseg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from marks import counted, mark  # noqa: E402

FIRST_LAYER_MARK = 10000  # network.cpp's kFirstMark
STOP_MARK = 1  # disarms the plugin's per-block profile


def image(size):
    return torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))


def network(size, *variants):
    """Random weights, seeded: the network's count does not depend on their values, but VIM's (its candidate
    pixels) does, by 1-2M between draws."""
    torch.manual_seed(0)  # torch seeds itself at random per process
    counted("empty", lambda: None)
    x = image(int(size))
    for variant in variants or ("tiny", "base"):
        model = ppms_kernels.optimize(pp_mobileseg(variant, num_classes=150).eval())
        assert model.engine is not None, "the engine did not take the model"
        counted(f"ppms {variant} {size}x{size} -> labels (engine + exact VIM)", lambda: model(x), reps=2)
        counted(f"ppms {variant} {size}x{size} -> logits (network only)", lambda: model.logits(x), reps=2)


def layers(size, variant):
    """One variant per run: the plugin keeps a mark's last value, and every network call sets the same marks."""
    x = image(int(size))
    model = ppms_kernels.optimize(pp_mobileseg(variant, num_classes=150).eval())
    names, _, flops = torch.ops.ppms._network_profile(x, model.engine)
    model.logits(x)  # warm: the marks of this call are the ones counted
    for i, (name, f) in enumerate(zip(names, flops)):  # a region between marks i and i + 1
        print(f"LABEL {FIRST_LAYER_MARK + i} {variant} {name} (floor {f / 8 / 1e6:.1f}M)", flush=True)


def functions(size, variant, precision, calls=2):
    """The first layer mark of each call arms the profile, STOP_MARK after it disarms it."""
    x = image(int(size))
    model = ppms_kernels.optimize(pp_mobileseg(variant, num_classes=150).eval(), precision=precision)
    for _ in range(calls):
        model.logits(x)
        mark(STOP_MARK)
    print("CALLS", calls)
    for line in open("/proc/self/maps"):  # where the library lies in the guest
        if "r-xp" in line and "ppms" in line:
            print("MAP", line.strip())


def op(name):
    import torch.nn.functional as F

    from ppms_kernels.tools.bench import CONV1X1_SHAPES, DEPTHWISE_SHAPES

    counted("empty", lambda: None)
    if name == "conv1x1":
        for pixels, cin, cout in CONV1X1_SHAPES:
            g = torch.Generator().manual_seed(pixels + cin + cout)
            x, w, b = torch.randn(pixels, cin, generator=g), torch.randn(cout, cin, generator=g), torch.randn(cout, generator=g)
            wt = w.t().contiguous()
            packed = torch.ops.ppms._conv1x1_pack(w, b)
            shape = f"{pixels}x{cin}->{cout}"
            want = counted(f"torch.addmm {shape}", lambda: torch.addmm(b, x, wt))
            got = counted(f"ppms conv1x1 {shape}", lambda: torch.ops.ppms._conv1x1(x, packed, cout, None, "none", ""))
            assert torch.allclose(got, want, rtol=1e-4, atol=1e-4 * cin ** 0.5), shape
    elif name == "depthwise":  # + hardswish, on the same channels_last memory
        for side, C, k, stride in DEPTHWISE_SHAPES:
            g = torch.Generator().manual_seed(side + C + k)
            nhwc, w, b = torch.randn(1, side, side, C, generator=g), torch.randn(C, 1, k, k, generator=g) / k, torch.randn(C, generator=g)
            nchw = nhwc.permute(0, 3, 1, 2)
            packed = torch.ops.ppms._depthwise_pack(w, b)
            shape = f"{k}x{k}/{stride} {side}x{side}x{C}"
            want = counted(f"torch conv2d {shape}",
                           lambda: F.hardswish(F.conv2d(nchw, w, b, stride, k // 2, groups=C), inplace=True))
            got = counted(f"ppms depthwise {shape}",
                          lambda: torch.ops.ppms._depthwise(nhwc, packed, k, stride, "hardswish", ""))
            assert torch.allclose(got.permute(0, 3, 1, 2), want, rtol=1e-4, atol=1e-4), shape
    else:
        sys.exit(f"op: conv1x1 or depthwise, not {name!r}")


def peers(models, size, *variants):
    """On peers.plain()'s weights and peers.py's files; the network alone except optimize() (image -> labels). ncnn's
    default's error (max |logit - PyTorch's| / max |PyTorch's|) goes to stderr; a peer whose package or file is
    missing is left out, said on stderr."""
    import numpy as np

    from peers import plain

    size = int(size)
    counted("empty", lambda: None)
    x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    for v in variants:
        net_logits = plain(v)
        want = counted(f"{v} PyTorch eager, network", lambda: net_logits(x))
        model = ppms_kernels.optimize(net_logits.model)
        counted(f"{v} PyTorch optimize(), image -> labels", lambda: model(x))
        stem = os.path.join(models, f"{v}_{size}")
        try:
            import ncnn

            for label, fp32 in (("ncnn fp32", True), ("ncnn default (fp16)", False)):
                net = ncnn.Net()
                net.opt.num_threads = 1
                net.opt.use_packing_layout = True
                if fp32:
                    for flag in ("use_fp16_packed", "use_fp16_storage", "use_fp16_arithmetic", "use_bf16_storage"):
                        setattr(net.opt, flag, False)
                assert net.load_param(stem + ".ncnn.param") == 0 and net.load_model(stem + ".ncnn.bin") == 0, stem
                pixels = ncnn.Mat(x[0].numpy())

                def run_ncnn():
                    ex = net.create_extractor()
                    ex.input("in0", pixels)
                    return torch.from_numpy(np.array(ex.extract("out0")[1]))

                got = counted(f"{v} {label}, network", run_ncnn)
                error = ((got - want[0]).abs().max() / want.abs().max()).item()
                print(f"{v} {label}: max |logit error| / max |logit| {error:.1e}", file=sys.stderr)
        except (ImportError, AssertionError) as e:
            print(f"ncnn left out: {e!r}", file=sys.stderr)
        try:
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = opts.inter_op_num_threads = 1
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            sess = ort.InferenceSession(stem + ".onnx", opts, providers=["CPUExecutionProvider"])
            feed = {sess.get_inputs()[0].name: x.numpy()}
            counted(f"{v} onnxruntime, network", lambda: sess.run(None, feed))
        except (ImportError, FileNotFoundError) as e:
            print(f"onnxruntime left out: {e!r}", file=sys.stderr)


if __name__ == "__main__":
    torch.set_num_threads(1)
    with torch.inference_mode():
        {"network": network, "layers": layers, "functions": functions, "op": op, "peers": peers}[sys.argv[1]](*sys.argv[2:])
