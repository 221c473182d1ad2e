"""The forward-forward algorithm: two forward passes, one on positive and one on negative data,
and a separate objective for every layer.

:class:`ForwardForwardNet` is the architecture it needs (the label is part of the input; every
layer has its own "goodness"); :class:`ForwardForward` and :class:`SymBa` are the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autograd_engine as ag

from .._ops import check_choice
from ..module import Module
from .base import Rule, linear_chain

__all__ = ["ForwardForward", "ForwardForwardNet", "SymBa"]


class ForwardForwardNet(Module):
    """A ReLU network for the forward-forward algorithm (Hinton 2022): the input is the image with
    its label appended as a one-hot vector, each layer's input is length-normalised (so a layer
    cannot pass its own goodness on), and each layer ``l`` has a goodness ``G_l = mean(h_l²)``.

    ``forward(x)`` tries every label and returns the summed goodness per class, shape
    ``(batch, classes)``: the prediction is the label with the highest goodness. ``sizes`` are
    the image size and the hidden widths; ``forward_layers`` are the ``nn.Linear`` layers.

    >>> import numpy as np
    >>> import nn
    >>> net = nn.rules.ForwardForwardNet([4, 8, 8], classes=3)
    >>> net(np.ones((2, 4), np.float32)).shape
    (2, 3)
    """

    def __init__(self, sizes: Sequence[int], classes: int, label_scale: float = 1.0,
                 dtype: Any = np.float32) -> None:
        super().__init__()
        sizes = list(sizes)
        if len(sizes) < 2 or classes < 2:
            raise ValueError(f"ForwardForwardNet: need input size and at least one hidden width, "
                             f"and classes >= 2; got sizes={sizes}, classes={classes}")
        self.sizes, self.classes, self.label_scale = sizes, classes, label_scale
        widths = [sizes[0] + classes] + sizes[1:]
        self.forward_layers = linear_chain(widths, dtype)

    def embed(self, x: Any, labels: np.ndarray) -> ag.Tensor:
        """``[x, label_scale · onehot(label)]``: the input with a label written into it."""
        x = np.asarray(x.data if isinstance(x, ag.Tensor) else x)
        onehot = np.eye(self.classes, dtype=x.dtype)[labels] * self.label_scale
        return ag.Tensor(np.concatenate([x, onehot], axis=1).astype(
            self.forward_layers[0].weight.dtype))

    def layer_outputs(self, z: ag.Tensor, local: bool = False) -> list[ag.Tensor]:
        """The ReLU activity of every layer for inputs ``z``; with ``local=True`` each layer's
        input is detached, so each layer's graph reaches only its own parameters."""
        outs = []
        for layer in self.forward_layers:
            h = layer(z.detach() if local else z).relu()
            outs.append(h)
            # keep the direction only; the epsilon inside the root keeps it differentiable at 0
            z = h / ((h * h).sum(axis=1, keepdims=True) + 1e-12).sqrt()
        return outs

    @staticmethod
    def goodness(h: ag.Tensor) -> ag.Tensor:
        return (h * h).mean(axis=1)

    def forward(self, x: Any) -> ag.Tensor:
        n = len(x)
        labels = np.repeat(np.arange(self.classes), n)  # every image with every label, batched
        z = self.embed(np.tile(np.asarray(x.data if isinstance(x, ag.Tensor) else x),
                               (self.classes, 1)), labels)
        total = None
        for h in self.layer_outputs(z):
            g = self.goodness(h)
            total = g if total is None else total + g
        return total.reshape(self.classes, n).T


def _softplus(t: ag.Tensor) -> ag.Tensor:
    return ag.softplus(t)


