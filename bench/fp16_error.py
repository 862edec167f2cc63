"""fp16 inference of PP-MobileSeg emulated in PyTorch on the CPU: which layer classes can store AND compute in fp16 (as
an Armv8.2 engine would, `.8h` FMAs accumulating in fp16), and which need fp32. Prints the tables of docs/fp16.md.

    PYTHONPATH=tests .venv/bin/python bench/fp16_error.py [--variant tiny base] [--size 512] [--seed N] [--json F]
    PYTHONPATH=tests .venv/bin/python bench/fp16_error.py --variant tiny --trace "extreme BN" checker input

The network is re-run op by op on the engine's own folded weights (``models/engine.py``: BatchNorm folded in float64,
the head's linear_fuse folded into the AAM embeddings, SE's scale folded into the projection weights). A class in fp16
reads fp16 inputs and weights, computes in fp16 and writes fp16; its reductions (dot products, depthwise taps,
pooling, the softmax sum) accumulate step by step, one rounding per fp16 FMA, or as the split says (``Emulator``).
Elementwise chains (an epilogue's activation, sigmoid, bilinear taps) round once at the end, at most an ulp kinder
than the device. Classes not in fp16 run in float32, as ``model.logits``, the reference.
"""
import argparse
import itertools
import json
import math
import re

import torch
import torch.nn.functional as F
from tqdm import tqdm

from helpers import randomise  # tests/helpers.py
from ppms_kernels import upsample_argmax
from ppms_kernels.tools.throughput import photo
from ppms_kernels.models import INPUT_MEAN, INPUT_STD, pack, pp_mobileseg
from ppms_kernels.models.engine import _conv_bn, aam_head_weights, block_weights, mlp_weights
from ppms_kernels.ops.reference import interp1d

CLASSES = {  # name -> what it covers
    "input": "input normalisation (RGB * scale + shift)",
    "stem": "stem 3x3/2 convolution (K = 27) + hardswish",
    "mv3_gemm": "MobileNetV3 1x1 expand/project GEMMs (K = 16..768), their activations and shortcut adds",
    "mv3_dw": "MobileNetV3 depthwise 3x3/5x5 + activation",
    "se": "SE: global mean (per row, then rows), the two FCs, hardsigmoid, scale folded into the projection",
    "sea_conv": "SEA GEMMs (qkv, pwconv, row/col encoders, proj + hardsigmoid) and depthwise (stride 3x3/2, dwconv)",
    "sea_means": "SEA axial means (over W, over H)",
    "sea_attn": "SEA squeezed attention: + pos embedding, q.k scores, softmax, attn.v",
    "sea_gate": "SEA v + row + col, gate x detail, 2x bilinear upsample, residual add",
    "mlp": "transformer MLP: fc1, depthwise 3x3 + relu6, fc2 + residual add",
    "aam": "AAM: embedding/gate GEMMs, sigmoid gates, bilinear resizes, gate products and sum",
    "head": "head: ReLU + conv_seg GEMM (K = 256)",
    "logits": "low-resolution logits stored in fp16 before upsample + argmax",
}
ELEMENTWISE = ("input", "sea_gate", "logits")  # no reduction: the accumulation mode does not apply
GEMMS = ("mv3_gemm", "sea_conv", "mlp", "aam", "head")  # the channel GEMMs, K = 16..768
GOAL = 3e-3  # max |logit - fp32 logit| / max |fp32 logit|
ACCUMS = ("fp16", "k32", "k16", "k8", "fp32")
# The recommended split (docs/fp16.md derives it from the tables): fp16 storage everywhere, fp16 arithmetic for
# elementwise work and short reductions (depthwise and stem taps, bilinear), fp32 sums for the long reductions.
LONG = GEMMS + ("se", "sea_means", "sea_attn")
RECOMMENDED = {c: "fp32" if c in LONG else "fp16" for c in CLASSES}
SITES = ("stem", "smb.expand", "smb.dw", "smb.se.row_sum", "smb.se.plane_sum", "smb.se.pool", "smb.project",
         "smb.residual", "trans.attn.qkv", "trans.attn.scores", "trans.attn.mix", "trans.mlp.expand",
         "aam.gate01", "aam.product", "aam.out", "logits")  # where the magnitude table looks


