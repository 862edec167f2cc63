"""The model-level inference path: ``optimize(model)``."""
import torch
from torch import nn

from .fuse import fold
from .layers import ConvBN, ConvBNAct, ResidualUnit, SEModule


def _folded(conv, bn):
    """``conv`` followed by eval-mode ``bn`` as one biased convolution (float64 folding, float32 result)."""
    w, b = fold(conv.weight, conv.bias, bn)
    out = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                    conv.dilation, conv.groups, bias=True, padding_mode=conv.padding_mode)
    with torch.no_grad():
        out.weight.copy_(w.view_as(conv.weight))
        out.bias.copy_(b)
    return out.to(conv.weight.device, conv.weight.dtype)


def optimize(model):
    """Fastest exact inference path of a ``PPMobileSeg`` model, in place; returns it in eval mode.

    Every SEA attention block becomes one ``ppms::sea_attention`` call (``model.fuse()``), every other
    BatchNorm is folded into its convolution, so the forward runs no BatchNorm at all, the activations, SE
    scalings and residual adds after those convolutions run in place, and the weights go
    channels_last, which oneDNN convolves without reordering every activation (~20% off the network here; inputs
    may stay NCHW: the first convolution switches the activations to channels_last). Logits equal the
    unoptimised model's within float32 rounding (the tests bound it at 1e-5 relative). The result cannot train:
    optimise after loading weights. Label maps come from the model's ``upsample``/``vim_mode`` as before.
    """
    model.eval()
    model.fuse()
    for m in model.modules():
        if isinstance(m, ConvBN) and isinstance(m.bn, nn.BatchNorm2d):
            m.c, m.bn = _folded(m.c, m.bn), nn.Identity()
        elif isinstance(m, ConvBNAct) and isinstance(m.bn, nn.BatchNorm2d):
            m.conv, m.bn = _folded(m.conv, m.bn), nn.Identity()
        if isinstance(m, (ConvBN, ConvBNAct)) and isinstance(m.act, (nn.ReLU, nn.Hardswish)):
            # The activation now reads a fresh convolution output: in place, it skips allocating (and
            # page-faulting) a second activation-sized tensor, up to 16 MB at 512x512.
            m.act.inplace = True
        if isinstance(m, (ResidualUnit, SEModule)):
            m.inplace = True  # their inputs are fresh convolution outputs too (the shortcut adds into y, not x)
    left = [n for n, m in model.named_modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if left:
        raise RuntimeError(f"optimize: BatchNorm left unfolded at {left}")
    return model.to(memory_format=torch.channels_last)
