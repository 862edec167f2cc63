#!/usr/bin/env bash
# Executed aarch64 instructions per image on an emulated Cortex-A76 (qemu, 1 thread): ppms_run's image -> labels in
# fp32 and fp16 (the C++ API without PyTorch: normalisation, network, exact upsample + argmax; an fp32 and an fp16
# .ppms) beside the peers: ncnn fp32 and default (fp16) and onnxruntime (network alone, files of peers_export.py),
# aarch64 PyTorch eager (network alone) and optimize() (image -> labels). Prints a markdown table, the fp16 logits'
# error against fp32's and the model files' sizes; the weights everywhere are tests/helpers.py's randomise(seed=0)
# (random BatchNorm gammas: default initialisation zeroes the attention projection's and hides its errors).
#   bash bench/arm/image_to_labels.sh [SIZE [VARIANT ...]]   (default 256 tiny, which CI runs; 512 tiny base: ~20 min)
# PEERS=0 counts ppms_run alone. Needs .venv (scripts/setup.sh) and for the peers the aarch64 Python of
# scripts/test_aarch64.sh; fetches the peers' pinned aarch64 wheels into .cache/aarch64/peers and pnnx into .venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
size=${1:-256}
variants=("${@:2}")
[ ${#variants[@]} -gt 0 ] || variants=(tiny)
C=$PWD/.cache/icount
A=$PWD/.cache/aarch64
ARM=build/arm-armv8.2-a+fp16
bash bench/arm/icount/build.sh "$C" >&2
if [ ! -x "$ARM/ppms_run" ]; then
  cmake -S . -B "$ARM" -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake -DPPMS_BUILD_TORCH_OPS=OFF >/dev/null
  cmake --build "$ARM" --target ppms_run -j "$(nproc)" >/dev/null
fi
.venv/bin/python - "$C/image_$size.ppm" "$size" <<'PY'
import sys, torch, torch.nn.functional as F
g, s = torch.Generator().manual_seed(0), int(sys.argv[2])  # colour fields with edges, plus noise
img = F.interpolate(torch.rand(1, 3, 6, 6, generator=g), size=(s, s), mode="bicubic")[0].permute(1, 2, 0) * 255
img = (img + torch.randn(s, s, 3, generator=g) * 10).clamp(0, 255).round().to(torch.uint8).numpy()
open(sys.argv[1], "wb").write(b"P6\n%d %d\n255\n" % (s, s) + img.tobytes())
PY

# ppms_run per precision: whole-process counts with 0, 1 and 2 timed calls after the first; a warm call is the mean
# difference
declare -A ppms
for v in "${variants[@]}"; do
  [ -f "$C/${v}_seed0_fp16.ppms" ] || PYTHONPATH=tests .venv/bin/python - "$C" "$v" <<'PY'
import sys
from helpers import randomise
from ppms_kernels.models import pp_mobileseg
from ppms_kernels.models.export import export_ppms
C, v = sys.argv[1:]
m = randomise(pp_mobileseg(v, num_classes=150), seed=0).eval()
for p in ("fp32", "fp16"):
    export_ppms(m, f"{C}/{v}_seed0_{p}.ppms", p)
PY
  for p in fp32 fp16; do
    t=()
    for n in 0 1 2; do
      qemu-aarch64 -cpu cortex-a76 -L /usr/aarch64-linux-gnu -plugin "$C/insncount.so,outfile=$C/run.txt" \
        "$ARM/ppms_run" "$C/${v}_seed0_$p.ppms" "$C/image_$size.ppm" --bench "$n" >/dev/null
      t+=("$(awk '/^total/{print $2}' "$C/run.txt")")
    done
    ppms[$v $p]=$(((t[2] - t[0]) / 2))  # the two warm calls differ by a few thousand (malloc's adaptive thresholds)
    d=$(((t[2] - t[1]) - (t[1] - t[0])))
    [ $((d * d)) -le $(((t[2] - t[0]) * (t[2] - t[0]) / 1000000)) ] ||
      echo "warning: $v $p's warm calls differ by more than 0.1%: $((t[1] - t[0])) and $((t[2] - t[1]))" >&2
    out=$(qemu-aarch64 -cpu cortex-a76 -L /usr/aarch64-linux-gnu "$ARM/ppms_run" "$C/${v}_seed0_$p.ppms" \
      "$C/image_$size.ppm" --logits "$C/${v}_$p.logits" 2>&1) || { echo "$out" >&2; exit 1; }
  done
done

declare -A peers
if [ "${PEERS:-1}" != 0 ]; then
  if [ ! -d "$A/peers" ]; then
    .venv/bin/python -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      --platform manylinux_2_28_aarch64 --python-version 3.11 --implementation cp -d "$A/peers-whl" \
      ncnn==1.0.20261020 onnxruntime==1.32.0
    mkdir -p "$A/peers.tmp" && (cd "$A/peers.tmp" && for w in "$A"/peers-whl/*.whl; do unzip -q -o "$w"; done)
    mv "$A/peers.tmp" "$A/peers"
  fi
  # qemu-user shows the guest the host's x86 /proc/cpuinfo, on which onnxruntime's CPU detection crashes: give it a
  # Cortex-A76's (qemu's -L serves the sysroot's copy)
  mkdir -p "$A/root/proc"
  for cpu in 0 1; do
    printf 'processor\t: %d\nBogoMIPS\t: 38.40\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0xd0b\nCPU revision\t: 0\n\n' "$cpu"
  done >"$A/root/proc/cpuinfo"
  .venv/bin/python -c "import pnnx" 2>/dev/null || .venv/bin/python -m pip install -q --disable-pip-version-check pnnx==20261020
  missing=()
  for v in "${variants[@]}"; do [ -f "$C/peers/${v}_$size.ncnn.bin" ] || missing+=("$v"); done
  [ ${#missing[@]} -eq 0 ] || .venv/bin/python bench/arm/peers_export.py "$C/peers" "$size" "${missing[@]}" >/dev/null 2>&1
  while IFS=$'\t' read -r label n; do
    peers[$label]=$(awk -v n="$n" 'BEGIN{printf "%.1f", n / 1e6}')
  done < <(ICOUNT_TSV=1 bash bench/arm/icount.sh peers_icount.py "$C/peers" "$size" "${variants[@]}")
fi

echo
echo "Executed aarch64 instructions per ${size}x${size} image, Cortex-A76 under qemu, 1 thread (millions):"
echo
echo "| engine | what |$(printf ' %s |' "${variants[@]}")"
echo "|---|---|$(printf -- '---|%.0s' "${variants[@]}")"
for p in fp32 fp16; do
  line="| ppms_run $p (C++, no PyTorch) | image -> labels |"
  for v in "${variants[@]}"; do line+=" **$(awk -v n="${ppms[$v $p]}" 'BEGIN{printf "%.1f", n / 1e6}')** |"; done
  echo "$line"
done
for peer in "ncnn fp32, network" "ncnn default (fp16), network" "onnxruntime, network" "PyTorch eager, network" "PyTorch optimize(), image -> labels"; do
  line="| ${peer%%, *} | ${peer#*, } |"
  any=0
  for v in "${variants[@]}"; do
    n=${peers["$v $peer"]:-}
    [ -n "$n" ] && any=1
    line+=" ${n:--} |"
  done
  [ "$any" = 0 ] || echo "$line"
done
echo
for v in "${variants[@]}"; do
  .venv/bin/python - "$C" "$v" <<'PY'
import os, sys
import numpy as np
C, v = sys.argv[1:]
a, b = (np.fromfile(f"{C}/{v}_{p}.logits", dtype="<f4") for p in ("fp32", "fp16"))
size = {p: os.path.getsize(f"{C}/{v}_seed0_{p}.ppms") for p in ("fp32", "fp16")}
print(f"{v}: ppms_run fp16's logits against fp32's: max |error| / max |logit| = "
      f"{np.abs(a - b).max() / np.abs(a).max():.2e}, {int((~np.isfinite(b)).sum())} not finite; model file "
      f"{size['fp32'] / 2**20:.2f} MiB fp32, {size['fp16'] / 2**20:.2f} MiB fp16 ({size['fp16'] / size['fp32']:.3f}x)")
PY
done
echo
strip_size=$(aarch64-linux-gnu-strip -o "$C/ppms_run.stripped" "$ARM/ppms_run" && stat -c %s "$C/ppms_run.stripped")
needs=$(aarch64-linux-gnu-readelf -d "$ARM/ppms_run" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
echo "ppms_run (aarch64, $ARM): $((strip_size / 1024)) KiB stripped; needs: $needs"
