import subprocess
import sys
from pathlib import Path

import pytest
import torch

import ppms_kernels
from ppms_kernels.cli import main as ppms

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


def test_demo_reports_model_and_latency(capsys):
    assert ppms(["demo", "--variants", "tiny", "--size", "64", "--warmup", "0", "--repeat", "2"]) == 0
    out = capsys.readouterr().out
    assert "1,492,298" in out and "(1, 64, 64)" in out and "median ms" in out
