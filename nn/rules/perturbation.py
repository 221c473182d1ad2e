"""Zeroth-order rules: the gradient is estimated from loss values alone, with no backward pass
through the network. :class:`SPSA` (two-sided) and :class:`MGD` (one-sided, a baseline and
several perturbations) share the machinery.

Two things can be perturbed:

- ``"weights"`` (Spall 1992's SPSA as written): all parameters at once by ``±c Δ``; the estimate
  is unbiased (exactly, on a quadratic) but its variance grows with the number of parameters;
- ``"activities"`` (node perturbation): every ``nn.Linear`` output ``a_l`` by ``c Δ_l``, a
  different ``Δ`` for every example, and each example's own loss change gives an estimate
  ``ĝ_{a_l}`` of ``∂L/∂a_l``; the layer's weights then get the local outer product
  ``ĝ_{a_l}ᵀ h_{l-1}``. Far fewer perturbed numbers (the activities, not the weights), so far
  less variance: this is what makes perturbation learning practical on digits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_engine as ag

from .._ops import check_choice
from ..module import Module
from .base import LinearTaps, Rule, accumulate_grad, per_example_loss

__all__ = ["MGD", "SPSA"]


def _rademacher(rng: np.random.Generator, shape: tuple, dtype: Any) -> np.ndarray:
    return (rng.integers(0, 2, shape) * 2 - 1).astype(dtype)


class SPSA(Rule):
    """Simultaneous perturbation stochastic approximation (Spall 1992, "Multivariate stochastic
    approximation using a simultaneous perturbation gradient approximation", IEEE TAC 37(3)).

    With ``Δ`` a vector of independent random signs (±1) over everything perturbed::

        ĝ = (L(θ + cΔ) - L(θ - cΔ)) / (2c) · Δ          (averaged over ``perturbations`` draws)

    ``E[ĝ] = ∇L + O(c²)`` (exactly ``∇L`` on a quadratic, since ``E[ΔΔᵀ] = I``). No backward pass
    and no knowledge of the network: only two loss evaluations per draw. ``perturb="weights"``
    perturbs the parameters themselves (any model); ``perturb="activities"`` perturbs each
    ``nn.Linear`` output per example (node perturbation, see the module docstring) and needs a
    loss module with ``reduction="mean"`` so each example's loss can be read.

    >>> import numpy as np
    >>> import nn
    >>> model = nn.Linear(3, 1, bias=False)
    >>> rule = nn.rules.SPSA(perturb="weights", perturbations=4, seed=0)
    >>> loss = rule.step(model, nn.MSELoss(), np.ones((2, 3), np.float32), np.zeros((2, 1), np.float32))
    >>> model.weight.grad.shape
    (1, 3)
    """

    one_sided = False

    def __init__(self, perturbations: int = 1, epsilon: float = 1e-3, perturb: str = "activities",
                 seed: int | None = 0) -> None:
        check_choice(type(self).__name__, "perturb", perturb, ("weights", "activities"))
        if perturbations < 1 or epsilon <= 0:
            raise ValueError(f"{type(self).__name__}: need perturbations >= 1 and epsilon > 0, "
                             f"got {perturbations} and {epsilon}")
        self.perturbations, self.epsilon, self.perturb, self.seed = (
            perturbations, epsilon, perturb, seed)
        self._rng = np.random.default_rng(seed)

    def _difference(self, plus: Any, minus: Any, base: Any) -> Any:
        """The directional derivative estimate along Δ from the measured losses."""
        if self.one_sided:
            return (plus - base) / self.epsilon
        return (plus - minus) / (2 * self.epsilon)

    def step(self, model: Module, loss_fn: Callable, x: Any, y: Any) -> ag.Tensor:
        if self.perturb == "weights":
            return self._step_weights(model, loss_fn, x, y)
        return self._step_activities(model, loss_fn, x, y)

    def _step_weights(self, model: Module, loss_fn: Callable, x: Any, y: Any) -> ag.Tensor:
        params = [p for p in model.parameters() if p.requires_grad]
        originals = [p.data.copy() for p in params]
        estimate = [np.zeros_like(o, dtype=np.float64) for o in originals]
        c = self.epsilon

        def loss_at(deltas: list, sign: float) -> float:
            for p, o, d in zip(params, originals, deltas):
                p.data[...] = o + sign * c * d  # writing .data: a perturbation, not a step
            return float(loss_fn(model(x), y).item())

        with ag.no_grad():
            try:
                base = loss_at([0.0] * len(params), 0.0)
                for _ in range(self.perturbations):
                    deltas = [_rademacher(self._rng, o.shape, o.dtype) for o in originals]
                    plus = loss_at(deltas, 1.0)
                    minus = None if self.one_sided else loss_at(deltas, -1.0)
                    slope = self._difference(plus, minus, base)
                    for e, d in zip(estimate, deltas):
                        e += slope * d / self.perturbations
            finally:
                for p, o in zip(params, originals):
                    p.data[...] = o
        for p, e in zip(params, estimate):
            accumulate_grad(p, e)
        return ag.Tensor(base)

    def _step_activities(self, model: Module, loss_fn: Callable, x: Any, y: Any) -> ag.Tensor:
        name = type(self).__name__
        with LinearTaps(model) as taps:  # the unperturbed pass, with each layer's local graph
            out = model(x)
        base_each = per_example_loss(loss_fn, out, y, name)
        shapes = [a.shape for a in taps.outputs]
        estimate = [np.zeros(s) for s in shapes]
        c = self.epsilon
        for _ in range(self.perturbations):
            deltas = [_rademacher(self._rng, s, np.float64) for s in shapes]

            def perturbed(sign: float, deltas: list = deltas) -> np.ndarray:
                def add(i: int, a: ag.Tensor) -> ag.Tensor:
                    return a + ag.Tensor((sign * c * deltas[i]).astype(a.dtype))

                with ag.no_grad(), LinearTaps(model, perturb=add, cut=False):
                    return per_example_loss(loss_fn, model(x), y, name)

            plus = perturbed(1.0)
            minus = None if self.one_sided else perturbed(-1.0)
            slope = self._difference(plus, minus, base_each)  # one slope per example
            for e, d in zip(estimate, deltas):
                # ∂(mean loss)/∂a_l[i] = (1/B) ∂L_i/∂a_l[i]
                e += slope[:, None] * d / (len(slope) * self.perturbations)
        for a, e in zip(taps.outputs, estimate):
            a.backward(e.astype(a.dtype))  # local: W_l gets ĝ_lᵀ h_{l-1}, b_l gets Σ ĝ_l
        return ag.Tensor(float(base_each.mean()))


class MGD(SPSA):
    """Multiplexed gradient descent (McCaughan et al. 2023, "Multiplexed gradient descent: fast
    online training of modern datasets on hardware neural networks", APL Mach. Learn. 1, 026118).

    MGD is the hardware form of perturbative training: one baseline cost ``C(θ)``, then
    perturbations ``θ̃_t`` (here random signs of size ``c``, "code multiplexing") whose cost
    changes are correlated with the perturbation and integrated over ``τ = perturbations``
    steps before the weights move::

        G = 1/(τ c) Σ_t (C(θ + c Δ_t) - C(θ)) Δ_t

    One-sided, so ``τ + 1`` evaluations instead of SPSA's ``2τ``; unbiased to first order in
    ``c``. Same options as :class:`SPSA`.

    Perturbing activities (the default) on an MLP fills every layer's weight and bias:

    >>> import numpy as np
    >>> import nn
    >>> mlp = nn.MLP([3, 4, 2])
    >>> x, labels = np.ones((5, 3), np.float32), np.array([0, 1, 0, 1, 0])
    >>> loss = nn.rules.MGD(perturbations=8, seed=0).step(mlp, nn.CrossEntropyLoss(), x, labels)
    >>> [p.grad.shape for p in mlp.parameters()]
    [(4, 3), (4,), (2, 4), (2,)]
    """

    one_sided = True
