"""The ``torch.ops.ppms`` ops: Python wrappers, fake kernels, autograd and the Triton CUDA kernels (``triton/``), and
the plain-PyTorch references they are tested against (``reference``).

Schemas: ``csrc/torch/schemas.cpp``; CPU kernels: the torch-free core ``csrc/core/<op>/`` behind the adapters in
``csrc/torch/``; the contract facts (``SEA_WEIGHTS``, size limits) come from the core (``contract``).
"""
from . import reference
from .contract import (SEA_MAX_SIDE, SEA_WEIGHTS, UPSAMPLE_ARGMAX_MAX_SIDE, VERSION, VIM_MODES, build_info,
                       kernels)
from .normalise import normalise
from .network import bf16_arithmetic, fp16_arithmetic, logits_size, model_file, model_file_info, network, network_memory, network_pack
from .sea_attention import axial_attention, sea_attention
from .upsample_argmax import upsample_argmax, valid_interpolate

__all__ = ["upsample_argmax", "valid_interpolate", "sea_attention", "axial_attention", "normalise", "network",
           "network_pack",
           "network_memory", "model_file", "model_file_info", "fp16_arithmetic", "bf16_arithmetic",
           "logits_size", "reference", "kernels",
           "build_info", "SEA_WEIGHTS", "SEA_MAX_SIDE", "UPSAMPLE_ARGMAX_MAX_SIDE", "VIM_MODES", "VERSION"]
