"""PP-MobileSeg: StrideFormer backbone + AAM + head, with VIM or full upsampling at inference."""
import torch
from torch import nn

from ..ops import VIM_MODES, network, upsample_argmax
from .fuse import FusedSeaAttention
from .layers import ConvBNAct, resize
from .strideformer import StrideFormer

# MobileNetV3 stages: [kernel, expansion, out channels, SE, activation, stride]
_CONFIGS = {
    "base": dict(
        cfgs=[
            [[3, 16, 16, True, "relu", 1], [3, 64, 32, False, "relu", 2], [3, 96, 32, False, "relu", 1]],
            [[5, 128, 64, True, "hardswish", 2], [5, 240, 64, True, "hardswish", 1]],
            [[5, 384, 128, True, "hardswish", 2], [5, 384, 128, True, "hardswish", 1]],
            [[5, 768, 192, True, "hardswish", 2], [5, 768, 192, True, "hardswish", 1]],
        ],
        channels=[16, 32, 64, 128, 192], embed_dims=[128, 192], depths=[3, 3], num_heads=8, inj_type="AAMSx8"),
    "tiny": dict(
        cfgs=[
            [[3, 16, 16, True, "relu", 1], [3, 64, 32, False, "relu", 2], [3, 48, 24, False, "relu", 1]],
            [[5, 96, 32, True, "hardswish", 2], [5, 96, 32, True, "hardswish", 1]],
            [[5, 160, 64, True, "hardswish", 2], [5, 160, 64, True, "hardswish", 1]],
            [[3, 384, 128, True, "hardswish", 2], [3, 384, 128, True, "hardswish", 1]],
        ],
        channels=[16, 24, 32, 64, 128], embed_dims=[64, 128], depths=[2, 2], num_heads=4, inj_type="AAM"),
}
VARIANTS = tuple(_CONFIGS)
UPSAMPLE_MODES = ("vim", "interpolate")
MIN_INPUT_SIZE = 16
# The input normalisation of PaddleSeg's ADE20K configs, which the official weights expect: (RGB / 255 - MEAN) / STD.
INPUT_MEAN = (0.485, 0.456, 0.406)
INPUT_STD = (0.229, 0.224, 0.225)
LOAD_AFTER_FUSE = ("weights cannot be loaded into a model after optimize() or fuse(): its BatchNorm is folded into "
                   "the convolutions, so no state dict fits it; load first, then optimize: "
                   "optimize(load_weights(pp_mobileseg(...), path))")


class PPMobileSegHead(nn.Module):
    def __init__(self, channels, num_classes, dropout=0.1):
        super().__init__()
        self.linear_fuse = ConvBNAct(channels, channels, groups=channels, act=nn.ReLU())
        self.dropout = nn.Dropout2d(dropout)
        self.conv_seg = nn.Conv2d(channels, num_classes, 1)

    def forward(self, x):
        return self.conv_seg(self.dropout(self.linear_fuse(x)))


