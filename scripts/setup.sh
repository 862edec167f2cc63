#!/usr/bin/env bash
# Idempotent set-up: .venv with the CPU build of torch and ppms_kernels installed editable (native ops built).
# Sourced by run.sh and test.sh; safe to run again (rebuilds only when csrc/ or setup.py changed).
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_VERSION=2.13.0
PY=.venv/bin/python

[ -x "$PY" ] || python3 -m venv .venv
pip_install() { "$PY" -m pip install -q --disable-pip-version-check "$@"; }
# torch first and pinned: anything that pulls an unpinned torch would fetch a multi-GB CUDA build.
"$PY" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null \
  || pip_install "torch==$TORCH_VERSION"
"$PY" -c "import ninja, numpy, tqdm" 2>/dev/null || pip_install ninja numpy tqdm setuptools wheel
# ppms bench: the ONNX Runtime rows (export with torch.onnx dynamo) and the plot.
"$PY" -c "import onnxruntime, onnx, onnxscript, matplotlib" 2>/dev/null || pip_install onnxruntime onnx onnxscript matplotlib

so=$(ls ppms_kernels/_C*.so 2>/dev/null | head -n1 || true)
if [ -z "$so" ] || [ -n "$(find csrc setup.py -newer "$so" -type f | head -n1)" ] \
   || ! "$PY" -c "import ppms_kernels" 2>/dev/null; then
  echo "building ppms_kernels (native extension)..."
  pip_install --no-build-isolation -e .
fi
