"""``ppms bench``: every row runs, is checked against the reference, is timed interleaved with its group, and lands
in the JSON, table and plot."""
import importlib.util
import itertools
import json
import os
import re
import time

import pytest
import torch

from ppms_kernels.models import pp_mobileseg
from ppms_kernels.tools import bench
from ppms_kernels.tools.cli import main

# torch.compile of the eager network is left to bench/ (its compile alone takes minutes on 2 cores).
ROWS = ["eager", "eager_vim", "ppms", "ppms_net", "ppms_modules", "compile_ppms", "ort", "ort_net", "openvino",
        "openvino_net", "ppms_bf16", "ppms_bf16_net", "openvino_default", "openvino_default_net"]


def _strict_json(text):
    """``text`` read as strict JSON parsers read it: NaN and Infinity refused."""
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))


def test_bench_runs_every_row(tmp_path, capfd, recwarn):
    out, png = tmp_path / "new" / "b.json", tmp_path / "b.png"
    assert main(["bench", "--variants", "tiny", "--size", "64", "--warmup", "1", "--repeat", "2", "--threads", "2",
                 "--rows", *ROWS, "--json", str(out), "--plot", str(png)]) == 0
    data = _strict_json(out.read_text())
    rows = {r["row"]: r for r in data["results"]}
    assert list(rows) == ROWS
    for r in rows.values():
        assert not r["error"], r
        assert r["median_ms"] > 0 and r["runs"] == 2 and r["threads"] == 2
    assert data["environment"]["torch"] == torch.__version__
    assert png.stat().st_size > 10_000
    table, err = capfd.readouterr()
    assert "(c) ppms: optimize() (native engine on CPU) + exact VIM" in table and "vs (a)" in table
    # the rows that may compute in reduced precision say in which
    assert re.search(r"OpenVINO default precision, network only \(logits\) \[(bf16|f16|f32)\]", table)
    assert re.search(r"optimize\(precision=\"bf16\"\), network only \(logits\) \[(bf16|fp32: no AVX512_BF16)\]", table)
    # Only the progress bar on stderr: no warning of the exporters, ONNX Runtime or OpenVINO, Python's or their logs'.
    assert not [str(w.message) for w in recwarn]
    assert not [line for line in err.replace("\r", "\n").splitlines() if line and "ppms bench" not in line]


@pytest.mark.parametrize("args, message", [
    (["--size", "8"], "--size: expected a whole number of at least 16 (PP-MobileSeg's smallest input), got '8'"),
    (["--size", "big"], "--size: expected a whole number of at least 16"),
    (["--batch", "0"], "--batch: expected a whole number of at least 1, got '0'"),
    (["--threads", "-2"], "--threads: expected a whole number of at least 0, got '-2'"),
    (["--repeat", "0"], "--repeat: expected a whole number of at least 1, got '0'"),
    (["--warmup", "-1"], "--warmup: expected a whole number of at least 0, got '-1'"),
    (["--busy", "-1"], "--busy: expected a whole number of at least 0, got '-1'"),
])
def test_bench_validates_its_arguments(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit):
        main(["bench", "--rows", "eager", "--variants", "tiny", "--size", "32", "--json", str(tmp_path / "b.json"),
              *args])
    assert message in capsys.readouterr().err


