"""Reductions: sum, mean, var, std, max, min, prod, logsumexp, and softmax / log_softmax.

``axis`` takes None, an int (negative too) or a tuple, and ``keepdims`` keeps reduced axes as size
1, both as in NumPy. Gradients are broadcast back over the reduced axes. Every rule is written with
operators, array methods and NumPy functions, so it runs on plain arrays for a first-order backward
and on Tensors under ``create_graph`` (``Function.backward_on_arrays``).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..function import Op, apply_any
from ..tensor import Tensor
from ._util import (
    Axis,
    TensorLike,
    broadcast_view,
    expand_reduced,
    normalize_axes,
    stop_gradient,
)
from .registry import register


def _tensor(x: TensorLike) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


class Sum(Op):
    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        shape = x.shape if type(x) is np.ndarray else np.shape(x)
        axes = normalize_axes(axis, len(shape), "sum")
        ctx.shape, ctx.axes, ctx.keepdims = shape, axes, keepdims
        return np.add.reduce(x, axis=axes, keepdims=keepdims)  # np.sum minus its Python layer

    @staticmethod
    def backward(ctx, grad):
        # a read-only view on arrays, as the BroadcastTo op gives on Tensors: no copy
        if grad.size != 1:  # (one value broadcasts to any shape as it is)
            grad = expand_reduced(grad, ctx.shape, ctx.axes, ctx.keepdims)
        return (broadcast_view(grad, ctx.shape),)

    @staticmethod
    def jvp(ctx, t):
        return t.sum(axis=ctx.axes, keepdims=ctx.keepdims)


@register(np.sum, kind="reduction", method=True)
def sum(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (all axes when None). Gradient: ``grad`` broadcast over reduced axes.

    >>> import autograd_engine as ag
    >>> ag.sum(ag.Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0)
    Tensor([4., 6.])
    """
    return Sum.apply(x, axis=axis, keepdims=keepdims)


