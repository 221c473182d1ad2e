"""op_overhead: a chain of 1000 elementwise ops (mul, add, tanh in turn), forward + backward.

``y = x; repeat: y = y * a; y = y + b; y = tanh(y)`` for 1000 ops, then ``y.sum()`` and backward
to ``x`` (``a`` and ``b`` are constants that need no gradient). Shape (8,) measures the per-op
overhead of the engine; ``op_overhead_256.py`` runs the same on (256, 256), float32 both.
Reported per op: step time / 1000. Each step also returns the sum of ``x``'s gradient, compared
across implementations like the loss.

Run: ``python3 -m benchmarks.op_overhead [--quick]``.
"""

from __future__ import annotations

import numpy as np

NAME = "op_overhead"
TITLE = "chain of 1000 elementwise ops (mul, add, tanh) forward + backward, shape (8,), float32"
REFERENCE = "numpy"
LOSS_RTOL = 1e-5
TARGET = {"metric": "per_op_us", "max": 3.7, "text": "<= 3.7 µs per op"}
N_OPS = 1000


def make_inputs(shape: tuple = (8,), n_ops: int = N_OPS, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal(shape).astype(np.float32),
        "a": rng.uniform(0.5, 1.5, shape).astype(np.float32),
        "b": rng.uniform(-0.5, 0.5, shape).astype(np.float32),
        "n_ops": np.array(n_ops),
    }


def ops_per_step(inp: dict) -> int:
    return int(inp["n_ops"])


def _chain(y, a, b, tanh, n_ops):
    for k in range(n_ops):
        m = k % 3
        if m == 0:
            y = y * a
        elif m == 1:
            y = y + b
        else:
            y = tanh(y)
    return y


# ----- NumPy by hand -----
def setup_numpy(inp: dict):
    x, a, b, n_ops = inp["x"], inp["a"], inp["b"], int(inp["n_ops"])

    def step() -> float:
        y = x
        saved = []
        for k in range(n_ops):
            m = k % 3
            if m == 0:
                y = y * a
            elif m == 1:
                y = y + b
            else:
                y = np.tanh(y)
                saved.append(y)
        loss = y.sum()
        g = np.ones_like(y)
        for k in range(n_ops - 1, -1, -1):
            m = k % 3
            if m == 0:
                g = g * a
            elif m == 2:
                t = saved.pop()
                g = g * (1 - t * t)
        return float(loss), float(g.sum())

    return step


# ----- ours -----
def setup_ours(inp: dict):
    import autograd_engine as ag

    x = ag.Tensor(inp["x"], requires_grad=True)
    a, b, n_ops = ag.Tensor(inp["a"]), ag.Tensor(inp["b"]), int(inp["n_ops"])

    def step() -> float:
        loss = _chain(x, a, b, ag.tanh, n_ops).sum()
        loss.backward()
        gsum = float(x.grad.data.sum())
        x.grad = None
        return loss.item(), gsum

    return step


# ----- ours, compiled (ag.compile: traced once, then generated NumPy code) -----
def setup_ours_compiled(inp: dict):
    import autograd_engine as ag

    x = ag.Tensor(inp["x"], requires_grad=True)
    a, b, n_ops = ag.Tensor(inp["a"]), ag.Tensor(inp["b"]), int(inp["n_ops"])

    @ag.compile
    def forward_backward(x):
        loss = _chain(x, a, b, ag.tanh, n_ops).sum()
        loss.backward()
        return loss

    def step() -> float:
        loss = forward_backward(x)
        gsum = float(x.grad.data.sum())
        x.grad = None
        return loss.item(), gsum

    return step


# ----- PyTorch -----
def setup_torch(inp: dict):
    import torch

    x = torch.tensor(inp["x"], requires_grad=True)
    a, b, n_ops = torch.from_numpy(inp["a"]), torch.from_numpy(inp["b"]), int(inp["n_ops"])

    def step() -> float:
        loss = _chain(x, a, b, torch.tanh, n_ops).sum()
        loss.backward()
        gsum = x.grad.sum().item()
        x.grad = None
        return loss.item(), gsum

    return step


# ----- HIPS autograd -----
def setup_autograd(inp: dict):
    import autograd.numpy as anp
    from autograd import value_and_grad

    x, a, b, n_ops = inp["x"], inp["a"], inp["b"], int(inp["n_ops"])
    vg = value_and_grad(lambda x: anp.sum(_chain(x, a, b, anp.tanh, n_ops)))

    def step() -> float:
        loss, g = vg(x)
        return float(loss), float(g.sum())

    return step


# ----- MyGrad -----
def setup_mygrad(inp: dict):
    import mygrad as mg

    x = mg.Tensor(inp["x"])
    a, b, n_ops = inp["a"], inp["b"], int(inp["n_ops"])

    def step() -> float:
        loss = mg.sum(_chain(x, a, b, mg.tanh, n_ops))
        loss.backward()
        value, gsum = loss.item(), float(x.grad.sum())
        loss.null_grad()
        return value, gsum

    return step


IMPLS = {
    "numpy": setup_numpy,
    "ours": setup_ours,
    "compiled": setup_ours_compiled,
    "torch": setup_torch,
    "autograd": setup_autograd,
    "mygrad": setup_mygrad,
}

if __name__ == "__main__":
    import sys

    from benchmarks._harness import main_for

    sys.exit(main_for(sys.modules[__name__]))
