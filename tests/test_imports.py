"""Imports inside the package run one way, tools -> models -> ops -> the native library: the import graph of its
modules (every import statement, at module level or inside a function) has no cycle, and no layer imports a layer
above it."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ppms_kernels"
LAYERS = ["ops", "models", "tools"]  # each may import only the ones before it (and package-level helpers)


def module_name(path, root):
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path, root, modules):
    """The package modules that ``path`` imports; ``from X import y`` counts as X.y when that is a module."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in modules:  # a name inside a module: the module
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def graph(root=PACKAGE):
    files = {module_name(p, root): p for p in root.rglob("*.py")}
    return {m: imports(p, root, files) for m, p in files.items()}


def find_cycle(g):
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in sorted(g.get(m, ())):
            if state.get(n) == "open":
                return stack[stack.index(n):] + [n]
            if n not in state and (c := visit(n)):
                return c
        stack.pop()
        state[m] = "done"

    for m in sorted(g):
        if m not in state and (c := visit(m)):
            return c
    return None


def layer(module):
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_no_import_cycle():
    g = graph()
    assert len(g) > 20
    # Package __init__ files re-export their children: the edge from a child to its own package's __init__ (Python
    # imports the parent first anyway) is not a dependency on the siblings.
    g = {m: {n for n in deps if not m.startswith(n + ".")} for m, deps in g.items()}
    assert find_cycle(g) is None, " -> ".join(find_cycle(g))


def test_layers_import_downwards_only():
    bad = [f"{m} -> {n}" for m, deps in graph().items() for n in deps
           if layer(m) is not None and layer(n) is not None and layer(n) > layer(m)]
    assert not bad, bad


def test_the_checker_sees_a_cycle(tmp_path):
    pkg = tmp_path / "ppms_kernels"
    (pkg / "ops").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "ops" / "__init__.py").write_text("")
    (pkg / "ops" / "a.py").write_text("def f():\n    from .b import g\n")  # lazy: still an edge
    (pkg / "ops" / "b.py").write_text("from ppms_kernels.ops import a\n")
    assert find_cycle(graph(pkg)) == ["ppms_kernels.ops.a", "ppms_kernels.ops.b", "ppms_kernels.ops.a"]
