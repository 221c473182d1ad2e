"""Equilibrium propagation: learning from the difference between two equilibria of one network.

:class:`EnergyNet` is the architecture it needs (a layered network with symmetric connections that
*settles* to a fixed point instead of computing in one pass); :class:`EquilibriumPropagation` is
the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autograd_engine as ag

from ..module import Module
from .base import Rule, layer_sizes, linear_chain

__all__ = ["EnergyNet", "EquilibriumPropagation"]


class EnergyNet(Module):
    """A layered network with symmetric weights that settles to an equilibrium (a Hopfield-style
    network as in Scellier & Bengio 2017, in the discrete-time form of Ernoult et al. 2019).

    States ``s_1 … s_L`` (hidden layers ``tanh``, output layer linear) settle by repeating, layer
    after layer::

        s_l ← ρ(W_l s_{l-1} + b_l + W_{l+1}ᵀ s_{l+1})     (s_0 = x; no W_{L+1} term at the top)

    the fixed points of which are the stationary points of the energy
    ``E(s) = Σ_l ∫ρ⁻¹(s_l) - Φ(s)`` with ``Φ(s) = Σ_l s_lᵀ (W_l s_{l-1} + b_l)``. The same ``W_l``
    carries signals up and (transposed) down. ``forward(x)`` runs the free phase
    (``steps`` sweeps, without gradients) and returns the output states, so the net predicts and is
    evaluated like any classifier. ``forward_layers`` are its ``nn.Linear`` layers.

    >>> import numpy as np
    >>> import nn
    >>> net = nn.rules.EnergyNet([4, 8, 3], steps=10)
    >>> net(np.ones((2, 4), np.float32)).shape
    (2, 3)
    """

    def __init__(self, sizes: Sequence[int], steps: int = 20, dtype: Any = np.float32) -> None:
        super().__init__()
        self.sizes, self.steps = layer_sizes("EnergyNet", sizes), steps
        self.forward_layers = linear_chain(self.sizes, dtype)

    def init_states(self, batch: int) -> list[ag.Tensor]:
        dtype = self.forward_layers[0].weight.dtype
        return [ag.zeros(batch, n, dtype=dtype) for n in self.sizes[1:]]

    def relax(self, x: Any, states: list[ag.Tensor], steps: int,
              nudge: Callable[[ag.Tensor], ag.Tensor] | None = None) -> list[ag.Tensor]:
        """``steps`` sweeps of the update above from ``states``; ``nudge(s_L)`` (optional) is
        added to the top layer's input: ``-β ∂C/∂s_L`` in equilibrium propagation's second phase.
        Runs without gradients; returns the new states."""
        layers = self.forward_layers
        x = x if isinstance(x, ag.Tensor) else ag.Tensor(np.asarray(x, dtype=layers[0].weight.dtype))
        s = list(states)
        top = len(layers) - 1
        with ag.no_grad():
            for _ in range(steps):
                for i, layer in enumerate(layers):
                    pre = layer(x if i == 0 else s[i - 1])
                    if i < top:
                        pre = pre + s[i + 1] @ layers[i + 1].weight
                        s[i] = pre.tanh()
                    else:
                        s[i] = pre if nudge is None else pre + nudge(s[i])
        return s

    def phi(self, x: Any, states: list[ag.Tensor]) -> ag.Tensor:
        """``Φ(s) = Σ_l Σ_batch s_l · (W_l s_{l-1} + b_l)`` at fixed states: differentiable in the
        weights only (``-∂Φ/∂θ = ∂E/∂θ``)."""
        total = None
        below = x
        for layer, s in zip(self.forward_layers, states):
            term = (s.detach() * layer(below)).sum()
            total = term if total is None else total + term
            below = s.detach()
        return total

    def forward(self, x: Any) -> ag.Tensor:
        return self.relax(x, self.init_states(len(x)), self.steps)[-1]


class EquilibriumPropagation(Rule):
    """Equilibrium propagation (Scellier & Bengio 2017, "Equilibrium propagation: bridging the gap
    between energy-based models and backpropagation", Front. Comput. Neurosci. 11:24), with the
    symmetric nudging of Laborieux et al. 2021 (Front. Neurosci. 15:633674).

    1. Free phase: the :class:`EnergyNet` settles to ``s⁰`` with the input clamped.
    2. Nudged phase: from ``s⁰``, it settles again with the output pushed towards lower loss,
       ``s_L ← … - β ∂C/∂s_L`` (``C`` = ``loss_fn``, per example), to ``s^β``.
    3. Update, local to each synapse (``∂E/∂W_l = -s_l s_{l-1}ᵀ``)::

           grad θ = (1/β) (∂E/∂θ(s^β) - ∂E/∂θ(s⁰))
                  = -(1/β) (∂Φ/∂θ(s^β) - ∂Φ/∂θ(s⁰))   →  dC(s⁰)/dθ   as β → 0

       With ``symmetric=True`` the two phases are ``+β`` and ``-β`` and the difference is divided
       by ``2β``, which removes the O(β) bias.

    The gradients of ``Φ`` with respect to the weights are taken by the engine (``Φ`` is a small
    graph at fixed states); the dynamics never backpropagate.

    >>> import numpy as np
    >>> import nn
    >>> net = nn.rules.EnergyNet([4, 8, 3], steps=10)
    >>> loss = nn.rules.EquilibriumPropagation(beta=0.5).step(
    ...     net, nn.CrossEntropyLoss(), np.ones((2, 4), np.float32), np.array([0, 2]))
    >>> net.forward_layers[0].weight.grad.shape
    (8, 4)
    """

    def __init__(self, beta: float = 0.5, nudged_steps: int = 8, symmetric: bool = True) -> None:
        if beta == 0:
            raise ValueError("EquilibriumPropagation: beta must be non-zero (it is the size of "
                             "the nudge); try 0.1 to 1")
        self.beta, self.nudged_steps, self.symmetric = beta, nudged_steps, symmetric

    def step(self, model: Module, loss_fn: Callable, x: Any, y: Any) -> ag.Tensor:
        if not isinstance(model, EnergyNet):
            raise TypeError("EquilibriumPropagation: needs an energy-based network that settles to "
                            "equilibrium, not a feedforward " + type(model).__name__ + "; build "
                            "one with nn.rules.EnergyNet([64, 64, 64, 10])")
        batch = len(x)
        free = model.relax(x, model.init_states(batch), model.steps)
        loss = loss_fn(free[-1], y)

        def nudge(beta: float) -> Callable[[ag.Tensor], ag.Tensor]:
            def force(s_top: ag.Tensor) -> ag.Tensor:
                with ag.enable_grad():
                    s = s_top.detach().requires_grad_(True)
                    (g,) = ag.grad(loss_fn(s, y), s)
                return g * (-beta * batch)  # loss_fn averages: x batch for each example's ∂C/∂s

            return force

        plus = model.relax(x, free, self.nudged_steps, nudge(self.beta))
        if self.symmetric:
            minus = model.relax(x, free, self.nudged_steps, nudge(-self.beta))
            scale = 2 * self.beta
        else:
            minus, scale = free, self.beta
        # ∂E/∂θ = -∂Φ/∂θ, averaged over the batch; backward() puts it into .grad
        ((model.phi(x, minus) - model.phi(x, plus)) * (1.0 / (scale * batch))).backward()
        return loss.detach()
