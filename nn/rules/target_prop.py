"""Difference target propagation: layers learn to hit *targets* for their outputs, and targets
travel down through learned approximate inverses instead of through the transposed weights.

:class:`DTPNet` is the architecture it needs (a feedforward net plus one learned inverse per layer
above the first); :class:`DifferenceTargetPropagation` is the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autograd_engine as ag

from ..layers import Linear
from ..module import Module, ModuleList
from .base import Rule, TanhLayers, output_error

__all__ = ["DTPNet", "DifferenceTargetPropagation"]


class DTPNet(TanhLayers):
    """A ``tanh`` network (linear output) with learned inverses, for target propagation.

    Forward: ``h_l = tanh(W_l h_{l-1} + b_l)``, ``h_L = W_L h_{L-1} + b_L`` (the logits), exactly
    like ``nn.MLP(sizes, activation="tanh")`` with the same initial weights. Inverses:
    ``g_l(h_l) = tanh(V_l h_l + c_l)`` maps layer ``l``'s output back to layer ``l-1``'s, for
    ``l = 2 … L``. ``forward_layers`` holds the ``W``s, ``inverse_layers`` the ``V``s.

    >>> import numpy as np
    >>> import nn
    >>> net = nn.rules.DTPNet([4, 8, 8, 3])
    >>> net(np.ones((2, 4), np.float32)).shape, len(net.inverse_layers)
    ((2, 3), 2)
    """

    def __init__(self, sizes: Sequence[int], dtype: Any = np.float32) -> None:
        super().__init__("DTPNet", sizes, dtype)
        self.inverse_layers = ModuleList(Linear(b, a, dtype=dtype)
                                         for a, b in zip(self.sizes[1:-1], self.sizes[2:]))

    def inverse(self, i: int, h: ag.Tensor) -> ag.Tensor:
        """``g_i``: from forward layer ``i``'s output back to its input (``i >= 1``)."""
        return self.inverse_layers[i - 1](h).tanh()


class DifferenceTargetPropagation(Rule):
    """Difference target propagation (Lee, Zhang, Fischer & Bengio 2015, "Difference target
    propagation", ECML-PKDD).

    The top target is a small step down the loss, each lower target is the layer's output moved
    by the difference of the inverse applied to the target and to the output (the difference
    cancels the inverse's reconstruction error), and each layer regresses onto its own target::

        t_L = h_L - η ∂L_i/∂h_L                       (per example)
        t_l = h_l + g_{l+1}(t_{l+1}) - g_{l+1}(h_{l+1})
        grad W_l = (1/η) ∂/∂W_l ½‖f_l(h_{l-1}) - t_l‖²  (h_{l-1}, t_l held fixed; batch mean)

    The inverses learn to undo their layer on noise-corrupted inputs (``σ`` = ``noise``)::

        grad V_l = ∂/∂V_l ½‖g_l(f_l(h_{l-1} + ε)) - (h_{l-1} + ε)‖²,   ε ~ N(0, σ²)

    No error is sent back through any ``Wᵀ``. Needs a :class:`DTPNet`. (GAIT-prop, Ahmad et al.
    2020, needs exactly invertible layers of equal width and is not included.)

    >>> import numpy as np
    >>> import nn
    >>> net = nn.rules.DTPNet([4, 8, 8, 3])
    >>> loss = nn.rules.DifferenceTargetPropagation().step(
    ...     net, nn.CrossEntropyLoss(), np.ones((2, 4), np.float32), np.array([0, 2]))
    >>> net.inverse_layers[0].weight.grad.shape
    (8, 8)
    """

    def __init__(self, eta: float = 0.5, noise: float = 0.1, seed: int | None = 0) -> None:
        if eta <= 0 or noise < 0:
            raise ValueError(f"DifferenceTargetPropagation: need eta > 0 and noise >= 0, got "
                             f"{eta}, {noise}")
        self.eta, self.noise, self.seed = eta, noise, seed
        self._rng = np.random.default_rng(seed)

    def targets(self, model: DTPNet, hs: list[ag.Tensor], e: ag.Tensor) -> list[ag.Tensor]:
        """The targets ``t_1 … t_L`` for the outputs ``hs = [h_1 … h_L]`` and output error ``e``."""
        with ag.no_grad():
            t = hs[-1] - e * (self.eta * len(e))  # loss_fn averages: per-example step
            ts = [t]
            for i in range(len(hs) - 1, 0, -1):
                t = hs[i - 1] + model.inverse(i, t) - model.inverse(i, hs[i])
                ts.append(t)
        return ts[::-1]

    def reconstruction_loss(self, model: DTPNet, x: Any, noise: float | None = None
                            ) -> ag.Tensor:
        """``Σ_l ½‖g_l(f_l(h_{l-1} + ε)) - (h_{l-1} + ε)‖²`` (batch mean), differentiable in the
        inverses' parameters only."""
        sigma = self.noise if noise is None else noise
        total, h = None, x
        with ag.no_grad():
            hs = []
            for i in range(len(model.forward_layers) - 1):
                h = model.layer(i, h)
                hs.append(h)
        for i in range(1, len(model.forward_layers)):
            below = hs[i - 1]
            if sigma:
                below = below + ag.Tensor(self._rng.normal(0, sigma, below.shape).astype(
                    below.dtype))
            with ag.no_grad():
                up = model.layer(i, below)
            r = model.inverse(i, up) - below
            term = (r * r).sum() * (0.5 / len(below))
            total = term if total is None else total + term
        return total

    def step(self, model: Module, loss_fn: Callable, x: Any, y: Any) -> ag.Tensor:
        if not isinstance(model, DTPNet):
            raise TypeError("DifferenceTargetPropagation: needs learned inverses of the layers, "
                            f"not a {type(model).__name__}; build the network with "
                            "nn.rules.DTPNet([64, 64, 64, 10])")
        dtype = model.forward_layers[0].weight.dtype
        x = x if isinstance(x, ag.Tensor) else ag.Tensor(np.asarray(x, dtype=dtype))
        ins, hs, h = [], [], x
        for i in range(len(model.forward_layers)):  # each layer's graph: its own W_l only
            ins.append(h.detach())
            h = model.layer(i, ins[-1])
            hs.append(h)
        loss = loss_fn(hs[-1], y)
        ts = self.targets(model, hs, output_error(loss, hs[-1]))
        local = None
        for h, t in zip(hs, ts):
            r = h - t
            term = (r * r).sum() * (0.5 / (self.eta * len(x)))
            local = term if local is None else local + term
        local.backward()
        self.reconstruction_loss(model, x).backward()
        return loss.detach()
