"""``nn.save`` / ``nn.load``: module and optimizer state as ``.npz`` archives, never pickled.

Files are written with ``np.savez`` (numeric arrays plus a format tag and, for optimizers, the
param-group options as a JSON string) and read with ``np.load(..., allow_pickle=False)``: a file
holding object arrays or pickled data is refused, never executed.

A path ending in ``.safetensors`` is written and read with the ``safetensors`` package's NumPy API
instead (``pip install 'autograd_engine[safetensors]'``), the format PyTorch and Hugging Face
tools share: the same flat names and arrays, the format tag and optimizer options in the file's
text metadata. ``safetensors.torch.load_file`` reads a saved module's file into a torch
``state_dict``, and a file that ``safetensors.torch.save_file`` wrote loads into the matching
``nn`` model.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from collections import OrderedDict
from typing import Any

import numpy as np

import autograd_engine as ag

from .module import Module
from .optim.optimizer import Optimizer

__all__ = ["load", "save"]

_FORMAT_KEY = "__nn_format__"
_GROUPS_KEY = "__param_groups__"
_MODULE, _OPTIMIZER, _ARRAYS = "nn.module.v1", "nn.optimizer.v1", "nn.arrays.v1"
_DEFLATE_MAX_RATIO = 1032  # deflate never expands data by more than this factor
_READ_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError, zlib.error, MemoryError)


def _numeric(name: str, value: Any) -> np.ndarray:
    if isinstance(value, ag.Tensor):
        value = value.data
    arr = np.asarray(value)
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"nn.save: '{name}' has dtype {arr.dtype}; only numeric arrays can be "
                        "saved (no objects or strings, so files never need pickle)")
    return arr


def save(obj: Any, path: str | os.PathLike) -> None:
    """Save a Module's ``state_dict``, an Optimizer's ``state_dict`` or a flat dict of arrays to
    ``path`` as ``.npz`` (NumPy appends ``.npz`` when the name lacks it), or as ``.safetensors``
    when ``path`` ends so (needs the ``safetensors`` package).

    >>> import os, tempfile
    >>> import nn
    >>> model = nn.Linear(3, 2)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
    >>> nn.save(model, path)
    >>> other = nn.load(path, nn.Linear(3, 2))
    >>> bool((other.weight.data == model.weight.data).all())
    True
    >>> list(nn.load(path))
    ['weight', 'bias']
    """
    arrays: dict[str, np.ndarray] = {}
    if isinstance(obj, Module):
        for k, v in obj.state_dict().items():
            arrays[k] = _numeric(k, v)
        kind = _MODULE
    elif isinstance(obj, Optimizer):
        sd = obj.state_dict()
        for idx, st in sd["state"].items():
            for k, v in st.items():
                arrays[f"state/{idx}/{k}"] = _numeric(f"state[{idx}][{k}]", v)
        try:
            arrays[_GROUPS_KEY] = np.array(json.dumps(sd["param_groups"]))
        except TypeError as exc:
            raise TypeError(f"nn.save: optimizer options must be numbers, bools, strings, lists "
                            f"or None: {exc}") from None
        kind = _OPTIMIZER
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f"nn.save: dict keys must be strings, got {k!r}")
            if k.startswith("__"):
                raise ValueError(f"nn.save: keys starting with '__' are reserved, got {k!r}")
            arrays[k] = _numeric(k, v)
        kind = _ARRAYS
    else:
        raise TypeError(f"nn.save: can save an nn.Module, an optimizer or a dict of arrays, not "
                        f"{type(obj).__name__}")
    arrays[_FORMAT_KEY] = np.array(kind)
    if _is_safetensors(path):
        _save_safetensors(arrays, path)
    else:
        np.savez(path, **arrays)


def _is_safetensors(path: str | os.PathLike) -> bool:
    return os.fspath(path).endswith(".safetensors")


def _safetensors_numpy(fn: str) -> Any:
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError(f"nn.{fn}: .safetensors files need the safetensors package: pip install "
                          "'autograd_engine[safetensors]' (or pip install safetensors)") from None
    return safetensors.numpy


def _save_safetensors(arrays: dict[str, np.ndarray], path: str | os.PathLike) -> None:
    """The arrays as tensors; the format tag and optimizer options (strings) as metadata."""
    st = _safetensors_numpy("save")
    from safetensors import SafetensorError

    metadata = {k: str(arrays.pop(k)) for k in (_FORMAT_KEY, _GROUPS_KEY) if k in arrays}
    try:
        st.save_file(arrays, os.fspath(path),
                     metadata=metadata)
    except (SafetensorError, ValueError, TypeError) as exc:  # a dtype it has no code for
        raise TypeError(f"nn.save: cannot write {os.fspath(path)} as safetensors ({exc}); dtypes "
                        f"{sorted({str(v.dtype) for v in arrays.values()})}") from None


def _read_safetensors(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Tensors plus the metadata strings, as the ``.npz`` reader returns them."""
    st = _safetensors_numpy("load")
    from safetensors import safe_open

    p = os.fspath(path)
    try:
        arrays = st.load_file(p)
        with safe_open(p, framework="np") as f:
            metadata = f.metadata() or {}
    except FileNotFoundError:
        raise
    except Exception as exc:  # a truncated, forged or foreign file (SafetensorError, ...)
        raise ValueError(f"nn.load: refusing to load {p}: it is not a valid .safetensors file "
                         f"({type(exc).__name__}: {exc})") from None
    for k in (_FORMAT_KEY, _GROUPS_KEY):
        if k in metadata:
            arrays[k] = np.array(metadata[k])
    return arrays