def test_rows_without_times_give_none_not_nan(tmp_path):
    """A group whose (a) cannot run, a row timed at 0 s and a row timed in its own process (no peak memory): what is
    not measured is None, null in the JSON, "-" in the table."""
    def missing():
        raise ImportError(name="nothing")

    rows = [bench.Row("g", "a", "(a) a", missing, lambda out: 0),
            bench.Row("g", "b", "(b) b", lambda: lambda: None, lambda out: 0),
            bench.Row("h", "c", "(a) c", lambda warmup, repeat: (None, [0.0] * repeat), lambda out: 0, True),
            bench.Row("h", "d", "(b) d", lambda warmup, repeat: (None, [1e-3] * repeat), lambda out: 0, True)]
    a, b, c, d = bench.run(rows, warmup=1, repeat=2, progress=False)
    assert (a.median_ms, a.ratio, b.ratio, c.ratio, d.ratio, c.peak_mb) == (None, None, None, None, None, None)
    assert b.median_ms > 0 and d.median_ms == 1.0
    bench.save_json([a, b, c, d], tmp_path / "b.json")
    assert [r["ratio"] for r in _strict_json((tmp_path / "b.json").read_text())["results"]] == [None] * 4
    table = bench.table([a, b, c, d])
    assert "nan" not in table.lower() and "not installed: nothing" in table
    with pytest.raises(ValueError, match="repeat must be at least 1"):
        bench.run(rows, repeat=0)


def test_ratios_compare_with_the_a_row_only(monkeypatch):
    """A group run without its (a) row shows no ratio ("-"), not 1.0x against another row; a call that grows no
    memory (an arena kept between calls) has an unknown peak, not 0.0 MB."""
    rows = [bench.Row("g", "b", "(b) b", lambda: lambda: None, lambda out: 0),
            bench.Row("g", "c", "(c) c", lambda: lambda: None, lambda out: 0),
            bench.Row("h", "a", "(a) a", lambda: lambda: time.sleep(2e-3), lambda out: 0),
            bench.Row("h", "c", "(c) c", lambda: lambda: time.sleep(1e-3), lambda out: 0)]
    b, c, ha, hc = bench.run(rows, warmup=1, repeat=2, progress=False)
    assert (b.ratio, c.ratio, ha.ratio) == (None, None, 1.0) and 1.2 < hc.ratio < 3
    assert b.peak_mb is None
    table = bench.table([b, c, ha, hc])
    assert "g (vs (a): not run)" in table and "h (vs (a): a)" in table and "1.0x" not in table.split("h (vs")[0]


def test_check_rejects_wrong_labels():
    model = pp_mobileseg("tiny", num_classes=7).eval()
    x = torch.rand(1, 3, 64, 48)
    ref = bench.Reference(model, x)
    good = ref.labels["argmax"].clone()
    assert bench.check("ppms", good, ref) == 0
    bad = good.clone()
    bad[0, 10:20, 10:20] = (bad[0, 10:20, 10:20] + 1) % 7
    with pytest.raises(AssertionError, match="differ beyond near-ties"):
        bench.check("ppms", bad, ref)
    with pytest.raises(AssertionError):
        bench.check("ort_net", ref.logits * 1.01, ref)


