"""meProp: backprop that keeps only the ``k`` largest entries of each layer's output gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_engine as ag

from ..layers import Linear
from .base import HookedBackprop

__all__ = ["MeProp", "TopKGradient"]


class TopKGradient(ag.Function):
    """Identity forward; backward keeps, in every row (example), the ``k`` entries of the incoming
    gradient with the largest magnitude and zeroes the rest.

    >>> import numpy as np
    >>> import autograd_engine as ag
    >>> import nn
    >>> a = ag.Tensor(np.zeros((1, 3)), requires_grad=True)
    >>> nn.rules.TopKGradient.apply(a, k=1).backward(np.array([[0.5, -2.0, 1.0]]))
    >>> a.grad
    Tensor([[ 0., -2.,  0.]])
    """

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, k: int) -> np.ndarray:
        ctx.k = k
        return a.copy()

    @staticmethod
    def backward(ctx: Any, grad: ag.Tensor) -> ag.Tensor:
        g = np.asarray(grad.data)
        k = ctx.k
        if k >= g.shape[-1]:
            return grad
        flat = g.reshape(-1, g.shape[-1])
        keep = np.argpartition(-np.abs(flat), k - 1, axis=1)[:, :k]
        out = np.zeros_like(flat)
        rows = np.arange(len(flat))[:, None]
        out[rows, keep] = flat[rows, keep]
        return ag.Tensor(out.reshape(g.shape))


class MeProp(HookedBackprop):
    """meProp, minimal-effort backpropagation (Sun, Ren, Ma & Wang 2017, "meProp: sparsified back
    propagation for accelerated deep learning with reduced overfitting", ICML).

    Backprop, except that the gradient at every ``nn.Linear`` output ``y = W x`` is sparsified to
    its top ``k`` entries (by magnitude) in each example before it is used::

        δ̃ = top_k(δ),   ∂L/∂W ≈ δ̃ᵀ x,   ∂L/∂x ≈ δ̃ W

    so only ``k`` rows of ``W`` are updated per example and the backward matrix products touch
    only ``k`` of the layer's outputs. Works with any model built from ``nn.Linear`` layers (a
    forward hook inserts :class:`TopKGradient` after each). Layers with ``≤ k`` outputs are exact.

    >>> import numpy as np
    >>> import nn
    >>> model = nn.MLP([4, 8, 3], activation="tanh")
    >>> _ = nn.rules.MeProp(k=2).step(model, nn.CrossEntropyLoss(), np.ones((1, 4), np.float32),
    ...                               np.array([1]))
    >>> int((np.abs(model[0].weight.grad.data).sum(axis=1) > 0).sum())  # rows updated: k
    2
    """

    def __init__(self, k: int = 16) -> None:
        if k < 1:
            raise ValueError(f"MeProp: k must be >= 1, got {k}")
        self.k = k

    def layer_output(self, module: Linear, args: tuple, out: ag.Tensor) -> ag.Tensor:
        return TopKGradient.apply(out, k=self.k)
