#!/usr/bin/env bash
# Executed aarch64 instructions per function of the op library during the engine's network calls (functions_icount.py
# says what and how): bash bench/arm/functions_icount.sh [size] [variant] [functions] [precision]
set -euo pipefail
cd "$(dirname "$0")/../.."
A=$PWD/.cache/aarch64
LIB=${PPMS_OPS_LIBRARY:-$PWD/build/arm-marks/libppms_ops.so}
bash bench/arm/icount/build.sh .cache/icount >&2  # fetches qemu's plugin header
[ -f .cache/icount/libtb_profile.so ] || gcc -O2 -Wall -shared -fPIC \
  -I"$(dirname "$(find .cache/icount/qemu-src -name qemu-plugin.h | head -1)")" bench/arm/tb_profile.c -o .cache/icount/libtb_profile.so
out=$(mktemp -d)
PYTHONPATH="$A/site:$PWD" PYTHONHOME="$A/root/usr" PPMS_OPS_LIBRARY="$LIB" OMP_NUM_THREADS=1 \
  qemu-aarch64 -cpu cortex-a76 -L "$A/root" -plugin "$PWD/.cache/icount/libtb_profile.so,outfile=$out/blocks.txt" \
  "$A/root/usr/bin/python3.11" bench/arm/functions_icount.py run "${1:-512}" "${2:-tiny}" "${4:-fp32}" >"$out/stdout.txt"
python3 bench/arm/functions_icount.py report "$out" "$LIB" "${3:-25}"