def splits():
    """(label, {class: accumulation}) of every run, the classes alone and the combinations; classes not named run in
    float32."""
    alone = [(c, {c: "fp16"}) for c in CLASSES] + [(f"{c}, fp32 acc", {c: "fp32"}) for c in CLASSES
                                                   if c not in ELEMENTWISE]
    every = [(f"all, {a} acc", dict.fromkeys(CLASSES, a)) for a in ACCUMS]
    # with fp16 accumulation everywhere: which GEMM class alone in float32 would fix it (none does)
    but = [(f"all fp16 acc except {x}", {c: "fp16" for c in CLASSES if c != x}) for x in GEMMS]
    mixed = [(f"GEMMs {a} acc, rest fp16", {c: a if c in GEMMS else "fp16" for c in CLASSES}) for a in ACCUMS[1:]]
    rec = [("recommended", RECOMMENDED)] + [(f"recommended, GEMMs {a} acc", {**RECOMMENDED, **dict.fromkeys(GEMMS, a)})
                                            for a in ("k16", "k8", "h16", "h8")]
    # with the recommended split: what each class still costs (it alone in float32)
    rec_but = [(f"recommended except {x}", {c: a for c, a in RECOMMENDED.items() if c != x}) for x in CLASSES]
    return alone, every + but + mixed + rec + rec_but


