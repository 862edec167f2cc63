"""Run the official PaddleSeg 2.8.0 PP-MobileSeg with random weights and save what the parity tests compare.

Run in its own process (Paddle and torch are never imported together):
    python tests/paddle_reference.py --variant base --out DIR
Writes DIR/model.pdparams (saved by paddle.save) and, per input case, DIR/<case>_{x,lowres,logits,vim}.npy.
"""
import argparse
import json
import os
import sys

import numpy as np
import paddle

# The official model as the package builds it, imported by path: importing the package would import torch.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ppms_kernels", "tools"))
from paddle_run import build  # noqa: E402

# (batch, height, width): a multiple of 32, batch 2, odd and non-square sizes.
CASES = [(1, 512, 512), (2, 256, 352), (1, 479, 353), (2, 97, 130)]


def randomise(model, rng):
    """Every weight and BN statistic random (gammas too), scaled so activations stay O(1) through the depth."""
    state = {}
    for name, p in model.state_dict().items():
        shape = p.shape
        if name.endswith("._variance"):
            v = rng.uniform(0.5, 2.0, shape)
        elif name.endswith("._mean"):
            v = rng.normal(0.0, 0.2, shape)
        elif name == "decode_head.conv_seg.bias":  # small, so that many classes win somewhere
            v = rng.normal(0.0, 0.01, shape)
        elif name.endswith("pos_embed"):
            v = rng.normal(0.0, 1.0, shape)
        elif len(shape) == 4:  # conv weight [out, in/groups, kh, kw]
            fan_in = int(np.prod(shape[1:]))
            v = rng.normal(0.0, 1.0 / np.sqrt(fan_in), shape)
        elif name.endswith(".weight"):  # BN gamma
            v = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
        else:  # biases, BN beta
            v = rng.normal(0.0, 0.2, shape)
        state[name] = v.astype("float32")
    model.set_state_dict(state)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", choices=["base", "tiny"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    paddle.set_device("cpu")
    paddle.seed(args.seed)
    rng = np.random.default_rng(args.seed)

    model = build(args.variant)
    randomise(model, rng)
    model.eval()
    paddle.save(model.state_dict(), os.path.join(args.out, "model.pdparams"))

    cases = []
    with paddle.no_grad():
        for b, h, w in CASES:
            case = f"{b}x{h}x{w}"
            x = rng.normal(0.0, 1.0, (b, 3, h, w)).astype("float32")
            xt = paddle.to_tensor(x)
            lowres = model.decode_head(model.backbone(xt))
            model.upsample = "intepolate"  # sic: PaddleSeg's spelling
            logits = model(xt)[0]
            model.upsample = "vim"
            labels = model(xt)[0]
            for key, arr in (("x", x), ("lowres", lowres.numpy()), ("logits", logits.numpy()),
                             ("vim", labels.numpy())):
                np.save(os.path.join(args.out, f"{case}_{key}.npy"), arr)
            cases.append(case)
    with open(os.path.join(args.out, "cases.json"), "w") as f:
        json.dump(cases, f)


if __name__ == "__main__":
    main()
