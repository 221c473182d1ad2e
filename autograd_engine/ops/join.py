"""Joining and rearranging: concatenate, stack, split, pad (constant) and flip.

They only move values, so their gradients move ``grad`` back: slices of it for each joined input
(concatenate, stack), zeros around each piece (split, as a basic-index ``getitem``), the inner part
(pad) or the same flip. Each backward is written with indexing and ``np.flip``, so it runs on
plain arrays for a first-order backward (views, no copies) and on Tensors, differentiable again,
under ``create_graph`` (``Function.backward_on_arrays``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..function import Op, apply_any
from ..tensor import Tensor
from ..views import mark_multi_output
from ._util import Axis, TensorLike, normalize_axes, stop_gradient
from .registry import register
from .shape import GetItem


def _operand(a: Any) -> Any:
    """Tensors stay Tensors (differentiable); anything else becomes a constant array."""
    return a if isinstance(a, Tensor) else np.asarray(a)


def _shapes(arrays: Sequence[Any]) -> str:
    return ", ".join(str(np.shape(a)) for a in arrays)


# ----- concatenate / stack ----------------------------------------------------------------------


def _check_join(op: str, arrays: Sequence[Any], axis: int, skip_axis: bool) -> None:
    """Explain mismatched shapes before NumPy does (it names only the first mismatch)."""
    shapes = [np.shape(stop_gradient(a)) for a in arrays]
    first = shapes[0]
    for k, s in enumerate(shapes[1:], start=1):
        if len(s) != len(first):
            raise ValueError(
                f"{op}: all inputs must have the same number of dimensions, but input 0 has shape "
                f"{first} and input {k} has shape {s} (shapes: "
                f"{_shapes([stop_gradient(a) for a in arrays])}); reshape or expand_dims the "
                "inputs first"
            )
        bad = [d for d in range(len(s)) if s[d] != first[d] and not (skip_axis and d == axis)]
        if bad:
            what = f"every axis except axis {axis}" if skip_axis else "every axis"
            raise ValueError(
                f"{op}: input shapes must match on {what}, but input 0 has shape {first} and input "
                f"{k} has shape {s} (they differ on axis {bad[0]}); reshape, pad or slice the "
                f"inputs so that only axis {axis} differs" if skip_axis else
                f"{op}: input shapes must match on {what}, but input 0 has shape {first} and input "
                f"{k} has shape {s}; stack needs inputs of one shape (use concatenate to join "
                "along an existing axis)"
            )


class Concatenate(Op):
    @staticmethod
    def forward(ctx, *arrays, axis=0):
        ctx.axis = axis
        ctx.bounds = np.cumsum([0] + [np.shape(a)[axis] for a in arrays])
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        lead = (slice(None),) * ctx.axis
        b = ctx.bounds
        return tuple(
            grad[lead + (slice(int(b[i]), int(b[i + 1])),)] if need else None
            for i, need in enumerate(ctx.needs_input_grad)
        )

    @staticmethod
    def jvp(ctx, *tangents):
        given = next(t for t in tangents if t is not None)
        parts = []
        for i, t in enumerate(tangents):
            if t is None:  # a zero tangent: its shape is the given one's, but along the axis
                shape = list(given.shape)
                shape[ctx.axis] = int(ctx.bounds[i + 1] - ctx.bounds[i])
                t = np.zeros(shape, dtype=given.dtype)
            parts.append(t)
        return apply_any(Concatenate, *parts, axis=ctx.axis)


@register(np.concatenate, kind="custom", sampler="concatenate")
def concatenate(arrays: Sequence[TensorLike], axis: int | None = 0) -> Tensor:
    """Join a sequence of tensors along an existing ``axis`` (``axis=None`` flattens them first),
    as ``np.concatenate``.

    Gradient: each input gets its own slice of ``grad`` along ``axis``.

    >>> import autograd_engine as ag
    >>> a = ag.Tensor([[1.0, 2.0]], requires_grad=True)
    >>> b = ag.Tensor([[3.0, 4.0], [5.0, 6.0]])
    >>> y = ag.concatenate([a, b], axis=0)
    >>> y.shape
    (3, 2)
    >>> (y * ag.Tensor([[1.0], [2.0], [3.0]])).sum().backward()
    >>> a.grad
    Tensor([[1., 1.]])
    """
    items = [_operand(a) for a in arrays]
    if not items:
        raise ValueError("concatenate: need at least one tensor to concatenate")
    if axis is None:
        items = [a.reshape(-1) for a in items]
        axis = 0
    ndim = np.ndim(stop_gradient(items[0]))
    if ndim == 0:
        raise ValueError(
            "concatenate: 0-d (scalar) inputs cannot be concatenated; use stack to make a new axis, "
            "or axis=None to flatten"
        )
    axis = normalize_axes(axis, ndim, "concatenate")[0]
    _check_join("concatenate", items, axis, skip_axis=True)
    return Concatenate.apply(*items, axis=axis)


class Stack(Op):
    @staticmethod
    def forward(ctx, *arrays, axis=0):
        ctx.axis = axis
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        lead = (slice(None),) * ctx.axis
        return tuple(
            grad[lead + (i,)] if need else None
            for i, need in enumerate(ctx.needs_input_grad)
        )

    @staticmethod
    def jvp(ctx, *tangents):
        given = next(t for t in tangents if t is not None)
        zero = np.zeros(given.shape, dtype=given.dtype)
        parts = [zero if t is None else t for t in tangents]
        return apply_any(Stack, *parts, axis=ctx.axis)


@register(np.stack, kind="custom", sampler="stack")
def stack(arrays: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new ``axis`` (``-1`` appends it), as ``np.stack``.

    Gradient: input ``i`` gets ``grad`` indexed at ``i`` along ``axis``.

    >>> import autograd_engine as ag
    >>> ag.stack([ag.Tensor([1.0, 2.0]), ag.Tensor([3.0, 4.0])], axis=1)
    Tensor([[1., 3.],
            [2., 4.]])
    """
    items = [_operand(a) for a in arrays]
    if not items:
        raise ValueError("stack: need at least one tensor to stack")
    ndim = np.ndim(stop_gradient(items[0]))
    axis = normalize_axes(axis, ndim + 1, "stack")[0]
    _check_join("stack", items, axis, skip_axis=False)
    return Stack.apply(*items, axis=axis)


