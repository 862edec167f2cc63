"""Official PaddleSeg weights: a safe ``.pdparams`` reader, conversion to a torch state dict, checked loading.

A ``.pdparams`` file is a pickle of ``{name: numpy array}`` plus a ``StructuredToParameterName@@`` entry.
Unpickling an untrusted file can run arbitrary code, so it is read with an unpickler that resolves only the
few numpy globals an array needs; anything else is refused before it is called. Files are told apart by their
content, not their name: a zip (``torch.save``) or torch's older pickle is a torch state dict, loaded with
``weights_only=True``; another pickle is a ``.pdparams``.
"""
import io
import os
import pickle
import re

import numpy as np
import torch

from .pp_mobileseg import LOAD_AFTER_FUSE, PPMobileSeg

STRUCTURE_KEY = "StructuredToParameterName@@"

_ZIP_MAGIC = b"PK\x03\x04"
# torch.save's pre-zip format: a protocol-2 pickle of this magic number, then the state dict
_TORCH_LEGACY_MAGIC = pickle.dumps(torch.serialization.MAGIC_NUMBER, protocol=2)
# (what a file starts with, what it is, what to do): files that are often mistaken for weights
_NOT_WEIGHTS = [
    (b"\x00\x00\x00\x00", "what looks like a Paddle inference parameter file (.pdiparams, from export)",
     "use the training checkpoint model.pdparams of the PaddleSeg release"),
    (b"<", "an HTML or XML page (a failed download?)", "download the file again"),
    (b"PPMSMODL", "a .ppms model file (ppms export)",
     "it runs without PyTorch, on ppms_run or the C++ API (ppms::Model::load); here, pass the .pdparams or .pt "
     "weights it was exported from"),
]


def _latin1_bytes(text, encoding):
    # Protocol-2 pickles store bytes as _codecs.encode(str, "latin1"); no other codec is needed (or allowed).
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise WeightFileError(f"refusing _codecs.encode with {encoding!r}: a .pdparams file only needs latin1")
    return text.encode("latin1")


# (module, name) pairs an array pickle needs; numpy 2 moved numpy.core to numpy._core.
_ALLOWED_GLOBALS = {
    (mod, name): obj
    for mods, name, obj in [
        (("numpy.core.multiarray", "numpy._core.multiarray"), "_reconstruct", np._core.multiarray._reconstruct),
        (("numpy.core.multiarray", "numpy._core.multiarray"), "scalar", np._core.multiarray.scalar),
        (("numpy",), "ndarray", np.ndarray),
        (("numpy",), "dtype", np.dtype),
        (("collections",), "OrderedDict", dict),
        (("_codecs",), "encode", _latin1_bytes),
    ]
    for mod in mods
}


class WeightFileError(ValueError):
    """A weight file that is malformed, unsafe, or does not fit the model."""


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise WeightFileError(
                f"refusing to load {module}.{name}: a .pdparams file may only contain numpy arrays") from None

    def persistent_load(self, pid):
        raise WeightFileError("refusing persistent ids: not a .pdparams file")


def _kind(data, path):
    """``"torch"`` or ``"paddle"``, from the first bytes of a weight file; anything else is refused."""
    if data.startswith(_ZIP_MAGIC) or data.startswith(_TORCH_LEGACY_MAGIC):
        return "torch"
    if len(data) > 2 and data[0] == pickle.PROTO[0] and 2 <= data[1] <= pickle.HIGHEST_PROTOCOL:
        return "paddle"
    if not data:
        raise WeightFileError(f"{path}: empty file")
    for magic, what, advice in _NOT_WEIGHTS:
        if data.startswith(magic):
            raise WeightFileError(f"{path}: not a weight file but {what}: {advice}")
    raise WeightFileError(f"{path}: not a weight file (starts with {data[:8]!r}): expected a PaddleSeg .pdparams "
                          f"(a pickle) or a torch state dict (torch.save)")


def _read(path):
    with open(path, "rb") as f:
        data = f.read()
    return data, _kind(data, path)


def _unpickle_pdparams(data, path):
    try:
        # latin1: Python 2 pickles store array bytes as str, which numpy turns back into bytes this way
        obj = _RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
    except WeightFileError as e:
        raise WeightFileError(f"{path}: {e}") from None
    except Exception as e:  # truncated or corrupted pickles raise many different types
        raise WeightFileError(f"{path}: not a readable .pdparams file (truncated or corrupted?): "
                              f"{type(e).__name__}: {e}") from None
    if not isinstance(obj, dict):
        raise WeightFileError(f"{path}: expected a dict of arrays, found {type(obj).__name__}")
    obj.pop(STRUCTURE_KEY, None)
    for k, v in obj.items():
        if not isinstance(k, str):
            raise WeightFileError(f"{path}: parameter names must be strings, found {k!r}")
        if not isinstance(v, np.ndarray) or v.dtype.kind not in "fiub":
            what = v.dtype if isinstance(v, np.ndarray) else type(v).__name__
            raise WeightFileError(f"{path}: parameter {k!r} is not a numeric array ({what})")
    return obj


def read_pdparams(path):
    """Read a PaddleSeg ``.pdparams`` file safely (any pickle protocol from 2). Returns ``{name: np.ndarray}``
    without the structure key."""
    data, kind = _read(path)
    if kind != "paddle":
        raise WeightFileError(f"{path}: a torch state dict, not a PaddleSeg .pdparams: load it with load_model or "
                              f"load_weights")
    return _unpickle_pdparams(data, path)


