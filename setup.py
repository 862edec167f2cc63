"""The Python package. The native op library is built by CMake (CMakeLists.txt decides every compile flag), into
build/python, and shipped inside the package as ppms_kernels/_native*.so, which ``import ppms_kernels`` loads with
torch.ops.load_library. Metadata lives in pyproject.toml; here are only what is computed: the version (CMakeLists.txt)
and the torch requirement (the torch the library is built against). Build routes: README, "pip install"."""
import os
import re
import shutil
import subprocess
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
VERSION = re.search(r"project\(ppms VERSION ([0-9.]+)", (ROOT / "CMakeLists.txt").read_text()).group(1)


def torch_requirement():
    """The op library links against torch's C++ API, which is stable only within a minor release: the wheel needs the
    minor release it was built with."""
    try:
        import torch
    except ImportError:
        raise RuntimeError("ppms_kernels builds against the installed torch: install torch first, or build isolated "
                           "(without --no-build-isolation), which installs the pinned one") from None
    major, minor = torch.__version__.split(".")[:2]
    return f"torch=={major}.{minor}.*"


class CMakeBuild(build_ext):
    """Builds the CMake target ppms_ops against the torch this Python imports and copies it to the extension's path."""

    def build_extension(self, ext):
        import torch

        build = ROOT / "build" / "python"
        torch_dir = f"{torch.utils.cmake_prefix_path}/Torch"
        cache = build / "CMakeCache.txt"
        cached = re.search(r"^Torch_DIR:\w+=(.*)$", cache.read_text(), re.M) if cache.exists() else None
        # A cache made against another torch (another venv, or an isolated build's deleted temporary one) keeps that
        # torch's library paths: configure afresh.
        if cached and cached.group(1) != torch_dir:
            cache.unlink()
            shutil.rmtree(build / "CMakeFiles", ignore_errors=True)
        if not shutil.which("cmake"):
            raise RuntimeError("building ppms_kernels needs CMake >= 3.21: pip install cmake")
        subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
                        f"-DTorch_DIR={torch_dir}", "-DPPMS_BUILD_TESTS=OFF", "-DPPMS_BUILD_LATENCY=OFF",
                        "-DPPMS_BUILD_RUN=OFF", "-DPPMS_INSTALL=OFF", "-DPPMS_BUILD_TORCH_OPS=ON"], check=True)
        jobs = os.environ.get("MAX_JOBS") or str(os.cpu_count() or 2)  # MAX_JOBS: as torch's own extension builds
        subprocess.run(["cmake", "--build", str(build), "--target", "ppms_ops", "-j", jobs], check=True)
        built = build / "libppms_ops.so"
        if not built.exists():
            raise RuntimeError(f"CMake did not build {built}: is torch's CMake package usable? (see the output above)")
        out = Path(self.get_ext_fullpath(ext.name))
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, out)


setup(
    version=VERSION,
    install_requires=[torch_requirement(), "numpy", "tqdm"],
    ext_modules=[Extension("ppms_kernels._native", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
)
