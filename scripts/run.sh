#!/usr/bin/env bash
# Main job: set up if needed, then build PP-MobileSeg tiny and base, segment a sample input, report latency.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/ppms demo "$@"
