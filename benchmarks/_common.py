"""Pieces the workloads share (kept free of imports: workers load it for every implementation)."""

from __future__ import annotations


def sgd_step(params: list, lr: float) -> None:
    """Plain SGD on our Tensors, as every workload's "ours" variants update: ``p -= lr * grad``
    in the parameter's own array (``p.data -= ...`` would go through the setter, a copy), then
    the gradient cleared.

    >>> import autograd_engine as ag
    >>> p = ag.Tensor([1.0], requires_grad=True)
    >>> (p * 2).sum().backward()
    >>> sgd_step([p], 0.5); p.data, p.grad
    (array([0.]), None)
    """
    for p in params:
        d = p.data
        d -= lr * p.grad.data
        p.grad = None
