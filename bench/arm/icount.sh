#!/usr/bin/env bash
# Instruction counts on an emulated Cortex-A76 (aarch64 PyTorch under qemu, 1 thread) of a driver in bench/arm/:
#   bash bench/arm/icount.sh conv1x1_icount.py
#   bash bench/arm/icount.sh network_icount.py [size] [tiny|base ...]   (the whole network; 512, both: ~7 min)
# Needs what scripts/test_aarch64.sh sets up (.cache/aarch64, build/arm-torch/libppms_ops.so); builds the counting
# plugin (bench/arm/icount/) into .cache/icount. The driver gets bench/arm/icount as its first argument. ICOUNT_TSV=1:
# label <tab> instructions.
set -euo pipefail
cd "$(dirname "$0")/../.."
A=$PWD/.cache/aarch64
bash bench/arm/icount/build.sh .cache/icount >&2
out=$(mktemp -d)
PYTHONPATH="$A/site:$A/peers:$PWD" PYTHONHOME="$A/root/usr" \
  PPMS_OPS_LIBRARY="${PPMS_OPS_LIBRARY:-$PWD/build/arm-torch/libppms_ops.so}" OMP_NUM_THREADS=1 \
  qemu-aarch64 -cpu cortex-a76 -L "$A/root" -plugin "$PWD/.cache/icount/insncount.so,outfile=$out/counts.txt" \
  "$A/root/usr/bin/python3.11" "bench/arm/$1" "$PWD/bench/arm/icount" "${@:2}" >"$out/stdout.txt"
python3 bench/arm/icount/icount.py "$out/counts.txt" "$out/stdout.txt" ${ICOUNT_TSV:+--tsv}
rm -rf "$out"
