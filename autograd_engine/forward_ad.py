"""Forward-mode automatic differentiation: tangents carried alongside values.

While ``func.jvp`` runs ``f``, a *level* is active (``STATE.flags.forward``, a tuple of the active
levels, outermost first) and every Tensor may carry a tangent at that level: the directional
derivative of its value along the tangents given to ``jvp``. ``Function.apply`` hands each op to
:func:`forward_apply` while a level is active. It runs the op's ``forward`` as usual and then the
op's rule ``jvp(ctx, *tangents)``, which gets one tangent per positional argument (None for an
argument without one: a constant, or a Tensor that does not depend on the primals) and returns
the output's tangent ``J @ tangents`` (a tuple for several outputs; None for zero). A rule sits
next to ``backward`` in the op's class and reads the same ``ctx``: what ``forward`` stored on it
and ``ctx.saved_tensors``. So a ``jvp`` costs one pass over the ops, each doing its forward and its
rule, instead of the two reverse passes of the double-VJP trick.

Rules are written in Tensor ops (operators, NumPy functions, ``apply_any``), so tangents are
differentiable like any value: ``grad`` of a ``jvp`` (reverse over forward) records the rules, and
a ``jvp`` of a ``grad`` (forward over reverse, ``func.hessian``, ``func.hvp``) carries tangents
through the recorded backward pass. Nested levels (a ``jvp`` inside a ``jvp``) are kept apart: the
rule of level k runs with only the levels outside it active, so its own ops get tangents at those
levels and at no other (no perturbation confusion). When nothing needs a graph of the rule (no
outer level; neither primals nor tangents require grad) and the op declares
``backward_on_arrays``, the rule runs on plain NumPy arrays, as a first-order backward does.

Where the tangents live: a Tensor's tangents are kept in its ``__dict__`` (keyed by level); the
tangents of a recorded op's outputs are kept on its node (keyed by level and output number), so
that every Tensor standing for that output (``saved_tensors`` rebuilds saved outputs) finds them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .function import run_forward, to_array
from .grad_mode import STATE
from .tensor import Tensor

__all__ = ["Level", "forward_apply", "set_tangent", "tangent"]


class Level:
    """One active forward-mode differentiation (one ``func.jvp`` call). Compared by identity.
    ``Function.apply`` hands ops to ``Level.apply`` (:func:`forward_apply`) while one is active."""

    __slots__ = ("__weakref__",)

    apply: Any = None  # forward_apply, set below


def tangent(t: Tensor, level: Level) -> Any:
    """The tangent of ``t`` at ``level`` (a Tensor or an array), or None (zero).

    >>> import numpy as np
    >>> import autograd_engine as ag
    >>> from autograd_engine.grad_mode import STATE
    >>> level, x = Level(), ag.Tensor([1.0, 2.0])
    >>> set_tangent(x, level, np.array([1.0, 1.0]))
    >>> STATE.flags.forward = (level,)   # what func.jvp does around f
    >>> y = (x * x).sin()
    >>> STATE.flags.forward = ()
    >>> tangent(y, level)  # d sin(x**2) along (1, 1): 2 x cos(x**2)
    array([ 1.08060461, -2.61457448])
    """
    fn = t._grad_fn
    if fn is not None:
        d = fn.__dict__.get("_tangents")
        return d.get((level, t._output_nr)) if d else None
    d = t.__dict__.get("_tangents")
    if not d:
        return None
    if d["version"] != t._version:
        raise _modified_in_place(t)
    return d.get(level)


def set_tangent(t: Tensor, level: Level, value: Any) -> None:
    """Give ``t`` the tangent ``value`` at ``level``."""
    fn = t._grad_fn
    if fn is not None:
        fn.__dict__.setdefault("_tangents", {})[(level, t._output_nr)] = value
    else:
        d = t.__dict__.setdefault("_tangents", {})
        d[level] = value
        d["version"] = t._version  # an in-place change after this leaves the tangent stale


def _modified_in_place(t: Tensor) -> RuntimeError:
    name = f" {t._name!r}" if t._name else ""
    return RuntimeError(
        f"forward-mode AD (func.jvp, jacfwd, hessian, hvp): a tensor{name} of shape {t.shape} "
        "that carries a tangent was modified in place, so its tangent no longer matches its "
        "value. Use an out-of-place op (x = x * v instead of x *= v)"
    )


def has_tangent(t: Tensor, levels: tuple) -> bool:
    """Whether ``t`` carries a tangent at one of ``levels``."""
    return any(tangent(t, lv) is not None for lv in levels)


class _ForwardCtx:
    """The ``ctx`` of an op run in forward mode without recording it for backward: unlike the
    no-grad ctx it remembers what ``forward`` stores, for the op's ``jvp`` rule."""

    _saved: tuple | None = None
    _non_differentiable: tuple = ()
    _outs: tuple = ()
    _out_arrays: tuple = ()
    _on_arrays = False

    def __init__(self, cls: type, args: tuple, arrays: list, needs: tuple) -> None:
        self.__dict__.update(_cls=cls, _args=args, _arrays=arrays, needs_input_grad=needs)

    def __getattr__(self, name: str) -> Any:
        # class-level defaults of the op (as a node, an instance of the op, would see them)
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.__dict__["_cls"], name)

    @property
    def name(self) -> str:
        return self._cls.__name__

    def save_for_backward(self, *items: Any) -> None:
        self._saved = items

    def mark_non_differentiable(self, *outputs: Any) -> None:
        self._non_differentiable = outputs

    @property
    def saved_tensors(self) -> tuple:
        """What ``forward`` saved: the input Tensors and the outputs themselves (so they carry
        their tangents), other arrays as constants; plain arrays when the rule runs on arrays."""
        saved = self._saved
        if saved is None:
            return ()
        if self._on_arrays:
            return saved
        result = []
        for item in saved:
            if not isinstance(item, Tensor):
                for a, d in zip(self._args, self._arrays):
                    if d is item and isinstance(a, Tensor):
                        item = a
                        break
                else:
                    for o, d in zip(self._outs, self._out_arrays):
                        if d is item:
                            item = o
                            break
                    else:
                        if isinstance(item, (np.ndarray, np.generic)):
                            item = Tensor._make(item)
            result.append(item)
        return tuple(result)


