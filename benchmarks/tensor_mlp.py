"""tensor_mlp: MLP 784-512-512-10, ReLU, softmax cross-entropy, one SGD step, float32.

One repetition is a full training step on a batch of 256: forward, loss, backward, SGD update.
Weights are stored in PyTorch's Linear layout ``(out, in)``; implementations that compute
``x @ W`` take a transposed copy once, at setup (not timed).

Run: ``python3 -m benchmarks.tensor_mlp [--quick]``.
"""

from __future__ import annotations

import numpy as np

from benchmarks._common import sgd_step

NAME = "tensor_mlp"
TITLE = "MLP 784-512-512-10, ReLU, batch 256, softmax cross-entropy, SGD step, float32"
REFERENCE = "numpy"
LOSS_RTOL = 1e-4
TARGET = {"metric": "ratio", "vs": "numpy", "max": 1.10, "text": "<= 1.10x NumPy by hand"}
LR = 0.01
SIZES = (784, 512, 512, 10)


def make_inputs(batch: int = 256, sizes: tuple = SIZES, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    inp = {
        "x": rng.standard_normal((batch, sizes[0]), dtype=np.float32),
        "y": rng.integers(0, sizes[-1], batch),
    }
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), 1):
        bound = 1 / np.sqrt(fan_in)  # PyTorch's default Linear init
        inp[f"w{i}"] = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
        inp[f"b{i}"] = rng.uniform(-bound, bound, fan_out).astype(np.float32)
    return inp


def _layers(inp: dict) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W as (in, out) contiguous copy, b) per layer."""
    n = len([k for k in inp if k.startswith("w")])
    return [(np.ascontiguousarray(inp[f"w{i}"].T), inp[f"b{i}"].copy()) for i in range(1, n + 1)]


# ----- NumPy by hand: the reference, essentially the matmul floor -----
def setup_numpy(inp: dict):
    x, y = inp["x"], inp["y"]
    layers = _layers(inp)
    rows = np.arange(x.shape[0])
    n = x.shape[0]

    def step() -> float:
        acts = [x]  # inputs of each layer (post-ReLU)
        h = x
        for i, (w, b) in enumerate(layers):
            h = h @ w
            h += b
            if i < len(layers) - 1:
                np.maximum(h, 0, out=h)
                acts.append(h)
        z = h
        zmax = z.max(axis=1, keepdims=True)
        e = np.exp(z - zmax)
        s = e.sum(axis=1, keepdims=True)
        loss = -(z[rows, y] - zmax[:, 0] - np.log(s[:, 0])).mean()
        g = e / s  # d loss / d z
        g[rows, y] -= 1
        g /= n
        for i in range(len(layers) - 1, -1, -1):
            w, b = layers[i]
            a = acts[i]
            dw = a.T @ g
            db = g.sum(axis=0)
            if i > 0:
                g = g @ w.T
                g *= a > 0  # ReLU: a is the ReLU output of the previous layer
            dw *= LR
            w -= dw
            b -= LR * db
        return float(loss)

    return step


# ----- ours, raw ops -----
def _raw_loss(ag, x, params, rows, y):
    """The raw-ops forward and loss, shared by the eager and the compiled variant."""
    h = x
    for i, (w, b) in enumerate(params):
        h = h @ w + b
        if i < len(params) - 1:
            h = ag.relu(h)
    logp = ag.log_softmax(h, axis=-1)
    return -ag.mean(logp[rows, y])


def _raw_problem(ag, inp: dict):
    """Inputs, labels, row indices and the (weight, bias) Tensors of the raw-ops variants."""
    y = inp["y"]
    params = [(ag.Tensor(w, requires_grad=True), ag.Tensor(b, requires_grad=True))
              for w, b in _layers(inp)]
    return ag.Tensor(inp["x"]), y, np.arange(len(y)), params, [p for wb in params for p in wb]


def setup_ours(inp: dict):
    import autograd_engine as ag

    x, y, rows, params, flat = _raw_problem(ag, inp)

    def step() -> float:
        loss = _raw_loss(ag, x, params, rows, y)
        loss.backward()
        sgd_step(flat, LR)
        return loss.item()

    return step


# ----- ours, through the nn package (nn.Linear, nn.functional.cross_entropy, nn.optim.SGD) -----
def _nn_setup(inp: dict):
    """The nn model (weights from ``inp``), its SGD optimizer, the inputs and the loss."""
    import autograd_engine as ag

    try:
        import nn
        from nn import functional as F
        from nn.optim import SGD

        Linear, Sequential, ReLU, cross_entropy = nn.Linear, nn.Sequential, nn.ReLU, F.cross_entropy
    except AttributeError as exc:
        raise ImportError(f"nn is not complete yet: {exc}") from exc
    n = len([k for k in inp if k.startswith("w")])
    mods = []
    for i in range(1, n + 1):
        w, b = inp[f"w{i}"], inp[f"b{i}"]
        lin = Linear(w.shape[1], w.shape[0])
        lin.weight.data[...] = w
        lin.bias.data[...] = b
        mods.append(lin)
        if i < n:
            mods.append(ReLU())
    model = Sequential(*mods)
    return model, SGD(model.parameters(), lr=LR), ag.Tensor(inp["x"]), inp["y"], cross_entropy


def setup_ours_nn(inp: dict):
    model, opt, x, y, cross_entropy = _nn_setup(inp)

    def step() -> float:
        opt.zero_grad()
        loss = cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


# ----- ours, compiled: the two steps above through ag.compile (traced once, then NumPy code) -----
def setup_ours_compiled(inp: dict):
    import autograd_engine as ag

    x, y, rows, params, flat = _raw_problem(ag, inp)

    @ag.compile
    def forward_backward():
        loss = _raw_loss(ag, x, params, rows, y)
        loss.backward()
        return loss

    def step() -> float:
        loss = forward_backward()
        sgd_step(flat, LR)
        return loss.item()

    return step


def setup_ours_nn_compiled(inp: dict):
    """The whole ``ours_nn`` training step (zero_grad, forward, loss, backward, SGD step)
    compiled: the optimizer's step is replayed on the compiled gradients."""
    import autograd_engine as ag

    model, opt, x, y, cross_entropy = _nn_setup(inp)

    @ag.compile
    def train_step():
        opt.zero_grad()
        loss = cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return lambda: train_step().item()


