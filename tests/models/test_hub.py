"""Official weights by name: download with a progress bar into the torch hub cache, cache hits, SHA-256 checks, and
refusal of truncated or non-weight downloads, against a loopback HTTP server serving files the tests make."""
import hashlib
import http.server
import threading

import pytest
import torch

from ppms_kernels import WeightFileError, pp_mobileseg
from ppms_kernels.models import Weights, download_weights, hub

from helpers import paddle_state, randomise, write_pdparams


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        if self.path not in self.server.files:
            self.send_error(404)
            return
        body, claimed = self.server.files[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(claimed or len(body)))
        self.end_headers()
        self.wfile.write(body)  # fewer bytes than claimed: the connection closes early

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.files, httpd.requests = {}, []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory):
    """A tiny, 7-class model with random weights and its .pdparams bytes."""
    model = randomise(pp_mobileseg("tiny", num_classes=7), seed=11).eval()
    path = write_pdparams(tmp_path_factory.mktemp("hub") / "model.pdparams", paddle_state(model))
    return model, path.read_bytes()


@pytest.fixture
def hub_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    assert torch.hub.get_dir() == str(tmp_path / "torch" / "hub")
    return tmp_path / "torch" / "hub" / "checkpoints"


def _serve(server, monkeypatch, body, claimed=None, variant="tiny", num_classes=7, sha256=None):
    """``body`` as the official ``variant`` ADE20K file (of ``num_classes``) on the loopback server."""
    server.files["/model.pdparams"] = (body, claimed)
    url = f"http://127.0.0.1:{server.server_port}/model.pdparams"
    monkeypatch.setitem(hub.OFFICIAL, (variant, Weights.ADE20K), hub.OfficialFile(url, num_classes, sha256))


def test_official_urls_are_recorded_once_without_invented_hashes():
    assert {k: v.url for k, v in hub.OFFICIAL.items()} == {
        ("base", Weights.ADE20K): "https://bj.bcebos.com/paddleseg/dygraph/ade20k/pp_mobileseg_base/model.pdparams",
        ("tiny", Weights.ADE20K): "https://bj.bcebos.com/paddleseg/dygraph/ade20k/pp_mobileseg_tiny/model.pdparams"}
    assert all(v.sha256 is None and v.num_classes == 150 for v in hub.OFFICIAL.values())


def test_download_progress_cache_hit_and_strict_load(server, monkeypatch, hub_dir, tiny_file, capsys):
    model, body = tiny_file
    _serve(server, monkeypatch, body)
    loaded = pp_mobileseg("tiny", weights="ade20k")
    err = capsys.readouterr().err
    assert f"downloading http://127.0.0.1:{server.server_port}/model.pdparams" in err and "100%" in err
    assert (hub_dir / "pp_mobileseg_tiny_ade20k.pdparams").read_bytes() == body
    assert [p.name for p in hub_dir.iterdir()] == ["pp_mobileseg_tiny_ade20k.pdparams"]  # no partial file left
    state = loaded.state_dict()
    for k, v in model.state_dict().items():
        assert torch.equal(state[k], v), k
    # Cache hit: no request, no progress bar; the enum member and the name are the same weights.
    again = pp_mobileseg("tiny", weights=Weights.ADE20K, sha256=hashlib.sha256(body).hexdigest().upper())
    assert server.requests == ["/model.pdparams"] and capsys.readouterr().err == ""
    assert torch.equal(again.decode_head.conv_seg.weight, model.decode_head.conv_seg.weight)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(again.eval()(x), model(x))


def test_progress_can_be_turned_off(server, monkeypatch, hub_dir, tiny_file, capsys):
    _serve(server, monkeypatch, tiny_file[1])
    assert download_weights("tiny", "ADE20K", progress=False) == str(hub_dir / "pp_mobileseg_tiny_ade20k.pdparams")
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("pinned_by", ["user", "table"])
def test_sha256_mismatch_is_refused_and_nothing_cached(server, monkeypatch, hub_dir, tiny_file, pinned_by):
    body = tiny_file[1]
    wrong = hashlib.sha256(body + b"x").hexdigest()
    _serve(server, monkeypatch, body, sha256=wrong if pinned_by == "table" else None)
    with pytest.raises(WeightFileError, match=f"SHA-256 {hashlib.sha256(body).hexdigest()}, expected {wrong}: "
                                              f"refused"):
        pp_mobileseg("tiny", weights="ade20k", sha256=wrong if pinned_by == "user" else None, progress=False)
    assert not hub_dir.exists() or not any(hub_dir.iterdir())


