"""deep_chain: 100,000 sequential scalar steps ``x = x * a + b``, then backward.

``x0``, ``a`` and ``b`` are 0-d float64 leaves that require grad; the graph is a chain 200,000 ops
deep (a mul and an add per step), so a recursive topological sort fails (micrograd raises
RecursionError, reported as a failure). One repetition builds the chain and runs backward. The
first step's loss (``x`` at the end) and the sum of the three gradients are compared.
"By hand" is the chain rule written out in a Python loop over floats (stored intermediates).

Run: ``python3 -m benchmarks.deep_chain [--quick]``.
"""

from __future__ import annotations

import numpy as np

NAME = "deep_chain"
TITLE = "100,000 sequential scalar steps x = x*a + b (200k ops), then backward, float64"
REFERENCE = "numpy"
LOSS_RTOL = 1e-9
TARGET = {"metric": "ratio", "vs": "torch", "max": 1.0, "text": "completes, <= PyTorch's time"}
N = 100_000
QUICK_SKIP = ("autograd", "mygrad", "compiled")  # the slowest peers; compiled: a long trace


def make_inputs(n: int = N) -> dict:
    return {"x0": np.array(0.5), "a": np.array(0.99), "b": np.array(0.01), "n": np.array(n)}


def ops_per_step(inp: dict) -> int:
    return 2 * int(inp["n"])


def _floats(inp: dict):
    return float(inp["x0"]), float(inp["a"]), float(inp["b"]), int(inp["n"])


def _chain(x, a, b, n):
    for _ in range(n):
        x = x * a + b
    return x


# ----- by hand (Python floats) -----
def setup_numpy(inp: dict):
    x0, a, b, n = _floats(inp)

    def step():
        xs = [0.0] * n
        x = x0
        for i in range(n):
            xs[i] = x
            x = x * a + b
        g, da, db = 1.0, 0.0, 0.0
        for i in range(n - 1, -1, -1):
            da += g * xs[i]
            db += g
            g *= a
        return x, g + da + db

    return step


# ----- ours -----
def setup_ours(inp: dict):
    import autograd_engine as ag

    x0v, av, bv, n = _floats(inp)
    x0, a, b = (ag.Tensor(v, requires_grad=True) for v in (x0v, av, bv))
    leaves = (x0, a, b)

    def step():
        out = _chain(x0, a, b, n)
        out.backward()
        gsum = sum(float(t.grad.data) for t in leaves)
        for t in leaves:
            t.grad = None
        return out.item(), gsum

    return step


# ----- ours, compiled: traced (and 200k statements generated) once, in setup -----
def setup_ours_compiled(inp: dict):
    import autograd_engine as ag

    x0v, av, bv, n = _floats(inp)
    x0, a, b = (ag.Tensor(v, requires_grad=True) for v in (x0v, av, bv))
    leaves = (x0, a, b)

    @ag.compile
    def forward_backward():
        out = _chain(x0, a, b, n)
        out.backward()
        return out

    forward_backward()  # the trace: tens of seconds at this size, not part of a step
    for t in leaves:
        t.grad = None

    def step():
        out = forward_backward()
        gsum = sum(float(t.grad.data) for t in leaves)
        for t in leaves:
            t.grad = None
        return out.item(), gsum

    return step


# ----- PyTorch -----
def setup_torch(inp: dict):
    import torch

    x0v, av, bv, n = _floats(inp)
    leaves = tuple(torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x0v, av, bv))

    def step():
        out = _chain(*leaves, n)
        out.backward()
        gsum = sum(t.grad.item() for t in leaves)
        for t in leaves:
            t.grad = None
        return out.item(), gsum

    return step


# ----- HIPS autograd -----
def setup_autograd(inp: dict):
    from autograd import value_and_grad

    x0v, av, bv, n = _floats(inp)
    vg = value_and_grad(lambda p: _chain(p[0], p[1], p[2], n))

    def step():
        out, grads = vg((x0v, av, bv))
        return float(out), float(sum(grads))

    return step


# ----- MyGrad -----
def setup_mygrad(inp: dict):
    import mygrad as mg

    x0v, av, bv, n = _floats(inp)
    leaves = tuple(mg.Tensor(v) for v in (x0v, av, bv))

    def step():
        out = _chain(*leaves, n)
        out.backward()
        gsum = sum(float(t.grad) for t in leaves)
        value = out.item()
        out.null_grad()
        return value, gsum

    return step


# ----- micrograd (expected to fail: its topological sort is recursive) -----
def setup_micrograd(inp: dict):
    from micrograd.engine import Value

    x0v, av, bv, n = _floats(inp)

    def step():
        leaves = (Value(x0v), Value(av), Value(bv))
        out = _chain(*leaves, n)
        out.backward()
        return out.data, sum(t.grad for t in leaves)

    return step


IMPLS = {
    "numpy": setup_numpy,
    "ours": setup_ours,
    "compiled": setup_ours_compiled,
    "torch": setup_torch,
    "autograd": setup_autograd,
    "mygrad": setup_mygrad,
    "micrograd": setup_micrograd,
}

if __name__ == "__main__":
    import sys

    from benchmarks._harness import main_for

    sys.exit(main_for(sys.modules[__name__]))
