#!/usr/bin/env bash
# aarch64 torch-op job: cross-builds libppms_kernels (CMake) against the aarch64 CPU wheel of torch 2.9.1 and runs
# tests/test_portable_ops.py in aarch64 Python 3.11 under `qemu-aarch64 -cpu cortex-a76`, fp32 and fp16.
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
WHEELS="torch==2.9.1 numpy<2.3 typing_extensions sympy mpmath networkx jinja2 markupsafe filelock fsspec pytest pluggy iniconfig packaging pygments"
if [ "$(cat "$SITE/.wheels" 2>/dev/null)" != "$WHEELS" ]; then
  echo "-- aarch64 wheels: torch 2.9.1, numpy, pytest"
  rm -rf "$A/whl" "$SITE" && mkdir -p "$A/whl" "$SITE"
  "${PIP[@]}" download --no-deps --only-binary=:all: --platform manylinux_2_28_aarch64 --python-version 3.11 \
    --implementation cp -d "$A/whl" torch==2.9.1
  "${PIP[@]}" download --no-deps --only-binary=:all: --platform manylinux_2_17_aarch64 --python-version 3.11 \
    --implementation cp -d "$A/whl" "numpy<2.3"
  "${PIP[@]}" download --no-deps --only-binary=:all: -d "$A/whl" typing_extensions sympy mpmath networkx jinja2 \
    markupsafe filelock fsspec pytest pluggy iniconfig packaging pygments
  (cd "$SITE" && for w in "$A"/whl/*.whl; do unzip -q -o "$w"; done)
  echo "$WHEELS" >"$SITE/.wheels"
fi

echo "-- cross-building libppms_kernels against aarch64 torch"
cmake -S . -B build/arm-torch -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
  -DPPMS_FIND_ROOTS="$SITE" -DTorch_DIR="$SITE/torch/share/cmake/Torch" \
  -DPPMS_BUILD_TESTS=OFF -DPPMS_BUILD_LATENCY=OFF >/dev/null
cmake --build build/arm-torch -j "$(nproc)" >/dev/null
file build/arm-torch/libppms_kernels.so

# The package as installed: models/ ships as ppms_kernels.models (setup.py package_dir); python -P keeps the
# source tree, which lacks that, off sys.path.
PKG=$A/pkg
rm -rf "$PKG" && mkdir -p "$PKG/ppms_kernels"
for f in ppms_kernels/*; do ln -s "$PWD/$f" "$PKG/$f"; done
ln -s "$PWD/models" "$PKG/ppms_kernels/models"

echo "-- tests/test_portable_ops.py in aarch64 PyTorch under qemu (cortex-a76); imports take ~20 s"
PYTHONPATH="$SITE:$PKG" PYTHONHOME="$ROOT/usr" PPMS_OPS_LIBRARY="$PWD/build/arm-torch/libppms_kernels.so" \
  qemu-aarch64 -cpu cortex-a76 -L "$ROOT" "$ROOT/usr/bin/python3.11" -P -m pytest -p no:cacheprovider \
  tests/test_portable_ops.py -q "$@"
