"""Regenerate the README's pictures: ``python3 docs/images/make_images.py`` (needs Graphviz).

It writes exactly the images README.md shows, from the demo's models (``demo.py``):

- ``neuron_graph.svg``: one neuron, o = tanh(x1*w1 + x2*w2 + b), every value and gradient
  (notebook 1);
- ``cnn_graph.svg``: notebook 3's small CNN on a batch of digits, grouped by module, with the
  default layout (``rankdir="auto"``, ``collapse="auto"``) and the convolutions collapsed.

Both are drawn for a page about 830 px wide: check them there after changing ``viz``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import autograd_engine as ag
import nn
import viz

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository: demo.py
from demo import SmallCNN, neuron  # noqa: E402 - the demo's models, drawn as it draws them

HERE = Path(__file__).resolve().parent


def neuron_graph() -> Path:
    """micrograd's neuron, with the gradient of every node (intermediates computed for the picture)."""
    o = neuron()[0]
    o.backward(retain_graph=True)
    return viz.render(o, HERE / "neuron_graph.svg", show_grad=True)


def cnn_graph() -> Path:
    ag.manual_seed(0)
    model = SmallCNN()
    rng = np.random.default_rng(0)
    x = ag.Tensor(rng.random((16, 1, 8, 8)).astype(np.float32), name="images")
    y = rng.integers(0, 10, 16)
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.name = "loss"
    loss.backward()
    return viz.render(loss, HERE / "cnn_graph.svg", model=model, collapse=["Conv2d"])


if __name__ == "__main__":
    for path in (neuron_graph(), cnn_graph()):
        print(f"{path.name}: {path.stat().st_size / 1000:.1f} KB")
