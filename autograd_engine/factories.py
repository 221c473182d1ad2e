"""Tensor factories (NumPy names) and the random generator behind ``randn``/``rand``/``randint``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .tensor import DEFAULT_DTYPE, Tensor

_rng: np.random.Generator | None = None  # made on first use: importing numpy.random costs memory


def manual_seed(seed: int) -> None:
    """Seed the generator used by ``randn``, ``rand``, ``randint`` (and ``nn`` initialisers).

    >>> import autograd_engine as ag
    >>> ag.manual_seed(0); a = ag.randn(2)
    >>> ag.manual_seed(0); bool((a == ag.randn(2)).all())
    True
    """
    global _rng
    _rng = np.random.default_rng(seed)


def default_generator() -> np.random.Generator:
    """The generator that ``manual_seed`` seeds (unseeded until then).

    >>> import autograd_engine as ag
    >>> ag.default_generator().__class__.__name__
    'Generator'
    """
    global _rng
    if _rng is None:
        _rng = np.random.default_rng()
    return _rng


def _shape(shape: tuple) -> tuple[int, ...]:
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        return tuple(shape[0])
    return tuple(int(s) for s in shape)


def _leaf(data: np.ndarray, requires_grad: bool, name: str | None = None) -> Tensor:
    t = Tensor._make(data)
    if requires_grad:
        t.requires_grad_()
    if name is not None:
        t.name = name
    return t


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> Tensor:
    """A new tensor from ``data``, with PyTorch's ``torch.tensor`` dtype rule for Python numbers:
    integers (and lists of them) become int64, so they work as class labels and indices; floats
    become the default float64. ``Tensor(...)`` instead makes every Python number a float, as
    ``torch.Tensor(...)`` does. NumPy arrays keep their dtype either way.

    >>> import autograd_engine as ag
    >>> ag.tensor([1, 2])
    Tensor([1, 2], dtype=int64)
    >>> ag.tensor([1, 2.5]), ag.Tensor([1, 2])
    (Tensor([1. , 2.5]), Tensor([1., 2.]))
    """
    if dtype is None and not isinstance(data, (Tensor, np.ndarray, np.generic)):
        try:
            kind = np.asarray(data).dtype.kind
        except ValueError:  # ragged lists: Tensor() explains
            kind = ""
        if kind in "iu" and kind:
            dtype = np.int64
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A tensor of zeros; ``zeros(2, 3)`` or ``zeros((2, 3))``.

    >>> import autograd_engine as ag
    >>> ag.zeros(2)
    Tensor([0., 0.])
    """
    return _leaf(np.zeros(_shape(shape), dtype=dtype or DEFAULT_DTYPE), requires_grad, name)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A tensor of ones; ``ones(2, 3)`` or ``ones((2, 3))``.

    >>> import autograd_engine as ag
    >>> ag.ones(2)
    Tensor([1., 1.])
    """
    return _leaf(np.ones(_shape(shape), dtype=dtype or DEFAULT_DTYPE), requires_grad, name)


def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``.

    >>> import autograd_engine as ag
    >>> ag.full((2,), 7.0)
    Tensor([7., 7.])
    """
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return _leaf(np.full(shape, fill_value, dtype=dtype or DEFAULT_DTYPE), requires_grad, name)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Zeros with the shape and dtype of ``t``.

    >>> import autograd_engine as ag
    >>> ag.zeros_like(ag.Tensor([1.0, 2.0]))
    Tensor([0., 0.])
    """
    return _leaf(np.zeros_like(np.asarray(t), dtype=dtype), requires_grad, name)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Ones with the shape and dtype of ``t``.

    >>> import autograd_engine as ag
    >>> ag.ones_like(ag.Tensor([1.0, 2.0]))
    Tensor([1., 1.])
    """
    return _leaf(np.ones_like(np.asarray(t), dtype=dtype), requires_grad, name)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Evenly spaced values in ``[start, stop)`` (``np.arange``); float64 unless ``dtype``.

    >>> import autograd_engine as ag
    >>> ag.arange(3)
    Tensor([0., 1., 2.])
    """
    data = np.arange(start, stop, step) if stop is not None else np.arange(start)
    return _leaf(data.astype(dtype or DEFAULT_DTYPE), requires_grad, name)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        name: str | None = None) -> Tensor:
    """The identity matrix (``np.eye``).

    >>> import autograd_engine as ag
    >>> ag.eye(2)
    Tensor([[1., 0.],
            [0., 1.]])
    """
    return _leaf(np.eye(n, m, dtype=dtype or DEFAULT_DTYPE), requires_grad, name)


def linspace(start: float, stop: float, num: int = 50, dtype: Any = None,
             requires_grad: bool = False, name: str | None = None) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive (``np.linspace``).

    >>> import autograd_engine as ag
    >>> ag.linspace(0, 1, 3)
    Tensor([0. , 0.5, 1. ])
    """
    return _leaf(np.linspace(start, stop, num, dtype=dtype or DEFAULT_DTYPE), requires_grad, name)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None,
          rng: np.random.Generator | None = None) -> Tensor:
    """Standard normal samples; ``randn(2, 3)`` or ``randn((2, 3))``. Uses ``rng`` if given, else
    the generator seeded by ``manual_seed``.

    >>> import autograd_engine as ag
    >>> ag.randn(2, 3).shape
    (2, 3)
    >>> ag.randn(3, requires_grad=True, name="w").name
    'w'
    """
    g = rng or default_generator()
    data = g.standard_normal(_shape(shape), dtype=np.dtype(dtype or DEFAULT_DTYPE))
    return _leaf(data, requires_grad, name)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None,
         rng: np.random.Generator | None = None) -> Tensor:
    """Uniform samples in ``[0, 1)``; ``rand(2, 3)`` or ``rand((2, 3))``.

    >>> import autograd_engine as ag
    >>> bool((ag.rand(4) < 1).all())
    True
    """
    g = rng or default_generator()
    return _leaf(g.random(_shape(shape), dtype=np.dtype(dtype or DEFAULT_DTYPE)), requires_grad, name)


def randint(low: int, high: int | None = None, size: Any = None,
            rng: np.random.Generator | None = None) -> Tensor:
    """Random integers in ``[low, high)`` (int64), like ``np.random.Generator.integers``.

    >>> import autograd_engine as ag
    >>> ag.randint(0, 3, (5,)).dtype
    dtype('int64')
    """
    g = rng or default_generator()
    return Tensor._make(np.asarray(g.integers(low, high, size=size)))
