"""In-place operators on Tensors: ``+=``, ``-=``, ``*=``, ``/=``, ``**=`` and ``x[index] = v``.

Every in-place op bumps the tensor's version counter (``t._version``); a node that saved the tensor
for backward compares versions in ``saved_tensors`` and raises, naming the op and the fix. A node
that saved its own *output* (``tanh``, ``exp``, ``sigmoid``, ...) is marked when that output is
modified in place, so its backward raises too.

The write always goes into the tensor's own memory, with or without grad mode, as in NumPy and
PyTorch: views of it, its base if it is a view, and ``detach()``-ed aliases all see the new
values (and share the version counter, see :mod:`autograd_engine.views`). What grad mode changes
is the history:

* **Not recorded** (under ``no_grad``, or when neither the tensor nor the value requires grad):
  only the values change. This is what optimizers do: ``with ag.no_grad(): p -= lr * p.grad``.
* **Recorded** (grad mode on and the tensor or the value requires grad): the tensor's history is
  rebased, as in PyTorch: it becomes the output of the op (``Add``, ``Mul``, ``SetItem``, ...)
  whose input is (a copy of) its old value. If it is a view, its base's history is rebased too
  (the base now comes from "the old base with the view's elements replaced"), and other views of
  the same base get their history made again from the base's the next time they are used.
  Ops recorded earlier keep their edges to the old producers; those that saved the overwritten
  memory raise at backward, naming the op and the fix.
* Refused, as in PyTorch: a **leaf that requires grad**, or a view of one, while recording (the
  change could not be differentiated; under ``no_grad`` it can); a view made under ``no_grad``,
  or one of several views one op returned (``split``), while recording; a read-only view
  (``broadcast_to``), always.

Cost: an unrecorded in-place op is a NumPy ufunc with ``out=``; a recorded one is the op itself
plus a copy of the old value (the op may save it). 0-d tensors the graph keeps by value (a NumPy
scalar, see :mod:`autograd_engine.function`) cannot be changed behind backward's back; a 0-d leaf
recorded before it ever had an alias or a write is one of them, so updating it after the forward
gives the recorded forward's gradient where PyTorch raises.

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
>>> v = y[1:]         # a view: writes through it reach y, and y's history follows
>>> v *= 10
>>> y
Tensor([ 0., 50., 70.], grad_fn=<SetItem>)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops
from .function import Op
from .grad_mode import STATE
from .ops.shape import _plain_index
from .tensor import Tensor, _counter
from .views import refresh_view, view_positions

__all__ = ["SetItem", "increment_version"]


class SetItem(Op):
    """``out = x.copy(); out[index] = value``: the recorded form of ``x[index] = value``.

    Gradient: ``grad`` with the assigned positions zeroed for ``x``; ``grad[index]`` (summed over
    broadcasting) for ``value``. With repeated indices NumPy keeps the last write, but every
    occurrence passes gradient to ``value`` (as PyTorch's ``index_put_`` without accumulate, whose
    result is unspecified there).
    """

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


def _check_allowed(t: Tensor, op: str, recorded: bool) -> None:
    """Refuse, before anything changes, the in-place writes PyTorch refuses."""
    if not STATE.flags.enabled:
        return
    if t._requires_grad and t._grad_fn is None:
        raise RuntimeError(
            f"{op}: a leaf {_describe(t)} that requires grad cannot be modified in place while "
            "gradients are recorded (the change could not be differentiated). Use an out-of-place "
            "op (x = x + v), or wrap the update in `with ag.no_grad():` as optimizers do"
        )
    base = t._base
    if base is None:
        return
    if base._requires_grad and base._grad_fn is None:
        raise RuntimeError(
            f"{op}: the {_describe(t)} is a view of a leaf tensor of shape {base.shape} that "
            "requires grad, so it cannot be modified in place while gradients are recorded. "
            "Modify it under `with ag.no_grad():`, or work on a copy (x.clone() or x + 0)"
        )
    steps = t._view_steps
    if steps is None and (recorded or base._requires_grad):
        raise RuntimeError(
            f"{op}: the {_describe(t)} is a view made under no_grad, and is being modified in "
            "place with grad mode on; its base's history could not follow the change. Make the "
            "view with grad mode on, modify it under `with ag.no_grad():`, or modify a copy"
        )
    for _, _, _, output_nr, _, multi in steps if recorded else ():
        if multi:
            raise RuntimeError(
                f"{op}: the {_describe(t)} is view {output_nr} of several that one call returned "
                "(split), and such views cannot be modified in place while gradients are "
                "recorded (as in PyTorch). Modify a copy (v = v + 0) or do it under "
                "`with ag.no_grad():`"
            )


def _target(t: Tensor, op: str) -> np.ndarray:
    """The array to write into: ``t``'s own memory, which its views and aliases see."""
    d = t._data
    if type(d) is not np.ndarray:  # a 0-d value kept as a NumPy scalar: nothing else sees it
        d = t._data = np.array(d)
    elif not d.flags.writeable:
        if t._vc is None:  # a read-only array that nothing else views: write into a copy
            d = t._data = d.copy()
        else:
            raise RuntimeError(
                f"{op}: the {_describe(t)} is a read-only view (e.g. made by broadcast_to, where "
                "several elements share one memory location), so it cannot be written in place. "
                "Write to a copy: x = x + 0 first"
            )
    return d


