"""Small fused ops used by ``nn`` (written against the engine's public ``ag.Function``).

Every rule uses only operators, array methods, NumPy functions and ``ag.apply_any`` (which calls
a Function on arrays or Tensors), so each sets ``backward_on_arrays``: a plain
backward runs it on NumPy arrays, ``create_graph`` on Tensors (differentiable again).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

import autograd_engine as ag


def as_tensor(x: Any, dtype: Any = None, fn: str | None = None) -> ag.Tensor:
    """``x`` as a Tensor of ``dtype`` (differentiably cast if it already is a Tensor); ``fn``
    names the calling function in the error for something that is not numeric.

    >>> import numpy as np
    >>> from nn.functional import as_tensor
    >>> as_tensor([1, 2], dtype=np.float32)
    Tensor([1., 2.], dtype=float32)
    """
    if isinstance(x, ag.Tensor):
        if dtype is not None and x.dtype != dtype:
            return x.astype(dtype)
        return x
    try:
        return ag.Tensor(np.asarray(x), dtype=dtype)
    except TypeError as exc:
        if fn is None:
            raise
        raise TypeError(f"{fn}: input must be a Tensor or numeric array: {exc}") from None


def check_number(fn: str, name: str, value: Any) -> Any:
    """``value`` if it is a real number (not a bool), else a TypeError naming ``fn`` and ``name``.

    >>> check_number("uniform_", "a", 0.5)
    0.5
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{fn}: {name} must be a number, got {value!r}")
    return value


def check_choice(fn: str, name: str, value: Any, choices: tuple[str, ...]) -> Any:
    """``value`` if it is one of ``choices``, else a ValueError naming ``fn``, ``name`` and them.

    >>> check_choice("GELU", "approximate", "tanh", ("none", "tanh"))
    'tanh'
    """
    if value not in choices:
        raise ValueError(f"{fn}: {name} must be {' or '.join(map(repr, choices))}, got {value!r}")
    return value


def cast_input(x: Any, dtype: np.dtype) -> ag.Tensor:
    """Inputs of a layer: cast to the layer's dtype (so a float32 layer computes in float32)."""
    if isinstance(x, ag.Tensor):
        return x if x.dtype == dtype else x.astype(dtype)
    return ag.Tensor(np.asarray(x, dtype=dtype))


class Linear(ag.Function):
    """``x @ w.T + b`` in one node; backward uses ``@``, ``.reshape``, ``.T`` and ``.sum``, so it runs
    on arrays, and on Tensors under ``create_graph`` (twice differentiable)."""

    backward_on_arrays = True

    @staticmethod
    def forward(ctx, x, w, b=None):
        ctx.save_for_backward(x, w)
        out = np.matmul(x, w.T)
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        n_out, n_in = w.shape
        gx = grad @ w if needs[0] else None
        gw = gb = None
        if needs[1]:
            gw = grad.reshape(-1, n_out).T @ x.reshape(-1, n_in)
        if len(needs) > 2 and needs[2]:
            gb = grad.reshape(-1, n_out).sum(axis=0)
        return gx, gw, gb

    @staticmethod
    def jvp(ctx, tx, tw, tb=None):
        x, w = ctx.saved_tensors
        terms = [tx @ w.T if tx is not None else None, x @ tw.T if tw is not None else None, tb]
        present = [t for t in terms if t is not None]
        total = present[0]
        for t in present[1:]:
            total = total + t
        return total

    @classmethod
    def error_hint(cls, arrays: list, params: dict) -> str:
        return ("the input's last dimension must equal the layer's in_features "
                "(weight shape is (out_features, in_features))")


