"""jvp: forward mode against the forward pass alone and against the double-reverse jvp.

The op_overhead chain (``y = y * a; y = y + b; y = tanh(y)``, 300 ops, then ``sum``) in float64
on (256, 256) arrays. ``forward`` runs the chain alone (nothing recorded); ``ours`` is
``func.jvp`` (one pass carrying tangents); ``double_reverse`` is the jvp that ``func.jvp`` computed
before forward mode existed: two reverse passes (``J t = d/du <J^T u, t>`` for a dummy ``u``);
``torch_jvp`` is ``torch.func.jvp`` when PyTorch is installed. Each jvp step also returns the sum
of the output tangent, compared across the jvp implementations. Target: ``ours`` at most 2.5x
``forward``.

Run: ``python3 -m benchmarks.jvp [--quick]`` (``--impls forward,ours`` for a subset).
"""

from __future__ import annotations

import numpy as np

from .op_overhead import _chain as _op_chain

NAME = "jvp"
TITLE = "jvp of a 300-op elementwise chain (mul, add, tanh) on (256, 256), float64"
REFERENCE = "forward"
LOSS_RTOL = 1e-10
TARGET = {"metric": "ratio", "vs": "forward", "max": 2.5, "text": "<= 2.5x the forward alone"}
N_OPS = 300


def make_inputs(shape: tuple = (256, 256), n_ops: int = N_OPS, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal(shape),
        "v": rng.standard_normal(shape),
        "a": rng.uniform(0.5, 1.5, shape),
        "b": rng.uniform(-0.5, 0.5, shape),
        "n_ops": np.array(n_ops),
    }


def ops_per_step(inp: dict) -> int:
    return int(inp["n_ops"])


def _chain(y, a, b, tanh, n_ops):
    """op_overhead's chain (mul, add, tanh in turn), summed: a scalar to differentiate."""
    return _op_chain(y, a, b, tanh, n_ops).sum()


def setup_forward(inp: dict):
    import autograd_engine as ag

    x, a, b, n_ops = ag.Tensor(inp["x"]), ag.Tensor(inp["a"]), ag.Tensor(inp["b"]), int(inp["n_ops"])

    def step() -> float:
        return _chain(x, a, b, ag.tanh, n_ops).item()

    return step


def setup_ours(inp: dict):
    import autograd_engine as ag
    from autograd_engine import func

    x, v = ag.Tensor(inp["x"]), ag.Tensor(inp["v"])
    a, b, n_ops = ag.Tensor(inp["a"]), ag.Tensor(inp["b"]), int(inp["n_ops"])

    def step() -> float:
        out, t = func.jvp(lambda x: _chain(x, a, b, ag.tanh, n_ops), (x,), (v,))
        return out.item(), t.item()

    return step


def double_reverse_jvp(f, x, v):
    """``(f(x), J v)`` by two reverse passes, as ``func.jvp`` did before forward mode."""
    import autograd_engine as ag

    x = ag.Tensor(x.data, requires_grad=True)
    out = f(x)
    u = ag.Tensor(np.zeros_like(out.data), requires_grad=True)
    (g,) = ag.grad(out, [x], grad_outputs=[u], create_graph=True)  # J^T u, linear in u
    (t,) = ag.grad(g, [u], grad_outputs=[v])  # d<J^T u, v>/du = J v
    return out.detach(), t


def setup_double_reverse(inp: dict):
    import autograd_engine as ag

    x, v = ag.Tensor(inp["x"]), ag.Tensor(inp["v"])
    a, b, n_ops = ag.Tensor(inp["a"]), ag.Tensor(inp["b"]), int(inp["n_ops"])

    def step() -> float:
        out, t = double_reverse_jvp(lambda x: _chain(x, a, b, ag.tanh, n_ops), x, v)
        return out.item(), t.item()

    return step


def setup_torch_jvp(inp: dict):
    import torch

    x, v = torch.from_numpy(inp["x"]), torch.from_numpy(inp["v"])
    a, b, n_ops = torch.from_numpy(inp["a"]), torch.from_numpy(inp["b"]), int(inp["n_ops"])

    def step() -> float:
        out, t = torch.func.jvp(lambda x: _chain(x, a, b, torch.tanh, n_ops), (x,), (v,))
        return out.item(), t.item()

    return step


IMPLS = {"forward": setup_forward, "ours": setup_ours, "double_reverse": setup_double_reverse,
         "torch_jvp": setup_torch_jvp}

if __name__ == "__main__":
    import sys

    from benchmarks._harness import main_for

    sys.exit(main_for(sys.modules[__name__]))
