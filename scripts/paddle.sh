#!/usr/bin/env bash
# The official implementation (paddlepaddle CPU + the PaddleSeg 2.8.0 wheel without its pinned deps) in .venv:
# the parity tests and the Paddle row of `ppms bench` run it in a subprocess, never beside torch.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
if ! "$PY" -c "import paddle, paddleseg, cv2, sklearn, yaml, six, requests" 2>/dev/null; then
  "$PY" -m pip install -q --disable-pip-version-check paddlepaddle==3.3.1 six pyyaml requests scikit-learn \
    opencv-python-headless
  "$PY" -m pip install -q --disable-pip-version-check --no-deps paddleseg==2.8.0
fi
