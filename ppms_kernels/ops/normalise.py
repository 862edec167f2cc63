"""``ppms::normalise``: decoded images to the network's input in one pass (wrapper, fake kernel; on CUDA the
reference's PyTorch ops, which are exact there too)."""
import math

import numpy as np
import torch

from . import _library  # noqa: F401  (registers torch.ops.ppms)
from . import reference


def normalise(images, mean, std):
    """uint8 ``[B, H, W, 3]`` RGB images (channels last, as decoded) to float32 ``[B, 3, H, W]`` =
    ``(images / 255 - mean) / std`` per channel, bit for bit as that PyTorch expression computes it, without its
    temporaries. ``mean`` and ``std``: three numbers each (``ppms_kernels.models.INPUT_MEAN``, ``INPUT_STD``)."""
    if not torch.is_tensor(images):
        raise TypeError(f"normalise: images must be a tensor, got {type(images).__name__}")
    return torch.ops.ppms.normalise.default(images, [float(m) for m in mean], [float(s) for s in std])


def _check(images, mean, std):
    """The CPU kernel's checks, for the fake and CUDA kernels."""
    if images.dtype != torch.uint8:
        raise TypeError(f"normalise: images must be uint8, got {images.dtype}")
    if images.dim() != 4 or images.shape[3] != 3:
        raise ValueError(f"normalise: images must be [B, H, W, 3] (RGB, channels last), got shape "
                         f"{list(images.shape)}")
    if images.numel() == 0:
        raise ValueError(f"normalise: images must be non-empty, got shape {list(images.shape)}")
    if len(mean) != 3 or len(std) != 3:
        raise ValueError(f"normalise: mean and std must hold 3 values (R, G, B), got {len(mean)} and {len(std)}")
    with np.errstate(over="ignore"):  # as the op reads them: float32, where a double past its range is inf
        m, s = [float(np.float32(v)) for v in mean], [float(np.float32(v)) for v in std]
    if not all(math.isfinite(v) for v in m + s) or 0.0 in s:
        raise ValueError(f"normalise: mean and std must be finite and std non-zero, got {list(mean)} and {list(std)}")


@torch.library.register_fake("ppms::normalise")
def _fake(images, mean, std):
    _check(images, mean, std)
    return images.new_empty((images.shape[0], 3, images.shape[1], images.shape[2]), dtype=torch.float32)


@torch.library.register_kernel("ppms::normalise", "cuda")
def _cuda(images, mean, std):
    _check(images, mean, std)
    return reference.normalise(images, mean, std)
