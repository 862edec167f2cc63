"""Comparing label maps where float rounding may flip exact near-ties."""
import torch


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
    scale = ref_logits.double().abs().amax().clamp_min(1e-30)
    gap = ((mine - theirs).abs() / scale).nan_to_num(float("inf")).max().item()
    n = int(diff.sum())
    assert gap <= rtol, f"{n} label(s) differ beyond near-ties (relative gap {gap:.2e})"
    assert n <= max(1, max_fraction * ours.numel()), f"too many near-tie flips: {n} of {ours.numel()}"
    return n