# ----- PyTorch, idiomatic: F.linear, F.cross_entropy, optim.SGD -----
def setup_torch(inp: dict):
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(inp["x"])
    y = torch.from_numpy(inp["y"])
    n = len([k for k in inp if k.startswith("w")])
    params = [(torch.tensor(inp[f"w{i}"], requires_grad=True), torch.tensor(inp[f"b{i}"], requires_grad=True))
              for i in range(1, n + 1)]
    opt = torch.optim.SGD([p for wb in params for p in wb], lr=LR)

    def step() -> float:
        opt.zero_grad()
        h = x
        for i, (w, b) in enumerate(params):
            h = F.linear(h, w, b)
            if i < len(params) - 1:
                h = F.relu(h)
        loss = F.cross_entropy(h, y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


# ----- HIPS autograd -----
def setup_autograd(inp: dict):
    import autograd.numpy as anp
    from autograd import value_and_grad

    x, y = inp["x"], inp["y"]
    rows = np.arange(len(y))
    flat = [a for wb in _layers(inp) for a in wb]

    def loss_fn(params):
        h = x
        for i in range(0, len(params), 2):
            h = anp.dot(h, params[i]) + params[i + 1]
            if i < len(params) - 2:
                h = anp.maximum(h, 0.0)
        zmax = anp.max(h, axis=1, keepdims=True)
        logp = h - zmax - anp.log(anp.sum(anp.exp(h - zmax), axis=1, keepdims=True))
        return -anp.mean(logp[rows, y])

    vg = value_and_grad(loss_fn)

    def step() -> float:
        loss, grads = vg(flat)
        for p, g in zip(flat, grads):
            p -= LR * g
        return float(loss)

    return step


# ----- MyGrad -----
def setup_mygrad(inp: dict):
    import mygrad as mg
    from mygrad.nnet.activations import relu
    from mygrad.nnet.losses import softmax_crossentropy

    x, y = inp["x"], inp["y"]
    params = [(mg.Tensor(w), mg.Tensor(b)) for w, b in _layers(inp)]

    def step() -> float:
        h = x
        for i, (w, b) in enumerate(params):
            h = mg.matmul(h, w) + b
            if i < len(params) - 1:
                h = relu(h)
        loss = softmax_crossentropy(h, y)
        loss.backward()
        for wb in params:
            for p in wb:
                p.data -= LR * p.grad
        value = loss.item()
        loss.null_grad()
        return value

    return step


IMPLS = {
    "numpy": setup_numpy,
    "ours": setup_ours,
    "ours_nn": setup_ours_nn,
    "compiled": setup_ours_compiled,
    "compiled_nn": setup_ours_nn_compiled,
    "torch": setup_torch,
    "autograd": setup_autograd,
    "mygrad": setup_mygrad,
}

if __name__ == "__main__":
    import sys

    from benchmarks._harness import main_for

    sys.exit(main_for(sys.modules[__name__]))
