#!/usr/bin/env bash
# Executed aarch64 instructions on an emulated Cortex-A76 (qemu-user, 1 thread): the ARM cost proxy. One counting
# plugin (bench/arm/count/plugin.c), one entry point:
#
#   bash bench/arm/count.sh labels [SIZE [VARIANT ...]]      (default 256 tiny, which CI runs; 512 tiny base ~30 min)
#       image -> labels per image: ppms_run fp32 and fp16 (the C++ API without PyTorch; an fp32 and an fp16 .ppms)
#       beside ncnn fp32 and default (fp16), onnxruntime (the network alone, files of count/peers.py), aarch64
#       PyTorch eager (network) and optimize() (image -> labels); a markdown table, the fp16 logits' error against
#       fp32's, the model files' sizes. Weights everywhere: tests/helpers.py's randomise(seed=0). PEERS=0: ppms_run
#       alone.
#   bash bench/arm/count.sh network [SIZE [VARIANT ...]]     the engine through aarch64 PyTorch: labels and logits
#   bash bench/arm/count.sh layers [SIZE [VARIANT]]          per layer, beside its FLOPs / 8 (one 4-lane fmla per 8)
#   bash bench/arm/count.sh functions [SIZE [VARIANT [TOP [PRECISION]]]]   per function of the op library
#   bash bench/arm/count.sh op conv1x1|depthwise             one op at the network's shapes against aarch64 PyTorch's
#
# Needs .venv (scripts/setup.sh); all but `labels` with PEERS=0 need the aarch64 Python and op library of
# scripts/test_aarch64.sh. `layers` and `functions` build an op library that marks each layer (build/arm-marks,
# -DPPMS_ICOUNT_MARKS=ON). The peers' pinned aarch64 wheels go to .cache/aarch64/peers, pnnx into .venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
C=$PWD/.cache/icount
A=$PWD/.cache/aarch64
bash bench/arm/count/build.sh "$C" >&2
usage() { awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0" >&2; exit 2; }

# guest LIBRARY PLUGIN_OPTIONS ARGS...: bench/arm/count/guest.py ARGS in aarch64 Python under qemu, its stdout to
# $out/stdout.txt, the marks to $out/counts.txt
guest() {
  [ -x "$A/root/usr/bin/python3.11" ] || { echo "no aarch64 Python: run scripts/test_aarch64.sh first" >&2; exit 1; }
  [ -f "$1" ] || { echo "no op library $1: run scripts/test_aarch64.sh first" >&2; exit 1; }
  PYTHONPATH="$A/site:$A/peers:$PWD" PYTHONHOME="$A/root/usr" PPMS_OPS_LIBRARY="$1" OMP_NUM_THREADS=1 \
    qemu-aarch64 -cpu cortex-a76 -L "$A/root" -plugin "$C/count.so,outfile=$out/counts.txt$2" \
    "$A/root/usr/bin/python3.11" bench/arm/count/guest.py "${@:3}" >"$out/stdout.txt"
}
table() { python3 bench/arm/count/marks.py table "$out/counts.txt" "$out/stdout.txt" "$@"; }
marks_library() {  # its path; the build's output only when it fails
  { cmake -S . -B build/arm-marks -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
      -DPPMS_FIND_ROOTS="$A/site" -DTorch_DIR="$A/site/torch/share/cmake/Torch" -DPPMS_ICOUNT_MARKS=ON \
      -DPPMS_BUILD_TESTS=OFF -DPPMS_BUILD_LATENCY=OFF -DPPMS_INSTALL=OFF &&
    cmake --build build/arm-marks --target ppms_ops -j "$(nproc)"; } >"$out/build.log" 2>&1 ||
    { cat "$out/build.log" >&2; exit 1; }
  echo "$PWD/build/arm-marks/libppms_ops.so"
}
TORCH_OPS=${PPMS_OPS_LIBRARY:-$PWD/build/arm-torch/libppms_ops.so}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

labels() {
  local size=${1:-256} variants=("${@:2}") ARM=build/arm-armv8.2-a+fp16 v p n t d
  [ ${#variants[@]} -gt 0 ] || variants=(tiny)
  # built every time (nothing to do when up to date): a binary older than the sources counted the old code
  [ -f "$ARM/CMakeCache.txt" ] ||
    cmake -S . -B "$ARM" -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake -DPPMS_BUILD_TORCH_OPS=OFF >/dev/null
  cmake --build "$ARM" --target ppms_run -j "$(nproc)" >/dev/null
  .venv/bin/python bench/arm/count/host.py image "$C/image_$size.ppm" "$size"

  # ppms_run per precision: whole-process counts with 0, 1 and 2 timed calls after the first; a warm call is the
  # mean difference
  declare -A ppms
  for v in "${variants[@]}"; do
    [ -f "$C/${v}_seed0_fp16.ppms" ] || .venv/bin/python bench/arm/count/host.py models "$C" "$v"
    for p in fp32 fp16; do
      t=()
      for n in 0 1 2; do
        qemu-aarch64 -cpu cortex-a76 -L /usr/aarch64-linux-gnu -plugin "$C/count.so,outfile=$out/run.txt" \
          "$ARM/ppms_run" "$C/${v}_seed0_$p.ppms" "$C/image_$size.ppm" --bench "$n" >/dev/null
        t+=("$(awk '/^total/{print $2}' "$out/run.txt")")
      done
      ppms[$v $p]=$(((t[2] - t[0]) / 2))  # the two warm calls differ by a few thousand (malloc's adaptive thresholds)
      d=$(((t[2] - t[1]) - (t[1] - t[0])))
      [ $((d * d)) -le $(((t[2] - t[0]) * (t[2] - t[0]) / 1000000)) ] ||
        echo "warning: $v $p's warm calls differ by more than 0.1%: $((t[1] - t[0])) and $((t[2] - t[1]))" >&2
      n=$(qemu-aarch64 -cpu cortex-a76 -L /usr/aarch64-linux-gnu "$ARM/ppms_run" "$C/${v}_seed0_$p.ppms" \
        "$C/image_$size.ppm" --logits "$C/${v}_$p.logits" 2>&1) || { echo "$n" >&2; exit 1; }
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
    # qemu-user shows the guest the host's x86 /proc/cpuinfo, on which onnxruntime's CPU detection crashes: give it
    # a Cortex-A76's (qemu's -L serves the sysroot's copy)
    mkdir -p "$A/root/proc"
    for n in 0 1; do
      printf 'processor\t: %d\nBogoMIPS\t: 38.40\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0xd0b\nCPU revision\t: 0\n\n' "$n"
    done >"$A/root/proc/cpuinfo"
    .venv/bin/python -c "import pnnx" 2>/dev/null || .venv/bin/python -m pip install -q --disable-pip-version-check pnnx==20261020
    local missing=()
    for v in "${variants[@]}"; do [ -f "$C/peers/${v}_$size.ncnn.bin" ] || missing+=("$v"); done
    [ ${#missing[@]} -eq 0 ] || .venv/bin/python bench/arm/count/peers.py "$C/peers" "$size" "${missing[@]}" >/dev/null 2>&1
    guest "$TORCH_OPS" "" peers "$C/peers" "$size" "${variants[@]}"
    while IFS=$'\t' read -r p n; do
      peers[$p]=$(awk -v n="$n" 'BEGIN{printf "%.1f", n / 1e6}')
    done < <(table --tsv)
  fi

  echo
  echo "Executed aarch64 instructions per ${size}x${size} image, Cortex-A76 under qemu, 1 thread (millions):"
  echo
  echo "| engine | what |$(printf ' %s |' "${variants[@]}")"
  echo "|---|---|$(printf -- '---|%.0s' "${variants[@]}")"
  local line any peer
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
  for v in "${variants[@]}"; do .venv/bin/python bench/arm/count/host.py error "$C" "$v"; done
  echo
  n=$(aarch64-linux-gnu-strip -o "$out/ppms_run.stripped" "$ARM/ppms_run" && stat -c %s "$out/ppms_run.stripped")
  d=$(aarch64-linux-gnu-readelf -d "$ARM/ppms_run" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
  echo "ppms_run (aarch64, $ARM): $((n / 1024)) KiB stripped; needs: $d"
}

case "${1:-}" in
  labels) labels "${@:2}" ;;
  network) guest "$TORCH_OPS" "" network "${2:-512}" "${@:3}" && table ;;
  layers)
    # one variant per run: the plugin keeps a mark's last value, and every network call sets the same marks
    lib=${PPMS_OPS_LIBRARY:-$(marks_library)}
    guest "$lib" "" layers "${2:-512}" "${3:-tiny}" && table ;;
  functions)
    lib=${PPMS_OPS_LIBRARY:-$(marks_library)}
    guest "$lib" ",blocks=$out/blocks.txt" functions "${2:-512}" "${3:-tiny}" "${5:-fp32}"
    python3 bench/arm/count/marks.py functions "$out/blocks.txt" "$out/stdout.txt" "$lib" "${4:-25}" ;;
  op) [ -n "${2:-}" ] || usage; guest "$TORCH_OPS" "" op "$2" && table ;;
  *) usage ;;
esac
