"""The checked-in generated microkernels are what their generators write today (csrc/gen/)."""
import pathlib
import subprocess
import sys

import pytest

GENERATORS = sorted((pathlib.Path(__file__).parents[1] / "csrc" / "gen").glob("*.py"))


@pytest.mark.parametrize("generator", GENERATORS, ids=lambda p: p.name)
def test_generated_files_are_current(generator):
    r = subprocess.run([sys.executable, str(generator), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
