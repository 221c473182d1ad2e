"""Shape ops: reshape, transpose, swapaxes, expand_dims, squeeze, broadcast_to, and indexing.

These move or repeat values without arithmetic, so their gradients move ``grad`` back: reshape it,
transpose it the other way, sum it over broadcast axes (done by the engine) or scatter it into
zeros (indexing, where repeated indices accumulate). The rules use only array methods and
``apply_any``, so they run on plain arrays for a first-order backward and on Tensors under
``create_graph`` (``Function.backward_on_arrays``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Op, apply_any
from ..tensor import Tensor
from ._util import TensorLike, normalize_axes
from .elementwise import Elementwise
from .registry import register


class Reshape(Op):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape, ctx.new_shape = np.shape(x), shape
        return np.reshape(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return (grad.reshape(ctx.shape),)

    @staticmethod
    def jvp(ctx, t):
        return apply_any(Reshape, t, shape=ctx.new_shape)

    @classmethod
    def error_hint(cls, arrays, params):
        return (
            f"the new shape must hold the same number of elements ({np.size(arrays[0])}); use -1 "
            "for one dimension to have it inferred"
        )


def _reshape_method(self: Tensor, *shape: Any) -> Tensor:
    """``x.reshape(2, -1)`` or ``x.reshape((2, -1))``, like ``np.ndarray.reshape``."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = tuple(shape[0])
    if self._data.shape == shape:
        return self
    return Reshape.apply(self, shape=shape)


@register(np.reshape, kind="custom", sampler="reshape", method=_reshape_method,
          torch="torch.reshape")
def reshape(x: TensorLike, shape: int | tuple[int, ...]) -> Tensor:
    """``x`` with a new shape holding the same elements (``-1`` infers one dimension).
    Gradient: ``grad`` reshaped back.

    >>> import autograd_engine as ag
    >>> ag.reshape(ag.Tensor([1.0, 2.0, 3.0, 4.0]), (2, -1)).shape
    (2, 2)
    """
    return Reshape.apply(x, shape=shape)


@register(np.expand_dims, kind="custom", sampler="expand_dims", method=True,
          torch="torch.unsqueeze")
def expand_dims(x: TensorLike, axis: int | tuple[int, ...]) -> Tensor:
    """Insert size-1 axes at ``axis`` (of the result). Gradient: ``grad`` reshaped back.

    >>> import autograd_engine as ag
    >>> ag.expand_dims(ag.Tensor([1.0, 2.0]), 0).shape
    (1, 2)
    """
    data = x._data if isinstance(x, Tensor) else np.asarray(x)
    try:
        new_shape = np.expand_dims(np.empty(np.shape(data), dtype=bool), axis).shape
    except (ValueError, TypeError) as exc:  # AxisError is a ValueError
        n = np.ndim(data) + (len(axis) if isinstance(axis, (tuple, list)) else 1)
        raise type(exc)(
            f"expand_dims: bad axis {axis!r} for an input of shape {np.shape(data)} ({exc}); "
            f"axes refer to the result, which has {n} dimensions: use axes in [{-n}, {n - 1}], "
            "each once"
        ) from None
    return Reshape.apply(x, shape=new_shape)


@register(np.squeeze, kind="custom", sampler="squeeze", method=True)
def squeeze(x: TensorLike, axis: int | tuple[int, ...] | None = None) -> Tensor:
    """Remove size-1 axes (all of them, or those in ``axis``). Gradient: ``grad`` reshaped back.

    >>> import autograd_engine as ag
    >>> ag.squeeze(ag.zeros(1, 3, 1)).shape
    (3,)
    """
    shape = np.shape(x._data if isinstance(x, Tensor) else x)
    axes = normalize_axes(axis, len(shape), "squeeze") if axis is not None else tuple(
        i for i, n in enumerate(shape) if n == 1
    )
    for a in axes:
        if shape[a] != 1:
            raise ValueError(
                f"squeeze: axis {a} has size {shape[a]}, not 1, in shape {shape}; only size-1 "
                "axes can be removed"
            )
    return Reshape.apply(x, shape=tuple(n for i, n in enumerate(shape) if i not in axes))


class Transpose(Op):
    @staticmethod
    def forward(ctx, x, axes=None):
        ctx.axes = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, grad):
        axes = ctx.axes
        return (grad.transpose(None if axes is None else tuple(np.argsort(axes))),)

    @staticmethod
    def jvp(ctx, t):
        return apply_any(Transpose, t, axes=ctx.axes)


def _transpose_method(self: Tensor, *axes: Any) -> Tensor:
    """``x.transpose()``, ``x.transpose(1, 0)`` or ``x.transpose((1, 0))``."""
    if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], (int, np.integer))):
        axes = axes[0]
    return transpose(self, tuple(axes) if axes else None)


