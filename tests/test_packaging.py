"""The package as a user installs it: the build system (pyproject.toml, setup.py, the sdist and the wheel), the
declared dependencies and extras, scripts/setup.sh's install check, the ``ppms`` entry points and the metadata.

One test here compiles the op library (``test_sdist_builds_a_wheel_that_installs_and_runs``: sdist -> wheel without
build isolation -> a fresh venv, a few minutes); the isolated routes, which also install torch into build
environments, are ``-m slow``."""
import ast
import email.parser
import hashlib
import importlib
import importlib.machinery
import json
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import time
import tomllib
import zipfile
from pathlib import Path

import pytest
import torch

import ppms_kernels
from ppms_kernels._extras import require
from ppms_kernels.tools import bench
from ppms_kernels.tools.cli import main

ROOT = Path(__file__).parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
VERSION = re.search(r"project\(ppms VERSION ([0-9.]+)", (ROOT / "CMakeLists.txt").read_text()).group(1)
TORCH_PIN = re.search(r"^TORCH_VERSION=(\S+)$", (ROOT / "scripts" / "setup.sh").read_text(), re.M).group(1)
CORE = {"torch", "numpy", "tqdm"}
# Run in their own interpreters (Paddle's packages, the ExecuTorch venv), never imported by the package.
OWN_INTERPRETER = {"tools/paddle_run.py", "tools/executorch_run.py"}
DISTRIBUTION = {"PIL": "Pillow"}  # import name -> distribution, where they differ
MODULES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "ppms_kernels").rglob("*.py"))


def test_extension_owns_the_ppms_namespace():
    assert "OpenMP" in ppms_kernels.build_info()
    # A second TORCH_LIBRARY(ppms) is refused only because the extension already defined the namespace.
    with pytest.raises(RuntimeError, match="ppms"):
        torch.library.Library("ppms", "DEF")


# ---- 1. the build system

