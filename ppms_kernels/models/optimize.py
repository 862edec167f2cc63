"""The model-level inference path: ``optimize(model)``."""
import warnings

import torch
from torch import nn

from ..ops import bf16_arithmetic, fp16_arithmetic, network_pack
from .engine import pack_network
from .fuse import fold
from .layers import ConvBN, ConvBNAct, ResidualUnit, SEModule


def _folded(conv, bn):
    """``conv`` followed by eval-mode ``bn`` as one biased convolution (float64 folding, float32 result)."""
    w, b = fold(conv, bn)
    out = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                    conv.dilation, conv.groups, bias=True, padding_mode=conv.padding_mode)
    with torch.no_grad():
        out.weight.copy_(w.view_as(conv.weight))
        out.bias.copy_(b)
    return out.to(conv.weight.device, conv.weight.dtype)


PRECISIONS = ("fp32", "fp16", "bf16")


def optimize(model, engine=None, precision="fp32"):
    """Fastest exact inference path of a ``PPMobileSeg`` model, in place; returns it in eval mode.

    ``engine`` (default: when the model is float32 on the CPU): the whole network, ``forward`` (labels) and
    ``logits``, runs on the native engine, one ``ppms::network`` call over every weight folded and packed here once
    (``model.engine``), for float32 CPU inputs. Otherwise, and for any other input (a CUDA one, say), the modules run:
    every SEA attention block is one ``ppms::sea_attention`` call (``model.fuse()``), every other BatchNorm is
    folded into its convolution, the activations, SE scalings and residual adds after those convolutions run in
    place, and the weights go channels_last, which oneDNN convolves without reordering every activation.
    Logits equal the unoptimised model's within float32 rounding (the tests bound it at 1e-4 relative for the
    engine, 1e-5 for the modules). The result cannot train: optimise after loading weights.

    ``precision`` "fp16" (engine only): the engine stores and computes the MobileNetV3 blocks and the transformers'
    MLPs in half precision on CPUs with FP16 arithmetic (Armv8.2-A phones and boards; logits within 3e-3 of the
    largest, ``docs/fp16.md``); elsewhere it runs fp32 and warns once. "bf16" (engine only): the 1x1 convolutions
    multiply bfloat16 inputs and weights, summed in float, on x86 CPUs with AVX512_BF16 (logits within 1e-2 of the
    largest, ``docs/bf16.md``); elsewhere fp32, with a warning.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"optimize: precision must be one of {PRECISIONS}, got {precision!r}")
    param = next(model.parameters())
    if param.dtype != torch.float32:
        # The fused kernels take float32 only: refused here rather than at the first forward.
        raise TypeError(f"optimize: the fused kernels run float32 models, this one is {param.dtype}: "
                        f"optimize(model.float()) and feed it float32 images, or run the model unoptimised")
    on_cpu = param.device.type == "cpu"
    if engine is None:
        engine = on_cpu
    if engine and not on_cpu:
        raise ValueError(f"optimize(engine=True): the engine runs on the CPU, this model is on {param.device}")
    if precision != "fp32" and not engine:
        raise ValueError(f"optimize(precision=\"{precision}\"): {precision} runs on the engine, which this model does "
                         "not use (a CUDA model, or engine=False)")
    if precision == "fp16" and not fp16_arithmetic():
        warnings.warn("optimize(precision=\"fp16\"): this CPU has no FP16 arithmetic (Armv8.2-A asimdhp): the "
                      "engine runs fp32", stacklevel=2)
    if precision == "bf16" and not bf16_arithmetic():
        warnings.warn("optimize(precision=\"bf16\"): this CPU has no AVX512_BF16: the engine runs fp32", stacklevel=2)
    model.eval()
    if not engine:
        model.engine, model.engine_signature = None, None
    elif model.engine is None:
        if any(isinstance(m, (ConvBN, ConvBNAct)) and not isinstance(m.bn, nn.BatchNorm2d) for m in model.modules()):
            raise ValueError("optimize(engine=True): this model was optimised without the engine and its BatchNorm "
                             "is folded away; optimise a freshly loaded model")
        # before folding: pack_network folds the BatchNorm itself, in float64. Not an inference tensor even under
        # inference_mode: the op keeps an fp16 / bf16 binding of the blob for the next calls while its version says
        # it is unmodified, which inference tensors do not track.
        with torch.inference_mode(False), torch.no_grad():
            model.engine, model.engine_signature = network_pack(*pack_network(model))
    model.engine_precision = precision if engine else "fp32"
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
