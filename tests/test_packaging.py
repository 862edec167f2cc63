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


def test_models_ship_inside_the_package(tmp_path):
    subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True)
    assert (tmp_path / "ppms_kernels" / "models" / "pp_mobileseg.py").exists()
    assert not (tmp_path / "models").exists()
