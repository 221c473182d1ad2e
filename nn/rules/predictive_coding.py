"""Predictive coding and activation relaxation: the error signal is the equilibrium of a local
dynamical system rather than the result of one backward sweep.

Both work on a chain of *blocks*: an ``nn.Sequential`` (such as ``nn.MLP``) is cut after each
``nn.Linear``, so ``MLP([64, 64, 64, 10])`` has the blocks ``[Linear]``, ``[Tanh, Linear]``,
``[Tanh, Linear]``, and the block outputs ``μ_l`` are the pre-activations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_engine as ag

from ..layers import Linear
from ..module import Module, Sequential
from .base import Rule, accumulate_grad, output_error

__all__ = ["ActivationRelaxation", "PredictiveCoding", "blocks"]


def blocks(model: Module, rule: str) -> list[list[Module]]:
    """Cut an ``nn.Sequential`` after every ``nn.Linear``: the layers of a chain of predictions.

    >>> import nn
    >>> [len(b) for b in nn.rules.blocks(nn.MLP([4, 8, 8, 2]), "demo")]
    [1, 2, 2]
    """
    if not isinstance(model, Sequential) or not len(model) or not isinstance(model[-1], Linear):
        raise TypeError(f"{rule}: needs an nn.Sequential chain of layers ending in nn.Linear "
                        f"(e.g. nn.MLP([64, 64, 64, 10], activation='tanh')), got "
                        f"{type(model).__name__}")
    out, current = [], []
    for m in model:
        current.append(m)
        if isinstance(m, Linear):
            out.append(current)
            current = []
    return out


def _run(block: list[Module], v: Any) -> ag.Tensor:
    for m in block:
        v = m(v)
    return v


def _as_tensor(x: Any, model: Module) -> ag.Tensor:
    if isinstance(x, ag.Tensor):
        return x
    dtype = next(iter(model.parameters())).dtype
    return ag.Tensor(np.asarray(x, dtype=dtype))


class PredictiveCoding(Rule):
    """Supervised predictive coding (Whittington & Bogacz 2017, "An approximation of the error
    backpropagation algorithm in a predictive coding network with local Hebbian synaptic
    plasticity", Neural Comput. 29(5)).

    Every block output gets a value node ``v_l`` and a prediction error ``ε_l = v_l - μ_l(v_{l-1})``
    (``v_0 = x``). The output node is clamped to a target one small step down the loss,
    ``v_L = μ_L - η ∂C_i/∂μ_L``, and the hidden nodes relax on the energy ``F = Σ_l ½‖ε_l‖²``::

        v_l ← v_l - γ ∂F/∂v_l = v_l - γ (ε_l - (∂μ_{l+1}/∂v_l)ᵀ ε_{l+1})      (``steps`` times)
        grad θ_l = (1/η) ∂F/∂θ_l = -(1/η) (∂μ_l/∂θ_l)ᵀ ε_l     (batch-averaged)

    Each update uses only the errors next to it. Starting from the feedforward pass the output
    error reaches one layer further down per inference step. At equilibrium, for small ``η``, the
    updates point along backprop's gradient but are smaller (the output error is shared out over
    the layers). With ``fixed_predictions=True`` (Millidge, Tschantz & Buckley 2022, "Predictive
    coding approximates backprop along arbitrary computation graphs", Neural Comput. 34(6)) the
    predictions ``μ_l`` and their Jacobians stay at their feedforward values during inference;
    then the equilibrium is ``ε_l = -η ∂L/∂μ_l`` exactly and the update equals backprop's.

    >>> import numpy as np
    >>> import nn
    >>> model = nn.MLP([4, 8, 3], activation="tanh")
    >>> loss = nn.rules.PredictiveCoding(steps=5).step(
    ...     model, nn.CrossEntropyLoss(), np.ones((2, 4), np.float32), np.array([0, 2]))
    >>> model[0].weight.grad.shape
    (8, 4)
    """

    def __init__(self, steps: int = 20, inference_rate: float = 0.1, eta: float = 0.1,
                 fixed_predictions: bool = False) -> None:
        if steps < 0 or inference_rate <= 0 or eta <= 0:
            raise ValueError("PredictiveCoding: need steps >= 0, inference_rate > 0 and eta > 0; "
                             f"got {steps}, {inference_rate}, {eta}")
        self.steps, self.inference_rate, self.eta = steps, inference_rate, eta
        self.fixed_predictions = fixed_predictions

    def step(self, model: Module, loss_fn: Callable, x: Any, y: Any) -> ag.Tensor:
        chain = blocks(model, "PredictiveCoding")
        x = _as_tensor(x, model)
        with ag.no_grad():  # the feedforward pass initialises every value node
            mus, v = [], x
            for block in chain:
                v = _run(block, v)
                mus.append(v)
        with ag.enable_grad():
            out = mus[-1].detach().requires_grad_(True)
            loss = loss_fn(out, y)
            e = output_error(loss, out)
        target = mus[-1] - e * (self.eta * len(x))  # per-example step: loss_fn averages
        values = [m.detach().requires_grad_(True) for m in mus[:-1]]

        if self.fixed_predictions:
            self._fixed_prediction_inference(chain, x, mus, target)
            return loss.detach()

        def energy(vs: list) -> ag.Tensor:
            below, total = x, None
            for block, v in zip(chain, vs + [target]):
                err = v - _run(block, below)
                term = (err * err).sum() * 0.5
                total = term if total is None else total + term
                below = v
            return total

        for _ in range(self.steps):
            grads = ag.grad(energy(values), values) if values else ()
            values = [(v - g * self.inference_rate).detach().requires_grad_(True)
                      for v, g in zip(values, grads)]
        params = [p for p in model.parameters() if p.requires_grad]
        frozen = [v.detach() for v in values]
        grads = ag.grad(energy(frozen), params, allow_unused=True)
        scale = 1.0 / (self.eta * len(x))
        for p, g in zip(params, grads):
            if g is not None:
                accumulate_grad(p, g.data * scale)
        return loss.detach()

    def _fixed_prediction_inference(self, chain: list, x: ag.Tensor, mus: list,
                                    target: ag.Tensor) -> None:
        """Inference with μ_l and its Jacobian frozen at the feedforward pass (FPA)."""
        ins = [x] + [m.detach().requires_grad_(True) for m in mus[:-1]]
        preds = [_run(block, inp) for block, inp in zip(chain, ins)]  # μ_l(v^ff_{l-1}), graphs
        values = [m.detach() for m in mus[:-1]]
        top_error = target - preds[-1].detach()
        for _ in range(self.steps):
            errors = [v - p.detach() for v, p in zip(values, preds)] + [top_error]
            new = []
            for i, v in enumerate(values):  # ∂F/∂v_l = ε_l - J_{l+1}ᵀ ε_{l+1}
                (back,) = ag.grad(preds[i + 1], ins[i + 1], grad_outputs=errors[i + 1],
                                  retain_graph=True)
                new.append(v - (errors[i] - back) * self.inference_rate)
            values = new
        errors = [v - p.detach() for v, p in zip(values, preds)] + [top_error]
        scale = -1.0 / (self.eta * len(x))
        for p, err in zip(preds, errors):  # ∂F/∂θ_l = -(∂μ_l/∂θ_l)ᵀ ε_l
            p.backward(err * scale, retain_graph=True)


class ActivationRelaxation(Rule):
    """Activation relaxation (Millidge, Tschantz, Seth & Buckley 2020, "Activation relaxation: a
    local dynamical approximation to backpropagation in the brain", arXiv:2009.05359).

    An error node ``x_l`` per block output relaxes to backprop's error by the leaky dynamics::

        x_L = ∂L/∂μ_L;    x_l ← x_l + γ (-x_l + (∂μ_{l+1}/∂μ_l)ᵀ x_{l+1})     (``steps`` times)
        grad θ_l = (∂μ_l/∂θ_l)ᵀ x_l

    whose unique fixed point is ``x_l = ∂L/∂μ_l``: every update is local in space (a node and its
    neighbours) and the backward pass is replaced by relaxation in time. With ``rate=1`` and
    ``steps ≥`` the number of blocks it is exactly backprop; fewer steps or ``rate < 1`` leave the
    lower layers with a partly relaxed error.

    Fully relaxed, it gives backprop's gradients:

    >>> import numpy as np
    >>> import nn
    >>> model = nn.MLP([4, 8, 3], activation="tanh")
    >>> x, y = np.ones((2, 4), np.float32), np.array([0, 2])
    >>> grads = []
    >>> for rule in (nn.rules.Backprop(), nn.rules.ActivationRelaxation(steps=3, rate=1.0)):
    ...     model.zero_grad()
    ...     _ = rule.step(model, nn.CrossEntropyLoss(), x, y)
    ...     grads.append(model[0].weight.grad.data)
    >>> np.allclose(*grads, atol=1e-6)
    True
    """

    def __init__(self, steps: int = 10, rate: float = 0.5) -> None:
        if steps < 0 or not 0 < rate <= 1:
            raise ValueError(f"ActivationRelaxation: need steps >= 0 and 0 < rate <= 1, got "
                             f"{steps}, {rate}")
        self.steps, self.rate = steps, rate

    def step(self, model: Module, loss_fn: Callable, x: Any, y: Any) -> ag.Tensor:
        chain = blocks(model, "ActivationRelaxation")
        ins, outs, below = [], [], _as_tensor(x, model)
        for block in chain:  # each block's graph reaches only its own input and parameters
            inp = below.detach().requires_grad_(True) if ins else below.detach()
            out = _run(block, inp)
            ins.append(inp)
            outs.append(out)
            below = out
        loss = loss_fn(outs[-1], y)
        top = output_error(loss, outs[-1])
        errors = [ag.zeros(*o.shape, dtype=o.dtype) for o in outs[:-1]] + [top]
        for _ in range(self.steps):
            new = []
            for i in range(len(errors) - 1):  # x_l from the vjp of the block above
                (back,) = ag.grad(outs[i + 1], ins[i + 1], grad_outputs=errors[i + 1],
                                  retain_graph=True)
                new.append(errors[i] + (back - errors[i]) * self.rate)
            errors = new + [top]
        for out, err in zip(outs, errors):
            out.backward(err, retain_graph=True)  # local: block l's parameters from x_l
        return loss.detach()
