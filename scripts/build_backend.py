"""The PEP 517 build backend (pyproject.toml): setuptools', which also asks for CMake from PyPI where the machine has
none new enough for CMakeLists.txt, so that an isolated build needs no CMake installed beforehand."""
import re
import shutil
import subprocess
from pathlib import Path

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F401,F403 (the hooks used as they are)


def cmake_requirement():
    """``["cmake>=X.Y"]`` (X.Y: CMakeLists.txt's minimum) unless a new enough ``cmake`` is on PATH, else ``[]``."""
    text = (Path(__file__).resolve().parent.parent / "CMakeLists.txt").read_text()
    need = re.search(r"cmake_minimum_required\(VERSION ([0-9.]+)\)", text).group(1)
    exe = shutil.which("cmake")
    if exe:
        have = re.search(r"version (\d+)\.(\d+)", subprocess.run([exe, "--version"], capture_output=True,
                                                                 text=True).stdout)
        if have and tuple(map(int, have.groups())) >= tuple(map(int, need.split(".")[:2])):
            return []
    return [f"cmake>={need}"]


def get_requires_for_build_wheel(config_settings=None):
    return build_meta.get_requires_for_build_wheel(config_settings) + cmake_requirement()


def get_requires_for_build_editable(config_settings=None):
    return build_meta.get_requires_for_build_editable(config_settings) + cmake_requirement()
