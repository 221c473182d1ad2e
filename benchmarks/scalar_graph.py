"""scalar_mlp, scalar-graph form: micrograd's demo built from 0-d tensors, one node per scalar op.

The same model, data and weights as ``scalar_mlp.py`` (MLP 2-16-16-1, 100 moons, SVM loss +
1e-4 L2, full-batch SGD, float64), written exactly as micrograd's demo writes it: a neuron is
``sum((wi * xi for wi, xi in zip(w, x)), b)`` followed by ``relu``; the loss is
``sum(relu(1 + -yi * si)) * (1 / n) + alpha * sum(p * p)``. The model code below is shared by
every implementation, which only supplies its scalar parameters and ``relu``. One repetition is
one step: build the graph, backward, update.

The op count (reported per step) is taken by running the same code on a counting scalar type, so
µs/op is the step time divided by the number of recorded scalar ops (about 65k).

Run: ``python3 -m benchmarks.scalar_graph [--quick]``.
"""

from __future__ import annotations

import numpy as np

from benchmarks._common import sgd_step
from benchmarks.scalar_mlp import ALPHA, LR
from benchmarks.scalar_mlp import make_inputs as _make_inputs

NAME = "scalar_graph"
TITLE = "micrograd's demo from 0-d tensors (one node per scalar op), MLP 2-16-16-1, 100 moons, float64"
REFERENCE = "torch"
LOSS_RTOL = 1e-9
TARGET = {"metric": "per_op_us", "max": 5.0, "text": "<= 5 µs per scalar op"}


def make_inputs(n_samples: int = 100, sizes: tuple = (2, 16, 16, 1), seed: int = 1337) -> dict:
    return _make_inputs(n_samples=n_samples, sizes=sizes, seed=seed)


def _layer_arrays(inp: dict) -> list[tuple[np.ndarray, np.ndarray]]:
    n = len([k for k in inp if k.startswith("w")])
    return [(inp[f"w{i}"], inp[f"b{i}"]) for i in range(1, n + 1)]


def build_model(inp: dict, scalar):
    """Layers as lists of neurons ``(w list, b)`` of scalars made by ``scalar(float)``."""
    layers = []
    for w, b in _layer_arrays(inp):
        layers.append([([scalar(float(w[i, j])) for i in range(w.shape[0])], scalar(float(b[j])))
                       for j in range(w.shape[1])])
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
    return layers, params


def demo_loss(layers, params, xs, ys, relu):
    """micrograd's demo, op for op (xs, ys are Python floats: constants)."""
    scores = []
    for x in xs:
        for k, layer in enumerate(layers):
            out = [sum((wi * xi for wi, xi in zip(ws, x)), b) for ws, b in layer]
            x = [relu(o) for o in out] if k < len(layers) - 1 else out
        scores.append(x[0])
    losses = [relu(1 + -yi * si) for yi, si in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in params)
    return data_loss + reg_loss


def _data(inp: dict):
    return inp["x"].tolist(), inp["y"].tolist()


# ----- the op counter -----
class _Count:
    __slots__ = ()
    n = 0

    def _op(self, other=None):
        _Count.n += 1
        return self

    __add__ = __radd__ = __mul__ = __rmul__ = _op


def ops_per_step(inp: dict) -> int:
    layers, params = build_model(inp, lambda v: _Count())
    xs, ys = _data(inp)
    _Count.n = 0
    demo_loss(layers, params, xs, ys, lambda v: v._op())
    return _Count.n


# ----- ours -----
def setup_ours(inp: dict):
    import autograd_engine as ag

    layers, params = build_model(inp, lambda v: ag.Tensor(v, requires_grad=True))
    xs, ys = _data(inp)

    def step() -> float:
        loss = demo_loss(layers, params, xs, ys, ag.relu)
        loss.backward()
        sgd_step(params, LR)
        return loss.item()

    return step


# ----- ours, compiled: traced once in setup (65k scalar ops become 65k statements) -----
def setup_ours_compiled(inp: dict):
    import autograd_engine as ag

    layers, params = build_model(inp, lambda v: ag.Tensor(v, requires_grad=True))
    xs, ys = _data(inp)

    @ag.compile
    def forward_backward():
        loss = demo_loss(layers, params, xs, ys, ag.relu)
        loss.backward()
        return loss

    forward_backward()  # the trace, in setup: it changes no parameter
    for p in params:
        p.grad = None

    def step() -> float:
        loss = forward_backward()
        sgd_step(params, LR)
        return loss.item()

    return step


# ----- PyTorch, 0-d float64 tensors -----
def setup_torch(inp: dict):
    import torch

    layers, params = build_model(inp, lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True))
    xs, ys = _data(inp)

    def step() -> float:
        loss = demo_loss(layers, params, xs, ys, torch.relu)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss.item()

    return step


# ----- micrograd (its own Value; the garbage collector left on, as users run it) -----
def setup_micrograd(inp: dict):
    from micrograd.engine import Value

    layers, params = build_model(inp, Value)
    xs, ys = _data(inp)

    def step() -> float:
        loss = demo_loss(layers, params, xs, ys, lambda v: v.relu())
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return float(loss.data)

    return step


QUICK_SKIP = ("compiled",)  # its trace takes tens of seconds

IMPLS = {
    "ours": setup_ours,
    "compiled": setup_ours_compiled,
    "torch": setup_torch,
    "micrograd": setup_micrograd,
}

if __name__ == "__main__":
    import sys

    from benchmarks._harness import main_for

    sys.exit(main_for(sys.modules[__name__]))