class Emulator:
    """Runs the folded network with the classes of ``fp16`` ({class: accumulation}) in half precision, their
    reductions accumulated as named: "fp16" (one fp16 FMA per step), "fp32" (fp16 inputs, fp32 sums: widening
    kernels), "kN" (fp16 FMAs over N steps, each partial sum then added into an fp32 total), or "hN" (the same
    partial sums added into an fp16 total: one fp16 add per N steps instead of float's widening and two adds).
    ``stats``: tag -> max |value| of every stored tensor; ``nonfinite``: the tags whose stored tensor held an inf or
    NaN, in order.
    ``probe`` (a list): every float32 2-D GEMM also records (class, K, its local error in fp16 under each of ACCUMS)."""

    def __init__(self, fp16=None, probe=None):
        self.fp16, self.probe = dict(fp16 or {}), probe
        self.stats, self.nonfinite = {}, []
        self.kept = None  # a dict: tag -> the first tensor stored under it (trace())

    def store(self, t, cls, tag):
        """A tensor written to memory: fp16 when ``cls`` is (beyond 65504 it becomes inf, as on the device)."""
        if cls in self.fp16:
            t = t.half().float()
        m = t.abs().max().item()
        self.stats[tag] = max(self.stats.get(tag, 0.0), m)
        if self.kept is not None:
            self.kept.setdefault(tag, t)
        if not math.isfinite(m) and tag not in self.nonfinite:
            self.nonfinite.append(tag)
        return t

    def stepwise(self, cls):
        return self.fp16.get(cls, "fp32") != "fp32"

    @staticmethod
    def accumulate(acc, steps, accum):
        """``acc`` (fp16, full shape) plus every step in order: a pair (a, b) adds a * b, a tensor adds itself; each
        step rounds to fp16 once (``addcmul_`` on float16 computes in float32 and rounds, as an fp16 FMA)."""
        chunk = int(accum[1:]) if accum[0] in "kh" else None
        if chunk:
            total, acc = (acc.float() if accum[0] == "k" else acc.clone()), torch.zeros_like(acc)
        for i, s in enumerate(steps):
            acc.addcmul_(*s) if isinstance(s, tuple) else acc.add_(s)
            if chunk and (i + 1) % chunk == 0:
                total += acc.float() if accum[0] == "k" else acc
                acc.zero_()
        if not chunk:
            return acc.float()
        return total + acc.float() if accum[0] == "k" else (total + acc).float()

    def matmul(self, a, b, cls, bias=None):
        """``a [.., M, K] @ b [.., K, N] (+ bias [M])``; stepwise, ``bias`` is the accumulator's start."""
        bias = torch.zeros(a.shape[-2]) if bias is None else bias
        if cls not in self.fp16:
            if self.probe is not None and a.dim() == 2:
                self.probe.append((cls, a.shape[1], *(self.gemm_error(a, b, bias, m) for m in ACCUMS)))
            return a @ b + bias[:, None]
        a, b, bias = a.half(), b.half(), bias.half()
        if not self.stepwise(cls):  # products of fp16 values are exact in fp32
            return a.float() @ b.float() + bias.float()[:, None]
        acc = bias[:, None].expand(*a.shape[:-1], b.shape[-1]).clone()
        return self.accumulate(acc, ((a[..., k:k + 1], b[..., k:k + 1, :]) for k in range(a.shape[-1])),
                               self.fp16[cls])

    @staticmethod
    def gemm_error(a, b, bias, accum):
        """max |fp16 GEMM under ``accum`` - float64| / max |float64|, both on the fp16-rounded a, b, bias."""
        e = Emulator({"x": accum})
        ref = a.half().double() @ b.half().double() + bias.half().double()[:, None]
        got = e.matmul(a, b, "x", bias).half().double()  # the output is stored in fp16 too
        return ((got - ref).abs().max() / ref.abs().max()).item()

    def conv(self, x, w, b, cls, stride=1):
        """Dense or depthwise k x k convolution of ``x [C, H, W]`` (padding k // 2), bias first, taps in order."""
        w = w[:, :, None, None] if w.dim() == 2 else w
        groups = x.shape[0] if w.shape[1] == 1 and x.shape[0] > 1 else 1
        k, p = w.shape[-1], w.shape[-1] // 2
        if k == 1 and groups == 1:
            C, H, W = x.shape
            return self.matmul(w.view(w.shape[0], C), x.reshape(C, H * W), cls, b).view(-1, H, W)
        if not self.stepwise(cls):
            dt = (lambda t: t.half().float()) if cls in self.fp16 else (lambda t: t)
            return F.conv2d(dt(x)[None], dt(w), dt(b), stride, p, groups=groups)[0]
        xp, w = F.pad(x.half(), (p, p, p, p)), w.half()
        Ho, Wo = (x.shape[1] + 2 * p - k) // stride + 1, (x.shape[2] + 2 * p - k) // stride + 1

        def taps():
            for c, ky, kx in itertools.product(range(w.shape[1]), range(k), range(k)):
                win = xp[:, ky:ky + stride * (Ho - 1) + 1:stride, kx:kx + stride * (Wo - 1) + 1:stride]
                yield w[:, c, ky, kx][:, None, None], (win if groups > 1 else win[c:c + 1])

        return self.accumulate(b.half()[:, None, None].repeat(1, Ho, Wo), taps(), self.fp16[cls])

    def sum(self, x, dim, cls):
        """Sum along ``dim``; stepwise, in order."""
        if not self.stepwise(cls):
            return (x.half().float() if cls in self.fp16 else x).sum(dim)
        x = x.half().movedim(dim, 0)
        return self.accumulate(torch.zeros_like(x[0]), iter(x), self.fp16[cls])

    def mean(self, x, dim, cls, tag=None):
        """The sum times 1 / n (one rounding in fp16); ``tag`` records the sum's magnitude (an fp16 accumulator's)."""
        total = self.sum(x, dim, cls)
        if tag:
            self.stats[tag] = max(self.stats.get(tag, 0.0), total.abs().max().item())
        out = total * (1.0 / x.shape[dim])
        return out.half().float() if cls in self.fp16 else out

    def softmax(self, s, cls):
        """Softmax over the last dim: max subtracted, exp, sum, times 1 / sum, each step rounded in fp16."""
        if cls not in self.fp16:
            return torch.softmax(s, -1)
        r = lambda t: t.half().float()  # noqa: E731
        ex = r(torch.exp(r(s - s.amax(-1, keepdim=True))))
        return r(ex * r(1.0 / r(self.sum(ex, -1, cls)))[..., None])


def act(t, name):
    return {"relu": F.relu, "relu6": F.relu6, "hardswish": F.hardswish, "hardsigmoid": F.hardsigmoid,
            "sigmoid": torch.sigmoid, None: lambda u: u}[name](t)


