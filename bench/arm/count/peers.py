"""The peers' model files for `bench/arm/count.sh labels`, on x86 (.venv): PP-MobileSeg's network alone (image ->
low-res logits, the plain PyTorch modules) at SIZE x SIZE, as ONNX (onnxruntime reads it) and as ncnn's .param/.bin
(the x86 pnnx converts a torch.jit.trace). Weights: plain(), which `guest.py peers` runs too.
    python bench/arm/count/peers.py OUTDIR SIZE VARIANT ..."""
import contextlib
import os
import subprocess
import sys

import torch

from ppms_kernels.models import pp_mobileseg
from ppms_kernels.ops import reference
from ppms_kernels.tools.bench import Logits, reference_model

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests"))
from helpers import randomise  # noqa: E402


def plain(variant):
    """Seed 0's random model, BatchNorm included (default initialisation zeroes the attention projection's gamma, so
    the attention's errors would not show), with every ppms kernel off (what another engine can read), returning
    logits."""
    return Logits(reference_model(randomise(pp_mobileseg(variant), seed=0))).eval()


def _attention_4d(q, k, v, pos_q, pos_k, num_heads):
    # reference._squeezed_attention as 4-D matmuls: pnnx turns the 3-D bmm form into reshapes that cost ncnn 12-13%
    # of the network, so the peers get the form they run fastest
    B, C, N = q.shape
    scale = (C // num_heads) ** -0.5
    q = (q + reference.interp1d(pos_q, N)).reshape(B, num_heads, -1, N).transpose(-1, -2)
    k = (k + reference.interp1d(pos_k, N)).reshape(B, num_heads, -1, N)
    v = v.reshape(B, num_heads, -1, N).transpose(-1, -2)
    attn = torch.softmax(q @ k * scale, dim=-1)
    return (attn @ v).transpose(-1, -2).reshape(B, -1, N)


@contextlib.contextmanager
def attention_4d():
    saved = reference._squeezed_attention
    reference._squeezed_attention = _attention_4d
    try:
        yield
    finally:
        reference._squeezed_attention = saved


def main(out, size, variants):
    import pnnx  # noqa: F401  (the bench extra's converter; its binary lies beside the module)

    os.makedirs(out, exist_ok=True)
    x = torch.rand(1, 3, size, size)
    for v in variants:
        stem = os.path.join(out, f"{v}_{size}")
        net = plain(v)
        with torch.no_grad(), attention_4d():
            torch.onnx.export(net, (x,), stem + ".onnx", dynamo=True, external_data=False, verbose=False)
            torch.jit.trace(net, x).save(stem + ".pt")
        exe = os.path.join(os.path.dirname(pnnx.__file__), "pnnx")
        subprocess.run([exe, os.path.basename(stem) + ".pt", f"inputshape=[1,3,{size},{size}]"], cwd=out, check=True,
                       stdout=subprocess.DEVNULL)
        print(f"wrote {stem}.onnx, {stem}.ncnn.param/.bin")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