class CrossEntropy(ag.Function):
    """Stable fused log-softmax + weighted NLL over axis 1.

    ``q`` holds each element's target weight per class (one-hot × class weight, label smoothing and
    ignore mask folded in), so the loss per sample is ``-(q * log_softmax(x)).sum(axis=1)`` and the
    gradient is ``(q.sum(1) * softmax(x) - q) * upstream`` (:class:`CrossEntropyBackward`, which
    reuses the softmax computed by forward).
    """

    backward_on_arrays = True

    @staticmethod
    def forward(ctx, x, q=None, reduction="mean", denom=1.0):
        z = x - np.amax(x, axis=1, keepdims=True)
        e = np.exp(z)
        s = np.sum(e, axis=1, keepdims=True)
        logp = z - np.log(s)
        prod = np.zeros_like(logp)
        np.multiply(q, logp, out=prod, where=q != 0)
        loss = -np.sum(prod, axis=1)
        ctx.save_for_backward(x)
        ctx.p = e / s
        ctx.q, ctx.reduction, ctx.denom = q, reduction, denom
        if reduction == "none":
            return loss
        total = np.sum(loss)
        if reduction == "sum":
            return total
        with np.errstate(invalid="ignore", divide="ignore"):
            return total / np.asarray(denom, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if ctx.reduction == "none":
            g = np.expand_dims(grad, 1)  # one upstream value per sample (and position)
        elif ctx.reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):  # denom 0: all targets ignored
                g = grad / np.asarray(ctx.denom, dtype=grad.dtype)
        else:
            g = grad
        return (ag.apply_any(CrossEntropyBackward, g, x, q=ctx.q, p=ctx.p),)

    @staticmethod
    def jvp(ctx, tx):
        (x,) = ctx.saved_tensors
        # d loss_i / d x_i is the backward op with an upstream gradient of one; on Tensors it is
        # differentiable again (its rule recomputes the softmax from x)
        one = np.ones((), dtype=tx.dtype)
        per_sample = (ag.apply_any(CrossEntropyBackward, one, x, q=ctx.q, p=ctx.p) * tx).sum(axis=1)
        if ctx.reduction == "none":
            return per_sample
        total = per_sample.sum()
        if ctx.reduction == "sum":
            return total
        with np.errstate(invalid="ignore", divide="ignore"):
            return total / np.asarray(ctx.denom, dtype=tx.dtype)


class CrossEntropyBackward(ag.Function):
    """``(q.sum(1) * p - q) * g`` with ``p = softmax(x, axis=1)``: the gradient of
    :class:`CrossEntropy` as one op. ``p`` is passed in (forward computed it from ``x``); the rule
    of this op, needed only for gradients of gradients, recomputes it differentiably."""

    backward_on_arrays = True

    @staticmethod
    def forward(ctx, g, x, q, p):
        ctx.save_for_backward(g, x)
        ctx.q = q
        return (q.sum(axis=1, keepdims=True) * p - q) * g

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        q = ctx.q
        qsum = q.sum(axis=1, keepdims=True)
        need_g, need_x = ctx.needs_input_grad
        z = x - np.amax(np.asarray(x), axis=1, keepdims=True)  # a constant shift
        e = np.exp(z)  # on a Tensor, the engine's exp: differentiable
        p = e / e.sum(axis=1, keepdims=True)
        gg_g = gg * (qsum * p - q) if need_g else None  # the engine sums it to g's shape
        gx = None
        if need_x:  # softmax's rule applied to gg * qsum * g
            h = gg * (qsum * g)
            gx = p * (h - (h * p).sum(axis=1, keepdims=True))
        return gg_g, gx

    @staticmethod
    def jvp(ctx, tg, tx):
        g, x = ctx.saved_tensors
        q = ctx.q
        qsum = q.sum(axis=1, keepdims=True)
        z = x - np.amax(np.asarray(x), axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        total = None
        if tg is not None:
            total = tg * (qsum * p - q)
        if tx is not None:  # softmax's Jacobian (symmetric) applied to tx
            d = (qsum * g) * (p * (tx - (tx * p).sum(axis=1, keepdims=True)))
            total = d if total is None else total + d
        return total


class Split(ag.Function):
    """Split ``x`` into ``n`` equal pieces along ``axis`` (dropping that axis if ``squeeze``),
    as one multi-output node; the gradient is stacked/concatenated back."""

    backward_on_arrays = True

    @staticmethod
    def forward(ctx, x, n=1, axis=0, squeeze=False):
        ctx.axis, ctx.squeeze, ctx.n = axis, squeeze, n
        pieces = np.split(x, n, axis=axis)
        if squeeze:
            pieces = [np.squeeze(p, axis=axis) for p in pieces]
        return tuple(pieces)

    @staticmethod
    def backward(ctx, *grads):
        # (np.stack/np.concatenate of Tensors dispatch to ag.stack/ag.concatenate)
        if ctx.squeeze:
            return (np.stack(grads, axis=ctx.axis),)
        return (np.concatenate(grads, axis=ctx.axis),)

    @staticmethod
    def jvp(ctx, t):  # linear: the op itself
        return ag.apply_any(Split, t, n=ctx.n, axis=ctx.axis, squeeze=ctx.squeeze)


def split(x: ag.Tensor, n: int, axis: int = 0, squeeze: bool = False) -> tuple:
    if n == 1:
        return (x.reshape(x.shape[:axis] + x.shape[axis + 1:]) if squeeze else x,)
    return Split.apply(x, n=n, axis=axis, squeeze=squeeze)
