"""Regenerate the README pictures: ``python3 docs/images/make_images.py`` (needs Graphviz)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import autograd_engine as ag
import nn
import viz

HERE = Path(__file__).resolve().parent


def scalar_neuron() -> None:
    """micrograd's neuron: o = tanh(x1*w1 + x2*w2 + b), with values and gradients."""
    x1 = ag.Tensor(2.0, requires_grad=True, name="x1")
    x2 = ag.Tensor(0.0, requires_grad=True, name="x2")
    w1 = ag.Tensor(-3.0, requires_grad=True, name="w1")
    w2 = ag.Tensor(1.0, requires_grad=True, name="w2")
    b = ag.Tensor(6.8813735870195432, requires_grad=True, name="b")
    n = x1 * w1 + x2 * w2 + b
    n.name = "n"
    o = n.tanh()
    o.name = "o"
    viz.retain_grads(o)
    o.backward()
    viz.render(o, HERE / "scalar_neuron.png", params=[w1, w2, b])


def mlp_step() -> None:
    """One training step of a small MLP: module clusters, parameter gradients."""
    ag.manual_seed(0)
    model = nn.MLP([2, 8, 8, 1], activation=nn.Tanh)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    x = ag.Tensor(rng.normal(size=(16, 2)).astype(np.float32), name="x")
    y = ag.Tensor(rng.normal(size=(16, 1)).astype(np.float32), name="y")
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.name = "loss"
    loss.backward()
    viz.render(loss, HERE / "mlp_step.png", model=model, rankdir="TB", show_grad=True,
               title="MLP training step, after backward", dpi=72)
    opt.step()


def deep_sigmoid() -> None:
    """Eight sigmoid layers coloured by mean |grad|: the gradient vanishes towards the input."""
    ag.manual_seed(0)
    model = nn.MLP([2] + [16] * 8 + [1], activation=nn.Sigmoid)
    rng = np.random.default_rng(0)
    x = ag.Tensor(rng.normal(size=(32, 2)).astype(np.float32), name="x")
    y = ag.Tensor(rng.normal(size=(32, 1)).astype(np.float32), name="y")
    loss = nn.functional.mse_loss(model(x), y)
    loss.name = "loss"
    viz.retain_grads(loss)
    loss.backward()
    viz.render(loss, HERE / "deep_sigmoid_grads.png", model=model, rankdir="TB",
               color_by_grad=True, title="8 sigmoid layers, coloured by mean |grad|", dpi=60)
    viz.plot_grad_flow(model).savefig(HERE / "grad_flow.png", dpi=72)


if __name__ == "__main__":
    scalar_neuron()
    mlp_step()
    deep_sigmoid()
    for p in sorted(HERE.glob("*.png")):
        try:  # shrink to a 256-colour palette so the pictures stay small in the repository
            from PIL import Image

            Image.open(p).convert("RGB").quantize(256).save(p, optimize=True)
        except ImportError:
            pass
        print(f"{p.name}: {p.stat().st_size // 1024} KB")
