import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, settings

# PPMS_HYPOTHESIS_PROFILE=emulated (the aarch64 job under qemu): drawing examples is slow there, which hypothesis
# would otherwise report as a failed health check.
settings.register_profile("emulated", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile(os.environ.get("PPMS_HYPOTHESIS_PROFILE", "default"))

# Without a GPU, Triton kernels run in Triton's interpreter; it must be chosen before triton is imported.
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")
else:
    # float32 means float32: cuDNN's default TF32 convolutions would move the references' logits by ~1e-3.
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False

HERE = Path(__file__).parent


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def _require_paddle():
    """Skip, or under PPMS_REQUIRE_PADDLE=1 fail, unless Paddle and PaddleSeg import (in a subprocess: importing
    Paddle beside torch could clash over OpenMP and MKL)."""
    probe = subprocess.run([sys.executable, "-c", "import paddle, paddleseg"], capture_output=True, text=True)
    if probe.returncode != 0:
        msg = f"PaddlePaddle/PaddleSeg not importable: {probe.stderr.strip().splitlines()[-1:]}"
        if os.environ.get("PPMS_REQUIRE_PADDLE") == "1":
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="session")
def paddle_available():
    _require_paddle()


@pytest.fixture(scope="session")
def paddle_reference(tmp_path_factory):
    """``get(variant) -> Path``: outputs of the official Paddle model, computed once per variant per session."""
    cache = {}

    def get(variant):
        if variant not in cache:
            _require_paddle()
            out = tmp_path_factory.mktemp(f"paddle_{variant}")
            subprocess.run([sys.executable, str(HERE / "paddle_reference.py"), "--variant", variant, "--out", str(out)],
                           check=True, capture_output=True)
            cache[variant] = out
        return cache[variant]

    return get
