"""Executed aarch64 instructions of the peers, 1 thread, 1x3xSIZExSIZE, under qemu with the insncount plugin (run by
bench/arm/icount.sh): aarch64 PyTorch eager (network alone, plain modules) and optimize() (image -> labels, the
engine + exact VIM), ncnn (fp32, and its default options: fp16 storage and arithmetic on a CPU with FP16 arithmetic)
and onnxruntime on the files of peers_export.py (network alone), all on peers_export.plain()'s weights. ncnn's
default's error (max |logit - PyTorch's| / max |PyTorch's|) goes to stderr. A peer whose package or file is missing
is left out, said on stderr.
    bash bench/arm/icount.sh peers_icount.py MODELDIR SIZE VARIANT ..."""
import os
import sys

import numpy as np
import torch

import ppms_kernels
sys.path.insert(0, sys.argv[1])  # bench/arm/icount, for icount.py
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # bench/arm, for peers_export.py
from icount import counted  # noqa: E402
from peers_export import plain  # noqa: E402

models, size, variants = sys.argv[2], int(sys.argv[3]), sys.argv[4:]
torch.set_num_threads(1)
counted("empty", lambda: None)
x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0))
for v in variants:
    net_logits = plain(v)
    with torch.inference_mode():
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
            image = ncnn.Mat(x[0].numpy())

            def run_ncnn():
                ex = net.create_extractor()
                ex.input("in0", image)
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
