#!/usr/bin/env bash
# Idempotent set-up: .venv with the CPU build of torch and ppms_kernels installed editable (the native op library
# built by CMake). Run by run.sh and test.sh; safe to run again (rebuilds only when the native sources changed).
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_VERSION=2.13.0
PY=.venv/bin/python

[ -x "$PY" ] || python3 -m venv .venv
export PATH="$PWD/.venv/bin:$PATH"  # a cmake installed from PyPI lands here
pip_install() { "$PY" -m pip install -q --disable-pip-version-check "$@"; }
# torch first and pinned: anything that pulls an unpinned torch would fetch a multi-GB CUDA build.
"$PY" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null \
  || pip_install "torch==$TORCH_VERSION"
"$PY" -c "import numpy, tqdm" 2>/dev/null || pip_install numpy tqdm setuptools wheel
command -v cmake >/dev/null || pip_install cmake  # setup.py builds the op library with CMake
# ppms bench: the ONNX Runtime and OpenVINO rows (both on the torch.onnx dynamo export) and the plot.
"$PY" -c "import onnxruntime, onnx, onnxscript, openvino, matplotlib" 2>/dev/null \
  || pip_install onnxruntime onnx onnxscript openvino matplotlib

# Installed means this checkout's package imports: -I keeps the working directory (this checkout's sources) off
# sys.path, so that another checkout installed in .venv is seen as such.
installed() {
  "$PY" -I -c 'import os, sys, ppms_kernels; sys.exit(not os.path.samefile(ppms_kernels.__path__[0], sys.argv[1]))' \
    ppms_kernels 2>/dev/null
}
so=$(ls ppms_kernels/_native*.so 2>/dev/null | head -n1 || true)
if [ -z "$so" ] || ! installed \
   || [ -n "$(find csrc cmake CMakeLists.txt setup.py pyproject.toml -newer "$so" -type f | head -n1)" ]; then
  echo "building ppms_kernels (native op library, CMake)..."
  pip_install --no-build-isolation -e .
fi