def test_bench_refuses_unknown_rows(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--rows", "eager", "nope"])
    assert "unknown row" in capsys.readouterr().err


def test_bench_precision_keeps_the_rows_of_that_precision(tmp_path, monkeypatch, capsys):
    asked = []
    monkeypatch.setattr(bench, "e2e", lambda device, models, rows, size, batch: asked.append(list(rows)) or [])
    json_path = str(tmp_path / "b.json")
    assert main(["bench", "--precision", "bf16", "--variants", "tiny", "--size", "32", "--json", json_path]) == 0
    assert main(["bench", "--precision", "fp32", "--rows", "ppms", "ppms_bf16", "openvino_default_net", "ort",
                 "--variants", "tiny", "--size", "32", "--json", json_path]) == 0
    assert asked == [["ppms_bf16", "ppms_bf16_net", "openvino_default", "openvino_default_net"], ["ppms", "ort"]]
    with pytest.raises(SystemExit):
        main(["bench", "--precision", "bf16", "--rows", "eager", "ort", "--json", json_path])
    assert "none of the rows ['eager', 'ort'] runs in bf16" in capsys.readouterr().err


def test_bench_takes_the_official_weights_by_name(tmp_path, monkeypatch):
    import ppms_kernels.models as models

    made, given = [], []
    monkeypatch.setattr(models, "pp_mobileseg", lambda variant, weights=None: made.append((variant, weights)) or variant)
    monkeypatch.setattr(bench, "e2e", lambda device, m, rows, size, batch: given.append(m) or [])
    assert main(["bench", "--weights", "ADE20K", "--variants", "tiny", "base", "--json", str(tmp_path / "b.json")]) == 0
    assert made == [("tiny", "ade20k"), ("base", "ade20k")] and given == [{"tiny": "tiny", "base": "base"}]


def test_run_interleaves_a_group_and_reports_rows_that_cannot_run():
    calls = []

    def row(group, key, f=lambda: None, make=None, check=lambda out: 0):
        def call():
            calls.append(key)
            return f()

        return bench.Row(group, key, f"({key}) {key}", make or (lambda: call), check)

    def missing():
        raise ImportError(name="nothing")

    def wrong(out):
        raise AssertionError("labels differ")

    rows = [row("g", "a", lambda: time.sleep(0.002)), row("g", "b"), row("g", "c", make=missing),
            row("g", "d", check=wrong), row("h", "e")]
    results = bench.run(rows, warmup=1, repeat=3, progress=False)
    assert [r.error for r in results] == ["", "", "not installed: nothing", "AssertionError: labels differ", ""]
    a, b, _, _, h = results
    assert a.runs == b.runs == 3 and a.calls < b.calls and a.ratio == 1 and b.ratio > 1 and h.ratio is None  # no (a)
    # After each row's check and warm-up call, group g's rounds alternate: a's calls, then b's, three times.
    timed = [k for k, _ in itertools.groupby(calls[calls.index("d") + 1:calls.index("e")])]
    assert timed == ["a", "b"] * 3
    assert "labels differ" in bench.table(results)


def test_rows_are_timed_in_blocks_of_consecutive_calls():
    """A row whose first call after another row's calls is slow (a thread pool waking up) is timed at its steady calls:
    blocks of at least BLOCK calls, each block's median."""
    last = []

    def row(key, wake):
        def call():
            if last[-1:] != [key]:
                time.sleep(wake)
            last.append(key)
            time.sleep(0.001)

        return bench.Row("g", key, f"({key}) {key}", lambda: call, lambda out: 0)

    a, b = bench.run([row("a", 0.03), row("b", 0.0)], warmup=1, repeat=3, progress=False)
    assert a.calls >= bench.BLOCK and b.calls >= bench.BLOCK
    assert a.median_ms < 10 and 0.5 < a.ratio and b.ratio < 2  # the 30 ms wake-ups are not a's time


def _spinners():
    """Processes running the busy loop of ``run(busy=N)``."""
    import glob

    found = []
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(path, "rb") as f:
                if b"while True: pass" in f.read():
                    found.append(path)
        except OSError:  # it ended while we looked
            pass
    return found


def test_run_times_rows_beside_busy_cores_and_stops_them():
    """busy=1: every timed row also gets a median beside a core kept busy, the table its slowdown, and the busy
    processes are gone afterwards, also when a row fails."""
    before = len(_spinners())
    work = lambda: sum(range(20000))  # noqa: E731  (CPU-bound: a busy core slows it down when it lands there)
    rows = [bench.Row("g", "a", "(a) a", lambda: work, lambda out: 0),
            bench.Row("g", "b", "(b) b", lambda: (lambda: 1 / 0), lambda out: 0)]
    results = bench.run(rows, warmup=1, repeat=2, progress=False, busy=1)
    a, b = results
    assert a.busy_ms is not None and a.busy_ms > 0 and a.runs == 2
    assert b.busy_ms is None and "ZeroDivisionError" in b.error
    assert "slowdown" in bench.table(results) and "slowdown" not in bench.table(bench.run(rows[:1], warmup=1,
                                                                                          repeat=1, progress=False))
    assert len(_spinners()) == before
    with pytest.raises(ValueError, match="CPU rows only"):
        bench.run(rows, device="cuda", busy=1, progress=False)


def test_bench_suites_of_the_ops(tmp_path):
    out = tmp_path / "b.json"
    assert main(["bench", "--suite", "upsample_argmax", "sea_attention", "--warmup", "1", "--repeat", "1",
                 "--json", str(out)]) == 0
    results = json.loads(out.read_text())["results"]
    assert len({r["group"] for r in results}) == 6 and not any(r["error"] for r in results)
    assert all(r["median_ms"] > 0 and r["ratio"] > 0 for r in results)  # timed; how fast is the benchmark's to say


def test_bench_normalise_suite_checks_equality(tmp_path):
    out = tmp_path / "b.json"
    assert main(["bench", "--suite", "normalise", "--warmup", "1", "--repeat", "1", "--json", str(out)]) == 0
    results = json.loads(out.read_text())["results"]
    assert [r["row"] for r in results][:2] == ["torch", "ppms"] and len({r["group"] for r in results}) == 3
    assert not any(r["error"] for r in results)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is here")
def test_bench_refuses_cuda_without_a_gpu(capsys):
    assert main(["bench", "--device", "cuda", "--suite", "sea_attention"]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err


def test_bench_paddle_row_runs_the_official_model_on_our_weights(tmp_path, paddle_available, capfd):
    out = tmp_path / "b.json"
    assert main(["bench", "--variants", "tiny", "--size", "64", "--warmup", "1", "--repeat", "1",
                 "--rows", "eager_vim", "paddle", "--json", str(out)]) == 0
    rows = {r["row"]: r for r in _strict_json(out.read_text())["results"]}
    assert not rows["paddle"]["error"] and rows["paddle"]["median_ms"] > 0, rows["paddle"]
    err = capfd.readouterr().err  # Paddle's own warnings stay in its process
    assert not [line for line in err.replace("\r", "\n").splitlines() if line and "ppms bench" not in line]


def test_segment_suite_times_whole_jobs(tmp_path, capsys):
    out = tmp_path / "seg.json"
    assert main(["bench", "--suite", "segment", "--variants", "tiny", "--sizes", "mixed", "--images", "5",
                 "--repeat", "2", "--batch", "2", "--json", str(out)]) == 0
    results = _strict_json(out.read_text())["results"]
    rows = ["engine alone, decoded images", "serial loop", "ppms segment (batch 2, 1 worker(s))"]
    if importlib.util.find_spec("ray") is not None:
        rows.append(f"ppms segment --ray (local, {os.cpu_count()} actors of 1 thread)")
    assert [r["row"] for r in results] == rows
    assert all(r["images_per_s"] > 0 and len(r["rounds"]) == 2 for r in results)
    assert [r["second_half"] is None for r in results][:2] == [True, True]  # not jobs of written files
    assert results[2]["second_half"] is None or results[2]["second_half"] > 0  # 5 files can share a clock tick
    assert "images/s" in capsys.readouterr().out
    assert main(["bench", "--suite", "segment", "e2e"]) == 2
    assert "runs alone" in capsys.readouterr().err


def test_second_half_rate_leaves_the_start_out(tmp_path):
    from ppms_kernels.tools.throughput import _second_half

    for k in range(32):  # a slow start: 16 label maps at once, then 2 a second
        f = tmp_path / f"{k:02d}_labels.png"
        f.write_bytes(b"")
        t = 10**9 * (100 if k < 16 else 100 + (k - 15) // 2 + 0.5 * ((k - 15) % 2))
        os.utime(f, ns=(int(t), int(t)))
    (tmp_path / "00_overlay.png").write_bytes(b"")  # not a label map: not counted
    assert _second_half(tmp_path) == pytest.approx(16 / 8.0)
    for f in list(tmp_path.iterdir())[:30]:
        f.unlink()
    assert _second_half(tmp_path) is None
