import glob
import os

from setuptools import setup
from torch.utils.cpp_extension import BuildExtension, CppExtension

ext = CppExtension(
    "ppms_kernels._C",
    sorted(glob.glob("csrc/**/*.cpp", recursive=True)),
    include_dirs=[os.path.abspath("csrc")],
    # -ffp-contract=off: the scalar and SIMD kernels must round identically (no implicit FMA).
    extra_compile_args={"cxx": ["-O3", "-fopenmp", "-std=c++17", "-ffp-contract=off"]},
    extra_link_args=["-fopenmp"],
)

setup(
    name="ppms_kernels",
    version="0.1.0",
    description="Fast, faithful PP-MobileSeg kernels and model for PyTorch",
    python_requires=">=3.10",
    # models/ ships as ppms_kernels.models, never as a top-level `models` package.
    packages=["ppms_kernels", "ppms_kernels.models"],
    package_dir={"ppms_kernels": "ppms_kernels", "ppms_kernels.models": "models"},
    ext_modules=[ext],
    cmdclass={"build_ext": BuildExtension},
    install_requires=["torch>=2.4", "numpy", "tqdm"],
    entry_points={"console_scripts": ["ppms=ppms_kernels.cli:main"]},
)
