"""Gradient clipping (``clip_grad_norm_``, ``clip_grad_value_``, in place, like PyTorch) and
``checkpoint_sequential``."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_engine as ag

__all__ = ["checkpoint_sequential", "clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters: Any) -> list[np.ndarray]:
    if isinstance(parameters, ag.Tensor):
        parameters = [parameters]
    return [p.grad.data for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Iterable | ag.Tensor, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> ag.Tensor:
    """Scale all gradients in place so that their joint ``norm_type``-norm is at most
    ``max_norm``; returns the total norm before clipping (a 0-d Tensor).

    The scale is ``max_norm / (total + 1e-6)`` clamped to 1, as in PyTorch; ``norm_type`` may
    be ``float("inf")``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> w = nn.Parameter(ag.Tensor([3.0, 4.0]))
    >>> w.grad = [3.0, 4.0]
    >>> nn.utils.clip_grad_norm_([w], max_norm=1.0)
    Tensor(5.)
    >>> w.grad.data.round(4)
    array([0.6, 0.8])
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return ag.Tensor(0.0)
    if math.isinf(norm_type):
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        total = float(sum(float(np.sum(np.abs(g.astype(np.float64)) ** norm_type)) for g in grads)
                      ** (1.0 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients "
                           "is non-finite, so it cannot be clipped; set error_if_nonfinite=False "
                           "to disable this error")
    coef = min(max_norm / (total + 1e-6), 1.0)
    if coef < 1.0:
        for g in grads:
            g *= coef
    return ag.Tensor(total, dtype=grads[0].dtype)


def clip_grad_value_(parameters: Iterable | ag.Tensor, clip_value: float) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place.

    >>> import autograd_engine as ag
    >>> import nn
    >>> w = nn.Parameter(ag.Tensor([1.0, 1.0]))
    >>> w.grad = [-5.0, 0.5]
    >>> nn.utils.clip_grad_value_([w], 1.0)
    >>> w.grad
    Tensor([-1. ,  0.5])
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)


def checkpoint_sequential(modules: Iterable, segments: int, x: ag.Tensor,
                          preserve_rng_state: bool = True) -> ag.Tensor:
    """Run ``modules`` (a ``Sequential`` or a list of callables) in order on ``x``, split into
    ``segments`` consecutive segments, each but the last under :func:`autograd_engine.checkpoint`,
    as PyTorch's ``checkpoint_sequential``: only the segments' inputs are kept for backward, and
    each segment runs again when backward reaches it. ``segments`` about the square root of the
    number of modules minimises memory; the last segment holds the remainder and is not
    checkpointed (backward needs it first).

    >>> import numpy as np
    >>> import autograd_engine as ag
    >>> import nn
    >>> ag.manual_seed(0)
    >>> net = nn.Sequential(*[nn.Linear(4, 4, dtype=np.float64) for _ in range(4)])
    >>> x = ag.randn(2, 4)
    >>> y = nn.checkpoint_sequential(net, 2, x)
    >>> bool(np.array_equal(y.data, net(x).data))
    True
    >>> y.sum().backward()
    >>> net[0].weight.grad.shape
    (4, 4)
    """
    layers = list(modules)
    if not layers:
        raise ValueError("checkpoint_sequential: modules is empty; pass at least one module")
    if isinstance(segments, bool) or not isinstance(segments, (int, np.integer)) or not (
            1 <= segments <= len(layers)):
        raise ValueError(
            f"checkpoint_sequential: segments must be an int from 1 to the number of modules "
            f"({len(layers)}), got {segments!r}"
        )
    size = len(layers) // int(segments)

    def run(part: list) -> Any:
        def forward(h: ag.Tensor) -> ag.Tensor:
            for layer in part:
                h = layer(h)
            return h

        return forward

    end = 0
    for start in range(0, size * (int(segments) - 1), size):
        end = start + size
        x = ag.checkpoint(run(layers[start:end]), x, preserve_rng_state=preserve_rng_state)
    return run(layers[end:])(x)
