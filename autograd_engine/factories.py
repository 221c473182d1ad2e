"""Tensor factories (NumPy names) and the random generator behind ``randn``/``rand``/``randint``."""

from __future__ import annotations

import math
import numbers
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
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {seed!r} ({type(seed).__name__})")
    _rng = np.random.default_rng(int(seed) % 2**64)  # negative seeds wrap, as in PyTorch


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


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _count(fn: str, name: str, value: Any) -> int:
    """A non-negative int argument (a size or a count), or a TypeError/ValueError naming it."""
    if not _is_int(value):
        raise TypeError(f"{fn}: {name} must be an int, got {value!r} ({type(value).__name__})")
    if value < 0:
        raise ValueError(f"{fn}: {name} must be non-negative, got {value}")
    return int(value)


def _dims(fn: str, shape: Any, name: str = "shape") -> tuple[int, ...]:
    """``shape`` as a tuple of non-negative ints: an int, or a tuple/list of ints."""
    dims = (shape,) if _is_int(shape) else shape
    if not isinstance(dims, (tuple, list)) or not all(_is_int(d) for d in dims):
        raise TypeError(f"{fn}: {name} must be ints, as {fn}(2, 3) or {fn}((2, 3)), got "
                        f"{shape!r}")
    if any(d < 0 for d in dims):
        raise ValueError(f"{fn}: {name} {tuple(dims)} has a negative dimension; sizes must be "
                         "non-negative")
    return tuple(int(d) for d in dims)


def _shape(shape: tuple, fn: str) -> tuple[int, ...]:
    """The ``*shape`` of ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    if len(shape) == 1 and not _is_int(shape[0]):
        return _dims(fn, shape[0])
    return _dims(fn, shape)


def _dtype(fn: str, dtype: Any, default: Any = DEFAULT_DTYPE) -> Any:
    """``dtype`` as a NumPy dtype (``default`` when None), or a TypeError naming ``fn``."""
    if dtype is None:
        return default
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{fn}: dtype {dtype!r} is not a NumPy dtype; use e.g. np.float32, "
                        "'float64' or np.int64") from None


def _like(fn: str, t: Any) -> np.ndarray:
    a = t.data if isinstance(t, Tensor) else np.asarray(t)
    if a.dtype.kind not in "biufc":
        raise TypeError(f"{fn}: expected a Tensor or a numeric array, got {type(t).__name__} "
                        f"of dtype {a.dtype}")
    return a


def _number(fn: str, name: str, value: Any) -> Any:
    if isinstance(value, (numbers.Real, np.integer, np.floating, np.bool_)):
        return value
    raise TypeError(f"{fn}: {name} must be a number, got {value!r} ({type(value).__name__})")


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
    return _leaf(np.zeros(_shape(shape, "zeros"), dtype=_dtype("zeros", dtype)), requires_grad, name)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A tensor of ones; ``ones(2, 3)`` or ``ones((2, 3))``.

    >>> import autograd_engine as ag
    >>> ag.ones(2)
    Tensor([1., 1.])
    """
    return _leaf(np.ones(_shape(shape, "ones"), dtype=_dtype("ones", dtype)), requires_grad, name)


def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``.

    >>> import autograd_engine as ag
    >>> ag.full((2,), 7.0)
    Tensor([7., 7.])
    """
    shape = _dims("full", shape)
    if np.asarray(fill_value).dtype.kind not in "biufc":
        raise TypeError(f"full: fill_value must be a number, got {fill_value!r}")
    return _leaf(np.full(shape, fill_value, dtype=_dtype("full", dtype)), requires_grad, name)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Zeros with the shape and dtype of ``t``.

    >>> import autograd_engine as ag
    >>> ag.zeros_like(ag.Tensor([1.0, 2.0]))
    Tensor([0., 0.])
    """
    return _leaf(np.zeros_like(_like("zeros_like", t), dtype=_dtype("zeros_like", dtype, None)),
                 requires_grad, name)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Ones with the shape and dtype of ``t``.

    >>> import numpy as np
    >>> import autograd_engine as ag
    >>> ag.ones_like(np.zeros((2, 2)), dtype="float32", requires_grad=True)
    Tensor([[1., 1.],
            [1., 1.]], dtype=float32, requires_grad=True)
    """
    return _leaf(np.ones_like(_like("ones_like", t), dtype=_dtype("ones_like", dtype, None)),
                 requires_grad, name)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Evenly spaced values in ``[start, stop)`` (``np.arange``); float64 unless ``dtype``.

    >>> import autograd_engine as ag
    >>> ag.arange(3)
    Tensor([0., 1., 2.])
    """
    _number("arange", "start", start)
    if stop is None:
        start, stop = 0, start
    for arg, v in (("start", start), ("stop", stop), ("step", step)):
        if not math.isfinite(_number("arange", arg, v)):
            raise ValueError(f"arange: {arg} must be finite, got {v}")
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (stop - start) * step < 0:
        raise ValueError(f"arange: the step's sign does not lead from start {start} to stop "
                         f"{stop} (step {step}); use step={-step}, or swap start and stop")
    data = np.arange(start, stop, step)
    return _leaf(data.astype(_dtype("arange", dtype)), requires_grad, name)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        name: str | None = None) -> Tensor:
    """The identity matrix (``np.eye``).

    >>> import autograd_engine as ag
    >>> ag.eye(2)
    Tensor([[1., 0.],
            [0., 1.]])
    """
    n = _count("eye", "n", n)
    m = None if m is None else _count("eye", "m", m)
    return _leaf(np.eye(n, m, dtype=_dtype("eye", dtype)), requires_grad, name)


def linspace(start: float, stop: float, num: int = 50, dtype: Any = None,
             requires_grad: bool = False, name: str | None = None) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive (``np.linspace``).

    >>> import autograd_engine as ag
    >>> ag.linspace(0, 1, 3)
    Tensor([0. , 0.5, 1. ])
    """
    _number("linspace", "start", start)
    _number("linspace", "stop", stop)
    num = _count("linspace", "num", num)
    return _leaf(np.linspace(start, stop, num, dtype=_dtype("linspace", dtype)), requires_grad, name)


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
    data = g.standard_normal(_shape(shape, "randn"), dtype=_dtype("randn", dtype))
    return _leaf(data, requires_grad, name)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None,
         rng: np.random.Generator | None = None) -> Tensor:
    """Uniform samples in ``[0, 1)``; ``rand(2, 3)`` or ``rand((2, 3))``.

    >>> import autograd_engine as ag
    >>> bool((ag.rand(4) < 1).all())
    True
    """
    g = rng or default_generator()
    return _leaf(g.random(_shape(shape, "rand"), dtype=_dtype("rand", dtype)), requires_grad, name)


def randint(low: int, high: int | None = None, size: Any = None,
            rng: np.random.Generator | None = None) -> Tensor:
    """Random integers in ``[low, high)`` (int64), like ``np.random.Generator.integers``.

    >>> import autograd_engine as ag
    >>> ag.randint(0, 3, (5,)).dtype
    dtype('int64')
    """
    lo, hi = (0, low) if high is None else (low, high)
    for arg, v in (("low", lo), ("high", hi)):
        if not _is_int(v):
            raise TypeError(f"randint: {arg} must be an int, got {v!r} ({type(v).__name__})")
    if not lo < hi:
        raise ValueError(f"randint: low must be less than high, got low={lo} >= high={hi}")
    if size is not None:
        size = _dims("randint", size, "size")
    g = rng or default_generator()
    return Tensor._make(np.asarray(g.integers(low, high, size=size)))
