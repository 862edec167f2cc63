"""``ppms bench``: every row runs, is checked against the reference, is timed interleaved with its group, and lands
in the JSON, table and plot."""
import itertools
import json
import time

import pytest
import torch

from ppms_kernels.models import pp_mobileseg
from ppms_kernels.tools import bench
from ppms_kernels.tools.cli import main

# torch.compile of the eager network is left to bench/ (its compile alone takes minutes on 2 cores).
ROWS = ["eager", "eager_vim", "ppms", "ppms_net", "ppms_modules", "compile_ppms", "ort", "ort_net", "openvino",
        "openvino_net"]


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
    assert "(c) ppms: optimize() (native engine on CPU) + exact VIM" in table and "vs (a)" in table


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
    assert a.runs == b.runs == 3 and a.calls < b.calls and a.ratio == 1 and b.ratio > 1 and h.ratio == 1
    # After each row's check and warm-up call, group g's rounds alternate: a's calls, then b's, three times.
    timed = [k for k, _ in itertools.groupby(calls[calls.index("d") + 1:calls.index("e")])]
    assert timed == ["a", "b"] * 3
    assert "labels differ" in bench.table(results)


def test_bench_suites_of_the_ops(tmp_path):
    out = tmp_path / "b.json"
    assert main(["bench", "--suite", "upsample_argmax", "sea_attention", "--warmup", "1", "--repeat", "1",
                 "--json", str(out)]) == 0
    results = json.loads(out.read_text())["results"]
    assert len({r["group"] for r in results}) == 6 and not any(r["error"] for r in results)
    assert all(r["median_ms"] > 0 and r["ratio"] > 0 for r in results)  # timed; how fast is the benchmark's to say


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is here")
def test_bench_refuses_cuda_without_a_gpu(capsys):
    assert main(["bench", "--device", "cuda", "--suite", "sea_attention"]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err


def test_palette_is_paddleseg_voc_style():
    from ppms_kernels.tools.segment import palette

    p = palette()
    # The well-known first entries (PASCAL VOC colour map, which PaddleSeg's get_color_map_list generates).
    assert p[:8].tolist() == [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128], [128, 0, 128],
                              [0, 128, 128], [128, 128, 128]]
    assert p[8].tolist() == [64, 0, 0] and len({tuple(c) for c in p[:150]}) == 150


def test_segment_writes_label_map_and_overlay(tmp_path, capsys):
    import numpy as np
    from PIL import Image

    from ppms_kernels.tools.segment import load_image, palette

    img = tmp_path / "img.png"
    Image.fromarray((np.random.default_rng(0).random((61, 90, 3)) * 255).astype(np.uint8)).save(img)
    assert main(["segment", str(img), "--variant", "tiny", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "RANDOM weights" in out and " ms " in out
    colours = np.array(Image.open(tmp_path / "out_labels.png"))
    overlay = np.array(Image.open(tmp_path / "out_overlay.png"))
    assert colours.shape == overlay.shape == (61, 90, 3)
    # The same model (seed 0), unoptimised, on the same input: its labels drawn with the palette.
    torch.manual_seed(0)
    model = pp_mobileseg("tiny").eval()
    with torch.inference_mode():
        labels = model(load_image(img)[1])[0]
    assert (palette()[labels.numpy()] != colours).any(-1).mean() <= 1e-3


def test_segment_refuses_tiny_or_missing_images(tmp_path, capsys):
    import numpy as np
    from PIL import Image

    img = tmp_path / "small.png"
    Image.fromarray(np.zeros((8, 40, 3), np.uint8)).save(img)
    assert main(["segment", str(img), "--variant", "tiny"]) == 2
    assert main(["segment", str(tmp_path / "missing.png")]) == 2
    err = capsys.readouterr().err
    assert "at least 16x16" in err and "missing.png" in err


def test_bench_paddle_row_runs_the_official_model_on_our_weights(tmp_path, paddle_available):
    out = tmp_path / "b.json"
    assert main(["bench", "--variants", "tiny", "--size", "64", "--warmup", "1", "--repeat", "1",
                 "--rows", "eager_vim", "paddle", "--json", str(out)]) == 0
    rows = {r["row"]: r for r in json.loads(out.read_text())["results"]}
    assert not rows["paddle"]["error"] and rows["paddle"]["median_ms"] > 0, rows["paddle"]