def test_cached_file_with_another_hash_is_refused(server, monkeypatch, hub_dir, tiny_file):
    _serve(server, monkeypatch, tiny_file[1])
    download_weights("tiny", "ade20k", progress=False)
    with pytest.raises(WeightFileError, match="cached file's SHA-256 is not 0{64}: delete it"):
        pp_mobileseg("tiny", weights="ade20k", sha256="0" * 64)
    with pytest.raises(ValueError, match="64 hexadecimal digits"):
        pp_mobileseg("tiny", weights="ade20k", sha256="abc")


@pytest.mark.parametrize("case", ["short", "cut", "html", "missing", "other_variant"])
def test_bad_downloads_are_refused_and_nothing_cached(server, monkeypatch, hub_dir, tiny_file, case):
    body = tiny_file[1]
    variant = "base" if case == "other_variant" else "tiny"
    served, claimed, error, match = {
        "short": (body[: len(body) // 2], len(body), WeightFileError, f"stopped at {len(body) // 2} of {len(body)} "
                                                                      f"bytes"),
        "cut": (body[: len(body) // 2], None, WeightFileError, "did not give a PP-MobileSeg weight file: .*truncated"),
        "html": (b"<html><body>Access denied</body></html>", None, WeightFileError, "HTML .*failed download"),
        "missing": (None, None, OSError, "could not download .*Not Found.*--weights PATH to the ppms "
                                              "command, load_weights"),
        "other_variant": (body, None, WeightFileError, "holds PP-MobileSeg-tiny weights for 7 classes, not base"),
    }[case]
    _serve(server, monkeypatch, served, claimed, variant=variant)
    if served is None:
        server.files.clear()
    with pytest.raises(error, match=match):
        pp_mobileseg(variant, weights="ade20k", progress=False)
    assert not hub_dir.exists() or not any(hub_dir.iterdir())


@pytest.mark.parametrize("claimed", [True, False])
def test_oversized_downloads_are_refused_and_nothing_cached(server, monkeypatch, hub_dir, tiny_file, claimed):
    body = tiny_file[1]
    monkeypatch.setattr(hub, "MAX_BYTES", len(body) - 1)
    _serve(server, monkeypatch, body)
    if not claimed:  # no Content-Length: caught while reading
        monkeypatch.setattr(_Handler, "send_header", lambda self, k, v: None if k == "Content-Length" else
                            http.server.BaseHTTPRequestHandler.send_header(self, k, v))
    with pytest.raises(WeightFileError, match=f"more than {len(body) - 1} bytes"):
        pp_mobileseg("tiny", weights="ade20k", progress=False)
    assert not hub_dir.exists() or not any(hub_dir.iterdir())


def test_bad_names_and_arguments():
    with pytest.raises(ValueError, match=r"weights must be one of \['ade20k'\].*load_weights"):
        pp_mobileseg("tiny", weights="imagenet")
    with pytest.raises(ValueError, match="ade20k weights have 150 classes, not 19"):
        pp_mobileseg("tiny", num_classes=19, weights="ade20k")
    with pytest.raises(ValueError, match="give weights= too"):
        pp_mobileseg("tiny", sha256="0" * 64)
    assert pp_mobileseg("tiny").num_classes == 150


def test_cli_takes_the_official_weights_by_name(server, monkeypatch, hub_dir, tiny_file, tmp_path):
    from ppms_kernels.models import export_ppms, read_ppms
    from ppms_kernels.tools.cli import main

    model, body = tiny_file
    _serve(server, monkeypatch, body)
    assert main(["export", str(tmp_path / "a.ppms"), "--variant", "tiny", "--weights", "ade20k"]) == 0
    assert read_ppms(str(tmp_path / "a.ppms"))["classes"] == 7
    assert (tmp_path / "a.ppms").read_bytes() == open(export_ppms(model, str(tmp_path / "b.ppms")), "rb").read()
