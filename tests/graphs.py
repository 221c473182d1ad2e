"""Small graphs several test files draw or step through (a helper module, not a test file)."""

from __future__ import annotations

import autograd_engine as ag


def neuron() -> tuple:
    """A one-input neuron o = tanh(x1*w1 + b), every node named; returns o and (x1, w1, b, n)."""
    x1 = ag.Tensor(2.0, requires_grad=True, name="x1")
    w1 = ag.Tensor(-3.0, requires_grad=True, name="w1")
    b = ag.Tensor(6.8813735870195432, requires_grad=True, name="b")
    n = x1 * w1 + b
    n.name = "n"
    o = n.tanh()
    o.name = "o"
    return o, (x1, w1, b, n)
