"""The peers' model files for bench/arm/image_to_labels.sh, on x86 (.venv): PP-MobileSeg's network alone (image ->
low-res logits, the plain PyTorch modules) at SIZE x SIZE, as ONNX (onnxruntime reads it) and as ncnn's .param/.bin
(the x86 pnnx converts a torch.jit.trace). Weights: seed 0's random ones, as the other counts use.
    python bench/arm/peers_export.py OUTDIR SIZE VARIANT ..."""
import os
import subprocess
import sys

import torch

from ppms_kernels.models import pp_mobileseg
from ppms_kernels.tools.bench import Logits, reference_model


def plain(variant):
    """Seed 0's model with every ppms kernel off (what another engine can read), returning logits."""
    torch.manual_seed(0)
    return Logits(reference_model(pp_mobileseg(variant))).eval()


def main(out, size, variants):
    import pnnx  # noqa: F401  (the bench extra's converter; its binary lies beside the module)

    os.makedirs(out, exist_ok=True)
    x = torch.rand(1, 3, size, size)
    for v in variants:
        stem = os.path.join(out, f"{v}_{size}")
        net = plain(v)
        with torch.no_grad():
            torch.onnx.export(net, (x,), stem + ".onnx", dynamo=True, external_data=False, verbose=False)
            torch.jit.trace(net, x).save(stem + ".pt")
        exe = os.path.join(os.path.dirname(pnnx.__file__), "pnnx")
        subprocess.run([exe, os.path.basename(stem) + ".pt", f"inputshape=[1,3,{size},{size}]"], cwd=out, check=True,
                       stdout=subprocess.DEVNULL)
        print(f"wrote {stem}.onnx, {stem}.ncnn.param/.bin")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
