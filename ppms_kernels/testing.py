"""Synthetic inputs and label-map comparison for tests and benchmarks."""
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


def assert_labels_match(ours, ref, ref_logits, rtol=1e-5, max_fraction=1e-4):
    """``ours`` must equal ``ref`` except at pixels where the reference's own upsampled logits of the two labels
    differ by at most ``rtol * max|ref_logits|`` (near-ties), and those must be rare. Returns the flip count."""
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    diff = ours.long() != ref.long()
    if not diff.any():
        return 0
    b, y, x = diff.nonzero(as_tuple=True)
    theirs = ref_logits[b, ref.long()[diff], y, x].double()
    mine = ref_logits[b, ours.long()[diff], y, x].double()
    finite = ref_logits[ref_logits.isfinite()]  # NaN and +-inf have no near-ties: those labels must be equal
    scale = (finite.double().abs().amax() if finite.numel() else torch.tensor(1.0, dtype=torch.float64)).clamp_min(1e-30)
    gap = ((mine - theirs).abs() / scale).nan_to_num(float("inf")).max().item()
    n = int(diff.sum())
    assert gap <= rtol, f"{n} label(s) differ beyond near-ties (relative gap {gap:.2e})"
    assert n <= max(1, max_fraction * ours.numel()), f"too many near-tie flips: {n} of {ours.numel()}"
    return n
