"""``ppms bench``: every row runs, is checked against the reference, and lands in the JSON, table and plot."""
import json

import pytest
import torch

from ppms_kernels import benchmark
from ppms_kernels.cli import main
from ppms_kernels.models import pp_mobileseg

# torch.compile of the eager network is left to bench/ (its compile alone takes minutes on 2 cores).
ROWS = ["eager", "eager_vim", "ppms", "compile_ppms", "ort", "ort_net"]


def test_bench_runs_every_row(tmp_path, capsys):
    out, png = tmp_path / "b.json", tmp_path / "b.png"
    assert main(["bench", "--variants", "tiny", "--size", "64", "--warmup", "1", "--repeat", "2", "--threads", "2",
                 "--rows", *ROWS, "--json", str(out), "--plot", str(png)]) == 0
    data = json.loads(out.read_text())
    rows = {r["row"]: r for r in data["results"]}
    assert list(rows) == ROWS
    for r in rows.values():
        assert not r["error"], r
        assert r["median_ms"] > 0 and r["runs"] == 2 and r["threads"] == 2
    assert data["environment"]["torch"] == torch.__version__
    assert png.stat().st_size > 10_000
    table = capsys.readouterr().out
    assert "(c) ppms: optimize() + exact VIM" in table and "vs (a)" in table


def test_check_rejects_wrong_labels():
    model = pp_mobileseg("tiny", num_classes=7).eval()
    x = torch.rand(1, 3, 64, 48)
    ref = benchmark.Reference(model, x)
    good = ref.labels["argmax"].clone()
    assert benchmark.check("ppms", good, ref) == 0
    bad = good.clone()
    bad[0, 10:20, 10:20] = (bad[0, 10:20, 10:20] + 1) % 7
    with pytest.raises(AssertionError, match="differ beyond near-ties"):
        benchmark.check("ppms", bad, ref)
    with pytest.raises(AssertionError):
        benchmark.check("ort_net", ref.logits * 1.01, ref)


def test_bench_refuses_unknown_rows(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--rows", "eager", "nope"])
    assert "unknown row" in capsys.readouterr().err
