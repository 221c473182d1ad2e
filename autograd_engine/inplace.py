"""In-place operators on Tensors: ``+=``, ``-=``, ``*=``, ``/=``, ``**=`` and ``x[index] = v``.

Every in-place op bumps the tensor's version counter (``t._version``); a node that saved the tensor
for backward compares versions in ``saved_tensors`` and raises, naming the op and the fix. A node
that saved its own *output* (``tanh``, ``exp``, ``sigmoid``, ...) is marked when that output is
modified in place, so its backward raises too.

What happens to the data depends on whether the op is recorded for backward:

* **Not recorded** (under ``no_grad``, or when neither the tensor nor the value requires grad): the
  array is modified in place, exactly as NumPy does, so views of it and references to ``t.data``
  see the change. This is what optimizers use: ``with ag.no_grad(): p -= lr * p.grad``.
* **Recorded** (grad mode on and the tensor or the value requires grad): the new value goes into a
  fresh array and the tensor's history is rebased, as in PyTorch: the tensor becomes the output of
  the op (``Add``, ``Mul``, ``SetItem``, ...) whose input is its old value. Ops recorded earlier
  that used the tensor keep using the old value (their gradients stay correct), and arrays that
  shared memory with it (views) keep their values, consistent with their own history. The
  difference from NumPy: while recording, an in-place op does not write through to views.
* A **leaf that requires grad** cannot be modified in place while recording (the change could
  not be differentiated); under ``no_grad`` it can.

Cost: an unrecorded in-place op is a NumPy ufunc with ``out=``; a recorded one is the op itself.
Ops recorded earlier need no fixing up: a node keeps edges to the producers of its inputs (taken
when it was recorded), not the input Tensors, so rebasing a tensor does not change their history.
Version counters are per Tensor: modifying an array through another tensor that merely shares its
memory (``detach()``, ``reshape``, basic indexing) is not detected.

>>> import autograd_engine as ag
>>> x = ag.Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = x * 2
>>> y += 1            # recorded: y is now the output of Add, whose input is the old y
>>> y[0] = 0.0        # recorded: SetItem
>>> y.sum().backward()
>>> x.grad
Tensor([0., 2., 2.])
>>> with ag.no_grad():
...     x -= 0.1 * x.grad     # an optimizer step: modifies x's array in place
>>> x
Tensor([1. , 1.8, 2.8], requires_grad=True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops
from .function import OUTPUT_ONLY, Function
from .grad_mode import STATE
from .ops.shape import _plain_index
from .tensor import Tensor

__all__ = ["SetItem"]


class SetItem(Function):
    """``out = x.copy(); out[index] = value``: the recorded form of ``x[index] = value``.

    Gradient: ``grad`` with the assigned positions zeroed for ``x``; ``grad[index]`` (summed over
    broadcasting) for ``value``. With repeated indices NumPy keeps the last write, but every
    occurrence passes gradient to ``value`` (as PyTorch's ``index_put_`` without accumulate, whose
    result is unspecified there).
    """

    backward_on_arrays = True

    @staticmethod
    def forward(ctx, x, value, index):
        out = np.array(x, copy=True)
        out[index] = value
        ctx.index = index
        if ctx.needs_input_grad and ctx.needs_input_grad[0]:
            mask = np.ones(out.shape, dtype=out.dtype)
            mask[index] = 0
            ctx.mask = mask
        return out

    @staticmethod
    def backward(ctx, grad):
        gx = grad * ctx.mask if ctx.needs_input_grad[0] else None
        gv = grad[ctx.index] if ctx.needs_input_grad[1] else None
        return gx, gv

    @classmethod
    def error_hint(cls, arrays, params):
        return (f"cannot assign a value of shape {np.shape(arrays[1])} to index "
                f"{params.get('index')!r} of a tensor of shape {np.shape(arrays[0])}")


# ----- the shared machinery ----------------------------------------------------------------------
def _describe(t: Tensor) -> str:
    name = f" {t._name!r}" if t._name else ""
    return f"tensor{name} of shape {t.shape}"


def _check_leaf(t: Tensor, op: str) -> None:
    if t._requires_grad and t._grad_fn is None and STATE.flags.enabled:
        raise RuntimeError(
            f"{op}: a leaf {_describe(t)} that requires grad cannot be modified in place while "
            "gradients are recorded (the change could not be differentiated). Use an out-of-place "
            "op (x = x + v), or wrap the update in `with ag.no_grad():` as optimizers do"
        )


def _mark_saved_output(t: Tensor) -> None:
    """If ``t``'s producer saved ``t`` (its output) for backward, make its backward raise."""
    fn = t._grad_fn
    if fn is None or fn._saved is None:
        return
    outs = fn._out if fn._n_outputs > 1 else (fn._out,)
    if t._output_nr >= len(outs):
        return
    mine = outs[t._output_nr]
    if fn._saved is OUTPUT_ONLY:
        fn._saved = (mine,)
    if not any(item is mine for item in fn._saved):
        return
    # A stand-in Tensor whose version differs from the 0 recorded for saved arrays: the regular
    # version check in ``saved_tensors`` then raises, naming the node and the fix.
    marker = Tensor._make(mine)
    marker._version = max(t._version, 1)
    if t._name is not None:
        marker._name = t._name
    fn._saved = tuple(marker if item is mine else item for item in fn._saved)


