"""Forward gradients: a directional derivative times its direction.

The directional derivative ``∇L · v`` is what forward-mode AD computes in one forward pass. Here it
is computed with :func:`autograd_engine.func.jvp`, which carries tangents alongside the values
through one forward pass (forward-mode AD); no backward pass is run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_engine as ag
from autograd_engine import func

from .._ops import check_choice
from ..module import Module
from .base import (
    LinearTaps,
    Rule,
    accumulate_grad,
    check_output_is_last_linear,
    linear_layers,
    output_error,
)

__all__ = ["ForwardGradient"]


class ForwardGradient(Rule):
    """Forward gradient (Baydin, Pearlmutter, Syme, Wood & Torr 2022, "Gradients without
    backpropagation", arXiv:2202.08587); activity perturbation as in Ren, Kornblith, Liao & Hinton
    2023, "Scaling forward gradient with local losses", ICLR.

    With a random direction ``v ~ N(0, I)``::

        g(θ) = (∇L(θ) · v) v,      E[g] = E[v vᵀ] ∇L = ∇L     (unbiased)

    ``perturb="weights"`` draws ``v`` over all ``nn.Linear`` weights and biases (Baydin et al.);
    the variance grows with the number of parameters. ``perturb="activities"`` draws, for every
    example ``i``, a direction ``u_l[i]`` over the outputs ``a_l`` of all ``nn.Linear`` layers, gets
    ``d_i = Σ_l ∂L/∂a_l[i] · u_l[i]`` from one JVP, estimates ``ĝ_{a_l}[i] = d_i u_l[i]`` (unbiased
    for ``∂L/∂a_l[i]``) and gives each layer the local update ``ĝ_{a_l}ᵀ h_{l-1}`` (Ren et al.).
    The per-example JVPs are read off the output tangent with the output error ``e = ∂L/∂out``,
    so the model's output must be its last ``nn.Linear``'s output. ``directions`` estimates are
    averaged per step.

    >>> import numpy as np
    >>> import nn
    >>> model = nn.MLP([3, 4, 2], activation="tanh")
    >>> rule = nn.rules.ForwardGradient(seed=0)
    >>> loss = rule.step(model, nn.CrossEntropyLoss(), np.ones((5, 3), np.float32), np.zeros(5, int))
    >>> model[0].weight.grad.shape
    (4, 3)
    """

    def __init__(self, directions: int = 1, perturb: str = "activities",
                 seed: int | None = 0) -> None:
        check_choice("ForwardGradient", "perturb", perturb, ("weights", "activities"))
        if directions < 1:
            raise ValueError(f"ForwardGradient: directions must be >= 1, got {directions}")
        self.directions, self.perturb, self.seed = directions, perturb, seed
        self._rng = np.random.default_rng(seed)

    def _jvp_output(self, model: Module, x: Any, primals: list, tangents: list,
                    add: Callable) -> ag.Tensor:
        """Tangent of ``model(x)`` when ``primals`` (zeros, added inside each layer by ``add``)
        move along ``tangents``."""

        def f(*zeros: ag.Tensor) -> ag.Tensor:
            with LinearTaps(model, perturb=lambda i, a: add(i, a, zeros, taps), cut=False) as taps:
                return model(x)

        _, t_out = func.jvp(f, tuple(primals), tuple(tangents))
        return t_out

    def step(self, model: Module, loss_fn: Callable, x: Any, y: Any) -> ag.Tensor:
        with LinearTaps(model) as taps:
            out = model(x)
        check_output_is_last_linear(out, taps, "ForwardGradient")
        loss = loss_fn(out, y)
        e = output_error(loss, out).data
        if self.perturb == "activities":
            self._activities(model, x, taps, e)
        else:
            self._weights(model, x, e)
        return loss.detach()

    def _activities(self, model: Module, x: Any, taps: LinearTaps, e: np.ndarray) -> None:
        shapes = [a.shape for a in taps.outputs]
        dtype = taps.outputs[0].dtype
        primals = [ag.zeros(*s, dtype=dtype) for s in shapes]
        estimate = [np.zeros(s) for s in shapes]
        for _ in range(self.directions):
            us = [self._rng.standard_normal(s) for s in shapes]
            t_out = self._jvp_output(model, x, primals, [ag.Tensor(u.astype(dtype)) for u in us],
                                     lambda i, a, zeros, taps: a + zeros[i])
            d = (e * t_out.data).sum(axis=1)  # one directional derivative per example
            for g, u in zip(estimate, us):
                g += d[:, None] * u / self.directions
        for a, g in zip(taps.outputs, estimate):
            a.backward(g.astype(a.dtype))  # local: W_l gets ĝ_lᵀ h_{l-1}

    def _weights(self, model: Module, x: Any, e: np.ndarray) -> None:
        layers = linear_layers(model, "ForwardGradient")
        params = [p for m in layers for p in (m.weight, m.bias) if p is not None]
        primals = [ag.zeros(*p.shape, dtype=p.dtype) for p in params]
        index = {}
        k = 0
        for m in layers:
            index[id(m)] = k
            k += 1 if m.bias is None else 2

        def add(i: int, a: ag.Tensor, zeros: tuple, taps: LinearTaps) -> ag.Tensor:
            # a = h Wᵀ + b; moving W by D and b by d adds h Dᵀ + d
            m = taps.layers[i]
            j = index[id(m)]
            h = taps.inputs[i]
            a = a + h @ zeros[j].T
            return a if m.bias is None else a + zeros[j + 1]

        estimate = [np.zeros(p.shape) for p in params]
        for _ in range(self.directions):
            vs = [self._rng.standard_normal(p.shape) for p in params]
            t_out = self._jvp_output(model, x, primals,
                                     [ag.Tensor(v.astype(p.dtype)) for v, p in zip(vs, params)], add)
            d = float((e * t_out.data).sum())  # ∇L · v for the batch loss
            for g, v in zip(estimate, vs):
                g += d * v / self.directions
        for p, g in zip(params, estimate):
            accumulate_grad(p, g)
