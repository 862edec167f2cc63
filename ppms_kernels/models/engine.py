"""The weights of the native engine's operators, taken from a PP-MobileSeg model with every BatchNorm folded (float64
folding, float32 result): per MobileNetV3 block, per transformer MLP, for AAM + head, and for the whole network as
``ppms::network_pack`` takes them."""
from torch import nn

from .fuse import fold, sea_channels, sea_weights


def _contiguous(ts):
    return [t.detach().float().contiguous() for t in ts]


def _conv_bn(m):
    """A ConvBN (c, bn) folded: its weight [cout, cin] for 1x1, in the convolution's shape otherwise, and bias."""
    w, b = fold(m.c, m.bn)
    return [w if m.c.kernel_size == (1, 1) else w.view_as(m.c.weight), b]


def block_weights(unit):
    """``ppms::_inverted_residual``'s weights of a ResidualUnit: expand, depthwise, project (+ SE's four)."""
    out = _conv_bn(unit.expand_conv) + _conv_bn(unit.bottleneck_conv) + _conv_bn(unit.linear_conv)
    if unit.mid_se is not None:
        se = unit.mid_se
        out += [se.conv1.weight.flatten(1), se.conv1.bias, se.conv2.weight.flatten(1), se.conv2.bias]
    return _contiguous(out)


def mlp_weights(mlp):
    """The transformer MLP's weights as ``ppms::_inverted_residual`` takes them (fc1, dwconv, fc2)."""
    return _contiguous(_conv_bn(mlp.fc1) + [mlp.dwconv.weight, mlp.dwconv.bias] + _conv_bn(mlp.fc2))


def aam_head_weights(model):
    """``ppms::_aam_head``'s weights: the embeddings, the gates, conv_seg. The head's linear_fuse (a per-channel
    affine before its ReLU) is folded into the embeddings: AAM's output is a sum of embedding terms, each linear in
    its embedding (the others only gate it), so the scale goes into every embedding and the shift into the bias of
    the last one, whose bilinear resize keeps constants (its weights sum to 1)."""
    aam, head = model.backbone.inj_module, model.decode_head
    scale, shift = fold(head.linear_fuse.conv, head.linear_fuse.bn)
    scale = scale.flatten()
    embeddings = []
    for i, m in enumerate(aam.embedding_list):
        w, b = fold(m.conv, m.bn)  # ConvBNAct, a 1x1 convolution without activation
        last = i == len(aam.embedding_list) - 1
        embeddings += [w.flatten(1) * scale[:, None], b * scale + (shift if last else 0)]
    gates = [t for m in aam.act_embedding_list for t in fold(m.conv, m.bn)]
    return _contiguous(embeddings + gates + [head.conv_seg.weight.flatten(1), head.conv_seg.bias])


def pack_network(model):
    """``(weights, config)`` of ``ppms::network_pack`` for ``model`` (its eval-mode forward, BatchNorm folded)."""
    bb = model.backbone
    stem = bb.smb1.conv
    weights, config = _contiguous(_conv_bn(stem)), [int(model.variant == "base"), stem.c.out_channels]
    for smb in (bb.smb1, bb.smb2, bb.smb3, bb.smb4):
        config.append(len(smb.blocks))
        for u in smb.blocks:
            conv = u.bottleneck_conv.c
            config += [u.expand_conv.c.in_channels, conv.out_channels, u.linear_conv.c.out_channels,
                       conv.kernel_size[0], conv.stride[0], int(u.mid_se is not None),
                       int(isinstance(u.expand_conv.act, nn.Hardswish))]
            weights += block_weights(u)
    for layer in (bb.trans1, bb.trans2):
        blocks = layer.transformer_blocks
        attn = blocks[0].attn
        config += [len(blocks), sea_channels(attn), attn.num_heads, attn.key_dim]
        for blk in blocks:
            weights += sea_weights(blk.attn) + mlp_weights(blk.mlp)
    return weights + aam_head_weights(model), config

