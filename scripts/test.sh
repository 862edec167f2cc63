#!/usr/bin/env bash
# Whole test suite: set up if needed, install the test tools and the official Paddle reference, run pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=.venv/bin/python
pip_install() { "$PY" -m pip install -q --disable-pip-version-check "$@"; }
"$PY" -c "import pytest, hypothesis, pytest_benchmark, triton" 2>/dev/null || pip_install pytest hypothesis pytest-benchmark triton
# The official implementation for the parity tests (run in a subprocess, never beside torch).
if ! "$PY" -c "import paddle, paddleseg, cv2, sklearn, yaml, six, requests" 2>/dev/null; then
  pip_install paddlepaddle==3.3.1 six pyyaml requests scikit-learn opencv-python-headless
  pip_install --no-deps paddleseg==2.8.0
fi
export PPMS_REQUIRE_PADDLE=1  # a missing Paddle fails the parity tests instead of skipping them
exec "$PY" -m pytest tests "$@"