def _missing_rule(cls: type) -> RuntimeError:
    return RuntimeError(
        f"{cls.__name__}: forward-mode AD (func.jvp, jacfwd, hessian, hvp) reached this Function, "
        "which defines no jvp rule; add @staticmethod jvp(ctx, *tangents) returning the output's "
        "tangent J @ tangents (one tangent per positional input, None for none), or "
        "differentiate it in reverse mode (func.vjp, func.jacrev)"
    )


def forward_apply(cls: type, args: tuple, params: dict) -> Any:
    """``cls.apply(*args, **params)`` while forward mode is on: the output(s), carrying their
    tangents at every active level where an input has one."""
    return _level_apply(cls, args, params)


def _general(cls: type, args: tuple, params: dict, flags: Any, levels: tuple) -> Any:
    """``forward_apply`` in general: several levels, recording, Tensor tangents."""
    n = len(args)
    per_level: list = [None] * len(levels)  # per level: the tangent of each argument, or None
    carrying = [False] * n  # arguments with a tangent at some level
    any_tangent = requires_grad = False
    for i in range(n):
        a = args[i]
        if isinstance(a, Tensor):
            if a._requires_grad:
                requires_grad = True
            fn = a._grad_fn
            d = (a if fn is None else fn).__dict__.get("_tangents")
            if d:
                if fn is None and d["version"] != a._version:
                    raise _modified_in_place(a)
                for k, lv in enumerate(levels):
                    t = d.get(lv if fn is None else (lv, a._output_nr))
                    if t is not None:
                        ts = per_level[k]
                        if ts is None:
                            ts = per_level[k] = [None] * n
                        ts[i] = t
                        carrying[i] = any_tangent = True
    flags.forward = ()
    try:
        if not any_tangent:
            return cls.apply(*args, **params)
        rule = getattr(cls, "jvp", None)
        if rule is None:  # fine for an op without float outputs (a comparison, argmax)
            result = cls.apply(*args, **params)
            outs = result if type(result) is tuple else (result,)
            if any(isinstance(o, Tensor) and o._data.dtype.kind == "f" for o in outs):
                raise _missing_rule(cls)
            return result
        record = requires_grad and flags.enabled
        if record:
            # An argument with a tangent gets a node edge too, so forward saves what the rule
            # needs (forward may save less for inputs that need no gradient)
            call = list(args)
            for i in range(n):
                a = args[i]
                if carrying[i] and not a._requires_grad:
                    p = Tensor._make(a._data)
                    p._requires_grad = True
                    p.__dict__["_internal"] = True  # (func's transforms do not count it)
                    for lv, ts in zip(levels, per_level):
                        if ts is not None and ts[i] is not None:
                            set_tangent(p, lv, ts[i])
                    call[i] = p
            result = cls.apply(*call, **params)
            outs = result if type(result) is tuple else (result,)
            ctx = None
            for o in outs:
                if o._grad_fn is not None:
                    ctx = o._grad_fn
                    break
            if ctx is None:  # no differentiable output
                return result
            non_diff = ()
        else:
            arrays = [a._data if isinstance(a, Tensor) else
                      np.asarray(a) if type(a) is list else a for a in args]
            ctx = _ForwardCtx(cls, args, arrays, tuple(carrying))
            out = run_forward(cls, ctx, arrays, params)
            if type(out) is tuple:
                out_arrays = tuple([to_array(o) for o in out])
                outs = tuple([Tensor._make(o) for o in out_arrays])
                result = outs
            else:
                if type(out) is not np.ndarray and not isinstance(out, np.generic):
                    out = to_array(out)
                out_arrays = (out,)
                result = Tensor._make(out)
                outs = (result,)
            ctx._outs, ctx._out_arrays = outs, out_arrays
            non_diff = ctx._non_differentiable
        on_arrays_ok = not record and cls.backward_on_arrays
        for k, ts in enumerate(per_level):
            if ts is None:
                continue
            lv = levels[k]
            outer = levels[:k]
            flags.forward = outer  # the rule's own ops carry the outer levels' tangents only
            on_arrays = on_arrays_ok and not outer
            if on_arrays:
                for i in range(n):
                    t = ts[i]
                    if isinstance(t, Tensor):
                        if t._requires_grad and flags.enabled:  # the tangent's graph is needed
                            on_arrays = False
                            break
                        ts[i] = t._data
            if not on_arrays:
                for i in range(n):
                    t = ts[i]
                    if t is not None and not isinstance(t, Tensor):
                        ts[i] = Tensor._make(t)
            if not record:
                ctx._on_arrays = on_arrays
            res = rule(ctx, *ts)
            if type(res) is not tuple:
                res = (res,)
            if len(res) != len(outs):
                raise RuntimeError(
                    f"{cls.__name__}.jvp returned {len(res)} tangents for {len(outs)} outputs; "
                    "return one per output of forward (None for zero)"
                )
            for o, r in zip(outs, res):
                if r is None:
                    continue
                data = o._data
                if data.dtype.kind != "f" or (non_diff and any(data is x for x in non_diff)):
                    continue  # (an output without a gradient has no tangent either)
                set_tangent(o, lv, _fit(r, data, on_arrays))
        return result
    finally:
        flags.forward = levels