# ----- split ------------------------------------------------------------------------------------


@register(np.split, kind="custom", sampler="split")
def split(x: TensorLike, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """Split ``x`` into a list of tensors along ``axis``, as ``np.split``: an int ``N`` gives ``N``
    equal pieces (it must divide the axis); a sorted list of indices gives the pieces between them
    (``[2, 3]`` gives ``x[:2]``, ``x[2:3]``, ``x[3:]``; out-of-range indices give empty pieces).

    Each piece is a basic-index ``getitem`` of ``x``, so pieces that are not used contribute nothing.
    Gradient: each piece's ``grad`` lands in its slice of zeros of ``x``'s shape.

    >>> import autograd_engine as ag
    >>> x = ag.Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    >>> a, b = ag.split(x, 2)
    >>> (b * 10).sum().backward()
    >>> x.grad
    Tensor([ 0.,  0., 10., 10.])
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim == 0:
        raise ValueError("split: cannot split a 0-d tensor; it has no axis to split along")
    axis = normalize_axes(axis, x.ndim, "split")[0]
    n = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or n % sections:
            raise ValueError(
                f"split: {sections} sections do not divide axis {axis} of length {n} evenly (shape "
                f"{x.shape}); pass a number of sections that divides {n}, or a list of split "
                "indices"
            )
        step = n // sections
        bounds = [(k * step, (k + 1) * step) for k in range(sections)]
    else:
        points = [int(i) for i in indices_or_sections]
        edges = [0, *points, n]
        bounds = list(zip(edges[:-1], edges[1:]))
    lead = (slice(None),) * axis
    return mark_multi_output([GetItem.apply(x, index=lead + (slice(a, b),)) for a, b in bounds])


# ----- pad --------------------------------------------------------------------------------------


def _pad_pairs(pad_width: Any, ndim: int) -> tuple[tuple[int, int], ...]:
    arr = np.asarray(pad_width)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"pad: pad_width must hold integers, got {pad_width!r}; use e.g. 1, (1, 2) or "
            "((0, 0), (1, 1))"
        )
    try:
        pairs = np.broadcast_to(arr, (ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: pad_width {pad_width!r} does not fit an input with {ndim} dimensions; pass an "
            f"int, a (before, after) pair or {ndim} such pairs"
        ) from None
    if (pairs < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative, got {pad_width!r}; slice to crop")
    return tuple((int(a), int(b)) for a, b in pairs)


class Pad(Op):
    @staticmethod
    def forward(ctx, x, pad_width, constant_values=0):
        ctx.inner = tuple(slice(b, b + n) for (b, _), n in zip(pad_width, np.shape(x)))
        ctx.pad_width, ctx.constant_values = pad_width, constant_values  # for exporters
        # NumPy rejects an empty pad_width for a 0-d input (where padding is a no-op anyway).
        return np.pad(x, pad_width or 0, mode="constant", constant_values=constant_values)

    @staticmethod
    def backward(ctx, grad):
        return (grad[ctx.inner],)

    @staticmethod
    def jvp(ctx, t):  # padded with zeros: the padding is a constant
        return apply_any(Pad, t, pad_width=ctx.pad_width)


@register(np.pad, kind="custom", sampler="pad")
def pad(x: TensorLike, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Tensor:
    """Pad ``x`` with a constant, as ``np.pad(x, pad_width, mode="constant", constant_values=...)``.

    ``pad_width`` is an int, a ``(before, after)`` pair, or one pair per axis. Only ``mode="constant"``
    is supported; ``constant_values`` (a number, a pair or one pair per axis) is a constant, not
    differentiated. Gradient: the slice of ``grad`` that covers ``x``.

    >>> import autograd_engine as ag
    >>> ag.pad(ag.Tensor([1.0, 2.0]), (1, 2), constant_values=9.0)
    Tensor([9., 1., 2., 9., 9.])
    """
    if mode != "constant":
        raise ValueError(
            f"pad: only mode='constant' is supported, got mode={mode!r}; build other modes from "
            "concatenate and flip"
        )
    ndim = np.ndim(stop_gradient(x))
    return Pad.apply(x, pad_width=_pad_pairs(pad_width, ndim),
                     constant_values=stop_gradient(constant_values))


# ----- flip -------------------------------------------------------------------------------------


class Flip(Op):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.flip(x, axes)

    @staticmethod
    def backward(ctx, grad):
        return (np.flip(grad, ctx.axes),)

    @staticmethod
    def jvp(ctx, t):
        return apply_any(Flip, t, axes=ctx.axes)


@register(np.flip, kind="custom", sampler="flip")
def flip(x: TensorLike, axis: Axis = None) -> Tensor:
    """Reverse the order of elements along ``axis`` (all axes when None), as ``np.flip``.

    Gradient: ``grad`` flipped the same way.

    >>> import autograd_engine as ag
    >>> ag.flip(ag.Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1)
    Tensor([[2., 1.],
            [4., 3.]])
    """
    axes = normalize_axes(axis, np.ndim(stop_gradient(x)), "flip")
    return Flip.apply(x, axes=axes)