class PPMobileSeg(nn.Module):
    """The full network. Module paths equal PaddleSeg's parameter names.

    Eval mode: ``upsample="vim"`` returns an int64 label map ``[B, H, W]`` computed by
    :func:`ppms_kernels.upsample_argmax` with ``vim_mode`` ("exact": the labels of the full upsample + argmax;
    "paper": PaddleSeg's VIM approximation); ``"interpolate"`` returns logits ``[B, num_classes, H, W]`` at input
    size. Training mode always returns full-size logits. Unlike PaddleSeg, ``"vim"`` is honoured for any class
    count (Paddle silently falls back below 30 classes).
    """

    def __init__(self, variant="base", num_classes=150, upsample="vim", vim_mode="exact"):
        super().__init__()
        if variant not in _CONFIGS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        if upsample not in UPSAMPLE_MODES:
            raise ValueError(f"upsample must be one of {UPSAMPLE_MODES}, got {upsample!r}")
        if vim_mode not in VIM_MODES:
            raise ValueError(f"vim_mode must be one of {VIM_MODES}, got {vim_mode!r}")
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        self.variant = variant
        self.num_classes = num_classes
        self.upsample = upsample
        self.vim_mode = vim_mode
        self.backbone = StrideFormer(**_CONFIGS[variant])
        self.decode_head = PPMobileSegHead(self.backbone.out_channels, num_classes)
        # optimize()'s native engine: the packed blob and its signature (ppms_kernels.ops.network_pack), and the
        # precision it runs in
        self.register_buffer("engine", None, persistent=False)
        self.engine_signature = None
        self.engine_precision = "fp32"

    def fuse(self):
        """Inference fast path, in place: every SEA attention block becomes one ``ppms::sea_attention`` call with
        BatchNorm folded. Call after loading weights; the fused model cannot train. Returns ``self``."""
        for name in ("trans1", "trans2"):
            for block in getattr(self.backbone, name).transformer_blocks:
                if not isinstance(block.attn, FusedSeaAttention):
                    block.attn = FusedSeaAttention(block.attn)
        return self

    def is_fused(self):
        """Whether ``fuse()`` (and so ``optimize()``) ran: BatchNorm is folded away and a state dict no longer fits."""
        return any(isinstance(m, FusedSeaAttention) for m in self.modules())

    def load_state_dict(self, state_dict, strict=True, assign=False):
        if self.is_fused():
            raise RuntimeError(LOAD_AFTER_FUSE)
        return super().load_state_dict(state_dict, strict, assign)

    def logits(self, x):
        """Low-resolution logits: 1/8 of the input for base, 1/16 for tiny (on the native engine after
        ``optimize()``, for float32 CPU inputs in eval mode)."""
        _check_input(x, next(self.parameters()))
        # An ONNX export runs the modules the engine was packed from (optimize() keeps them, folded): ONNX cannot
        # read the engine's blob.
        if self.engine is not None and not self.training and x.dtype == torch.float32 and x.device.type == "cpu" \
                and self.engine.device.type == "cpu" and not torch.onnx.is_in_onnx_export():
            return network(x, self.engine, self.engine_signature, self.engine_precision)
        return self.decode_head(self.backbone(x))

    def __prepare_scriptable__(self):
        # torch.jit.script calls this first: refuse here, by name, rather than fail deep in a ppms op's wrapper.
        raise RuntimeError("torch.jit.script cannot compile PPMobileSeg (its ppms ops and input checks are plain "
                           "Python; TorchScript is deprecated): use torch.jit.trace (it follows the input size), "
                           "ppms_kernels.models.export_program (torch.export, any size) or export_onnx "
                           "(`ppms export-onnx`)")

    def forward(self, x):
        logits = self.logits(x)
        size = x.shape[-2:]
        if self.training or self.upsample == "interpolate":
            return resize(logits, size)
        return upsample_argmax(logits, size, self.vim_mode)

    def labels(self, x, dtype=torch.int64):
        """Class ids ``[B, H, W]`` of ``dtype`` (int64, int32, or uint8 for at most 256 classes) whatever
        ``upsample`` says: ``upsample_argmax`` of the logits (``vim_mode``), or with ``upsample="interpolate"`` the
        argmax of the interpolated logits that ``forward`` returns."""
        if self.upsample == "interpolate":
            return resize(self.logits(x), x.shape[-2:]).argmax(1).to(dtype)
        return upsample_argmax(self.logits(x), x.shape[-2:], self.vim_mode, out_dtype=dtype)


def _check_input(x, param):
    if not torch.is_tensor(x):
        raise TypeError(f"input must be a tensor [B, 3, H, W], got {type(x).__name__}")
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"input must be an image batch [B, 3, H, W], got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"input must be a floating-point tensor, got {x.dtype}")
    if x.dtype != param.dtype:
        raise TypeError(f"input is {x.dtype} but the model's weights are {param.dtype}: convert one to the other")
    if x.device != param.device:
        raise ValueError(f"input is on {x.device} but the model is on {param.device}")
    if x.shape[0] == 0:
        raise ValueError("input batch is empty (B == 0)")
    if min(x.shape[-2:]) < MIN_INPUT_SIZE:
        raise ValueError(f"input H and W must be at least {MIN_INPUT_SIZE}, got {tuple(x.shape[-2:])}")

