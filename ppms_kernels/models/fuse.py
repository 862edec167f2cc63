"""Inference fusion: BatchNorm folding, and each SEA attention block packed into one ``ppms::sea_attention`` call."""
import torch
from torch import nn

from ..ops import SEA_WEIGHTS, sea_attention


def fold(conv, bn):
    """``conv`` (and its bias, if any) followed by eval-mode ``bn`` as one biased convolution: its weight flattened to
    [out, -1] and its bias, in float64, so that each caller rounds to float32 once. The one BatchNorm folding of the
    package: the engine's weights (``engine.py``), ``pack`` and ``optimize()``'s convolutions all come from here."""
    s = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    w = conv.weight.double().flatten(1) * s[:, None]
    b = ((conv.bias.double() if conv.bias is not None else 0.0) - bn.running_mean.double()) * s + bn.bias.double()
    return w, b


def pack(attn):
    """The 15 packed float32 tensors of a ``SeaAttention`` module, in ``SEA_WEIGHTS`` order."""
    def cbn(m):  # a ConvBN (c, bn)
        return fold(m.c, m.bn)

    stride = fold(attn.stride_conv[0], attn.stride_conv[1])
    q, k, v = cbn(attn.to_q), cbn(attn.to_k), cbn(attn.to_v)
    qkv = (torch.cat([q[0], k[0], v[0]]), torch.cat([q[1], k[1], v[1]]))
    pos = torch.cat([m.pos_embed.double() for m in (attn.pos_emb_rowq, attn.pos_emb_rowk,
                                                   attn.pos_emb_columnq, attn.pos_emb_columnk)])
    packed = [*stride, *qkv, *cbn(attn.dwconv), *cbn(attn.pwconv), *cbn(attn.proj_encode_row[1]),
              *cbn(attn.proj_encode_column[1]), *cbn(attn.proj[1]), pos]
    assert len(packed) == len(SEA_WEIGHTS)
    return [t.detach().float().contiguous() for t in packed]


def sea_weights(attn):
    """``pack(attn)`` of a ``SeaAttention``, or the same tensors kept by a ``FusedSeaAttention`` (``fuse()``)."""
    return list(attn._buffers.values()) if isinstance(attn, FusedSeaAttention) else pack(attn)


def sea_channels(attn):
    """The input channels of a ``SeaAttention`` or ``FusedSeaAttention``."""
    return attn.channels if isinstance(attn, FusedSeaAttention) else attn.stride_conv[0].in_channels


class FusedSeaAttention(nn.Module):
    """Inference-only stand-in for a ``SeaAttention`` module: one ``ppms::sea_attention`` call."""

    def __init__(self, attn):
        super().__init__()
        self.num_heads, self.key_dim = attn.num_heads, attn.key_dim
        self.channels = attn.stride_conv[0].in_channels
        for name, t in zip(SEA_WEIGHTS, pack(attn)):
            self.register_buffer(name, t.to(attn.to_q.c.weight.device))
        self.train(attn.training)

    def forward(self, x):
        if self.training:
            raise RuntimeError("FusedSeaAttention is inference-only (BatchNorm is folded): "
                               "train the unfused model and fuse() it afterwards")
        # The buffers were registered in SEA_WEIGHTS order; reading the dict skips 15 attribute lookups per call.
        return sea_attention(x, list(self._buffers.values()), self.num_heads, self.key_dim)
