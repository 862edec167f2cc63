"""``ppms::normalise``: decoded images to the network's input in one pass (wrapper, fake kernel; on CUDA the
reference's PyTorch ops, which are exact there too)."""
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


@torch.library.register_fake("ppms::normalise")
def _fake(images, mean, std):
    torch.ops.ppms._normalise_check(images, mean, std)
    return images.new_empty((images.shape[0], 3, images.shape[1], images.shape[2]), dtype=torch.float32)


@torch.library.register_kernel("ppms::normalise", "cuda")
def _cuda(images, mean, std):
    torch.ops.ppms._normalise_check(images, mean, std)
    return reference.normalise(images, mean, std)
