"""The Python package. The native op library is built by CMake (CMakeLists.txt decides every compile flag), into
build/python, and shipped inside the package as ppms_kernels/_native*.so, which ``import ppms_kernels`` loads with
torch.ops.load_library. Install torch first and build with ``pip install --no-build-isolation -e .``: an isolated
build would fetch its own, unpinned torch."""
import os
import re
import shutil
import subprocess
from pathlib import Path

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
VERSION = re.search(r"project\(ppms VERSION ([0-9.]+)", (ROOT / "CMakeLists.txt").read_text()).group(1)


class CMakeBuild(build_ext):
    """Builds the CMake target ppms_ops against the torch this Python imports and copies it to the extension's path."""

    def build_extension(self, ext):
        import torch

        build = ROOT / "build" / "python"
        jobs = str(os.cpu_count() or 2)
        subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
                        f"-DTorch_DIR={torch.utils.cmake_prefix_path}/Torch", "-DPPMS_BUILD_TESTS=OFF",
                        "-DPPMS_BUILD_LATENCY=OFF", "-DPPMS_INSTALL=OFF", "-DPPMS_BUILD_TORCH_OPS=ON"], check=True)
        subprocess.run(["cmake", "--build", str(build), "--target", "ppms_ops", "-j", jobs], check=True)
        built = build / "libppms_ops.so"
        if not built.exists():
            raise RuntimeError(f"CMake did not build {built}: is torch's CMake package usable? (see the output above)")
        out = Path(self.get_ext_fullpath(ext.name))
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, out)


setup(
    name="ppms_kernels",
    version=VERSION,
    description="Fast, faithful PP-MobileSeg kernels and model for PyTorch",
    python_requires=">=3.10",
    packages=find_packages(include=["ppms_kernels", "ppms_kernels.*"]),
    ext_modules=[Extension("ppms_kernels._native", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    install_requires=["torch>=2.4", "numpy", "tqdm"],
    entry_points={"console_scripts": ["ppms=ppms_kernels.tools.cli:main"]},
)