def resize(x, size):
    return F.interpolate(x[None], size=tuple(size), mode="bilinear", align_corners=False)[0]


def unit(e, x, ws, u, tag):
    """A ResidualUnit (or, with ``u`` None, a transformer MLP: fc1, dw + relu6, fc2, shortcut)."""
    gemm, dw, se_cls = ("mv3_gemm", "mv3_dw", "se") if u is not None else ("mlp", "mlp", None)
    a = (("hardswish" if isinstance(u.expand_conv.act, torch.nn.Hardswish) else "relu") if u is not None else None)
    stride = u.bottleneck_conv.c.stride[0] if u is not None else 1
    y = e.store(act(e.conv(x, ws[0], ws[1], gemm), a), gemm, f"{tag}.expand")
    y = e.store(act(e.conv(y, ws[2], ws[3], dw, stride), a or "relu6"), dw, f"{tag}.dw")
    pw = ws[4]
    if u is not None and u.mid_se is not None:
        # a row's mean, then the mean of the rows: a whole plane summed in fp16 would overflow (its sum is recorded)
        e.stats[f"{tag}.se.plane_sum"] = max(e.stats.get(f"{tag}.se.plane_sum", 0.0), y.sum((1, 2)).abs().max().item())
        rows = e.mean(y, 2, se_cls, f"{tag}.se.row_sum")
        pooled = e.store(e.mean(rows, 1, se_cls), se_cls, f"{tag}.se.pool")
        hid = e.store(F.relu(e.matmul(ws[6], pooled[:, None], se_cls, ws[7])), se_cls, f"{tag}.se.fc1")
        s = e.store(act(e.matmul(ws[8], hid, se_cls, ws[9]), None).mul(0.2).add(0.5).clamp(0, 1), se_cls,
                    f"{tag}.se.scale")  # Paddle's hardsigmoid
        pw = e.store(pw * s.view(1, -1), se_cls, f"{tag}.se.folded_w")
    out = e.store(e.conv(y, pw[:, :, None, None] if pw.dim() == 2 else pw, ws[5], gemm), gemm, f"{tag}.project")
    shortcut = (u is None) or (u.shortcut)
    return e.store(out + x, gemm, f"{tag}.residual") if shortcut else out


