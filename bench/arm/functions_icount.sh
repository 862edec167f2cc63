#!/usr/bin/env bash
# Executed aarch64 instructions per function of the op library during the engine's network calls (functions_icount.py
# says what and how): bash bench/arm/functions_icount.sh [size] [variant] [functions]
set -euo pipefail
cd "$(dirname "$0")/../.."
A=$PWD/.cache/aarch64
TOOL=${ARM_ICOUNT:-$PWD/../shared/tools/arm-icount}
LIB=${PPMS_OPS_LIBRARY:-$PWD/build/arm-marks/libppms_ops.so}
[ -f .cache/icount/libinsncount.so ] || bash "$TOOL/build.sh" "$PWD/.cache/icount" >/dev/null  # fetches the header
[ -f .cache/icount/libtb_profile.so ] || gcc -O2 -Wall -shared -fPIC -I"$(ls -d .cache/icount/src/qemu-*/include/qemu | head -1)" \
  bench/arm/tb_profile.c -o .cache/icount/libtb_profile.so
out=$(mktemp -d)
PYTHONPATH="$A/site:$PWD" PYTHONHOME="$A/root/usr" PPMS_OPS_LIBRARY="$LIB" OMP_NUM_THREADS=1 \
  qemu-aarch64 -cpu cortex-a76 -L "$A/root" -plugin "$PWD/.cache/icount/libtb_profile.so,outfile=$out/blocks.txt" \
  "$A/root/usr/bin/python3.11" bench/arm/functions_icount.py run "${1:-512}" "${2:-tiny}" >"$out/stdout.txt"
python3 bench/arm/functions_icount.py report "$out" "$LIB" "${3:-25}"
