"""scalar_mlp (vectorised): micrograd's demo with matrices, float64.

micrograd's demo: MLP 2-16-16-1 (ReLU, linear output) on 100 two-moons points
(``sklearn.datasets.make_moons(n_samples=100, noise=0.1, random_state=1)``, reproduced in NumPy
below; labels as ±1), SVM
max-margin loss ``mean(relu(1 - y * score))`` + ``1e-4 * sum(p**2)`` over all parameters,
full-batch SGD. One repetition is one step (forward, loss, backward, update). Weights are drawn
as micrograd draws them (uniform in [-1, 1], biases 0) from a fixed NumPy seed; the same arrays
feed the scalar-graph form (``scalar_graph.py``). Layout: ``W`` is ``(in, out)``, ``h @ W + b``.

Run: ``python3 -m benchmarks.scalar_mlp [--quick]``.
"""

from __future__ import annotations

import numpy as np

from benchmarks._common import sgd_step

NAME = "scalar_mlp"
TITLE = "micrograd's demo vectorised: MLP 2-16-16-1 on 100 moons, SVM loss + 1e-4 L2, SGD, float64"
REFERENCE = "numpy"
LOSS_RTOL = 1e-9
TARGET = {"metric": "ratio", "vs": "numpy", "max": 4.0, "text": "<= 4x NumPy by hand"}
LR = 0.05
ALPHA = 1e-4
SIZES = (2, 16, 16, 1)


def make_moons(n_samples: int = 100, noise: float = 0.1, random_state: int = 1):
    """``sklearn.datasets.make_moons(n_samples, noise=noise, random_state=random_state)``, in
    NumPy: the same arrays (checked against scikit-learn 1.9), without importing scikit-learn."""
    rs = np.random.RandomState(random_state)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    x = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], 1)])
    y = np.concatenate([np.zeros(n_out, int), np.ones(n_in, int)])
    order = np.arange(n_samples)
    rs.shuffle(order)
    x, y = x[order], y[order]
    return x + rs.normal(scale=noise, size=x.shape), y


def make_inputs(n_samples: int = 100, sizes: tuple = SIZES, seed: int = 1337) -> dict:
    x, y = make_moons(n_samples=n_samples, noise=0.1, random_state=1)
    inp = {"x": x.astype(np.float64), "y": (y * 2 - 1).astype(np.float64)}
    rng = np.random.default_rng(seed)
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), 1):
        inp[f"w{i}"] = rng.uniform(-1, 1, (fan_in, fan_out))
        inp[f"b{i}"] = np.zeros(fan_out)
    return inp


def _params(inp: dict) -> list[np.ndarray]:
    n = len([k for k in inp if k.startswith("w")])
    return [inp[f"{k}{i}"].copy() for i in range(1, n + 1) for k in "wb"]


# ----- NumPy by hand -----
def setup_numpy(inp: dict):
    x, y = inp["x"], inp["y"][:, None]
    params = _params(inp)
    n = len(x)

    def step() -> float:
        acts = [x]
        h = x
        nl = len(params) // 2
        for i in range(nl):
            h = h @ params[2 * i] + params[2 * i + 1]
            if i < nl - 1:
                h = np.maximum(h, 0)
                acts.append(h)
        margin = 1 - y * h
        data_loss = np.maximum(margin, 0).sum() / n
        reg = ALPHA * sum((p * p).sum() for p in params)
        g = np.where(margin > 0, -y, 0.0) / n  # d loss / d score
        for i in range(nl - 1, -1, -1):
            w, b = params[2 * i], params[2 * i + 1]
            a = acts[i]
            dw = a.T @ g
            db = g.sum(axis=0)
            if i > 0:
                g = (g @ w.T) * (a > 0)
            w -= LR * (dw + 2 * ALPHA * w)
            b -= LR * (db + 2 * ALPHA * b)
        return float(data_loss + reg)

    return step


def _loss_generic(mm, relu, total, params, x, y, n):
    """Forward and loss in any NumPy-like array library: ``mm``, ``relu``, ``total`` (a sum)."""
    h = x
    nl = len(params) // 2
    for i in range(nl):
        h = mm(h, params[2 * i]) + params[2 * i + 1]
        if i < nl - 1:
            h = relu(h)
    data_loss = total(relu(1 - y * h)) * (1.0 / n)
    reg = ALPHA * sum(total(p * p) for p in params)
    return data_loss + reg


# ----- ours -----
def setup_ours(inp: dict):
    import autograd_engine as ag

    x, y = ag.Tensor(inp["x"]), ag.Tensor(inp["y"][:, None])
    params = [ag.Tensor(p, requires_grad=True) for p in _params(inp)]
    n = len(inp["x"])

    def step() -> float:
        loss = _loss_generic(ag.matmul, ag.relu, ag.sum, params, x, y, n)
        loss.backward()
        sgd_step(params, LR)
        return loss.item()

    return step


# ----- ours, compiled (ag.compile: traced once, then generated NumPy code) -----
def setup_ours_compiled(inp: dict):
    import autograd_engine as ag

    x, y = ag.Tensor(inp["x"]), ag.Tensor(inp["y"][:, None])
    params = [ag.Tensor(p, requires_grad=True) for p in _params(inp)]
    n = len(inp["x"])

    @ag.compile
    def forward_backward():
        loss = _loss_generic(ag.matmul, ag.relu, ag.sum, params, x, y, n)
        loss.backward()
        return loss

    def step() -> float:
        loss = forward_backward()
        sgd_step(params, LR)
        return loss.item()

    return step


# ----- PyTorch -----
def setup_torch(inp: dict):
    import torch

    x, y = torch.from_numpy(inp["x"]), torch.from_numpy(inp["y"][:, None].copy())
    params = [torch.tensor(p, requires_grad=True) for p in _params(inp)]
    opt = torch.optim.SGD(params, lr=LR)
    n = len(inp["x"])

    def step() -> float:
        opt.zero_grad()
        loss = _loss_generic(torch.matmul, torch.relu, torch.sum, params, x, y, n)
        loss.backward()
        opt.step()
        return loss.item()

    return step


# ----- HIPS autograd -----
def setup_autograd(inp: dict):
    import autograd.numpy as anp
    from autograd import value_and_grad

    x, y = inp["x"], inp["y"][:, None]
    params = _params(inp)
    n = len(x)

    def loss_fn(ps):
        return _loss_generic(anp.dot, lambda v: anp.maximum(v, 0.0), anp.sum, ps, x, y, n)

    vg = value_and_grad(loss_fn)

    def step() -> float:
        loss, grads = vg(params)
        for p, g in zip(params, grads):
            p -= LR * g
        return float(loss)

    return step


# ----- MyGrad -----
def setup_mygrad(inp: dict):
    import mygrad as mg
    from mygrad.nnet.activations import relu

    x, y = inp["x"], inp["y"][:, None]
    params = [mg.Tensor(p) for p in _params(inp)]
    n = len(x)

    def step() -> float:
        loss = _loss_generic(mg.matmul, relu, mg.sum, params, x, y, n)
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        value = loss.item()
        loss.null_grad()
        return value

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