class ForwardForward(Rule):
    """The forward-forward algorithm (Hinton 2022, "The forward-forward algorithm: some
    preliminary investigations", arXiv:2212.13345).

    Positive data: the image with its true label; negative data: the same image with a wrong
    label (drawn at random, or ``negatives="hard"``: the wrong label the network currently rates
    highest). Each layer, on its own detached input, raises the goodness of positive data above
    the threshold ``θ`` and pushes that of negative data below it::

        p(positive) = σ(G_l - θ),   G_l = mean_j h_{l,j}²
        L_l = softplus(-(G_l⁺ - θ)) + softplus(G_l⁻ - θ);   grad θ_l = ∂L_l/∂θ_l (layer l only)

    No error crosses a layer boundary. Needs a :class:`ForwardForwardNet`. Returns the sum of the
    layers' losses.

    >>> import numpy as np
    >>> import nn
    >>> net = nn.rules.ForwardForwardNet([4, 8, 8], classes=3)
    >>> loss = nn.rules.ForwardForward().step(net, nn.CrossEntropyLoss(),
    ...                                       np.ones((2, 4), np.float32), np.array([0, 2]))
    >>> net.forward_layers[1].weight.grad.shape
    (8, 8)
    """

    def __init__(self, threshold: float = 0.5, negatives: str = "hard",
                 seed: int | None = 0) -> None:
        check_choice(type(self).__name__, "negatives", negatives, ("random", "hard"))
        self.threshold, self.negatives, self.seed = threshold, negatives, seed
        self._rng = np.random.default_rng(seed)

    def layer_loss(self, g_pos: ag.Tensor, g_neg: ag.Tensor) -> ag.Tensor:
        return (_softplus(self.threshold - g_pos) + _softplus(g_neg - self.threshold)).mean()

    def _wrong_labels(self, model: ForwardForwardNet, x: Any, y: np.ndarray) -> np.ndarray:
        c = model.classes
        if self.negatives == "random":
            return (y + self._rng.integers(1, c, len(y))) % c
        with ag.no_grad():
            scores = np.array(model(x).data, dtype=np.float64)
        scores[np.arange(len(y)), y] = -np.inf  # the most tempting wrong label
        return scores.argmax(axis=1)

    def step(self, model: Module, loss_fn: Callable, x: Any, y: Any) -> ag.Tensor:
        if not isinstance(model, ForwardForwardNet):
            raise TypeError(f"{type(self).__name__}: needs layer-local goodness and the label in "
                            f"the input, not a {type(model).__name__}; build the network with "
                            "nn.rules.ForwardForwardNet([64, 64, 64], classes=10)")
        y = np.asarray(y.data if isinstance(y, ag.Tensor) else y)
        pos = model.layer_outputs(model.embed(x, y), local=True)
        neg = model.layer_outputs(model.embed(x, self._wrong_labels(model, x, y)), local=True)
        total = None
        for hp, hn in zip(pos, neg):
            loss = self.layer_loss(model.goodness(hp), model.goodness(hn))
            total = loss if total is None else total + loss
        total.backward()  # the graphs are disjoint per layer: each layer gets its own gradient
        return total.detach()


class SymBa(ForwardForward):
    """SymBa, forward-forward with a symmetric loss (Lee & Song 2023, "SymBa: a symmetric
    balanced loss for forward-forward", arXiv:2303.08418): instead of two separate terms around a
    threshold, each layer directly widens the gap between the positive and the negative goodness
    of the same image, which balances the two gradients::

        L_l = softplus(-α (G_l⁺ - G_l⁻))

    Same network and negatives as :class:`ForwardForward`.

    >>> import numpy as np
    >>> import nn
    >>> net = nn.rules.ForwardForwardNet([4, 8, 8], classes=3)
    >>> loss = nn.rules.SymBa().step(net, nn.CrossEntropyLoss(), np.ones((2, 4), np.float32),
    ...                              np.array([0, 2]))
    >>> net.forward_layers[0].weight.grad.shape
    (8, 7)
    """

    def __init__(self, alpha: float = 4.0, negatives: str = "hard", seed: int | None = 0) -> None:
        super().__init__(negatives=negatives, seed=seed)
        self.alpha = alpha
        del self.threshold

    def layer_loss(self, g_pos: ag.Tensor, g_neg: ag.Tensor) -> ag.Tensor:
        return _softplus((g_neg - g_pos) * self.alpha).mean()
