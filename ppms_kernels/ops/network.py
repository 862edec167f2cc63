"""``ppms::network`` (the native engine's whole network: image -> low-resolution logits, one core call per image) and
``ppms::network_pack`` (the one blob of packed weights it runs on): wrappers and the fake kernel, which sizes the
output from the blob's signature so that ``torch.compile(fullgraph=True)`` and ``torch.export`` trace through it."""
import torch

from . import _library  # noqa: F401  (registers torch.ops.ppms)


def network_pack(weights, config):
    """``(packed, signature)``: the folded ``weights`` and layer ``config`` (layout: ``csrc/include/ppms/network.h``;
    :func:`ppms_kernels.models.engine.pack_network` gives both for a model) packed into one versioned uint8 blob, and
    the signature :func:`network` needs beside it."""
    packed = torch.ops.ppms.network_pack.default(weights, config)
    return packed, list(torch.ops.ppms._network_signature.default(packed))


def network(x, packed, signature, precision="fp32"):
    """The whole network over a :func:`network_pack` blob: ``x [B, 3, H, W]`` float32 CPU -> logits
    ``[B, classes, h, w]`` (1/8 of the input for base, 1/16 for tiny; :func:`logits_size`). ``precision`` "fp16":
    half precision where the CPU has FP16 arithmetic (Armv8.2-A), fp32 elsewhere (:func:`fp16_arithmetic`); "bf16":
    the 1x1 convolutions in bfloat16 where the CPU has AVX512_BF16 (AMX where it has that), fp32 elsewhere
    (:func:`bf16_arithmetic`)."""
    if torch.onnx.is_in_onnx_export():
        raise NotImplementedError("ppms::network has no ONNX form (ONNX cannot read its packed blob): export the "
                                  "PPMobileSeg model instead, whose modules stand in for the engine in an ONNX export")
    return torch.ops.ppms.network.default(x, packed, signature, precision)


def fp16_arithmetic():
    """Whether this CPU runs :func:`network` in half precision when asked (FP16 arithmetic: Armv8.2-A's asimdhp)."""
    return any(c != "scalar" for c in torch.ops.ppms._kernels.default("fp16 configs"))


def bf16_arithmetic():
    """Whether this CPU runs :func:`network`'s 1x1 convolutions in bfloat16 when asked (x86 AVX512_BF16)."""
    return any(c != "scalar" for c in torch.ops.ppms._kernels.default("bf16 configs"))


def network_memory(packed, H, W):
    """The most bytes :func:`network` holds at once for one ``H x W`` image beside its input and logits (activations
    and scratch), on the current ``torch.get_num_threads()``."""
    return torch.ops.ppms._network_memory.default(packed, H, W)


def model_file(packed, variant, classes, mean, std, precision="fp32"):
    """The bytes (uint8 tensor) of a ``.ppms`` model file (layout: ``csrc/include/ppms/model.h``) holding a
    :func:`network_pack` blob and what an app needs beside it: the ``variant`` ("tiny" or "base"), the class count
    and the input normalisation ``(rgb / 255 - mean) / std`` (3 values each). ``precision`` "fp16" stores each weight
    rounded to half (nearest even; one beyond half's range raises ``ValueError`` naming its tensor)."""
    return torch.ops.ppms._model_file.default(packed, variant, classes, list(mean), list(std), precision)


def model_file_info(data):
    """``{"variant", "classes", "mean", "std", "precision"}`` of the bytes of a ``.ppms`` file (a uint8 tensor), after every check
    the C++ loader makes (header, sizes, checksum, the network itself); a bad file raises ``ValueError`` saying
    what is wrong, one of another format version ``NotImplementedError``."""
    variant, classes, mean, std, precision = torch.ops.ppms._model_file_info.default(data)
    return {"variant": variant, "classes": classes, "mean": tuple(mean), "std": tuple(std), "precision": precision}


def logits_size(signature, H, W):
    """The logits' ``(h, w)`` for an ``H x W`` image (ints or symbolic), as the core computes them."""
    for s in signature[2:]:
        H, W = (H - 1) // s + 1, (W - 1) // s + 1
    return (H, W) if signature[1] else (H // 2, W // 2)


@torch.library.register_fake("ppms::network")
def _network_fake(x, packed, signature, precision="fp32"):
    torch._check(x.dim() == 4 and x.shape[1] == 3, lambda: f"network: x must be [B, 3, H, W], got {tuple(x.shape)}")
    h, w = logits_size(signature, x.shape[2], x.shape[3])
    return x.new_empty((x.shape[0], signature[0], h, w))
