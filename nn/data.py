"""``DataLoader``: mini-batches over in-memory arrays, with seeded shuffling."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

import autograd_engine as ag

__all__ = ["DataLoader"]


class DataLoader:
    """Iterate over ``arrays`` (equal length along axis 0) in batches of ``batch_size``.

    Each batch is a tuple of Tensors, one per array (a single Tensor when one array is given).
    ``shuffle=True`` draws a new order every epoch from a generator seeded with ``seed`` (so runs
    are reproducible; ``seed=None`` uses the generator seeded by ``ag.manual_seed``).
    ``drop_last`` drops a final incomplete batch; ``len(loader)`` is the number of batches.
    ``dtype`` optionally casts floating arrays (e.g. ``np.float32``); integer arrays such as
    class labels are left alone.

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
    """

    def __init__(self, *arrays: Any, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None, dtype: Any = None) -> None:
        if not arrays:
            raise ValueError("DataLoader needs at least one array")
        if len(arrays) == 1 and isinstance(arrays[0], tuple):
            arrays = arrays[0]
        arrs = []
        for a in arrays:
            a = a.data if isinstance(a, ag.Tensor) else np.asarray(a)
            if a.ndim == 0:
                raise ValueError("DataLoader: arrays must have a leading (sample) axis")
            if dtype is not None and a.dtype.kind == "f":
                a = a.astype(dtype)
            arrs.append(a)
        n = len(arrs[0])
        if any(len(a) != n for a in arrs):
            raise ValueError(f"DataLoader: arrays differ in length (axis 0): "
                             f"{[len(a) for a in arrs]}; pass one entry per sample in each")
        if (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
                or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r}")
        self.arrays, self.batch_size = arrs, int(batch_size)
        self.shuffle, self.drop_last = shuffle, drop_last
        self._rng = np.random.default_rng(seed) if seed is not None else None

    @property
    def dataset_size(self) -> int:
        """Number of samples."""
        return len(self.arrays[0])

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
            batch = tuple(ag.Tensor(a[idx]) for a in self.arrays)
            yield batch[0] if len(batch) == 1 else batch
