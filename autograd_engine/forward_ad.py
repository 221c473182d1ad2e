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

from .function import _to_data
from .grad_mode import STATE
from .tensor import Tensor

__all__ = ["Level", "forward_apply", "set_tangent", "tangent"]


class Level:
    """One active forward-mode differentiation (one ``func.jvp`` call). Compared by identity."""

    __slots__ = ("__weakref__",)


def tangent(t: Tensor, level: Level) -> Any:
    """The tangent of ``t`` at ``level`` (a Tensor or an array), or None (zero)."""
    fn = t._grad_fn
    if fn is not None:
        d = fn.__dict__.get("_tangents")
        return d.get((level, t._output_nr)) if d else None
    d = t.__dict__.get("_tangents")
    return d.get(level) if d else None


def set_tangent(t: Tensor, level: Level, value: Any) -> None:
    """Give ``t`` the tangent ``value`` at ``level``."""
    fn = t._grad_fn
    if fn is not None:
        fn.__dict__.setdefault("_tangents", {})[(level, t._output_nr)] = value
    else:
        t.__dict__.setdefault("_tangents", {})[level] = value


def has_tangent(t: Tensor, levels: tuple) -> bool:
    """Whether ``t`` carries a tangent at one of ``levels``."""
    return any(tangent(t, lv) is not None for lv in levels)


class _ForwardCtx:
    """The ``ctx`` of an op run in forward mode without recording it for backward: unlike the
    no-grad ctx it remembers what ``forward`` stores, for the op's ``jvp`` rule."""

    def __init__(self, cls: type, args: tuple, arrays: list, needs: tuple) -> None:
        self._cls = cls
        self._args = args
        self._arrays = arrays
        self.needs_input_grad = needs
        self._saved: tuple | None = None
        self._non_differentiable: tuple = ()
        self._outs: tuple = ()
        self._out_arrays: tuple = ()
        self._on_arrays = False

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
            return tuple([s._data if isinstance(s, Tensor) else s for s in saved])
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
    flags = STATE.flags
    levels = flags.forward
    per_level = []
    carrying = []  # positions of Tensor arguments with a tangent at some level
    for lv in levels:
        ts = None
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                t = tangent(a, lv)
                if t is not None:
                    if ts is None:
                        ts = [None] * len(args)
                    ts[i] = t
                    if i not in carrying:
                        carrying.append(i)
        per_level.append(ts)
    flags.forward = ()
    try:
        if not carrying:
            return cls.apply(*args, **params)
        rule = getattr(cls, "jvp", None)
        if rule is None:  # fine for an op without float outputs (a comparison, argmax)
            result = cls.apply(*args, **params)
            outs = result if type(result) is tuple else (result,)
            if any(isinstance(o, Tensor) and o._data.dtype.kind == "f" for o in outs):
                raise _missing_rule(cls)
            return result
        record = flags.enabled and any(isinstance(a, Tensor) and a._requires_grad for a in args)
        if record:
            # An argument with a tangent gets a node edge too, so forward saves what the rule
            # needs (forward may save less for inputs that need no gradient)
            call = list(args)
            for i in carrying:
                a = args[i]
                if not a._requires_grad:
                    p = Tensor._make(a._data)
                    p._requires_grad = True
                    p.__dict__["_internal"] = True  # (func's transforms do not count it)
                    for lv, ts in zip(levels, per_level):
                        if ts is not None and ts[i] is not None:
                            set_tangent(p, lv, ts[i])
                    call[i] = p
            result = cls.apply(*call, **params)
            outs = result if type(result) is tuple else (result,)
            ctx = next((o._grad_fn for o in outs if o._grad_fn is not None), None)
            if ctx is None:  # no differentiable output
                return result
        else:
            arrays = [a._data if isinstance(a, Tensor) else
                      np.asarray(a) if type(a) is list else a for a in args]
            needs = tuple([i in carrying for i in range(len(args))])
            ctx = _ForwardCtx(cls, args, arrays, needs)
            try:
                out = cls.forward(ctx, *arrays, **params)
            except (ValueError, TypeError, IndexError) as exc:
                raise cls._forward_error(exc, arrays, params) from exc
            if type(out) is tuple:
                out_arrays = tuple([_to_data(o) for o in out])
            else:
                out_arrays = (_to_data(out),)
            outs = tuple([Tensor._make(o) for o in out_arrays])
            ctx._outs, ctx._out_arrays = outs, out_arrays
            result = outs if type(out) is tuple else outs[0]
        differentiable = [
            o._data.dtype.kind == "f"
            and not any(o._data is n for n in getattr(ctx, "_non_differentiable", ()))
            for o in outs
        ]
        if not any(differentiable):
            return result
        for k, (lv, ts) in enumerate(zip(levels, per_level)):
            if ts is None:
                continue
            outer = levels[:k]
            flags.forward = outer  # the rule's own ops carry the outer levels' tangents only
            on_arrays = (not outer and not record and cls.backward_on_arrays
                         and not (flags.enabled and any(
                             isinstance(t, Tensor) and t._requires_grad for t in ts)))
            if on_arrays:
                ts = [t._data if isinstance(t, Tensor) else t for t in ts]
            else:
                ts = [Tensor._make(t) if isinstance(t, (np.ndarray, np.generic)) else t
                      for t in ts]
            if not record:
                ctx._on_arrays = on_arrays
            res = rule(ctx, *ts)
            res = res if type(res) is tuple else (res,)
            if len(res) != len(outs):
                raise RuntimeError(
                    f"{cls.__name__}.jvp returned {len(res)} tangents for {len(outs)} outputs; "
                    "return one per output of forward (None for zero)"
                )
            for o, r, ok in zip(outs, res, differentiable):
                if r is None or not ok:
                    continue
                set_tangent(o, lv, _fit(r, o._data, on_arrays))
        return result
    finally:
        flags.forward = levels


def _fit(r: Any, like: Any, on_arrays: bool) -> Any:
    """A rule's tangent with the output's shape and dtype (broadcast, cast)."""
    shape, dtype = np.shape(like), like.dtype
    if on_arrays:
        if isinstance(r, Tensor):
            r = r._data
        r = np.asarray(r)
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
