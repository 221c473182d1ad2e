"""Regenerate the README's pictures: ``python3 docs/images/make_images.py`` (needs Graphviz).

It writes exactly the images README.md shows, with the code the README and notebooks use:

- ``neuron_graph.svg``: one neuron, o = tanh(x1*w1 + x2*w2 + b), every value and gradient
  (notebook 1);
- ``cnn_graph.svg``: notebook 3's small CNN on a batch of digits, grouped by module, with the
  default layout (``rankdir="auto"``, ``collapse="auto"``) and the convolutions collapsed.

Both are drawn for a page about 830 px wide: check them there after changing ``viz``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import autograd_engine as ag
import nn
import viz

HERE = Path(__file__).resolve().parent


def neuron_graph() -> Path:
    """micrograd's neuron, with the gradient of every node (intermediates computed for the picture)."""
    x1 = ag.Tensor(2.0, requires_grad=True, name="x1")
    x2 = ag.Tensor(0.0, requires_grad=True, name="x2")
    w1 = ag.Tensor(-3.0, requires_grad=True, name="w1")
    w2 = ag.Tensor(1.0, requires_grad=True, name="w2")
    b = ag.Tensor(6.8813735870195432, requires_grad=True, name="b")
    n = x1 * w1 + x2 * w2 + b
    n.name = "n"
    o = n.tanh()
    o.name = "o"
    o.backward(retain_graph=True)
    return viz.render(o, HERE / "neuron_graph.svg", show_grad=True)


class SmallCNN(nn.Module):
    """Notebook 3's network: two conv/ReLU/max-pool blocks and a linear classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 2 * 2, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


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
