"""What `bench/arm/count.sh labels` does on the host (.venv) around ppms_run's counts:

    image PATH SIZE       the test image (the benches' photo-like one) as a binary PPM
    models DIR VARIANT    DIR/VARIANT_seed0_fp32.ppms and _fp16.ppms: tests/helpers.py's randomise(seed=0) weights
                          (random BatchNorm gammas: default initialisation zeroes the attention projection's)
    error DIR VARIANT     fp16's logits (ppms_run --logits) against fp32's, and the model files' sizes
"""
import os
import sys


def image(path, size):
    import torch

    from ppms_kernels.tools.throughput import photo

    s = int(size)
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (s, s) + photo(s, s, torch.Generator().manual_seed(0)).tobytes())


def models(out, variant):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests"))
    from helpers import randomise

    from ppms_kernels.models import pp_mobileseg
    from ppms_kernels.models.export import export_ppms

    m = randomise(pp_mobileseg(variant, num_classes=150), seed=0).eval()
    for p in ("fp32", "fp16"):
        export_ppms(m, f"{out}/{variant}_seed0_{p}.ppms", p)


def error(out, variant):
    import numpy as np

    a, b = (np.fromfile(f"{out}/{variant}_{p}.logits", dtype="<f4") for p in ("fp32", "fp16"))
    size = {p: os.path.getsize(f"{out}/{variant}_seed0_{p}.ppms") for p in ("fp32", "fp16")}
    print(f"{variant}: ppms_run fp16's logits against fp32's: max |error| / max |logit| = "
          f"{np.abs(a - b).max() / np.abs(a).max():.2e}, {int((~np.isfinite(b)).sum())} not finite; model file "
          f"{size['fp32'] / 2**20:.2f} MiB fp32, {size['fp16'] / 2**20:.2f} MiB fp16 ({size['fp16'] / size['fp32']:.3f}x)")


if __name__ == "__main__":
    {"image": image, "models": models, "error": error}[sys.argv[1]](*sys.argv[2:])
