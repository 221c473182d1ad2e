"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_`` (in place, like PyTorch)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_engine as ag

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


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