def sea(e, x, ws, heads, kd, tag):
    """x + the SEA attention block, on ``pack()``'s weights (``ops/reference.py``'s sea_attention, step by step)."""
    sw, sb, qw, qb, dww, dwb, pw, pb, rw, rb, cw, cb, jw, jb, pos = ws
    C, nk, dh = x.shape[0], heads * kd, rw.shape[0]
    xs = e.store(e.conv(x, sw.view(C, 1, 3, 3), sb, "sea_conv", 2), "sea_conv", f"{tag}.stride")
    qkv = e.store(e.conv(xs, qw[:, :, None, None], qb, "sea_conv"), "sea_conv", f"{tag}.qkv")
    d = e.store(F.relu6(e.conv(qkv, dww.view(-1, 1, 3, 3), dwb, "sea_conv")), "sea_conv", f"{tag}.dw")
    detail = e.store(e.conv(d, pw[:, :, None, None], pb, "sea_conv"), "sea_conv", f"{tag}.detail")
    q, k, v = qkv.split([nk, nk, dh])
    branches = []
    for axis, (pq, pk), w, b in ((2, pos[:2], rw, rb), (1, pos[2:], cw, cb)):  # over W: row branch; over H: column
        qm, km, vm = (e.store(e.mean(t, axis, "sea_means"), "sea_means", f"{tag}.mean{axis}") for t in (q, k, v))
        n = qm.shape[1]
        qm = e.store(qm + e.store(interp1d(pq[None], n)[0], "sea_attn", f"{tag}.pos"), "sea_attn", f"{tag}.q+pos")
        km = e.store(km + e.store(interp1d(pk[None], n)[0], "sea_attn", f"{tag}.pos"), "sea_attn", f"{tag}.k+pos")
        scale = e.store(torch.tensor(kd ** -0.5), "sea_attn", "scale")
        qh = e.store(qm.view(heads, kd, n).transpose(1, 2) * scale, "sea_attn", f"{tag}.q_scaled")
        scores = e.store(e.matmul(qh, km.view(heads, kd, n), "sea_attn"), "sea_attn", f"{tag}.scores")
        attn = e.store(e.softmax(scores, "sea_attn"), "sea_attn", f"{tag}.softmax")
        o = e.store(e.matmul(vm.view(heads, dh // heads, n), attn.transpose(1, 2), "sea_attn"), "sea_attn",
                    f"{tag}.attn_v").reshape(dh, n)
        branches.append(e.store(e.matmul(w, F.relu6(o), "sea_conv", b), "sea_conv", f"{tag}.encode{axis}"))
    row, col = branches[0][:, :, None], branches[1][:, None, :]
    mix = e.store(v + e.store(row + col, "sea_gate", f"{tag}.row+col"), "sea_gate", f"{tag}.mix")
    H, W = mix.shape[1:]
    gate = e.store(F.hardsigmoid(e.matmul(jw, F.relu6(mix).reshape(dh, H * W), "sea_conv", jb)), "sea_conv",
                   f"{tag}.gate").view(C, H, W)
    out = e.store(gate * detail, "sea_gate", f"{tag}.gated")
    out = e.store(resize(out, x.shape[1:]), "sea_gate", f"{tag}.upsample")
    return e.store(x + out, "sea_gate", f"{tag}.residual")


def aam_head(e, model, x8, x16, x32):
    """AAM (tiny) / AAMSx8 (base) with linear_fuse folded into the embeddings, then ReLU + conv_seg."""
    ws = aam_head_weights(model)
    n = len(model.backbone.inj_module.embedding_list)
    pairs = [ws[2 * i:2 * i + 2] for i in range(2 * n)]  # n embeddings, n gates, then conv_seg
    E, A, (sw, sb) = pairs[:n], pairs[n:], ws[-2:]

    def lin(t, wb, name, a=None):
        return e.store(act(e.matmul(wb[0], t.reshape(t.shape[0], -1), "aam", wb[1]), a), "aam",
                       f"aam.{name}").view(-1, *t.shape[1:])

    def rs(t, size, name):
        return e.store(resize(t, size), "aam", f"aam.resize_{name}")

    if n == 3:  # tiny: everything at 1/16
        l1 = e.store(F.interpolate(x8[None], scale_factor=0.5, mode="bilinear", align_corners=False)[0], "aam",
                     "aam.x8_half")
        size = l1.shape[1:]
        l2 = rs(x16, size, "x16")
        g = e.store(lin(l1, A[0], "gate0", "sigmoid") * lin(l2, A[1], "gate1", "sigmoid"), "aam", "aam.gate01")
        g = e.store(g * rs(lin(x32, A[2], "gate2", "sigmoid"), size, "gate2"), "aam", "aam.gate012")
        s = e.store(lin(l1, E[0], "emb0") + lin(l2, E[1], "emb1"), "aam", "aam.emb01")
        out = e.store(g * s, "aam", "aam.product")
    else:  # base: at 1/8; A0 at x16's resolution, then resized (the engine's order: they commute)
        l1 = lin(x8, E[0], "emb0")
        size = l1.shape[1:]
        l2a = e.store(torch.sigmoid(rs(lin(x16, A[0], "gate0_x16"), size, "gate0")), "aam", "aam.gate0")
        g = e.store(l2a * rs(lin(x32, A[1], "gate1", "sigmoid"), size, "gate1"), "aam", "aam.gate01")
        out = e.store(g * l1, "aam", "aam.product")
    out = e.store(out + rs(lin(x32, E[-1], "emb_last"), size, "emb_last"), "aam", "aam.out")
    y = e.store(F.relu(out), "head", "head.relu")
    logits = e.store(e.matmul(sw, y.reshape(y.shape[0], -1), "head", sb), "head", "head.conv_seg")
    return e.store(logits.view(-1, *size), "logits", "logits")


def emulate(model, rgb, fp16=None, probe=None, keep=False):
    """Low-res logits ``[1, classes, h, w]`` of ``rgb`` (``[3, H, W]`` float 0..255) and the Emulator (its stats)."""
    e = Emulator(fp16, probe)
    e.kept = {} if keep else None
    mean, std = torch.tensor(INPUT_MEAN)[:, None, None], torch.tensor(INPUT_STD)[:, None, None]
    if "input" in e.fp16:  # one FMA per value: rgb * (1 / (255 std)) + (-mean / std), constants in fp16
        x = rgb * e.store(1 / (255 * std), "input", "input.scale") + e.store(-mean / std, "input", "input.shift")
    else:
        x = (rgb / 255 - mean) / std  # as ppms_kernels.tools.segment.load_image
    x = e.store(x, "input", "input")
    bb = model.backbone
    sw, sb = (t.float() for t in _conv_bn(bb.smb1.conv))  # float64 folding, float32 weights
    x = e.store(F.hardswish(e.conv(x, sw, sb, "stem", 2)), "stem", "stem")
    feats = []
    for i, smb in enumerate((bb.smb1, bb.smb2, bb.smb3, bb.smb4)):
        for j, u in enumerate(smb.blocks):
            x = unit(e, x, block_weights(u), u, f"smb{i + 1}.{j}")
        if i >= 2:
            for j, blk in enumerate(getattr(bb, f"trans{i - 1}").transformer_blocks):
                tag = f"trans{i - 1}.{j}"
                x = sea(e, x, pack(blk.attn), blk.attn.num_heads, blk.attn.key_dim, f"{tag}.attn")
                x = unit(e, x, mlp_weights(blk.mlp), None, f"{tag}.mlp")
        if i >= 1:
            feats.append(x)
    return aam_head(e, model, *feats)[None], e


def stretch_bn(model, var=(0.5, 4.0), gamma=(0.5, 2.0), log=False, seed=0):
    """BatchNorm far from identity (``randomise`` draws running_var in [0.5, 2], |gamma| in [0.5, 1.5]): running_var
    and |gamma| uniform (``log``: log-uniform) in ``var`` and ``gamma``, gamma's sign random, means and betas
    N(0, 0.5^2). The defaults fold to scales 0.25..2.8; ``var=(0.25, 4), log=True`` to 0.25..4, half of them > 1."""
    g = torch.Generator().manual_seed(seed)

    def draw(n, lo, hi):
        u = torch.rand(n, generator=g)
        return torch.exp(math.log(lo) + u * math.log(hi / lo)) if log else lo + u * (hi - lo)

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                n = m.num_features
                m.running_var.copy_(draw(n, *var))
                m.weight.copy_(draw(n, *gamma) * (torch.randint(0, 2, (n,), generator=g) * 2 - 1))
                m.running_mean.copy_(torch.randn(n, generator=g) * 0.5)
                m.bias.copy_(torch.randn(n, generator=g) * 0.5)
    return model


def bench_weights(variant, seed=0):
    """The bench weights (``randomise``, seed 0) and the same with BatchNorm far from identity."""
    def build():
        return randomise(pp_mobileseg(variant, num_classes=150), seed=seed)

    return {"bench": build().eval(), "wide BN": stretch_bn(build(), seed=seed).eval(),
            "extreme BN": stretch_bn(build(), var=(0.25, 4.0), log=True, seed=seed).eval()}


def images(size):
    """RGB ``[3, size, size]`` float 0..255: smooth photo-like (the benches' ``photo``, as bench/arm/count/host.py
    draws it), flat black and white, an 8-pixel checkerboard, uniform noise."""
    smooth = torch.from_numpy(photo(size, size, torch.Generator().manual_seed(0))).permute(2, 0, 1).float()
    i = torch.arange(size)
    checker = ((i[:, None] // 8 + i[None, :] // 8) % 2 * 255.0).expand(3, size, size)
    noise = torch.randint(0, 256, (3, size, size), generator=torch.Generator().manual_seed(1)).float()
    return {"smooth": smooth, "black": torch.zeros(3, size, size), "white": torch.full((3, size, size), 255.0),
            "checker": checker, "noise": noise}


def trace(model, rgb, split):
    """Where the split's error grows: each stored tensor's max |fp16 run - float32 run| / its max |float32|, printed
    where it is 1.5x the largest before it; and the logits'."""
    with torch.no_grad():
        ref, got = emulate(model, rgb, keep=True)[1].kept, emulate(model, rgb, split, keep=True)[1].kept
    worst = 0.0
    for tag, r in ref.items():
        d = ((got[tag] - r).abs().max() / r.abs().max().clamp_min(1e-30)).item()
        if d > 1.5 * worst or tag == "logits":
            print(f"{tag:32s} {d:.1e}  (max |value| {r.abs().max().item():.3g})")
        worst = max(worst, d)


def compare(ref, ref_labels, margin, got, size):
    """(max relative error, fraction of labels changed, fraction changed where the fp32 top-two margin exceeds
    2 x GOAL x max |fp32 logit|: beyond the near-ties of the goal error); with the count of changes where the margin
    exceeds twice the measured error, which no error that size can flip (a check of the comparison: 0)."""
    scale = ref.abs().max()
    if not torch.isfinite(got).all():
        return math.inf, 1.0, 1.0, 0
    err = (got - ref).abs().max()
    changed = upsample_argmax(got, size) != ref_labels
    beyond = (changed & (margin > 2 * GOAL * scale)).float().mean().item()
    return (err / scale).item(), changed.float().mean().item(), beyond, (changed & (margin > 2 * err)).sum().item()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--variant", nargs="+", default=["tiny", "base"])
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--seed", type=int, default=0, help="of the random weights (0: the bench weights)")
    p.add_argument("--json", help="also write every run's numbers here")
    p.add_argument("--trace", nargs=3, metavar=("WEIGHTS", "IMAGE", "SPLIT"),
                   help="instead: where one run's error grows, e.g. 'extreme BN' checker input")
    args = p.parse_args()
    # thousands of small ops per run: with a second thread, each waits for the other at every op's barrier, and on a
    # shared 2-core machine a preempted thread made a run 50x slower
    torch.set_num_threads(1)
    dump = {}
    imgs, size = images(args.size), (args.size, args.size)
    alone, combos = splits()
    mean, std = torch.tensor(INPUT_MEAN)[:, None, None], torch.tensor(INPUT_STD)[:, None, None]
    for variant in args.variant:
        weights = bench_weights(variant, args.seed)
        if args.trace:
            w, image, label = args.trace
            print(f"\n{variant}, {w} weights, {image}, {label}:")
            trace(weights[w], imgs[image], dict(alone + combos)[label])
            continue
        res, mags, probe = {}, {w: {} for w in weights}, []  # label -> [(weights, image, compare(), first inf)]
        checks = {}  # weights -> max |float32 emulation - model.logits| / max |model.logits|
        bar = tqdm(total=len(weights) * len(imgs) * len(alone + combos), desc=variant)
        for (wname, model), (iname, rgb) in itertools.product(weights.items(), imgs.items()):
            with torch.no_grad():
                ref = model.logits(((rgb / 255 - mean) / std)[None])
                top2 = F.interpolate(ref, size=size, mode="bilinear", align_corners=False).topk(2, dim=1).values
                margin, ref_labels = top2[:, 0] - top2[:, 1], upsample_argmax(ref, size)
                first = wname == "bench" and iname == "smooth"
                emu32, e = emulate(model, rgb, probe=probe if first else None)
                # float32 in another order: 1e-6 on the bench weights, more where the network amplifies rounding
                check = ((emu32 - ref).abs().max() / ref.abs().max()).item()
                assert check < 1e-4, f"the float32 emulation is not model.logits: {check:.2e}"
                checks[wname] = max(checks.get(wname, 0.0), check)
                for t, m in e.stats.items():
                    mags[wname][t] = max(mags[wname].get(t, 0.0), m)
                for label, split in alone + combos:
                    got, e = emulate(model, rgb, split)
                    res.setdefault(label, []).append((wname, iname, *compare(ref, ref_labels, margin, got, size),
                                                      e.nonfinite[:1]))
                    bar.update()
        bar.close()
        report(variant, args.size, res, mags, probe, alone, combos, checks, args.seed)
        dump[variant] = {"runs": res, "magnitudes": mags, "gemm_probe": probe, "float32_emulation": checks}
        if args.json:
            with open(args.json, "w") as f:
                json.dump(dump, f, indent=1)


def report(variant, size, res, mags, probe, alone, combos, checks, seed=0):
    def cells(label):
        rows = res[label]

        def worst(i, fmt):
            return " / ".join(format(max(r[i] for r in rows if r[0] == w), fmt) for w in mags)

        inf = sorted({f"{r[0]}/{r[1]}: {r[6][0]}" for r in rows if r[6]})
        return [worst(2, ".1e") + (" (inf: " + "; ".join(inf[:2]) + ")" if inf else ""), worst(3, ".2%"),
                worst(4, ".2%")]

    print(f"\n### {variant}, {size}x{size}{f', weights seed {seed}' if seed else ''}\n")
    print(f"Each cell: the worst of the 5 images, for the weights {' / '.join(mags)}. Error: max |logit - fp32| / "
          "max |fp32|. Labels: the fraction of pixels changed; beyond: changed where the fp32 top-two margin > "
          "2 x 3e-3 x max |logit|.\n")
    print("| class alone in fp16 | fp16 acc: error | labels | beyond | fp32 acc: error | labels | beyond |")
    print("|---|---|---|---|---|---|---|")
    for c in CLASSES:
        wide = cells(f"{c}, fp32 acc") if f"{c}, fp32 acc" in res else ["(same)", "", ""]
        print(f"| {c} | " + " | ".join(cells(c) + wide) + " |")
    print("\n| fp16 split | error | labels | beyond |\n|---|---|---|---|")
    for label, _ in combos:
        name = f"**{label}**" if label == "recommended" else label
        print(f"| {name} | " + " | ".join(cells(label)) + " |")
    print(f"\nOne GEMM's own error in fp16 (max |out - float64| / max |float64|, fp16 inputs, output stored fp16), "
          f"bench weights, smooth image; the worst layer per (class, K):\n")
    print("| class | K | layers | " + " | ".join(f"{a} acc" for a in ACCUMS) + " |")
    print("|---|---|---|" + "---|" * len(ACCUMS))
    for cls, k in sorted({(c, k) for c, k, *_ in probe}, key=lambda ck: (list(CLASSES).index(ck[0]), ck[1])):
        rows = [r[2:] for r in probe if r[:2] == (cls, k)]
        print(f"| {cls} | {k} | {len(rows)} | " + " | ".join(f"{max(col):.1e}" for col in zip(*rows)) + " |")
    sites = {}  # the tag without its stage and block numbers (smb.expand, trans.attn.scores, ...) -> weights -> max
    for w, m in mags.items():
        for t, v in m.items():
            site = sites.setdefault(re.sub(r"(smb|trans)\d\.\d+\.", r"\1.", t), {})
            site[w] = max(site.get(w, 0.0), v)
    stored = {w: max(v.get(w, 0.0) for t, v in sites.items() if not t.endswith("_sum")) for w in mags}
    print("\nLargest float32 magnitudes, any image (fp16's largest is 65504; *_sum: SE's sums, over a row and over "
          "the whole plane, which an fp16 accumulator would hold):\n")
    print("| where | " + " | ".join(mags) + " |\n|---|" + "---|" * len(mags))
    for site in SITES:
        if site in sites:
            print(f"| {site} | " + " | ".join(f"{sites[site][w]:.3g}" for w in mags) + " |")
    print("| any stored tensor | " + " | ".join(f"{stored[w]:.3g}" for w in mags) + " |")
    print("\nThe float32 emulation against model.logits (float32 in another order), worst image: " +
          ", ".join(f"{w} {v:.1e}" for w, v in checks.items()))
    bad = sum(r[5] for rows in res.values() for r in rows)
    if bad:
        print(f"\nWARNING: {bad} labels changed where the margin exceeds twice the measured error")


if __name__ == "__main__":
    main()
