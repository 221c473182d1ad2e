"""Ops without a gradient: the comparisons (``x < y``, ...) and ``all``, ``any``, ``argmax``,
``argmin``.

One class, :class:`NonDifferentiable`, runs the NumPy function it is given. Its results are
boolean or integer, so ``Function.apply`` never records them: they carry no history and stop
gradients, as in PyTorch. (Inside gradient rules, a constant of the derivative is read with
``ops._util.stop_gradient`` instead, which cuts a Tensor from the graph without an op.)
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ..function import Op
from ..tensor import Tensor
from ._util import Axis


class NonDifferentiable(Op):
    """Applies ``fn`` (a NumPy function or an ``operator`` comparison) to the arrays; its boolean or
    integer result is never part of the graph.

    >>> import numpy as np
    >>> import autograd_engine as ag
    >>> NonDifferentiable.apply(ag.Tensor([1.0, 3.0]), 2.0, fn=np.greater)
    Tensor([False,  True])
    """

    @staticmethod
    def forward(ctx, *arrays, fn, **params):
        return fn(*arrays, **params)

    @classmethod
    def _forward_error(cls, exc: Exception, arrays: list, params: dict) -> Exception:
        # name the function the user called (argmax, lt, ...), not this class
        err = super()._forward_error(exc, arrays, params)
        name = getattr(params.get("fn"), "__name__", cls.__name__)
        try:
            return type(err)(str(err).replace(cls.__name__, name, 1))
        except TypeError:
            return err


def comparison(op: Callable) -> Callable:
    """The Tensor operator ``__lt__`` (etc.) for ``op`` (``operator.lt``, etc.)."""

    def method(self: Tensor, other: Any) -> Tensor:
        return NonDifferentiable.apply(self, other, fn=op)

    method.__name__ = method.__qualname__ = f"__{op.__name__}__"
    method.__doc__ = f"``x {_SYMBOLS[op]} y`` elementwise, as a bool Tensor (no gradient)."
    return method


_SYMBOLS = {operator.lt: "<", operator.le: "<=", operator.gt: ">", operator.ge: ">=",
            operator.eq: "==", operator.ne: "!="}
#: The comparison operators of Tensor.
COMPARISONS = {f"__{op.__name__}__": comparison(op) for op in _SYMBOLS}


def all_(self: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Whether all elements (along ``axis``) are true, as a bool Tensor.

    >>> import autograd_engine as ag
    >>> (ag.Tensor([1.0, 2.0]) > 0).all()
    Tensor(True)
    """
    return NonDifferentiable.apply(self, fn=np.all, axis=axis, keepdims=keepdims)


def any_(self: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Whether any element (along ``axis``) is true, as a bool Tensor.

    >>> import autograd_engine as ag
    >>> (ag.Tensor([1.0, -2.0]) > 0).any()
    Tensor(True)
    """
    return NonDifferentiable.apply(self, fn=np.any, axis=axis, keepdims=keepdims)


def argmax(self: Tensor, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the largest element (along ``axis``), as an int64 Tensor (``np.argmax``).

    >>> import autograd_engine as ag
    >>> ag.Tensor([[1.0, 3.0], [4.0, 2.0]]).argmax(axis=1)
    Tensor([1, 0], dtype=int64)
    """
    return NonDifferentiable.apply(self, fn=np.argmax, axis=axis, keepdims=keepdims)


def argmin(self: Tensor, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the smallest element (along ``axis``), as an int64 Tensor (``np.argmin``).

    >>> import autograd_engine as ag
    >>> ag.Tensor([[1.0, 3.0], [4.0, 2.0]]).argmin(axis=1)
    Tensor([0, 1], dtype=int64)
    """
    return NonDifferentiable.apply(self, fn=np.argmin, axis=axis, keepdims=keepdims)