def _mark_saved_output(t: Tensor) -> None:
    """If ``t``'s producer saved ``t`` (its output) for backward, make its backward raise."""
    if t._grad_fn is not None:
        t._grad_fn._output_written(t._output_nr, t._version + 1, t._name)


def _bump(t: Tensor) -> None:
    """Count a write to ``t``'s memory: on the counter its base, views and aliases share, and on
    the node that made the memory if it saved it."""
    _mark_saved_output(t)
    if t._base is not None:
        _mark_saved_output(t._base)
    _counter(t)[0] += 1


def increment_version(t: Tensor) -> None:
    """Record that ``t``'s memory was modified in place by code the engine does not see (say,
    NumPy on ``t.data``), as ``torch.autograd.graph.increment_version``: backward through a node
    that saved ``t``, a view of it or an alias of it then raises. Optimizers call this after each
    update.

    >>> import autograd_engine as ag
    >>> w = ag.Tensor([1.0, 2.0], requires_grad=True)
    >>> loss = (w * w).sum()
    >>> w.data[0] = 5.0            # invisible to the engine ...
    >>> ag.increment_version(w)    # ... until it is told
    >>> loss.backward()
    Traceback (most recent call last):
    ...
    RuntimeError: Mul: a tensor of shape (2,) that Mul saved for backward was modified in place ...
    """
    if not isinstance(t, Tensor):
        raise TypeError(f"increment_version: expected a Tensor, got {type(t).__name__}")
    _bump(t)


def _write_recorded(t: Tensor, compute: Any, op: str) -> None:
    """Recorded in-place op: ``t``'s memory gets ``compute(old)``, where ``old`` is a copy of
    ``t`` that carries its history, and the history is rebased onto the op.

    ``t`` becomes the op's output. If ``t`` is a view, its base's history becomes "the old base
    with ``t``'s elements replaced by the op's result" (a ``SetItem`` at their positions) and
    ``t``'s history is made again as the view of that. Ops recorded earlier keep their edges to
    the old producers (edges are taken when an op is recorded), so their gradients still flow
    into the old history; those that saved the overwritten memory raise at backward.
    """
    if t._base is not None and t._view_version != t._vc[0]:
        refresh_view(t)
    d = t._data
    writable = type(d) is not np.ndarray or d.flags.writeable or t._vc is None
    if not writable:
        _target(t, op)  # raises: a read-only view
    old = Tensor._make(np.array(d) if type(d) is np.ndarray else d, t._grad_fn, t._output_nr)
    old._requires_grad = t._requires_grad
    if t._name is not None:
        old._name = t._name
    new = compute(old)
    if new._data.dtype != t._data.dtype:
        new = new.astype(t._data.dtype)
    if type(t._data) is np.ndarray:
        _target(t, op)[...] = new._data
    else:
        t._data = new._data
    _bump(t)
    if t._retains_grad and t._grad_fn is not None:
        t._grad_fn._forget_retained(t._output_nr)
    base = t._base
    if base is None:
        t._grad_fn = new._grad_fn
        t._output_nr = new._output_nr
        t._requires_grad = new._requires_grad
    else:
        positions = view_positions(t)
        old_base = Tensor._make(base._data, base._grad_fn, base._output_nr)
        old_base._requires_grad = base._requires_grad
        flat = SetItem.apply(old_base.reshape(-1), new, index=positions)
        rebased = flat.reshape(base._data.shape)
        if base._retains_grad and base._grad_fn is not None:
            base._grad_fn._forget_retained(base._output_nr)
        base._grad_fn = rebased._grad_fn
        base._output_nr = rebased._output_nr
        base._requires_grad = True
        if base._retains_grad:  # retain_grad() follows the base's new history
            base._grad_fn._retain_grad(base._output_nr)
        refresh_view(t)
    if t._retains_grad and t._grad_fn is not None:
        t._grad_fn._retain_grad(t._output_nr)


def _binary_inplace(symbol: str, ufunc: np.ufunc, op_name: str, dunder: str) -> Any:
    op = f"in-place {symbol}"
    fn = getattr(ops, op_name)

    def method(self: Tensor, other: Any) -> Tensor:
        other_is_tensor = isinstance(other, Tensor)
        recorded = STATE.flags.enabled and (
            self._requires_grad or (other_is_tensor and other._requires_grad))
        _check_allowed(self, op, recorded)
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
        if recorded:
            # (x *= x: the op saves x itself as its second operand, so, as in PyTorch, its
            # backward refuses the memory written here)
            _write_recorded(self, lambda old: fn(old, other), op)
            return self
        arr = _target(self, op)
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
    index = _plain_index(index)
    value_is_tensor = isinstance(value, Tensor)
    recorded = STATE.flags.enabled and (
        self._requires_grad or (value_is_tensor and value._requires_grad))
    _check_allowed(self, op, recorded)
    if recorded:
        _write_recorded(
            self, lambda old: SetItem.apply(old, old if value is self else value, index=index), op)
        return
    arr = _target(self, op)
    try:
        arr[index] = value._data if value_is_tensor else value
    except (ValueError, TypeError, IndexError) as exc:
        raise type(exc)(
            f"{op}: {exc} (tensor shape {arr.shape}, value shape {np.shape(value)}, index "
            f"{index!r})"
        ) from exc
    _bump(self)
