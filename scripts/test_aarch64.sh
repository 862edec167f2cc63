#!/usr/bin/env bash
# aarch64 torch-op job: cross-builds libppms_ops.so (CMake) against the aarch64 CPU wheel of torch 2.9.1 and runs the
# op tests (tests/ops/: every kernel against the scalar one and the references, through the private ops) in aarch64
# Python 3.11 under `qemu-aarch64 -cpu cortex-a76`. Triton cases skip (no Triton there); the fuzz runs on 50 examples.
# The arm64 Debian packages (the Python sysroot) and the aarch64 wheels are cached under .cache/aarch64.
# Needs g++-aarch64-linux-gnu, qemu-user and cmake (scripts/test.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
A=$PWD/.cache/aarch64
ROOT=$A/root
SITE=$A/site
PIP=(.venv/bin/python -m pip -q --disable-pip-version-check)

if [ ! -x "$ROOT/usr/bin/python3.11" ]; then
  echo "-- arm64 python3.11 sysroot"
  mkdir -p "$A/lists/partial" "$A/deb" "$A/cache" "$ROOT"
  o=(-oAPT::Architecture=arm64 -oAPT::Architectures=arm64 -oDir::State::Lists="$A/lists" -oDir::Cache="$A/cache"
     -oDir::Cache::archives="$A/deb")
  apt-get "${o[@]}" update -qq
  (cd "$A/deb" && apt-get "${o[@]}" download -qq python3.11-minimal libpython3.11-minimal libpython3.11-stdlib \
    python3.11 libc6 libexpat1 zlib1g libffi8 libssl3 libgcc-s1 libstdc++6 libgomp1 libbz2-1.0 liblzma5 \
    libsqlite3-0 libuuid1 libncursesw6 libtinfo6 libreadline8 libdb5.3 libnsl2 libtirpc3 libcrypt1 \
    libgssapi-krb5-2 libkrb5-3 libk5crypto3 libcom-err2 libkrb5support0 libkeyutils1)
  for f in "$A"/deb/*.deb; do dpkg -x "$f" "$ROOT"; done
fi
PURE="typing_extensions sympy mpmath networkx jinja2 markupsafe filelock fsspec pytest pluggy iniconfig packaging pygments attrs sortedcontainers"
WHEELS="torch==2.9.1 numpy<2.3 hypothesis $PURE"
if [ "$(cat "$SITE/.wheels" 2>/dev/null)" != "$WHEELS" ]; then
  echo "-- aarch64 wheels: torch 2.9.1, numpy, pytest"
  rm -rf "$A/whl" "$SITE" && mkdir -p "$A/whl" "$SITE"
  "${PIP[@]}" download --no-deps --only-binary=:all: --platform manylinux_2_28_aarch64 --python-version 3.11 \
    --implementation cp -d "$A/whl" torch==2.9.1
  "${PIP[@]}" download --no-deps --only-binary=:all: --platform manylinux_2_17_aarch64 --python-version 3.11 \
    --implementation cp -d "$A/whl" "numpy<2.3" hypothesis
  # shellcheck disable=SC2086
  "${PIP[@]}" download --no-deps --only-binary=:all: -d "$A/whl" $PURE
  (cd "$SITE" && for w in "$A"/whl/*.whl; do unzip -q -o "$w"; done)
  echo "$WHEELS" >"$SITE/.wheels"
fi

echo "-- cross-building libppms_ops.so against aarch64 torch"
cmake -S . -B build/arm-torch -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
  -DPPMS_FIND_ROOTS="$SITE" -DTorch_DIR="$SITE/torch/share/cmake/Torch" \
  -DPPMS_BUILD_TESTS=OFF -DPPMS_BUILD_LATENCY=OFF -DPPMS_INSTALL=OFF >/dev/null
cmake --build build/arm-torch --target ppms_ops -j "$(nproc)" >/dev/null
file build/arm-torch/libppms_ops.so

echo "-- tests/ops in aarch64 PyTorch under qemu (cortex-a76); imports take ~20 s"
PYTHONPATH="$SITE:$PWD" PYTHONHOME="$ROOT/usr" PPMS_OPS_LIBRARY="$PWD/build/arm-torch/libppms_ops.so" \
  PPMS_FUZZ_EXAMPLES=50 PPMS_HYPOTHESIS_PROFILE=emulated qemu-aarch64 -cpu cortex-a76 -L "$ROOT" "$ROOT/usr/bin/python3.11" -m pytest \
  -p no:cacheprovider tests/ops -q "$@"
