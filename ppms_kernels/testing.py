"""Synthetic inputs for tests and benchmarks."""
import torch
import torch.nn.functional as F


def realistic_logits(B, C, h, w, K, seed=0, dtype=torch.float32):
    """Low-res logits shaped like a segmentation head's: K present classes laid out as smooth regions, the other
    C - K classes clearly below them everywhere. Returns ``[B, C, h, w]``."""
    g = torch.Generator().manual_seed(seed)
    K = min(K, C)
    coarse = (max(h // 8, 2), max(w // 8, 2))
    fields = torch.randn(B, K, *coarse, generator=g)
    fields = F.interpolate(fields, size=(h, w), mode="bicubic", align_corners=False)
    logits = torch.randn(B, C, h, w, generator=g) * 0.5 - 6.0
    present = torch.randperm(C, generator=g)[:K]
    logits[:, present] = 4.0 * fields + 0.1 * torch.randn(B, K, h, w, generator=g)
    return logits.to(dtype)
