"""The straight-through estimator: a step function forward, (clipped) identity backward."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_engine as ag

from ..module import Module

__all__ = ["SignActivation", "SignFunction", "SignSTE", "sign_ste"]


class SignSTE(ag.Function):
    """``sign(x)`` (±1, with ``sign(0) = +1``) whose backward pretends it was ``clip(x, -1, 1)``:
    ``grad · 1[|x| ≤ 1]`` (the straight-through estimator of Bengio, Léonard & Courville 2013,
    "Estimating or propagating gradients through stochastic neurons for conditional
    computation", arXiv:1308.3432, in the clipped form of Hubara et al. 2016, "Binarized
    neural networks", NeurIPS). The true derivative of ``sign`` is 0 almost everywhere, which
    would stop all learning below it.

    >>> import autograd_engine as ag
    >>> import nn
    >>> x = ag.Tensor([0.5, 3.0], requires_grad=True)
    >>> nn.rules.SignSTE.apply(x).sum().backward()
    >>> x.grad
    Tensor([1., 0.])
    """

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.where(x >= 0, 1.0, -1.0).astype(x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: ag.Tensor) -> ag.Tensor:
        (x,) = ctx.saved_tensors
        return grad * (x.abs() <= 1).astype(grad.dtype)


class SignFunction(ag.Function):
    """``sign(x)`` with its true derivative: 0 (almost everywhere).

    >>> import autograd_engine as ag
    >>> import nn
    >>> x = ag.Tensor([0.5, -3.0], requires_grad=True)
    >>> nn.rules.SignFunction.apply(x).sum().backward()
    >>> x.grad
    Tensor([0., 0.])
    """

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return np.where(x >= 0, 1.0, -1.0).astype(x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: ag.Tensor) -> ag.Tensor:
        return grad * 0.0


def sign_ste(x: Any) -> ag.Tensor:
    """``sign(x)`` with the straight-through gradient ``1[|x| ≤ 1]``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> x = ag.Tensor([-2.0, -0.5, 0.3, 1.5], requires_grad=True)
    >>> y = nn.rules.sign_ste(x)
    >>> y.sum().backward()
    >>> y, x.grad
    (Tensor([-1., -1.,  1.,  1.], grad_fn=<SignSTE>), Tensor([0., 1., 1., 0.]))
    """
    return SignSTE.apply(x)


class SignActivation(Module):
    """A binary ``sign`` activation layer. ``straight_through=True`` (default) trains through it
    with :class:`SignSTE`; ``False`` uses the true derivative, 0, so nothing below it learns
    (the comparison notebook 7 makes).

    >>> import autograd_engine as ag
    >>> import nn
    >>> act = nn.rules.SignActivation()
    >>> act(ag.Tensor([-0.2, 0.7]))
    Tensor([-1.,  1.])
    """

    def __init__(self, straight_through: bool = True) -> None:
        super().__init__()
        self.straight_through = straight_through

    def forward(self, x: Any) -> ag.Tensor:
        return (SignSTE if self.straight_through else SignFunction).apply(x)

    def extra_repr(self) -> str:
        return f"straight_through={self.straight_through}"
