# Cross-compiling for aarch64 Linux with Debian's g++-aarch64-linux-gnu; tests run under qemu-user.
#   cmake -S . -B build/arm -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake -DPPMS_BUILD_TORCH_OPS=OFF
# PPMS_ARM_ARCH: armv8.2-a+fp16 (Cortex-A76, Snapdragon 855 big core) or armv8-a (baseline).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

set(PPMS_ARM_ARCH "armv8.2-a+fp16" CACHE STRING "-march for the aarch64 build")
set(PPMS_QEMU_CPU "cortex-a76" CACHE STRING "CPU qemu emulates for the tests")
set(PPMS_SYSROOT "/usr/aarch64-linux-gnu" CACHE PATH "aarch64 libraries qemu loads the tests with")
set(CMAKE_CXX_FLAGS_INIT "-march=${PPMS_ARM_ARCH}")
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -cpu ${PPMS_QEMU_CPU} -L ${PPMS_SYSROOT})

# PPMS_FIND_ROOTS: more aarch64 trees to search, e.g. an unpacked aarch64 torch wheel for the torch-op library.
set(PPMS_FIND_ROOTS "" CACHE STRING "extra aarch64 roots for find_package/find_library")
set(CMAKE_FIND_ROOT_PATH ${PPMS_SYSROOT} ${PPMS_FIND_ROOTS})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
