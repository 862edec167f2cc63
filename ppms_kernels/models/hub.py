"""Official PaddleSeg weights by name, in torchvision's style: ``pp_mobileseg("base", weights="ade20k")`` downloads
the release's ``.pdparams`` once (progress bar) into the torch hub cache, checks it, converts it and loads it
strictly."""
import enum
import hashlib
import http.client
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

import torch

from .pp_mobileseg import PPMobileSeg
from .weights import WeightFileError, infer_config, load_weights, read_state_dict


class Weights(enum.Enum):
    """Official weights, by the data set they were trained on (``weights=Weights.ADE20K`` or ``weights="ade20k"``)."""
    ADE20K = "ade20k"


@dataclass(frozen=True)
class OfficialFile:
    url: str
    num_classes: int
    sha256: str | None = None  # None: not recorded, so not checked (pp_mobileseg(..., sha256=...) pins one)


# The one record of the official files: PaddleSeg 2.8, configs/pp_mobileseg/README.md. No SHA-256 is recorded: the
# files could not be fetched where this table was written, and a guessed one would refuse the real file.
OFFICIAL = {
    ("base", Weights.ADE20K): OfficialFile(
        "https://bj.bcebos.com/paddleseg/dygraph/ade20k/pp_mobileseg_base/model.pdparams", 150),
    ("tiny", Weights.ADE20K): OfficialFile(
        "https://bj.bcebos.com/paddleseg/dygraph/ade20k/pp_mobileseg_tiny/model.pdparams", 150),
}


def _weights(weights):
    if isinstance(weights, Weights):
        return weights
    names = {w.value: w for w in Weights}
    if isinstance(weights, str) and weights.lower() in names:
        return names[weights.lower()]
    raise ValueError(f"weights must be one of {sorted(names)} (or a ppms_kernels.models.Weights), got {weights!r}; "
                     f"for a file, use load_weights(model, path) or load_model(path)")


def _official(variant, weights):
    w = _weights(weights)
    if (variant, w) not in OFFICIAL:
        have = ", ".join(f"{v} {x.value}" for v, x in OFFICIAL)
        raise ValueError(f"no official {w.value} weights for PP-MobileSeg-{variant}; there are: {have}")
    return w, OFFICIAL[(variant, w)]


def _sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# A PP-MobileSeg .pdparams is a few tens of MB: a server that sends more is refused, not left to fill the disk.
MAX_BYTES = 1 << 30


def _download(url, dst, progress):
    """``url`` into ``dst`` whole, or an error; returns the SHA-256 of what it wrote."""
    from tqdm import tqdm

    digest = hashlib.sha256()
    too_big = f"{url}: more than {MAX_BYTES} bytes, which no PP-MobileSeg weight file is: refused"
    try:
        with urllib.request.urlopen(url, timeout=60) as r, open(dst, "wb") as f:
            total = int(r.headers.get("Content-Length") or 0) or None
            if total is not None and total > MAX_BYTES:
                raise WeightFileError(too_big)
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, disable=not progress,
                      desc=f"downloading {url}") as bar:
                while chunk := r.read(1 << 16):
                    if f.tell() + len(chunk) > MAX_BYTES:
                        raise WeightFileError(too_big)
                    f.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
    except (OSError, http.client.HTTPException) as e:  # URLError, HTTPError and timeouts are OSErrors
        reason = e.reason if isinstance(e, urllib.error.URLError) else e
        raise OSError(f"could not download {url}: {reason}; download it by other means, then pass the file: "
                      f"--weights PATH to the ppms command, load_weights(model, path) in Python") from None
    size = os.path.getsize(dst)
    if total is not None and size != total:
        raise WeightFileError(f"{url}: the download stopped at {size} of {total} bytes; try again")
    return digest.hexdigest()


def download_weights(variant, weights, sha256=None, progress=True):
    """The path of the official ``.pdparams`` of ``variant`` trained on ``weights``, in the torch hub cache
    (``torch.hub.get_dir()``/checkpoints), downloaded the first time with a progress bar. The file is checked before
    it enters the cache (complete, the expected SHA-256 where one is recorded or ``sha256`` pins one, a readable
    weight file of this variant and class count); a cached file is checked against a known SHA-256 on every call."""
    w, official = _official(variant, weights)
    want = sha256 or official.sha256
    if want is not None:
        if not re.fullmatch(r"[0-9a-fA-F]{64}", want):
            raise ValueError(f"sha256 must be 64 hexadecimal digits, got {want!r}")
        want = want.lower()
    path = os.path.join(torch.hub.get_dir(), "checkpoints", f"pp_mobileseg_{variant}_{w.value}.pdparams")
    if os.path.exists(path):
        if want and _sha256_of(path) != want:
            raise WeightFileError(f"{path}: the cached file's SHA-256 is not {want}: delete it to download it again")
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    part = f"{path}.{os.getpid()}.part"  # renamed into place only once checked: the cache never holds a bad file
    try:
        got = _download(official.url, part, progress)
        if want and got != want:
            raise WeightFileError(f"{official.url}: SHA-256 {got}, expected {want}: refused (not the official file, "
                                  f"or damaged on the way)")
        try:
            found = infer_config(read_state_dict(part))
        except WeightFileError as e:
            raise WeightFileError(f"{official.url} did not give a PP-MobileSeg weight file: {e}") from None
        if found != (variant, official.num_classes):
            raise WeightFileError(f"{official.url} holds PP-MobileSeg-{found[0]} weights for {found[1]} classes, not "
                                  f"{variant} for {official.num_classes}")
        os.replace(part, path)
    finally:
        if os.path.exists(part):
            os.remove(part)
    return path


def pp_mobileseg(variant="base", num_classes=None, upsample="vim", vim_mode="exact", weights=None, progress=True,
                 sha256=None):
    """Build PP-MobileSeg ``"tiny"`` or ``"base"``: randomly initialised (``num_classes`` default 150), or with the
    official PaddleSeg ``weights`` (a :class:`Weights` or its name, e.g. ``"ade20k"``) downloaded into the torch hub
    cache (``progress``: a progress bar; ``sha256``: pin the file's hash) and loaded strictly. Other files:
    :func:`ppms_kernels.load_weights`."""
    if weights is None:
        if sha256 is not None:
            raise ValueError("sha256 pins the file of official weights: give weights= too")
        return PPMobileSeg(variant, 150 if num_classes is None else num_classes, upsample, vim_mode)
    _, official = _official(variant, weights)
    if num_classes not in (None, official.num_classes):
        raise ValueError(f"the {variant} {_weights(weights).value} weights have {official.num_classes} classes, not "
                         f"{num_classes}")
    model = PPMobileSeg(variant, official.num_classes, upsample, vim_mode)
    return load_weights(model, download_weights(variant, weights, sha256, progress))
