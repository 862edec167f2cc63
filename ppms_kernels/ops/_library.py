"""Loads the native op library, which registers ``torch.ops.ppms``: the one CMake builds into the package
(``_native*.so``), or the one ``PPMS_OPS_LIBRARY`` names (an emulator or a board with a cross-built library)."""
import importlib.machinery
import os
from pathlib import Path

import torch


def _path():
    env = os.environ.get("PPMS_OPS_LIBRARY")
    if env:
        if not os.path.isfile(env):
            raise ImportError(f"PPMS_OPS_LIBRARY={env!r} is not a file")
        return env
    here = Path(__file__).resolve().parent.parent
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        if (here / f"_native{suffix}").is_file():
            return str(here / f"_native{suffix}")
    raise ImportError(f"the ppms op library (_native*.so) is not in {here}: build it with "
                      "`pip install --no-build-isolation -e .` (scripts/setup.sh), or set PPMS_OPS_LIBRARY")


PATH = _path()
torch.ops.load_library(PATH)