@register(np.transpose, kind="custom", sampler="transpose", method=_transpose_method)
def transpose(x: TensorLike, axes: tuple[int, ...] | None = None) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is None). Gradient: the inverse permutation.

    >>> import autograd_engine as ag
    >>> ag.transpose(ag.Tensor([[1.0, 2.0]])).shape
    (2, 1)
    """
    if axes is not None:
        ndim = np.ndim(x._data if isinstance(x, Tensor) else x)
        if len(axes) != ndim:
            hint = (f"; to exchange two axes, as PyTorch's transpose{tuple(axes)} does, use "
                    f"swapaxes{tuple(axes)}") if len(axes) == 2 else ""
            raise ValueError(
                f"transpose: axes {tuple(axes)} must list each of the input's {ndim} axes once "
                f"(input shape {np.shape(x._data if isinstance(x, Tensor) else x)}){hint}"
            )
        axes = tuple(int(a) % ndim if -ndim <= a < ndim else a for a in axes)
    return Transpose.apply(x, axes=axes)


@register(np.swapaxes, kind="custom", sampler="swapaxes", method=True)
def swapaxes(x: TensorLike, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes. Gradient: the same exchange.

    >>> import autograd_engine as ag
    >>> ag.swapaxes(ag.zeros(2, 3, 4), 0, 2).shape
    (4, 3, 2)
    """
    ndim = np.ndim(x._data if isinstance(x, Tensor) else x)
    a1, a2 = (normalize_axes(a, ndim, "swapaxes")[0] for a in (axis1, axis2))
    perm = list(range(ndim))
    perm[a1], perm[a2] = perm[a2], perm[a1]
    return Transpose.apply(x, axes=tuple(perm))


class BroadcastTo(Op):
    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return (grad,)  # the engine sums the broadcast axes away

    @staticmethod
    def jvp(ctx, t):
        return t  # forward mode broadcasts a tangent to the output's shape


@register(np.broadcast_to, kind="custom", sampler="broadcast_to", method=True)
def broadcast_to(x: TensorLike, shape: tuple[int, ...]) -> Tensor:
    """``x`` repeated along new or size-1 axes to ``shape`` (a read-only view, as in NumPy).
    Gradient: ``grad`` summed over the broadcast axes.

    >>> import autograd_engine as ag
    >>> ag.broadcast_to(ag.Tensor([1.0, 2.0]), (3, 2)).shape
    (3, 2)
    """
    shape = tuple(shape) if not isinstance(shape, (int, np.integer)) else (int(shape),)
    if isinstance(x, Tensor) and x._data.shape == shape:
        return x
    return BroadcastTo.apply(x, shape=shape)


class Clone(Elementwise):
    """A copy of the input that stays in the graph (PyTorch's ``x.clone()``, attached by
    ``tensor_methods``): gradient ``grad``."""

    @staticmethod
    def forward(ctx, x):
        return np.array(x, copy=True)

    @staticmethod
    def backward(ctx, grad):
        return (grad,)


class GetItem(Op):
    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = np.shape(x), index
        return np.asarray(x)[index]

    @staticmethod
    def backward(ctx, grad):
        return (apply_any(IndexAdd, grad, shape=ctx.shape, index=ctx.index),)

    @staticmethod
    def jvp(ctx, t):
        return apply_any(GetItem, t, index=ctx.index)

    @classmethod
    def error_hint(cls, arrays, params):
        index = params.get("index")
        items = index if isinstance(index, tuple) else (index,)
        floats = [i for i in items if isinstance(i, (float, np.floating))
                  or (isinstance(i, np.ndarray) and i.dtype.kind not in "biu")]
        if floats:
            return (
                f"index {index!r}: index arrays must be integer or boolean, got "
                f"{', '.join(str(np.asarray(i).dtype) for i in floats)} (note that ag.Tensor([0, 1]) "
                "is float64, as Python ints become floats); use np.array([0, 1]) or "
                "idx.astype(np.int64)"
            )
        return (
            f"index {index!r} does not fit shape {np.shape(arrays[0])}: integer indices must lie "
            "in [-n, n-1] for an axis of size n, and a boolean mask must match the indexed axes"
        )


class IndexAdd(Op):
    """Scatter ``grad`` into zeros of ``shape`` at ``index``, adding at repeated indices."""

    @staticmethod
    def forward(ctx, grad, shape, index):
        ctx.index, ctx.shape = index, shape
        out = np.zeros(shape, dtype=np.result_type(grad))
        if _is_basic(index):
            out[index] = grad
        else:
            np.add.at(out, index, grad)
        return out

    @staticmethod
    def backward(ctx, grad):
        return (apply_any(GetItem, grad, index=ctx.index),)

    @staticmethod
    def jvp(ctx, t):  # linear: the op itself
        return apply_any(IndexAdd, t, shape=ctx.shape, index=ctx.index)


def _is_basic(index: Any) -> bool:
    """True when ``index`` selects each element at most once (ints, slices, None, Ellipsis)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(
        i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items
    )


def _plain_index(index: Any) -> Any:
    """Replace Tensors (integer or boolean) inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


@register(lambda x, index: x[index], kind="custom", sampler="getitem", operators=("__getitem__",),
          export=False)
def getitem(x: TensorLike, index: Any) -> Tensor:
    """``x[index]`` with NumPy's basic and advanced indexing (``Tensor.__getitem__``).

    Gradient: ``grad`` scattered back into zeros of x's shape; repeated indices accumulate.

    >>> import autograd_engine as ag
    >>> x = ag.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> x[[0, 0, 2]].sum().backward()
    >>> x.grad
    Tensor([2., 0., 1.])
    """
    return GetItem.apply(x, index=_plain_index(index))
