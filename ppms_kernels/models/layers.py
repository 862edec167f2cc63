"""Building blocks shared by the backbone, AAM and head.

Attribute names follow PaddleSeg (``c``/``bn``, ``conv``/``bn``) so that Paddle parameter names are module paths.
"""
from torch import nn
import torch.nn.functional as F


class ConvBN(nn.Module):
    """Bias-free convolution + BatchNorm, with Paddle's ``c``/``bn`` names (ConvBNLayer, Conv2DBN)."""

    def __init__(self, cin, cout, k=1, stride=1, groups=1, act=None):
        super().__init__()
        self.c = nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = act if act is not None else nn.Identity()

    def forward(self, x):
        return self.act(self.bn(self.c(x)))


class ConvBNAct(nn.Module):
    """1x1 convolution + BatchNorm + activation, with Paddle's ``conv``/``bn`` names (AAM and head)."""

    def __init__(self, cin, cout, groups=1, act=None):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = act if act is not None else nn.Identity()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


def paddle_hardsigmoid(x):
    """Paddle's ``hardsigmoid(slope=0.2, offset=0.5)``; not torch's x/6 + 0.5."""
    return (0.2 * x + 0.5).clamp_(0.0, 1.0)


class SEModule(nn.Module):
    def __init__(self, c, reduction=4):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c // reduction, 1)
        self.conv2 = nn.Conv2d(c // reduction, c, 1)
        self.inplace = False  # set by ppms_kernels.optimize(): scale x itself (inference only)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        s = paddle_hardsigmoid(self.conv2(F.relu(self.conv1(s))))
        return x.mul_(s) if self.inplace else x * s


_ACTS = {"relu": nn.ReLU, "hardswish": nn.Hardswish}


class ResidualUnit(nn.Module):
    """MobileNetV3 inverted residual; ``expand_conv`` exists even when expansion == input (unlike torchvision)."""

    def __init__(self, cin, mid, cout, k, stride, se, act):
        super().__init__()
        self.shortcut = stride == 1 and cin == cout
        self.expand_conv = ConvBN(cin, mid, 1, act=_ACTS[act]())
        self.bottleneck_conv = ConvBN(mid, mid, k, stride, groups=mid, act=_ACTS[act]())
        self.mid_se = SEModule(mid) if se else None
        self.linear_conv = ConvBN(mid, cout, 1)
        self.inplace = False  # set by ppms_kernels.optimize(): add the shortcut into the fresh y (inference only)

    def forward(self, x):
        y = self.bottleneck_conv(self.expand_conv(x))
        if self.mid_se is not None:
            y = self.mid_se(y)
        y = self.linear_conv(y)
        if not self.shortcut:
            return y
        return y.add_(x) if self.inplace else x + y


class StackedMV3Block(nn.Module):
    """A stage of MobileNetV3 residual units; the first stage (``smb1``) carries the 3x3/2 stem ``conv``."""

    def __init__(self, cfg, cin, stem):
        super().__init__()
        self.conv = ConvBN(3, cin, 3, 2, act=nn.Hardswish()) if stem else None
        blocks = []
        for k, exp, c, se, act, s in cfg:
            blocks.append(ResidualUnit(cin, exp, c, k, s, se, act))
            cin = c
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x):
        if self.conv is not None:
            x = self.conv(x)
        for b in self.blocks:
            x = b(x)
        return x


def resize(x, size):
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)
