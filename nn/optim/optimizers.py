"""SGD, Adam, AdamW, RMSprop, Adagrad: ``torch.optim``'s update rules, applied in place."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer


def _check(opt: Any, name: str, value: float, low: float = 0.0) -> None:
    """PyTorch's checks and messages (``Invalid learning rate: -1``), naming the optimizer
    (``opt``: an optimizer or its name) and the argument."""
    opt = opt if isinstance(opt, str) else type(opt).__name__
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{opt}: Invalid {name}: expected a number, got {value!r} "
                        f"({type(value).__name__})")
    if not value >= low:
        raise ValueError(f"{opt}: Invalid {name}: {value}")


def _betas(opt: str, betas: Any) -> tuple:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{opt}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        _check(opt, f"beta parameter at index {i}", b)
        if not b < 1.0:
            raise ValueError(f"{opt}: Invalid beta parameter at index {i}: {b}; betas must be "
                             "in [0, 1)")
    return tuple(betas)


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2
    weight decay, exactly as ``torch.optim.SGD``::

        g = grad + weight_decay * p
        buf = g (first step) or momentum * buf + (1 - dampening) * g
        g = g + momentum * buf (nesterov) or buf
        p -= lr * g

    >>> import autograd_engine as ag
    >>> import nn
    >>> w = nn.Parameter(ag.Tensor([1.0, 2.0]))
    >>> opt = nn.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    Parameter containing:
    Tensor([0.8, 1.6], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 maximize: bool = False) -> None:
        _check(self, "learning rate (lr)", lr)
        _check(self, "momentum value", momentum)
        _check(self, "weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _update(self, p, g, state, group):
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        if group["maximize"]:
            g = -g
        if wd != 0:
            g = g + wd * p
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            g = g + momentum * buf if group["nesterov"] else buf
        p -= lr * g


class Adam(Optimizer):
    """Adam (with ``amsgrad`` and L2 ``weight_decay`` added to the gradient), as
    ``torch.optim.Adam``::

        m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g**2
        p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    >>> import autograd_engine as ag
    >>> import nn
    >>> w = nn.Parameter(ag.Tensor([1.0, -1.0]))
    >>> opt = nn.optim.Adam([w], lr=0.1)
    >>> w.sum().backward(); opt.step()
    >>> w.data.round(6)
    array([ 0.9, -1.1])
    """

    _decoupled = False

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False,
                 maximize: bool = False) -> None:
        _check(self, "learning rate (lr)", lr)
        _check(self, "epsilon value", eps)
        betas = _betas(type(self).__name__, betas)
        _check(self, "weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def _update(self, p, g, state, group):
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if group["maximize"]:
            g = -g
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p)
        state["step"] += 1
        step = state["step"]
        if wd != 0:
            if self._decoupled:
                p *= 1 - lr * wd
            else:
                g = g + wd * p
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (g - m) * (1 - beta1)
        v *= beta2
        v += (1 - beta2) * g * g
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = math.sqrt(1 - beta2**step)
        step_size = lr / bias_correction1
        if group["amsgrad"]:
            vmax = state.setdefault("max_exp_avg_sq", np.zeros_like(p))
            np.maximum(vmax, v, out=vmax)
            denom = np.sqrt(vmax) / bias_correction2_sqrt + eps
        else:
            denom = np.sqrt(v) / bias_correction2_sqrt + eps
        p -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (``p *= 1 - lr * weight_decay`` before the Adam step),
    as ``torch.optim.AdamW``; ``weight_decay`` defaults to 0.01.

    >>> import autograd_engine as ag
    >>> import nn
    >>> w = nn.Parameter(ag.Tensor([1.0]))
    >>> opt = nn.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.sum().backward(); opt.step()
    >>> w.data.round(6)
    array([0.85])
    """

    _decoupled = True

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)


class RMSprop(Optimizer):
    """RMSprop with optional momentum and ``centered`` variance, as ``torch.optim.RMSprop``::

        v = alpha v + (1 - alpha) g**2;  avg = sqrt(v - mean_g**2 if centered else v) + eps
        buf = momentum buf + g / avg;  p -= lr * buf     (or p -= lr * g / avg without momentum)

    >>> import autograd_engine as ag
    >>> import nn
    >>> w = nn.Parameter(ag.Tensor([1.0]))
    >>> opt = nn.optim.RMSprop([w], lr=0.01)
    >>> w.sum().backward(); opt.step()
    >>> w.data.round(4)
    array([0.9])
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 maximize: bool = False) -> None:
        _check(self, "learning rate (lr)", lr)
        _check(self, "epsilon value", eps)
        _check(self, "momentum value", momentum)
        _check(self, "weight_decay value", weight_decay)
        _check(self, "alpha value", alpha)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _update(self, p, g, state, group):
        lr, alpha, eps, wd, momentum = (group["lr"], group["alpha"], group["eps"],
                                        group["weight_decay"], group["momentum"])
        if group["maximize"]:
            g = -g
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p)
        state["step"] += 1
        if wd != 0:
            g = g + wd * p
        sq = state["square_avg"]
        sq *= alpha
        sq += (1 - alpha) * g * g
        if group["centered"]:
            ga = state.setdefault("grad_avg", np.zeros_like(p))
            ga += (g - ga) * (1 - alpha)
            avg = np.sqrt(sq - ga * ga)
        else:
            avg = np.sqrt(sq)
        avg += eps
        if momentum > 0:
            buf = state.setdefault("momentum_buffer", np.zeros_like(p))
            buf *= momentum
            buf += g / avg
            p -= lr * buf
        else:
            p -= lr * (g / avg)


class Adagrad(Optimizer):
    """Adagrad with learning-rate decay, as ``torch.optim.Adagrad``::

        clr = lr / (1 + (t - 1) * lr_decay);  s += g**2;  p -= clr * g / (sqrt(s) + eps)

    >>> import autograd_engine as ag
    >>> import nn
    >>> w = nn.Parameter(ag.Tensor([1.0]))
    >>> opt = nn.optim.Adagrad([w], lr=0.5)
    >>> w.sum().backward(); opt.step()
    >>> w.data.round(6)
    array([0.5])
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, maximize: bool = False) -> None:
        _check(self, "learning rate (lr)", lr)
        _check(self, "lr_decay value", lr_decay)
        _check(self, "weight_decay value", weight_decay)
        _check(self, "initial_accumulator_value value", initial_accumulator_value)
        _check(self, "epsilon value", eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps,
                                      maximize=maximize))
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = {"step": 0, "sum": np.full_like(
                    p.data, group["initial_accumulator_value"])}

    def _update(self, p, g, state, group):
        if group["maximize"]:
            g = -g
        if "sum" not in state:
            state["step"] = 0
            state["sum"] = np.full_like(p, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s = state["sum"]
        s += g * g
        p -= clr * (g / (np.sqrt(s) + group["eps"]))
