import subprocess
import sys
from pathlib import Path

import pytest
import torch

import ppms_kernels

ROOT = Path(__file__).parent.parent


def test_extension_owns_the_ppms_namespace():
    assert "OpenMP" in ppms_kernels.build_info()
    # A second TORCH_LIBRARY(ppms) is refused only because the extension already defined the namespace.
    with pytest.raises(RuntimeError, match="ppms"):
        torch.library.Library("ppms", "DEF")


def test_every_subpackage_ships(tmp_path):
    subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True)
    for module in ("models/pp_mobileseg.py", "ops/upsample_argmax.py", "ops/triton/sea_attention.py", "tools/cli.py"):
        assert (tmp_path / "ppms_kernels" / module).exists(), module
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ppms_kernels"]
