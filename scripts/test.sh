#!/usr/bin/env bash
# Whole test suite: set up if needed, install the test tools and the official Paddle reference, then run the
# torch-free core's C++ tests (native, under sanitizers, the model file loader under libFuzzer, aarch64 under qemu),
# install the core and build an app against it, run the op tests in aarch64 PyTorch under qemu, and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=.venv/bin/python
export PATH="$PWD/.venv/bin:$PATH"
pip_install() { "$PY" -m pip install -q --disable-pip-version-check "$@"; }
"$PY" -c "import pytest, hypothesis, pytest_benchmark, triton" 2>/dev/null || pip_install pytest hypothesis pytest-benchmark triton
"$PY" -c "import ray.data" 2>/dev/null || pip_install "ray[data]==2.60.0"  # ppms segment --ray, on a local cluster
bash scripts/paddle.sh
# Cross toolchain and emulator for the NEON kernels, PNG and JPEG libraries for ppms_run, doctest for the C++ tests,
# clang for libFuzzer (Debian packages).
if ! command -v aarch64-linux-gnu-g++ >/dev/null || ! command -v qemu-aarch64 >/dev/null ||
   ! command -v clang++ >/dev/null || ! dpkg -s libpng-dev libjpeg62-turbo-dev doctest-dev >/dev/null 2>&1; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq g++-aarch64-linux-gnu qemu-user libpng-dev \
    libjpeg62-turbo-dev doctest-dev clang >/dev/null
fi

echo "== C++ core tests: native (no Torch in CMake's view) =="
cmake -S . -B build/core >/dev/null
cmake --build build/core -j "$(nproc)" >/dev/null
ctest --test-dir build/core --output-on-failure
echo "== the installed core: headers, CMake package, an app that find_package(ppms)s it =="
rm -rf build/install build/consumer
cmake --install build/core --prefix build/install >/dev/null
cmake -S tests/cpp/consumer -B build/consumer -DCMAKE_PREFIX_PATH="$PWD/build/install" >/dev/null
cmake --build build/consumer >/dev/null
build/consumer/consumer
echo "== C++ core tests: AddressSanitizer + UndefinedBehaviorSanitizer =="
# -O1, not -O2: GCC took 4.6 minutes on conv1x1/kernel_avx512.cpp alone under the sanitizers at -O2, 31 s at -O1.
cmake -S . -B build/asan -DPPMS_BUILD_TORCH_OPS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g -DNDEBUG" -DPPMS_FUZZ_ITERATIONS=50000 \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" >/dev/null
cmake --build build/asan -j "$(nproc)" >/dev/null
ctest --test-dir build/asan --output-on-failure
echo "== the model file loader under libFuzzer (clang, ASan + UBSan), one minute from the built-in seed files =="
CC=clang CXX=clang++ cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPPMS_LIBFUZZER=ON \
  -DPPMS_BUILD_TESTS=OFF -DPPMS_BUILD_TORCH_OPS=OFF -DPPMS_BUILD_RUN=OFF -DPPMS_BUILD_LATENCY=OFF -DPPMS_INSTALL=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all -Wno-unknown-warning-option \
  -Wno-pass-failed" >/dev/null
cmake --build build/fuzz -j "$(nproc)" --target fuzz_model_file_libfuzzer >/dev/null
rm -rf build/fuzz/corpus && mkdir -p build/fuzz/corpus
build/core/fuzz_model_file --seeds build/fuzz/corpus
build/fuzz/fuzz_model_file_libfuzzer -max_total_time=60 -rss_limit_mb=4096 -print_final_stats=1 \
  -artifact_prefix=build/fuzz/ build/fuzz/corpus 2>&1 | grep -v -E "^#[0-9]|Uses: [0-9]+$|recommended dictionary|NEW_FUNC"
# The Armv8.2 build on the Snapdragon 855's big core (FP16 arithmetic: the f16 kernels run), the baseline build on a
# Cortex-A53 (none: they must not be chosen).
for arch in armv8.2-a+fp16:cortex-a76 armv8-a:cortex-a53; do
  cpu=${arch#*:} arch=${arch%:*}
  echo "== C++ core tests: aarch64 -march=$arch under qemu -cpu $cpu =="
  cmake -S . -B "build/arm-$arch" -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
    -DPPMS_ARM_ARCH="$arch" -DPPMS_QEMU_CPU="$cpu" -DPPMS_BUILD_TORCH_OPS=OFF -DPPMS_FUZZ_ITERATIONS=3000 >/dev/null
  cmake --build "build/arm-$arch" -j "$(nproc)" >/dev/null
  ctest --test-dir "build/arm-$arch" --output-on-failure
done
echo "== op tests (tests/ops): aarch64 PyTorch under qemu =="
bash scripts/test_aarch64.sh
echo "== ARM instruction counts: image -> labels, tiny 256x256, ppms_run beside ncnn, onnxruntime, PyTorch =="
bash bench/arm/count.sh labels 256 tiny

echo "== pytest =="
export PPMS_REQUIRE_PADDLE=1  # a missing Paddle fails the parity tests instead of skipping them
export PPMS_REQUIRE_AARCH64=1  # and a missing aarch64 ppms_run its test under qemu
exec "$PY" -m pytest tests "$@"
