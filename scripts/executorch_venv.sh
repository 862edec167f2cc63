#!/usr/bin/env bash
# Idempotent set-up of .cache/executorch-venv for the ExecuTorch + XNNPACK row of `ppms bench`
# (ppms_kernels/tools/executorch_run.py). A venv of its own because executorch pulls torchao, pandas, coremltools...
# that must not land in .venv; but it shares .venv's torch rather than installing a second one: executorch 1.5.1 is
# built against torch 2.13.0 (its torch_pin.py), the very torch of .venv, and its pybindings link that libtorch.
# Sharing also makes every .pt2 that .venv writes with torch.export.save load here unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
EXECUTORCH_VERSION=1.5.1
TORCH_VERSION=2.13.0
VENV=.cache/executorch-venv
PY=$VENV/bin/python

ready() {
  "$PY" - 2>/dev/null <<EOF
import importlib.metadata, warnings
warnings.simplefilter("ignore")
import torch
from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
from executorch.extension.pybindings import portable_lib
assert torch.__version__.split("+")[0] == "$TORCH_VERSION"
assert importlib.metadata.version("executorch") == "$EXECUTORCH_VERSION"
assert "XnnpackBackend" in portable_lib._get_registered_backend_names()
EOF
}
ready && exit 0

[ -x .venv/bin/python ] || bash scripts/setup.sh
# From .venv's interpreter: the same Python, which the shared compiled packages need.
[ -x "$PY" ] || .venv/bin/python -m venv "$VENV"
# .venv's site-packages last on sys.path (a path line in a .pth: its own .pth files, the editable ppms_kernels among
# them, stay unprocessed, so ppms_kernels is not importable here). pip then counts its torch as installed, and
# whatever it installs here shadows .venv's copy, which it never touches.
purelib() { "$1" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])"; }
purelib .venv/bin/python > "$(purelib "$PY")/_ppms_venv.pth"
# torch pinned alongside, to the version the executorch binaries need: were .venv's another, pip installs 2.13.0
# here (from plain PyPI that is the multi-GB CUDA build; this machine's /opt/wheels has the CPU one).
"$PY" -m pip install -q --disable-pip-version-check "executorch==$EXECUTORCH_VERSION" "torch==$TORCH_VERSION"
ready || { echo "executorch $EXECUTORCH_VERSION does not import in $VENV" >&2; exit 1; }
