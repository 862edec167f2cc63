"""README's Python snippet, run as written: a new user copies it first."""
import os
import re

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _snippet(section):
    text = open(os.path.join(ROOT, "README.md")).read()
    body = text.split(f"\n## {section}\n", 1)[1]
    return re.search(r"```python\n(.*?)```", body, re.S).group(1)


def test_the_python_snippet_runs_verbatim(capsys):
    scope = {}
    exec(compile(_snippet("Python"), "README.md", "exec"), scope)
    assert scope["labels"].shape == (1, 512, 512) and scope["labels"].dtype == torch.int64
    assert scope["logits"].shape == (1, 150, 32, 32)
    assert scope["model"].engine is not None  # optimize() ran the engine
    assert "torch.Size([1, 512, 512]) torch.Size([1, 150, 32, 32])" in capsys.readouterr().out


def test_the_dataset_snippet_runs_after_it(capsys):
    scope = {}
    exec(compile(_snippet("Python"), "README.md", "exec"), scope)
    exec(compile(_snippet("Command line"), "README.md", "exec"), scope)
    assert capsys.readouterr().out.endswith("(480, 640)\n(480, 640)\n(480, 640)\n")