@register(np.mean, kind="reduction", method=True)
def mean(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis``. Gradient: ``grad / n`` broadcast over reduced axes.

    >>> import autograd_engine as ag
    >>> ag.mean(ag.Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=-1)
    Tensor([1.5, 3.5])
    """
    x = _tensor(x)
    axes = normalize_axes(axis, x.ndim, "mean")
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    return Sum.apply(x, axis=axes, keepdims=keepdims) / n


@register(np.var, kind="reduction", params={"ddof": (0, 1)}, method=True)
def var(x: TensorLike, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom (NumPy's default 0).
    Gradient: ``grad * 2 (x - mean) / (n - ddof)``.

    >>> import autograd_engine as ag
    >>> ag.var(ag.Tensor([1.0, 2.0, 3.0, 4.0]))
    Tensor(1.25)
    """
    _check_ddof("var", ddof)
    x = _tensor(x)
    axes = normalize_axes(axis, x.ndim, "var")
    n = _values_per_slice("var", x.shape, axes, axis, ddof)
    d = x - mean(x, axis=axes, keepdims=True)
    return Sum.apply(d * d, axis=axes, keepdims=keepdims) / (n - ddof)


def _check_ddof(op: str, ddof: Any) -> None:
    if not isinstance(ddof, (numbers.Real, np.number)):
        raise TypeError(f"{op}: ddof must be a number (delta degrees of freedom), got {ddof!r}")


def _values_per_slice(op: str, shape: tuple, axes: tuple, axis: Axis, ddof: Any) -> int:
    """n, the number of values each slice of ``var``/``std`` reduces; an error when there are none
    or no more than ``ddof``."""
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    if n == 0:
        raise ValueError(
            f"{op}: cannot take the {op} of empty slices (input shape {shape}, axis {axis!r}); "
            "check the input's shape, or reduce along non-empty axes"
        )
    if n - ddof <= 0:
        raise ValueError(
            f"{op}: ddof={ddof} leaves no degrees of freedom for {n} values per slice; use a "
            "smaller ddof"
        )
    return n


class Std(Op):
    @staticmethod
    def forward(ctx, x, axis=None, ddof=0, keepdims=False):
        axes = normalize_axes(axis, np.ndim(x), "std")
        n = _values_per_slice("std", np.shape(x), axes, axis, ddof)
        ctx.axes, ctx.keepdims, ctx.n, ctx.dof = axes, keepdims, n, n - ddof
        out = np.std(x, axis=axes, ddof=ddof, keepdims=keepdims)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        shape, axes, keep = x.shape, ctx.axes, ctx.keepdims
        out_k = expand_reduced(out, shape, axes, keep)
        # A constant slice has std 0 and x - mean == 0 there: use 1 as divisor, so the gradient is 0
        safe = np.where(stop_gradient(out_k) == 0, 1.0, out_k)
        centered = x - x.sum(axis=axes, keepdims=True) / ctx.n
        return (expand_reduced(grad, shape, axes, keep) * centered / (ctx.dof * safe),)

    @staticmethod
    def jvp(ctx, t):
        x, out = ctx.saved_tensors
        safe = np.where(stop_gradient(out) == 0, 1.0, out)  # a constant slice: tangent 0, as backward
        centered = x - x.sum(axis=ctx.axes, keepdims=True) / ctx.n
        return (centered * t).sum(axis=ctx.axes, keepdims=ctx.keepdims) / (ctx.dof * safe)


@register(np.std, kind="reduction", params={"ddof": (0, 1)}, distinct=True, method=True)
def std(x: TensorLike, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Standard deviation, ``sqrt(var(x, axis, ddof))``. Gradient: ``grad * (x - mean) /
    ((n - ddof) * std)``, and 0 where the slice is constant (std has a cone point there; PyTorch
    gives NaN, we give the finite subgradient 0).

    >>> import autograd_engine as ag
    >>> ag.std(ag.Tensor([1.0, 3.0]))
    Tensor(1.)
    """
    _check_ddof("std", ddof)
    return Std.apply(x, axis=axis, ddof=ddof, keepdims=keepdims)


def _extreme(ctx: Any, x: Any, axis: Axis, keepdims: bool, reduce: Any, name: str) -> Any:
    """The forward of :class:`Max` and :class:`Min`: ``reduce`` (``np.amax``/``np.amin``) over the
    axes; saves the input and the output (the extremes) for the rules."""
    axes = normalize_axes(axis, np.ndim(x), name)
    if np.size(x) == 0 and any(np.shape(x)[a] == 0 for a in axes):
        raise ValueError(
            f"{name}: cannot reduce an empty input of shape {np.shape(x)} over axis {axis!r}: the "
            f"{name} of no values is undefined (NumPy raises too); check the input's shape, or "
            "reduce along a non-empty axis"
        )
    out = reduce(x, axis=axes, keepdims=keepdims)
    ctx.axes, ctx.keepdims = axes, keepdims
    ctx.save_for_backward(x, out)
    return out


class Max(Op):
    """max over axes; tied maxima share the gradient equally (like ``torch.amax``). :class:`Min`
    reuses the rules: they read the extremes from the saved output."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        return _extreme(ctx, x, axis, keepdims, np.amax, "max")

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        mask = stop_gradient(x) == expand_reduced(stop_gradient(out), x.shape, ctx.axes, ctx.keepdims)
        share = (mask / mask.sum(axis=ctx.axes, keepdims=True)).astype(grad.dtype)
        return (expand_reduced(grad, x.shape, ctx.axes, ctx.keepdims) * share,)

    @staticmethod
    def jvp(ctx, t):  # the mean of the tangent over the tied extremes (as backward shares)
        x, out = ctx.saved_tensors
        mask = stop_gradient(x) == expand_reduced(stop_gradient(out), x.shape, ctx.axes, ctx.keepdims)
        share = (mask / mask.sum(axis=ctx.axes, keepdims=True)).astype(t.dtype)
        return (t * share).sum(axis=ctx.axes, keepdims=ctx.keepdims)


@register(np.amax, kind="reduction", distinct=True, method=True)
def max(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Largest value over ``axis`` (``np.max``). Gradient: to the maximum; tied maxima share it
    equally (like ``torch.amax``).

    >>> import autograd_engine as ag
    >>> ag.max(ag.Tensor([[1.0, 5.0], [3.0, 2.0]]), axis=1)
    Tensor([5., 3.])
    """
    return Max.apply(x, axis=axis, keepdims=keepdims)


class Min(Max):
    """min over axes, with :class:`Max`'s rules."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        return _extreme(ctx, x, axis, keepdims, np.amin, "min")


@register(np.amin, kind="reduction", distinct=True, method=True)
def min(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Smallest value over ``axis`` (``np.min``). Gradient: to the minimum; tied minima share it
    equally (like ``torch.amin``).

    >>> import autograd_engine as ag
    >>> ag.min(ag.Tensor([[1.0, 5.0], [3.0, 2.0]]), axis=1)
    Tensor([1., 2.])
    """
    return Min.apply(x, axis=axis, keepdims=keepdims)


def _prod_of_others(x: Any, axes: tuple[int, ...]) -> Any:
    """For every element, the product of the other elements of its slice over ``axes``.

    Exact with zeros: the slice is laid out as a row of n values and repeated n times with the
    diagonal set to 1, so ``prod`` of row i skips element i. O(n**2) per slice, used only when the
    input has (near-)zeros, where ``out / x`` fails. ``x`` is an array or a Tensor (then the result
    is differentiable again).
    """
    keep = [a for a in range(x.ndim) if a not in axes]
    perm = keep + list(axes)
    xt = x.transpose(perm)
    lead = xt.shape[: len(keep)]
    n = int(np.prod(xt.shape[len(keep):], dtype=np.int64))
    rows = np.expand_dims(xt.reshape(lead + (n,)), -2)  # (..., 1, n)
    others = np.where(np.eye(n, dtype=bool), 1.0, rows).prod(axis=-1)  # (..., n)
    return others.reshape(xt.shape).transpose(tuple(np.argsort(perm)))


class Prod(Op):
    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        axes = normalize_axes(axis, np.ndim(x), "prod")
        ctx.axes, ctx.keepdims = axes, keepdims
        out = np.prod(x, axis=axes, keepdims=keepdims)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        g = expand_reduced(grad, x.shape, ctx.axes, ctx.keepdims)
        if np.all(np.abs(stop_gradient(x)) > 1e-8):  # out / x is exact enough, and differentiable again
            return (g * expand_reduced(out, x.shape, ctx.axes, ctx.keepdims) / x,)
        return (g * _prod_of_others(x, ctx.axes),)

    @staticmethod
    def jvp(ctx, t):
        x, out = ctx.saved_tensors
        if np.all(np.abs(stop_gradient(x)) > 1e-8):
            factor = expand_reduced(out, x.shape, ctx.axes, ctx.keepdims) / x
        else:
            factor = _prod_of_others(x, ctx.axes)
        return (t * factor).sum(axis=ctx.axes, keepdims=ctx.keepdims)


@register(np.prod, kind="reduction", method=True)
def prod(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis``. Gradient: the product of the other elements of the slice, exact
    even when the slice contains zeros (and differentiable again).

    >>> import autograd_engine as ag
    >>> ag.prod(ag.Tensor([2.0, 3.0, 4.0]))
    Tensor(24.)
    """
    return Prod.apply(x, axis=axis, keepdims=keepdims)


def _np_logsumexp(x, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


class LogSumExp(Op):
    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        axes = normalize_axes(axis, np.ndim(x), "logsumexp")
        ctx.axes, ctx.keepdims = axes, keepdims
        m = np.amax(x, axis=axes, keepdims=True, initial=-np.inf)  # initial: empty slices give -inf
        m = np.where(np.isfinite(m), m, 0)
        out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        if not keepdims:
            out = np.squeeze(out, axis=axes)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return (expand_reduced(grad, x.shape, ctx.axes, ctx.keepdims) * _softmax_of(ctx, x, out),)

    @staticmethod
    def jvp(ctx, t):
        x, out = ctx.saved_tensors
        return (t * _softmax_of(ctx, x, out)).sum(axis=ctx.axes, keepdims=ctx.keepdims)


def _softmax_of(ctx: Any, x: Any, out: Any) -> Any:
    """softmax(x) over the reduced axes from logsumexp's output ``out``: ``exp(x - out)``, the
    derivative of logsumexp (arrays or Tensors)."""
    return np.exp(x - expand_reduced(out, x.shape, ctx.axes, ctx.keepdims))


@register(_np_logsumexp, kind="reduction", method=True)
def logsumexp(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x), axis))`` computed without overflow. Gradient: ``grad * softmax(x)``.

    >>> import autograd_engine as ag
    >>> ag.logsumexp(ag.Tensor([1000.0, 1000.0]))
    Tensor(1000.69314718)
    """
    return LogSumExp.apply(x, axis=axis, keepdims=keepdims)


def _np_softmax(x, axis=-1):
    e = np.exp(x - np.amax(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


class Softmax(Op):
    @staticmethod
    def forward(ctx, x, axis=-1):
        axes = normalize_axes(axis, np.ndim(x), "softmax")
        ctx.axes = axes
        e = np.exp(x - np.amax(x, axis=axes, keepdims=True, initial=-np.inf))  # empty: empty
        out = e / np.sum(e, axis=axes, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (out * (grad - (grad * out).sum(axis=ctx.axes, keepdims=True)),)

    @staticmethod
    def jvp(ctx, t):  # softmax's Jacobian diag(s) - s s^T is symmetric: the same rule
        (out,) = ctx.saved_tensors
        return out * (t - (t * out).sum(axis=ctx.axes, keepdims=True))


@register(_np_softmax, kind="custom", sampler="softmax", method=True)
def softmax(x: TensorLike, axis: Axis = -1) -> Tensor:
    """``exp(x) / sum(exp(x), axis)``, stable for large inputs. Gradient:
    ``s * (grad - sum(grad * s, axis))``.

    >>> import autograd_engine as ag
    >>> ag.softmax(ag.Tensor([0.0, 0.0]))
    Tensor([0.5, 0.5])
    """
    return Softmax.apply(x, axis=axis)


class LogSoftmax(Op):
    @staticmethod
    def forward(ctx, x, axis=-1):
        axes = normalize_axes(axis, np.ndim(x), "log_softmax")
        ctx.axes = axes
        shifted = x - np.amax(x, axis=axes, keepdims=True, initial=-np.inf)
        out = shifted - np.log(np.sum(np.exp(shifted), axis=axes, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (grad - np.exp(out) * grad.sum(axis=ctx.axes, keepdims=True),)

    @staticmethod
    def jvp(ctx, t):  # the Jacobian I - 1 s^T, applied from the right this time
        (out,) = ctx.saved_tensors
        return t - (np.exp(out) * t).sum(axis=ctx.axes, keepdims=True)


@register(lambda x, axis=-1: np.log(_np_softmax(x, axis)), kind="custom", sampler="softmax",
          method=True)
def log_softmax(x: TensorLike, axis: Axis = -1) -> Tensor:
    """``x - logsumexp(x, axis)``, stable at ±1000. Gradient: ``grad - softmax(x) * sum(grad)``.

    >>> import autograd_engine as ag
    >>> ag.log_softmax(ag.Tensor([1000.0, 1000.0]))
    Tensor([-0.69314718, -0.69314718])
    """
    return LogSoftmax.apply(x, axis=axis)


# ----- cumsum -------------------------------------------------------------------------------------


class Cumsum(Op):
    @staticmethod
    def forward(ctx, x, axis=None):
        ctx.shape, ctx.axis = np.shape(x), axis
        return np.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        # d out[j] / d x[i] = 1 for j >= i: a cumulative sum from the end, i.e. reverse, cumsum,
        # reverse. With axis=None the output is the flattened input.
        axis = 0 if ctx.axis is None else ctx.axis
        rev = (slice(None),) * axis + (slice(None, None, -1),)
        g = apply_any(Cumsum, grad[rev], axis=axis)[rev]
        return (g.reshape(ctx.shape) if ctx.axis is None else g,)

    @staticmethod
    def jvp(ctx, t):
        return apply_any(Cumsum, t, axis=ctx.axis)


@register(np.cumsum, kind="custom", sampler="cumsum", method=True)
def cumsum(x: TensorLike, axis: int | None = None) -> Tensor:
    """Cumulative sum along ``axis``; with ``axis=None`` the input is flattened first (NumPy).

    Gradient: the cumulative sum of ``grad`` taken from the end of the axis.

    >>> import autograd_engine as ag
    >>> x = ag.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> ag.cumsum(x)
    Tensor([ 1.,  3.,  6., 10.], grad_fn=<Cumsum>)
    >>> x.cumsum(axis=1).sum().backward()
    >>> x.grad
    Tensor([[2., 1.],
            [2., 1.]])
    """
    if axis is not None:
        ndim = np.ndim(x._data if isinstance(x, Tensor) else x)
        if ndim == 0:
            raise ValueError("cumsum: a 0-d input has no axis; use axis=None")
        axis = normalize_axes(axis, ndim, "cumsum")[0]
    return Cumsum.apply(x, axis=axis)