def _bump(t: Tensor) -> None:
    _mark_saved_output(t)
    t._version = t._version + 1


def _rebase(t: Tensor, compute: Any) -> None:
    """Recorded in-place op: ``t`` becomes ``compute(old)``, where ``old`` carries t's history.

    Ops that used ``t`` before keep their edges to its old producer (edges are taken when an op is
    recorded), so their gradients still flow into the old history.
    """
    old = Tensor._make(t._data, t._grad_fn, t._output_nr)
    old._requires_grad = t._requires_grad
    if t._version:
        old._version = t._version
    if t._name is not None:
        old._name = t._name
    new = compute(old)
    if new._data.dtype != t._data.dtype:
        new = new.astype(t._data.dtype)
    if t._retains_grad and t._grad_fn is not None:
        retained = t._grad_fn._retained
        if retained is not None:
            retained.pop(t._output_nr, None)
    _bump(t)
    t._data = new._data
    t._grad_fn = new._grad_fn
    if t._output_nr != new._output_nr:
        t._output_nr = new._output_nr
    t._requires_grad = new._requires_grad
    if t._retains_grad and t._grad_fn is not None:
        t._grad_fn._retain_grad(t._output_nr)


def _writable(t: Tensor) -> np.ndarray:
    arr = t.data  # makes a 0-d NumPy scalar an array
    if not arr.flags.writeable:  # e.g. a broadcast view made by an op: write into a copy
        arr = t._data = arr.copy()
    return arr


def _binary_inplace(symbol: str, ufunc: np.ufunc, op_name: str, dunder: str) -> Any:
    op = f"in-place {symbol}"
    fn = getattr(ops, op_name)

    def method(self: Tensor, other: Any) -> Tensor:
        _check_leaf(self, op)
        other_is_tensor = isinstance(other, Tensor)
        value = other._data if other_is_tensor else other
        shape = self._data.shape
        try:
            fits = np.broadcast_shapes(shape, np.shape(value)) == shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"{op}: cannot update a {_describe(self)} with a value of shape "
                f"{np.shape(value)}: the result would have another shape; use x = x {symbol[:-1]} "
                "v to get a new tensor"
            )
        recorded = STATE.flags.enabled and (
            self._requires_grad or (other_is_tensor and other._requires_grad))
        if recorded:
            _rebase(self, lambda old: fn(old, old if other is self else other))
            return self
        arr = _writable(self)
        try:
            ufunc(arr, value, out=arr, casting="same_kind")
        except TypeError as exc:
            raise TypeError(
                f"{op}: {exc}; the result would not fit the tensor's dtype {arr.dtype} "
                "(convert first, e.g. x = x.astype(np.float64))"
            ) from exc
        _bump(self)
        return self

    method.__name__ = dunder
    method.__doc__ = f"``x {symbol} v`` in place (see :mod:`autograd_engine.inplace`)."
    return method


def _setitem(self: Tensor, index: Any, value: Any) -> None:
    """``x[index] = value`` in place (see :mod:`autograd_engine.inplace`)."""
    op = "x[index] = value"
    _check_leaf(self, op)
    index = _plain_index(index)
    value_is_tensor = isinstance(value, Tensor)
    recorded = STATE.flags.enabled and (
        self._requires_grad or (value_is_tensor and value._requires_grad))
    if recorded:
        _rebase(self, lambda old: SetItem.apply(old, old if value is self else value, index=index))
        return
    arr = _writable(self)
    try:
        arr[index] = value._data if value_is_tensor else value
    except (ValueError, TypeError, IndexError) as exc:
        raise type(exc)(
            f"{op}: {exc} (tensor shape {arr.shape}, value shape {np.shape(value)}, index "
            f"{index!r})"
        ) from exc
    _bump(self)


Tensor.__iadd__ = _binary_inplace("+=", np.add, "add", "__iadd__")
Tensor.__isub__ = _binary_inplace("-=", np.subtract, "subtract", "__isub__")
Tensor.__imul__ = _binary_inplace("*=", np.multiply, "multiply", "__imul__")
Tensor.__itruediv__ = _binary_inplace("/=", np.true_divide, "divide", "__itruediv__")
Tensor.__ipow__ = _binary_inplace("**=", np.power, "power", "__ipow__")
Tensor.__setitem__ = _setitem

