"""``DataLoader``: mini-batches with seeded shuffling, over in-memory arrays or any dataset (an
object with ``__len__`` and ``__getitem__``, such as :class:`TensorDataset`)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

import autograd_engine as ag

__all__ = ["DataLoader", "TensorDataset"]


def _array(a: Any) -> np.ndarray:
    return a.data if isinstance(a, ag.Tensor) else np.asarray(a)


class TensorDataset:
    """Samples made of the rows of equally long tensors or arrays (PyTorch's
    ``torch.utils.data.TensorDataset``): ``dataset[i]`` is the tuple of row ``i`` of each.

    >>> import autograd_engine as ag
    >>> import nn
    >>> ds = nn.data.TensorDataset(ag.zeros(5, 2), ag.tensor([0, 1, 0, 1, 1]))
    >>> len(ds), ds[1]
    (5, (Tensor([0., 0.]), Tensor(1, dtype=int64)))
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor, e.g. TensorDataset(X, y)")
        # Arrays are shared, not copied (as PyTorch's holds its tensors); lists follow ag.tensor.
        self.tensors = tuple(t if isinstance(t, ag.Tensor) else ag.from_numpy(t)
                             if isinstance(t, np.ndarray) else ag.tensor(t) for t in tensors)
        shapes = [t.shape for t in self.tensors]
        if any(len(s) == 0 for s in shapes) or len({s[0] for s in shapes}) != 1:
            raise ValueError(f"TensorDataset: tensors must have the same length along axis 0 "
                             f"(one row per sample), got shapes {shapes}")

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: Any) -> tuple[ag.Tensor, ...]:
        return tuple(ag.Tensor(t.data[index]) for t in self.tensors)


def _is_dataset(obj: Any) -> bool:
    """A dataset object rather than array-like data (arrays, Tensors and lists are data)."""
    return (hasattr(obj, "__getitem__") and hasattr(obj, "__len__")
            and not isinstance(obj, (np.ndarray, ag.Tensor, list, tuple))
            and not hasattr(obj, "__array__"))


def _collate(items: list[Any], dtype: Any) -> Any:
    """Stack a list of samples into a batch: a tuple of Tensors when samples are tuples."""
    first = items[0]
    if isinstance(first, (tuple, list)):
        return tuple(_collate([it[i] for it in items], dtype) for i in range(len(first)))
    if isinstance(first, dict):
        raise TypeError("DataLoader: dataset samples must be arrays, Tensors, numbers or tuples of "
                        "them, got a dict; return a tuple such as (x, y) from __getitem__")
    batch = np.stack([_array(it) for it in items])
    if dtype is not None and batch.dtype.kind == "f":
        batch = batch.astype(dtype)
    return ag.Tensor(batch)


class DataLoader:
    """Iterate in batches of ``batch_size`` over a dataset or over ``arrays``.

    ``DataLoader(X, y, ...)`` takes arrays or Tensors of equal length along axis 0 (the same as
    ``DataLoader(TensorDataset(X, y), ...)``); ``DataLoader(dataset, ...)`` takes any object with
    ``__len__`` and ``__getitem__`` (PyTorch's map-style dataset), whose samples, tuples of arrays,
    Tensors or numbers, are stacked into batches. Each batch is a tuple of Tensors, one per array
    or tuple field (a single Tensor when there is one). ``shuffle=True`` draws a new order every
    epoch from a generator seeded with ``seed`` (so runs are reproducible; ``seed=None`` uses the
    generator seeded by ``ag.manual_seed``). ``drop_last`` drops a final incomplete batch;
    ``len(loader)`` is the number of batches. ``dtype`` optionally casts floating arrays (e.g.
    ``np.float32``); integer arrays such as class labels are left alone. ``num_workers`` is
    accepted for PyTorch scripts; batches are always loaded in the calling process.

    >>> import numpy as np
    >>> import nn
    >>> X, y = np.arange(10.0).reshape(5, 2), np.array([0, 1, 0, 1, 1])
    >>> loader = nn.data.DataLoader(X, y, batch_size=2, shuffle=True, seed=0)
    >>> len(loader)
    3
    >>> [xb.shape for xb, yb in loader]
    [(2, 2), (2, 2), (1, 2)]
    >>> len(nn.data.DataLoader(X, y, batch_size=2, drop_last=True))
    2
    >>> class Squares:
    ...     def __len__(self): return 4
    ...     def __getitem__(self, i): return np.array([i], dtype=np.float32), i * i
    >>> [yb.tolist() for xb, yb in nn.data.DataLoader(Squares(), batch_size=3)]
    [[0, 1, 4], [9]]
    """

    def __init__(self, *arrays: Any, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None, dtype: Any = None,
                 num_workers: int = 0) -> None:
        if not arrays:
            raise ValueError("DataLoader needs a dataset or at least one array")
        if len(arrays) == 1 and isinstance(arrays[0], tuple):
            arrays = arrays[0]
        if len(arrays) == 1 and isinstance(arrays[0], TensorDataset):
            arrays = arrays[0].tensors
        if (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
                or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r}")
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), shuffle, drop_last
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self._dtype = dtype
        if len(arrays) == 1 and _is_dataset(arrays[0]):
            self.dataset, self.arrays = arrays[0], None
            return
        if any(_is_dataset(a) for a in arrays):
            raise TypeError("DataLoader: pass one dataset, DataLoader(dataset, batch_size=...), or "
                            "arrays, DataLoader(X, y, ...); not a dataset together with other data")
        arrs = []
        for a in arrays:
            a = _array(a)
            if a.ndim == 0:
                raise ValueError("DataLoader: arrays must have a leading (sample) axis")
            if dtype is not None and a.dtype.kind == "f":
                a = a.astype(dtype)
            arrs.append(a)
        n = len(arrs[0])
        if any(len(a) != n for a in arrs):
            raise ValueError(f"DataLoader: arrays differ in length (axis 0): "
                             f"{[len(a) for a in arrs]}; pass one entry per sample in each")
        self.arrays = arrs
        self.dataset = TensorDataset(*arrs)

    @property
    def dataset_size(self) -> int:
        """Number of samples."""
        return len(self.dataset)

    def __len__(self) -> int:
        n = self.dataset_size
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = self.dataset_size
        if self.shuffle:
            rng = self._rng if self._rng is not None else ag.default_generator()
            order = rng.permutation(n)
        else:
            order = None
        for b in range(len(self)):
            sl = slice(b * self.batch_size, min((b + 1) * self.batch_size, n))
            idx = order[sl] if order is not None else sl
            if self.arrays is not None:  # arrays: one vectorised index per array
                batch = tuple(ag.Tensor(a[idx]) for a in self.arrays)
            else:
                rows = idx.tolist() if order is not None else range(sl.start, sl.stop)
                batch = _collate([self.dataset[i] for i in rows], self._dtype)
            yield batch[0] if isinstance(batch, tuple) and len(batch) == 1 else batch
