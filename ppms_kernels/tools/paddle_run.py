"""The official PaddleSeg 2.8.0 PP-MobileSeg, run by Paddle: used by the parity tests and by the Paddle row of
``ppms bench``. A standalone script: it imports Paddle and never torch (the two must not share a process).

    python ppms_kernels/paddle_run.py --variant base --weights W.npz --input X.npy --out DIR [--repeat 10]

loads W.npz (Paddle parameter names), runs X.npy [B, 3, H, W] with VIM on and writes DIR/labels.npy and
DIR/times.json (seconds of each timed run, after --warmup runs).
"""
import argparse
import json
import os
import time

import numpy as np


def build(variant, num_classes=150):
    """The official network with the AAM gates fixed: the 2.8.0 wheel gates AAM with ReLU6 (PaddleSeg #3441);
    the released weights need Sigmoid (#3443/#3444)."""
    from paddle import nn
    from paddleseg.models.backbones.strideformer import MobileSeg_Base, MobileSeg_Tiny
    from paddleseg.models.pp_mobileseg import PPMobileSeg

    if variant == "base":
        backbone = MobileSeg_Base(inj_type="AAMSx8", out_feat_chs=[64, 128, 192])
    else:
        backbone = MobileSeg_Tiny(inj_type="AAM", out_feat_chs=[32, 64, 128])
    gates = backbone.inj_module.act_list
    assert all(isinstance(g, nn.ReLU6) for g in gates), "unexpected AAM gates: is this the 2.8.0 wheel?"
    for i in range(len(gates)):
        gates[i] = nn.Sigmoid()
    return PPMobileSeg(num_classes=num_classes, backbone=backbone, upsample="vim")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", choices=["base", "tiny"], required=True)
    ap.add_argument("--weights", required=True, help=".npz of Paddle-named parameters")
    ap.add_argument("--input", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    import paddle

    paddle.set_device("cpu")
    with np.load(args.weights) as f:
        state = {k: f[k] for k in f.files}
    model = build(args.variant, state["decode_head.conv_seg.bias"].shape[0])
    missing = set(model.state_dict()) ^ set(state)
    assert not missing, f"weights and model disagree on {sorted(missing)[:5]}"
    model.set_state_dict(state)
    model.eval()
    x = paddle.to_tensor(np.load(args.input))
    times = []
    with paddle.no_grad():
        labels = model(x)[0]
        for i in range(args.warmup + args.repeat):
            t0 = time.perf_counter()
            model(x)[0].numpy()
            if i >= args.warmup:
                times.append(time.perf_counter() - t0)
    np.save(os.path.join(args.out, "labels.npy"), labels.numpy())
    with open(os.path.join(args.out, "times.json"), "w") as f:
        json.dump(times, f)


if __name__ == "__main__":
    main()