_NOT_PLAIN = object()
_new = object.__new__


def _level_apply(cls: type, args: tuple, params: dict) -> Any:
    """What ``Function.apply`` calls while forward mode is on (``Level.apply``): the short path
    of :func:`_plain_level` when it applies, else :func:`forward_apply`."""
    flags = STATE.flags
    levels = flags.forward
    if len(levels) == 1 and cls.backward_on_arrays:
        result = _plain_level(cls, args, params, flags, levels)
        if result is not _NOT_PLAIN:
            return result
    return _general(cls, args, params, flags, levels)


Level.apply = staticmethod(_level_apply)


def _plain_level(cls: type, args: tuple, params: dict, flags: Any, levels: tuple) -> Any:
    """``forward_apply`` for one active level when no argument needs a graph and every tangent
    is an array (or a Tensor without history): the op's forward and its rule on plain arrays.
    Returns ``_NOT_PLAIN`` (having done nothing) when that does not hold."""
    level = levels[0]
    enabled = flags.enabled
    arrays = []
    tangents = []
    needs = []
    found = False
    for a in args:
        if isinstance(a, Tensor):
            if a._requires_grad and enabled:
                return _NOT_PLAIN
            arrays.append(a._data)
            d = a.__dict__.get("_tangents") if a._grad_fn is None else None
            if d and d["version"] != a._version:
                raise _modified_in_place(a)
            t = d.get(level) if d else None
            if t is not None:
                if isinstance(t, Tensor):
                    if t._requires_grad and enabled:
                        return _NOT_PLAIN
                    t = t._data
                found = True
                needs.append(True)
            else:
                needs.append(False)
            tangents.append(t)
        else:
            arrays.append(np.asarray(a) if type(a) is list else a)
            tangents.append(None)
            needs.append(False)
    rule = getattr(cls, "jvp", None)
    if not found or rule is None:
        return _NOT_PLAIN
    ctx = _new(_ForwardCtx)
    ctx.__dict__.update(_cls=cls, _args=args, _arrays=arrays, needs_input_grad=tuple(needs),
                        _on_arrays=True)
    flags.forward = ()
    try:
        out = run_forward(cls, ctx, arrays, params)
        if type(out) is tuple:
            out_arrays = tuple([to_array(o) for o in out])
            outs = tuple([Tensor._make(o) for o in out_arrays])
            res = rule(ctx, *tangents)
            res = res if type(res) is tuple else (res,)
        else:
            if type(out) is not np.ndarray and not isinstance(out, np.generic):
                out = to_array(out)
            out_arrays = (out,)
            o = _new(Tensor)
            o._data = out
            o._grad_fn = None
            o._requires_grad = False
            outs = (o,)
            res = rule(ctx, *tangents)
            if type(res) is tuple:
                if len(res) != 1:
                    raise RuntimeError(
                        f"{cls.__name__}.jvp returned {len(res)} tangents for 1 output; return "
                        "one per output of forward (None for zero)"
                    )
            else:
                res = (res,)
        if len(res) != len(outs):
            raise RuntimeError(
                f"{cls.__name__}.jvp returned {len(res)} tangents for {len(outs)} outputs; "
                "return one per output of forward (None for zero)"
            )
        non_diff = ctx._non_differentiable
        for o, data, r in zip(outs, out_arrays, res):
            if r is None or data.dtype.kind != "f" or (non_diff and any(data is x for x in non_diff)):
                continue
            if type(r) is not np.ndarray or r.shape != data.shape or r.dtype != data.dtype:
                r = _fit(r, data, True)
            o.__dict__["_tangents"] = {level: r, "version": 0}
        return outs if type(out) is tuple else outs[0]
    finally:
        flags.forward = levels


def _fit(r: Any, like: Any, on_arrays: bool) -> Any:
    """A rule's tangent with the output's shape and dtype (broadcast, cast)."""
    shape, dtype = like.shape, like.dtype
    if on_arrays:
        if type(r) is not np.ndarray:
            r = r._data if isinstance(r, Tensor) else np.asarray(r)
        if r.shape != shape:
            r = np.broadcast_to(r, shape)
        if r.dtype != dtype:
            r = r.astype(dtype)
        return r
    if not isinstance(r, Tensor):
        r = Tensor._make(np.asarray(r))
    if r.shape != shape:
        r = r.broadcast_to(shape)
    if r.dtype != dtype:
        r = r.astype(dtype)
    return r