def _read(path: str | os.PathLike) -> dict[str, np.ndarray]:
    p = os.fspath(path)
    if not os.path.exists(p) and os.path.exists(p + ".npz"):
        p += ".npz"
    try:
        data = np.load(p, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise _refuse(p, exc) from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"nn.load: {p} holds a single .npy array, not an .npz archive written by "
                         "nn.save")
    try:
        archive_size = os.path.getsize(p)
        for info in data.zip.infolist():
            _check_member(p, data.zip, info, archive_size)
        return {k: data[k] for k in data.files}
    except _Refused:
        raise
    except _READ_ERRORS as exc:
        raise _refuse(p, exc) from None
    finally:
        data.close()


class _Refused(ValueError):
    """A refusal whose message already says what is wrong (not wrapped again by ``_refuse``)."""


def _check_member(p: str, z: zipfile.ZipFile, info: zipfile.ZipInfo, archive_size: int) -> None:
    """Refuse a member that is not a ``.npy`` array, or whose header declares more data than the
    member can hold, before NumPy allocates the array (a forged header could ask for terabytes)."""
    name = info.filename
    if not name.endswith(".npy"):
        raise _Refused(f"nn.load: refusing to load {p}: member {name!r} is not a .npy array "
                         "(a torch.save or other zip file?); only archives written by nn.save or "
                         "np.savez are loaded, and nothing is ever unpickled")
    with z.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"unsupported .npy format version {version} in member {name!r}")
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read_header(f)
        header_size = f.tell()
    declared = math.prod(shape) * dtype.itemsize
    # What the member can really hold: its stored bytes (at most the file's size), expanded by at
    # most deflate's ratio, and never more than the uncompressed size the zip directory records.
    stored = min(info.compress_size, archive_size)
    if info.compress_type == zipfile.ZIP_STORED:
        capacity = stored
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        capacity = stored * _DEFLATE_MAX_RATIO
    else:
        capacity = info.file_size
    capacity = max(min(capacity, info.file_size) - header_size, 0)
    if declared > capacity:
        raise _Refused(f"nn.load: refusing to load {p}: member {name!r} declares a {dtype} array "
                         f"of shape {shape} ({declared:,} bytes) but holds at most {capacity:,} "
                         "bytes of data (a forged or corrupted header)")


def _refuse(p: str, exc: Exception) -> ValueError:
    return ValueError(f"nn.load: refusing to load {p}: it is not a valid .npz archive of numeric "
                      f"arrays ({type(exc).__name__}: {exc}). Files that need pickle (object "
                      "arrays, torch.save/pickle files) are never loaded")


def load(path: str | os.PathLike, into: Module | Optimizer | None = None) -> Any:
    """Load what :func:`save` wrote, with ``np.load(allow_pickle=False)``.

    Without ``into`` it returns the state: an ``OrderedDict`` of arrays for a module (pass it to
    ``load_state_dict``), a ``{"state", "param_groups"}`` dict for an optimizer, a dict for a dict.
    With ``into`` (a Module or Optimizer) it loads the state into it (strictly: missing, unexpected
    or mis-shaped keys raise, listing them) and returns it. Pickled files, object arrays and
    truncated or foreign files raise ``ValueError``. A path ending in ``.safetensors`` is read with
    the ``safetensors`` package (also files written by ``safetensors.torch.save_file``).

    >>> import os, tempfile
    >>> import numpy as np
    >>> import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "bad.npz")
    >>> np.savez(path, weight=np.array([{"a": 1}], dtype=object))  # pickles the dict
    >>> nn.load(path)
    Traceback (most recent call last):
    ...
    ValueError: nn.load: refusing to load ...
    """
    arrays = _read_safetensors(path) if _is_safetensors(path) else _read(path)
    kind = str(arrays.pop(_FORMAT_KEY)) if _FORMAT_KEY in arrays else None
    if kind == _OPTIMIZER:
        if _GROUPS_KEY not in arrays:
            raise ValueError(f"nn.load: {path} is tagged as optimizer state but has no param groups")
        try:
            groups = json.loads(str(arrays.pop(_GROUPS_KEY)))
        except json.JSONDecodeError as exc:
            raise ValueError(f"nn.load: corrupt optimizer options in {path}: {exc}") from None
        state: dict = {}
        for key, arr in arrays.items():
            parts = key.split("/")
            if len(parts) != 3 or parts[0] != "state" or not parts[1].isdigit():
                raise ValueError(f"nn.load: unexpected entry {key!r} in optimizer file {path}")
            state.setdefault(int(parts[1]), {})[parts[2]] = arr.item() if arr.ndim == 0 else arr
        result: Any = {"state": state, "param_groups": groups}
    elif kind in (_MODULE, _ARRAYS, None):
        result = OrderedDict(arrays) if kind != _ARRAYS else dict(arrays)
    else:
        raise ValueError(f"nn.load: {path} has unknown format tag {kind!r}")

    if into is None:
        return result
    if isinstance(into, Module):
        if kind == _OPTIMIZER:
            raise ValueError(f"nn.load: {path} holds optimizer state, not a module's; load it "
                             "into the optimizer")
        try:
            into.load_state_dict(result, strict=True)
        except (RuntimeError, TypeError) as exc:
            raise RuntimeError(f"nn.load: {path} does not match the model "
                               f"{type(into).__name__}:\n{exc}") from None
        return into
    if isinstance(into, Optimizer):
        if kind != _OPTIMIZER:
            raise ValueError(f"nn.load: {path} does not hold optimizer state (format {kind!r})")
        try:
            into.load_state_dict(result)
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"nn.load: {path} does not match the optimizer: {exc}") from None
        return into
    raise TypeError(f"nn.load: 'into' must be an nn.Module or an optimizer, got {type(into).__name__}")