def _torch_load(data, path):
    try:
        sd = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as e:
        msg = str(e)
        found = re.search(r"GLOBAL ([\w.]+)", msg)
        if found:
            raise WeightFileError(f"{path}: refusing to load {found[1]}: a torch weight file may only hold tensors; "
                                  f"where it was made, save the state dict alone "
                                  f"(torch.save(model.state_dict(), path))") from None
        # torch's messages advise weights_only=False, which would run whatever the file holds: never passed on.
        inner = re.search(r"WeightsUnpickler error: ([^\n]*)", msg)
        detail = inner[1] if inner else msg.split(". ")[0]
        if "weights_only" in detail or "Weights only" in detail:
            detail = ""
        raise WeightFileError(f"{path}: not a readable torch weight file (truncated or corrupted?): "
                              f"{type(e).__name__}: {detail}") from None
    if not isinstance(sd, dict) or not all(isinstance(k, str) and torch.is_tensor(v) for k, v in sd.items()):
        raise WeightFileError(f"{path}: expected a state dict of tensors")
    return sd


def paddle_to_torch(params):
    """Rename Paddle parameters to torch names: BN ``_mean``/``_variance`` -> ``running_mean``/``running_var``,
    plus ``num_batches_tracked``. Conv weights are ``[out, in/groups, kh, kw]`` in both, so nothing is transposed."""
    sd = {}
    for k, v in params.items():
        t = torch.from_numpy(np.ascontiguousarray(v))
        if k.endswith("._mean"):
            sd[k[: -len("_mean")] + "running_mean"] = t
        elif k.endswith("._variance"):
            prefix = k[: -len("_variance")]
            sd[prefix + "running_var"] = t
            sd[prefix + "num_batches_tracked"] = torch.tensor(0)
        else:
            sd[k] = t
    return sd


def torch_to_paddle(sd):
    """The inverse of :func:`paddle_to_torch`: numpy arrays under Paddle's names (no ``num_batches_tracked``)."""
    params = {}
    for k, v in sd.items():
        if k.endswith("num_batches_tracked"):
            continue
        if k.endswith("running_mean"):
            k = k[: -len("running_mean")] + "_mean"
        elif k.endswith("running_var"):
            k = k[: -len("running_var")] + "_variance"
        params[k] = v.detach().cpu().numpy()
    return params


def infer_config(sd):
    """``(variant, num_classes)`` of a converted state dict, read off its keys and the classifier's shape."""
    head = "decode_head.conv_seg.weight"
    if head not in sd:
        raise WeightFileError(f"no {head!r}: not a PP-MobileSeg checkpoint")
    variant = "tiny" if "backbone.inj_module.embedding_list.2.conv.weight" in sd else "base"
    return variant, int(sd[head].shape[0])


def check_state_dict(model, sd):
    """Raise :class:`WeightFileError` naming every missing, unexpected or mis-shaped key."""
    if model.is_fused():
        raise WeightFileError(LOAD_AFTER_FUSE)
    want = model.state_dict()
    missing = [k for k in want if k not in sd]
    unexpected = [k for k in sd if k not in want]
    shapes = [f"{k}: file {tuple(sd[k].shape)} vs model {tuple(want[k].shape)}"
              for k in want if k in sd and sd[k].shape != want[k].shape]
    # load_state_dict would cast integer arrays into float parameters without a word
    types = [f"{k}: file {sd[k].dtype} vs model {want[k].dtype}"
             for k in want if k in sd and sd[k].is_floating_point() != want[k].is_floating_point()]
    problems = []
    for title, items in (("missing", missing), ("unexpected", unexpected), ("mis-shaped", shapes),
                         ("mis-typed", types)):
        if items:
            shown = ", ".join(items[:8]) + (f", ... ({len(items)} in all)" if len(items) > 8 else "")
            problems.append(f"{title} keys: {shown}")
    if problems:
        raise WeightFileError(f"weights do not fit PP-MobileSeg-{model.variant} "
                              f"({model.num_classes} classes): " + "; ".join(problems))
    for k, v in sd.items():
        if v.is_floating_point() and not torch.isfinite(v).all():
            raise WeightFileError(f"parameter {k!r} contains NaN or Inf")


def read_state_dict(path):
    """A torch state dict from a PaddleSeg ``.pdparams`` (converted) or a torch state dict file (``weights_only``
    load), told apart by content."""
    data, kind = _read(os.fspath(path))
    return paddle_to_torch(_unpickle_pdparams(data, path)) if kind == "paddle" else _torch_load(data, path)


def load_weights(model, path):
    """Load official (``.pdparams``) or converted (``.pt``) weights into ``model``, strictly. Returns ``model``."""
    sd = read_state_dict(path)
    check_state_dict(model, sd)
    model.load_state_dict(sd, strict=True)
    return model


def load_model(path, upsample="vim", vim_mode="exact"):
    """Build the PP-MobileSeg variant a weight file describes and load it, in eval mode."""
    sd = read_state_dict(path)
    variant, num_classes = infer_config(sd)
    model = PPMobileSeg(variant, num_classes, upsample, vim_mode)
    check_state_dict(model, sd)
    model.load_state_dict(sd, strict=True)
    return model.eval()


def convert(src, dst):
    """Convert a PaddleSeg ``.pdparams`` to a torch ``.pt`` state dict, validated against the model; ``dst``'s
    folder is created if missing, and ``dst`` must not be ``src``. Returns ``(variant, num_classes)``."""
    if os.path.isdir(dst):
        raise ValueError(f"{dst} is a folder: give the output file's name, e.g. {os.path.join(dst, 'model.pt')}")
    if os.path.exists(dst) and os.path.exists(src) and os.path.samefile(src, dst):
        raise ValueError(f"{dst} is the input file: refusing to overwrite it, give another output name")
    sd = paddle_to_torch(read_pdparams(src))
    variant, num_classes = infer_config(sd)
    check_state_dict(PPMobileSeg(variant, num_classes), sd)
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    torch.save(sd, dst)
    return variant, num_classes