def test_build_requirement_is_the_pinned_torch():
    """An isolated build compiles against the build environment's torch: exactly the project's, so that pip cannot
    fetch another (multi-GB CUDA) build for it."""
    torch_reqs = [r for r in PYPROJECT["build-system"]["requires"] if re.match(r"torch\b", r)]
    assert torch_reqs == [f"torch=={TORCH_PIN}"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", TORCH_PIN)


def test_backend_asks_for_cmake_only_without_a_new_enough_one(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    backend = importlib.import_module("build_backend")
    for version, wanted in [(None, ["cmake>=3.21"]), ("3.20.6", ["cmake>=3.21"]), ("3.25.1", [])]:
        bindir = tmp_path / str(version)
        bindir.mkdir()
        if version:
            (bindir / "cmake").write_text(f"#!/bin/sh\necho 'cmake version {version}'\n")
            (bindir / "cmake").chmod(0o755)
        monkeypatch.setenv("PATH", str(bindir))
        assert backend.cmake_requirement() == wanted, version


def test_every_subpackage_ships(tmp_path):
    subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.py")) == MODULES


def _hook(name, out):
    """Calls the PEP 517 hook ``name`` of the project's backend as a frontend without isolation does; returns the
    name of what it made in ``out``."""
    code = f"import sys; sys.path.insert(0, 'scripts'); import build_backend; print(build_backend.{name}(sys.argv[1]))"
    done = subprocess.run([sys.executable, "-c", code, str(out)], cwd=ROOT, check=True, capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def sdist(tmp_path_factory):
    out = tmp_path_factory.mktemp("sdist")
    return out / _hook("build_sdist", out)


def test_sdist_holds_everything_the_build_needs(sdist):
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    needed = ["CMakeLists.txt", "setup.py", "pyproject.toml", "MANIFEST.in", "README.md", "LICENSE",
              "scripts/build_backend.py", *MODULES]
    for folder in ("csrc", "cmake", "tests/cpp", "bench/cpp"):
        needed += [p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*") if p.is_file()]
    assert any(n.startswith("csrc/include/ppms/") and n.endswith(".h") for n in needed)
    assert not [n for n in needed if n not in names]
    assert not [n for n in names if n.endswith((".so", ".pyc"))]


def test_sdist_builds_a_wheel_that_installs_and_runs(sdist, tmp_path):
    """The round trip of a user: the sdist -> a wheel (the one compile of the op library here) -> a fresh venv,
    where the command, ``python -m ppms_kernels``, every subpackage and the tiny model work. The venv sees this
    interpreter's packages (torch, ...) through a .pth file but not its ppms_kernels, and installs from no index:
    the declared dependencies must be met by what is there."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps", str(sdist),
                    "-w", str(tmp_path)], check=True, capture_output=True)
    wheel, = tmp_path.glob("ppms_kernels-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = z.read(f"{info}/entry_points.txt").decode()
    assert not [m for m in MODULES if m not in names]
    assert f"ppms_kernels/_native{importlib.machinery.EXTENSION_SUFFIXES[0]}" in names
    assert f"{info}/licenses/LICENSE" in names
    assert {n.split("/")[0] for n in names} == {"ppms_kernels", info}
    assert "ppms = ppms_kernels.tools.cli:main" in entry_points

    deps = tmp_path / "deps"
    deps.mkdir()
    for p in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not p.name.lower().startswith(("ppms_kernels", "__editable__")):
            (deps / p.name).symlink_to(p)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "deps.pth").write_text(f"{deps}\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-index", str(wheel)],
                   check=True, capture_output=True)

    def run(*cmd):
        return subprocess.run(cmd, cwd=tmp_path, check=True, capture_output=True, text=True).stdout

    assert run(venv / "bin" / "ppms", "--version").startswith(f"ppms_kernels {VERSION} (torch ")
    assert "{bench,segment,convert,export-onnx,export}" in run(python, "-m", "ppms_kernels", "--help")
    out = run(python, "-c", "import torch, ppms_kernels, ppms_kernels.models, ppms_kernels.ops.triton\n"
                            "m = ppms_kernels.optimize(ppms_kernels.pp_mobileseg('tiny').eval())\n"
                            "print(ppms_kernels.__file__, tuple(m(torch.rand(1, 3, 64, 48)).shape))")
    assert out.split() == [str(Path(site) / "ppms_kernels" / "__init__.py"), "(1,", "64,", "48)"]


@pytest.mark.slow
def test_isolated_builds_in_a_fresh_venv(tmp_path):
    """``python -m build`` (sdist, then the wheel from it), ``pip install <sdist>`` and ``pip install <checkout>``,
    each in an isolated build environment, from a fresh venv holding only the pinned torch: three compiles and torch
    installed four times (about 15 minutes on 2 cores). ``pip install <checkout>`` builds in the checkout's
    build/python, so the next editable build there configures CMake afresh."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    # What an isolated build would fetch for torch: refuse to go on where it is not the CPU build.
    report = tmp_path / "torch.json"
    subprocess.run([*pip, "install", "-q", "--dry-run", "--ignore-installed", "--no-deps", "--report", str(report),
                    f"torch=={TORCH_PIN}"], check=True, capture_output=True)
    torch_version = json.loads(report.read_text())["install"][0]["metadata"]["version"]
    if not torch_version.endswith("+cpu"):
        pytest.skip(f"torch=={TORCH_PIN} resolves to {torch_version} here, not the CPU build (multi-GB)")
    subprocess.run([*pip, "install", "-q", f"torch=={TORCH_PIN}", "build"], check=True, capture_output=True)

    def run(*cmd):
        done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    dist = tmp_path / "dist"
    run(venv / "bin" / "python", "-m", "build", "--outdir", str(dist), str(ROOT))
    sdist, = dist.glob("*.tar.gz")
    assert len(list(dist.glob("*.whl"))) == 1
    probe = ("import torch, ppms_kernels\n"
             "m = ppms_kernels.pp_mobileseg('tiny').eval()\n"
             "print(ppms_kernels.__file__, tuple(m(torch.rand(1, 3, 32, 32)).shape))")
    for source in (sdist, ROOT):
        run(*pip, "uninstall", "-q", "-y", "ppms_kernels")
        run(*pip, "install", "-q", str(source))  # with its dependencies: numpy and tqdm come from the index
        assert run(venv / "bin" / "python", "-c", probe).split()[1:] == ["(1,", "32,", "32)"]
        assert run(venv / "bin" / "ppms", "--version").startswith(f"ppms_kernels {VERSION}")


# ---- 2. dependencies and extras

def _requires(tree):
    """(module, extra) of every ``require("module", "extra")`` call in ``tree``."""
    return [tuple(a.value for a in n.args) for n in ast.walk(tree)
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "require"]


def test_every_third_party_import_is_declared():
    """The package imports only the standard library, its core dependencies and, through ``require``, modules that
    the extra it names declares; a plain import of an optional module only after its ``require``."""
    extras = {name: {re.split(r"[<>=;\[ ]", r)[0] for r in reqs}
              for name, reqs in PYPROJECT["project"]["optional-dependencies"].items()}
    bad = []
    for path in (ROOT / "ppms_kernels").rglob("*.py"):
        if path.relative_to(ROOT / "ppms_kernels").as_posix() in OWN_INTERPRETER:
            continue
        tree = ast.parse(path.read_text())
        required = set()
        for module, extra in _requires(tree):
            top = module.split(".")[0]
            required.add(top)
            if DISTRIBUTION.get(top, top) not in extras.get(extra, ()):
                bad.append(f"{path.name}: require({module!r}, {extra!r}), but [{extra}] does not declare it")
        for n in ast.walk(tree):
            names = [a.name for a in n.names] if isinstance(n, ast.Import) else \
                [n.module] if isinstance(n, ast.ImportFrom) and not n.level else []
            for top in {m.split(".")[0] for m in names} - set(sys.stdlib_module_names) - CORE - {"ppms_kernels"}:
                if top not in required:
                    bad.append(f"{path.name}: imports {top}, neither a core dependency nor require()d")
    assert not bad, bad
    assert ("PIL.Image", "images") in _requires(ast.parse((ROOT / "ppms_kernels/tools/segment.py").read_text()))


def test_missing_extras_are_named(tmp_path, monkeypatch, capsys):
    for module in ("PIL", "PIL.Image", "matplotlib", "onnxruntime", "triton", "triton.language"):
        monkeypatch.setitem(sys.modules, module, None)  # import raises ModuleNotFoundError
    for module in [m for m in sys.modules if m.startswith("ppms_kernels.ops.triton.")]:
        monkeypatch.delitem(sys.modules, module)

    assert main(["segment", str(tmp_path / "any.png")]) == 2
    assert main(["bench", "--plot", str(tmp_path / "p.png")]) == 2  # refused before any timing
    for module in ("ray", "ray.data"):  # ray.data may be imported by an earlier test
        monkeypatch.setitem(sys.modules, module, None)
    assert main(["segment", str(tmp_path / "any.png"), "--ray"]) == 2  # refused before any work
    err = capsys.readouterr().err
    assert "ray.data is not installed: pip install 'ppms_kernels[ray]'" in err
    assert "PIL.Image is not installed: pip install 'ppms_kernels[images]'" in err
    assert "matplotlib is not installed: pip install 'ppms_kernels[plot]'" in err

    row = bench.Row("g", "ort", "(e) ORT", lambda: bench._ort(None, None), lambda out: 0)
    result, = bench.run([row], warmup=1, repeat=1, progress=False)
    assert result.error == "onnxruntime is not installed: pip install 'ppms_kernels[bench]'"

    importlib.import_module("ppms_kernels.ops.triton")  # the package imports; its kernels need triton
    with pytest.raises(ImportError, match=re.escape("pip install 'ppms_kernels[gpu]'")):
        importlib.import_module("ppms_kernels.ops.triton.upsample_argmax")


def test_require_lets_a_broken_module_say_what_is_broken(tmp_path, monkeypatch):
    (tmp_path / "broken.py").write_text("import ppms_missing_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as e:
        require("broken", "images")
    assert e.value.name == "ppms_missing_dependency" and "ppms_kernels[" not in str(e.value)
    assert require("json", "images").dumps(1) == "1"


# ---- 3. scripts/setup.sh's install check

@pytest.mark.parametrize("installed", ["this checkout", "another checkout"])
def test_setup_sh_reinstalls_unless_this_checkout_is_installed(tmp_path, installed):
    """setup.sh in a checkout whose op library is built and up to date, its .venv holding a ppms_kernels (this
    checkout's or another's) and a stand-in pip that logs its calls: it reinstalls exactly when the installed
    package is not this checkout's."""
    checkout, other = tmp_path / "checkout", tmp_path / "other"
    (checkout / "scripts").mkdir(parents=True)
    (checkout / "scripts" / "setup.sh").write_text((ROOT / "scripts" / "setup.sh").read_text())
    for tree in (checkout, other):
        (tree / "ppms_kernels").mkdir(parents=True)
        (tree / "ppms_kernels" / "__init__.py").write_text("")
    for folder in ("csrc", "cmake"):
        (checkout / folder).mkdir()
        (checkout / folder / "f").write_text("")
    sources = [checkout / f for f in ("csrc/f", "cmake/f", "CMakeLists.txt", "setup.py", "pyproject.toml")]
    for f in sources:
        f.touch()
        os.utime(f, (time.time() - 3600,) * 2)
    (checkout / "ppms_kernels" / "_native.so").touch()

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(checkout / ".venv")], check=True)
    site = checkout / ".venv" / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    log = tmp_path / "pip.log"
    (site / "pip").mkdir()
    (site / "pip" / "__init__.py").write_text("")
    (site / "pip" / "__main__.py").write_text(f"import sys\nopen({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + "
                                              f"'\\n')\n")
    (site / "installed.pth").write_text(f"{checkout if installed == 'this checkout' else other}\n")

    done = subprocess.run(["bash", "scripts/setup.sh"], cwd=checkout, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rebuilt = "--no-build-isolation -e ." in (log.read_text() if log.exists() else "")
    assert rebuilt == (installed == "another checkout"), done.stdout


# ---- 4. entry points and metadata

def test_version_and_python_m_are_the_ppms_command(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"ppms_kernels {VERSION} (torch {torch.__version__})"
    done = subprocess.run([sys.executable, "-m", "ppms_kernels", "convert", str(ROOT / "missing.pdparams"), "x.pt"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.startswith("ppms convert: error:")


def test_metadata(tmp_path):
    meta = email.parser.Parser().parsestr((tmp_path / _hook("prepare_metadata_for_build_wheel", tmp_path) /
                                           "METADATA").read_text())
    assert (meta["Name"], meta["Version"], meta["Requires-Python"]) == ("ppms_kernels", VERSION, ">=3.10")
    assert "PP-MobileSeg" in meta["Summary"]
    assert meta["Description-Content-Type"] == "text/markdown"
    assert meta.get_payload().strip() == (ROOT / "README.md").read_text().strip()
    major, minor = torch.__version__.split(".")[:2]
    requires = meta.get_all("Requires-Dist")
    assert [r for r in requires if "extra ==" not in r] == [f"torch=={major}.{minor}.*", "numpy", "tqdm"]
    assert set(meta.get_all("Provides-Extra")) == {"images", "plot", "bench", "gpu", "ray", "test"}
    assert 'Pillow; extra == "images"' in requires and 'triton; extra == "gpu"' in requires
    assert any(u.startswith("Paper, https://arxiv.org/abs/2304.05152") for u in meta.get_all("Project-URL"))
    assert "Topic :: Scientific/Engineering :: Image Recognition" in meta.get_all("Classifier")
    assert (meta["License-Expression"], meta.get_all("License-File")) == ("Apache-2.0", ["LICENSE"])


def test_license_is_the_apache_2_0_text():
    """PaddleSeg's licence, verbatim: the SHA-256 of https://www.apache.org/licenses/LICENSE-2.0.txt."""
    digest = hashlib.sha256((ROOT / "LICENSE").read_bytes()).hexdigest()
    assert digest == "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
