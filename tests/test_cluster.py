"""``ppms segment --ray`` and ``ppms_kernels.tools.cluster`` on a local Ray cluster (loopback only): the same files,
byte for byte, as the one-machine path; labels equal to the one-image path; unreadable images reported; an actor
killed mid-job restarted by Ray, its batch retried, and every image's files there, whole, once."""
import filecmp
import os

import numpy as np
import pytest
import torch
from PIL import Image

from ppms_kernels.models import pp_mobileseg
from ppms_kernels.tools import cluster, segment
from ppms_kernels.tools.cli import main

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'ppms_kernels[ray]')")
pytest.importorskip("ray.data", reason="Ray Data is not installed (pip install 'ppms_kernels[ray]')")


@pytest.fixture(scope="module")
def local_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _dataset(folder, n=24):
    """``n`` images of four sizes, grey and RGBA among them, in two folders."""
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        h, w = [(40, 48), (33, 64), (64, 40), (48, 48)][i % 4]
        path = folder / ("a" if i % 3 else "b") / f"{i}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        im = Image.fromarray((rng.random((h, w, 4)) * 255).astype(np.uint8), "RGBA")
        (im if i % 5 == 0 else im.convert("L" if i % 7 == 0 else "RGB")).save(path)
        paths.append(path)
    return paths


def _same_trees(a, b):
    files = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file()) and files
    match, mismatch, errors = filecmp.cmpfiles(a, b, files, shallow=False)
    assert not mismatch and not errors, (mismatch, errors)


def test_ray_writes_the_one_machine_files(tmp_path, local_cluster, capsys):
    _dataset(tmp_path / "photos")
    assert main(["segment", str(tmp_path / "photos"), "--variant", "tiny", "--out", str(tmp_path / "one")]) == 0
    assert main(["segment", str(tmp_path / "photos"), "--variant", "tiny", "--out", str(tmp_path / "ray"),
                 "--ray", "--batch", "2"]) == 0
    assert "24 images in" in capsys.readouterr().out
    _same_trees(tmp_path / "one", tmp_path / "ray")


def test_label_dataset_gives_each_image_its_labels(tmp_path, local_cluster):
    paths = _dataset(tmp_path, n=6)
    (tmp_path / "cut.png").write_bytes(paths[1].read_bytes()[:60])
    torch.manual_seed(0)
    model = pp_mobileseg("tiny").eval()
    arrays = [np.asarray(segment.read_image(p)) for p in paths[:2]]
    items = [str(p) for p in paths] + [str(tmp_path / "cut.png")]
    rows = cluster.label_dataset(ray.data.from_items([{"path": p} for p in items]), model, batch_size=3).take_all()
    images = cluster.label_dataset(ray.data.from_items([{"image": a, "i": i} for i, a in enumerate(arrays)]), model,
                                   column="image").take_all()
    ref = pp_mobileseg("tiny").eval()
    ref.load_state_dict(model.state_dict())
    by_path = {r["path"]: r for r in rows}
    with torch.inference_mode():
        for p in paths:
            rgb, x = segment.load_image(p)
            want = ref(x)[0].numpy()
            got = by_path[str(p)]
            assert got["error"] == "" and (got["labels"] != want).mean() <= 1e-3  # near-ties after optimize()
    assert by_path[str(tmp_path / "cut.png")]["labels"] is None and "cut.png" in by_path[str(tmp_path / "cut.png")][
        "error"]
    assert sorted(row["i"] for row in images) == [0, 1]  # Ray Data need not keep the order
    for row in images:
        assert (row["labels"] == by_path[str(paths[row["i"]])]["labels"]).all()


def test_an_actor_killed_mid_job_is_restarted_and_every_image_written(tmp_path, local_cluster, capsys):
    _dataset(tmp_path / "photos", n=16)
    marker = tmp_path / "killed"

    class DiesOnce(type(pp_mobileseg("tiny"))):
        """The model of an actor that dies (the whole process, as a crash or the OOM killer would) at its third
        network call, once in the job: after it wrote the files of the images before, mid-batch."""
        calls = 0

        def logits(self, x):
            DiesOnce.calls += 1
            if DiesOnce.calls == 3 and not os.path.exists(marker):
                open(marker, "w").close()
                os._exit(1)
            return super().logits(x)

    torch.manual_seed(0)
    model = pp_mobileseg("tiny").eval()
    model.__class__ = DiesOnce
    jobs, _, _ = segment.plan([str(tmp_path / "photos")], str(tmp_path / "ray"))
    written, _ = cluster.segment_files(jobs, model, batch_size=4, overlay=False)
    assert marker.exists() and written == 16  # each image reported written once
    assert main(["segment", str(tmp_path / "photos"), "--variant", "tiny", "--out", str(tmp_path / "one"),
                 "--no-overlay"]) == 0
    _same_trees(tmp_path / "one", tmp_path / "ray")  # no file missing, none half-written, no .part left
