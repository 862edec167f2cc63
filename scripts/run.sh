#!/usr/bin/env bash
# Main job: set up if needed, then `ppms bench`: end-to-end latency of tiny and base run every way (eager,
# ppms, torch.compile, ONNX Runtime, official Paddle), each checked against the reference first; table, JSON and
# PNG chart.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/paddle.sh  # the official model: row (f)
exec .venv/bin/ppms bench --plot ppms_bench.png "$@"
