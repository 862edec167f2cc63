#!/usr/bin/env bash
# Instruction counts on an emulated Cortex-A76 (aarch64 PyTorch under qemu, 1 thread) of a driver in bench/arm/:
#   bash bench/arm/icount.sh conv1x1_icount.py
#   bash bench/arm/icount.sh network_icount.py [size] [tiny|base ...]   (the whole network; 512, both: ~7 min)
# Needs what scripts/test_aarch64.sh sets up (.cache/aarch64, build/arm-torch/libppms_ops.so) and the arm-icount
# tool beside the checkout (../shared/tools/arm-icount; ARM_ICOUNT=path to use another).
set -euo pipefail
cd "$(dirname "$0")/../.."
A=$PWD/.cache/aarch64
TOOL=${ARM_ICOUNT:-$PWD/../shared/tools/arm-icount}
[ -f .cache/icount/libinsncount.so ] || bash "$TOOL/build.sh" "$PWD/.cache/icount" >/dev/null
out=$(mktemp -d)
PYTHONPATH="$A/site:$PWD" PYTHONHOME="$A/root/usr" PPMS_OPS_LIBRARY="${PPMS_OPS_LIBRARY:-$PWD/build/arm-torch/libppms_ops.so}" \
  OMP_NUM_THREADS=1 qemu-aarch64 -cpu cortex-a76 -L "$A/root" \
  -plugin "$PWD/.cache/icount/libinsncount.so,outfile=$out/counts.txt" \
  "$A/root/usr/bin/python3.11" "bench/arm/$1" "$TOOL" "${@:2}" >"$out/stdout.txt"
python3 "$TOOL/parse.py" "$out/counts.txt" "$out/stdout.txt"
