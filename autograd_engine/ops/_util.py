"""Small helpers shared by the op families."""

from __future__ import annotations

import numbers
from math import prod
from typing import Any, Union

import numpy as np

from ..tensor import Tensor

TensorLike = Union[Tensor, np.ndarray, float, int]  # noqa: UP007 - evaluated at runtime on 3.10
Axis = Union[None, int, tuple[int, ...], list[int]]  # noqa: UP007


def normalize_axes(axis: Axis, ndim: int, op: str) -> tuple[int, ...]:
    """``axis`` (None, int, negative, tuple) as a sorted tuple of non-negative axes, or an error."""
    if axis is None:
        return tuple(range(ndim))
    try:
        items = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    except TypeError:  # not iterable, e.g. axis=1.0
        raise TypeError(
            f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}"
        ) from None
    out = []
    for a in items:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < max(ndim, 1 if ndim == 0 and a in (0, -1) else 0):
            # NumPy's AxisError is both a ValueError and an IndexError (PyTorch raises IndexError)
            raise np.exceptions.AxisError(
                f"{op}: axis {a} is out of bounds for an input with {ndim} dimensions; use an "
                f"axis in [{-ndim}, {ndim - 1}]" if ndim else
                f"{op}: axis {a} is out of bounds for a 0-d input; use axis=None"
            )
        out.append(int(a) % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}; list each axis once")
    return tuple(sorted(out))


def check_number(op: str, name: str, value: Any) -> None:
    """Refuse a non-numeric scalar option (``slope="a"``) before NumPy fails on it."""
    if not isinstance(value, (numbers.Number, np.number)):
        raise TypeError(f"{op}: {name} must be a number, got {value!r} ({type(value).__name__})")


def expand_reduced(grad: Any, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> Any:
    """Reshape a gradient of a reduction (over ``axes`` of ``shape``) so it broadcasts to ``shape``.
    ``grad`` is an array or a Tensor (only ``.reshape`` is used), so rules on arrays can use it."""
    if not keepdims and axes:
        kept = list(shape)
        for a in axes:
            kept[a] = 1
        grad = grad.reshape(tuple(kept))
    return grad


def stop_gradient(x: Any) -> Any:
    """``x``'s value with no gradient through it: the array behind a Tensor (cut from the graph),
    or the value itself. Rules use it for what is a constant of the derivative: masks, conditions,
    signs (``np.where(stop_gradient(x) > 0, grad, 0)``), so that a recorded rule does not
    differentiate through them.

    >>> import autograd_engine as ag
    >>> stop_gradient(ag.Tensor([1.0, -2.0], requires_grad=True)), stop_gradient(3.0)
    (array([ 1., -2.]), 3.0)
    """
    return x._data if isinstance(x, Tensor) else x


def broadcast_view(g: Any, shape: tuple[int, ...]) -> Any:
    """``np.broadcast_to(g, shape)`` for a reduction's gradient. A one-element gradient (a full
    reduction's) becomes a fresh filled array when ``shape`` is small, about 3x faster than
    ``np.broadcast_to``, and otherwise a read-only zero-stride view made directly, which costs no
    memory. Tensors dispatch to the engine's ``broadcast_to``.

    >>> broadcast_view(np.float64(2.0), (2, 3))
    array([[2., 2., 2.],
           [2., 2., 2.]])
    """
    if not isinstance(g, Tensor) and g.size == 1 and len(shape) >= g.ndim:
        if not shape:
            return g
        if prod(shape) < _FILL_MAX:
            filled = np.empty(shape, g.dtype)
            filled[...] = g
            return filled
        a = np.array(g).reshape(())  # its own buffer: the view cannot alias anything else
        view = np.ndarray(shape, a.dtype, a, 0, (0,) * len(shape))
        view.flags.writeable = False
        return view
    return np.broadcast_to(g, shape)


# Up to this many elements, filling a fresh array is cheaper than building a zero-stride view.
_FILL_MAX = 4096


def add_tangents(*terms: Any) -> Any:
    """The sum of the ``terms`` that are not None, or None if all are: a ``jvp`` rule adds up the
    contributions of the inputs that have a tangent (None stands for a zero tangent).

    >>> add_tangents(None, np.float64(2.0), None, np.float64(3.0))
    np.float64(5.0)
    """
    total = None
    for t in terms:
        if t is not None:
            total = t if total is None else total + t
    return total
