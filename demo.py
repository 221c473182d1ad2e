"""The main job: build an expression, run backward, print values and gradients.

Run from the repository root with ``bash scripts/demo.sh`` (or ``python3 -m demo``).
"""

from __future__ import annotations

import numpy as np

import autograd_engine as ag


def scalar_demo() -> None:
    """micrograd's sanity-check expression, built from 0-d Tensors."""
    a = ag.Tensor(-4.0, requires_grad=True, name="a")
    b = ag.Tensor(2.0, requires_grad=True, name="b")
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    print(f"scalar expression: g = {g.item():.4f}   dg/da = {a.grad.item():.4f}   "
          f"dg/db = {b.grad.item():.4f}")


def tensor_demo() -> None:
    """A tensor expression with broadcasting, and a second derivative."""
    ag.manual_seed(0)
    x = ag.randn(4, 3, requires_grad=True)
    w = ag.randn(3, 2, requires_grad=True)
    b = ag.zeros(2, requires_grad=True)
    loss = (x @ w + b).tanh().logsumexp(axis=1).mean()
    loss.backward()
    print(f"tensor expression: loss = {loss.item():.6f}")
    print("  dloss/dw =\n" + np.array2string(w.grad.data, precision=4))
    print("  dloss/db =", np.array2string(b.grad.data, precision=4))

    t = ag.Tensor(0.5, requires_grad=True)
    (d1,) = ag.grad(t.sin() * t, t, create_graph=True)
    (d2,) = ag.grad(d1, t)
    print(f"d/dt (t sin t) at 0.5 = {d1.item():.6f}, second derivative = {d2.item():.6f}")


def main() -> None:
    scalar_demo()
    tensor_demo()


if __name__ == "__main__":
    main()
