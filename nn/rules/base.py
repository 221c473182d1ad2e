"""The :class:`Rule` interface, :class:`Backprop`, and the small tools the other rules share.

A learning rule answers one question: *given a batch, what goes into each parameter's* ``.grad``?
Backprop's answer is the exact gradient of the loss. Every other rule in :mod:`nn.rules` gives a
different answer (a random feedback matrix, a difference of two equilibria, a finite difference,
...), and any :mod:`nn.optim` optimizer then applies it as if it were a gradient.

To add a rule, subclass :class:`Rule`, write ``step`` (fill ``.grad`` with :func:`accumulate_grad`,
return the batch's loss as a detached Tensor) and cite the paper with its update formula in the
docstring. :class:`LinearTaps` gives you each ``nn.Linear`` layer's input and output with the graph
cut between layers, which is what most local rules need; :class:`HookedBackprop` is backprop with
each layer's output replaced by one that sends the error back another way.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autograd_engine as ag

from ..layers import Linear
from ..module import Module, ModuleList

__all__ = ["Backprop", "LinearTaps", "Rule", "accumulate_grad", "linear_layers"]


class Rule(abc.ABC):
    """Base class of the learning rules: ``step(model, loss_fn, x, y)`` fills the ``.grad`` of the
    model's parameters for one batch (adding to what is there, like ``backward``) and returns the
    batch's loss as a detached 0-d Tensor. The caller zeroes gradients and applies an optimizer.

    >>> import numpy as np
    >>> import autograd_engine as ag
    >>> import nn
    >>> ag.manual_seed(0)
    >>> model = nn.MLP([4, 8, 3], activation="tanh")
    >>> opt = nn.optim.SGD(model.parameters(), lr=0.1)
    >>> x, y = np.ones((5, 4), np.float32), np.array([0, 1, 2, 0, 1])
    >>> rule = nn.rules.FeedbackAlignment(seed=0)
    >>> opt.zero_grad(); loss = rule.step(model, nn.CrossEntropyLoss(), x, y); opt.step()
    >>> loss.shape, model[0].weight.grad.shape
    ((), (8, 4))
    """

    @abc.abstractmethod
    def step(self, model: Module, loss_fn: Callable, x: Any, y: Any) -> ag.Tensor:
        """Fill ``.grad`` of ``model``'s parameters for the batch ``(x, y)``; return the loss."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class Backprop(Rule):
    """Ordinary backpropagation (Rumelhart, Hinton & Williams 1986): ``grad θ = ∂L/∂θ``, the exact
    gradient by the chain rule, ``δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ f'(a_l)``, ``∂L/∂W_l = δ_l h_{l-1}ᵀ``.
    The default rule of :func:`nn.fit`; the reference every other rule is compared with.

    >>> import numpy as np
    >>> import nn
    >>> model = nn.Linear(3, 2)
    >>> loss = nn.rules.Backprop().step(model, nn.MSELoss(), np.ones((4, 3), np.float32),
    ...                                 np.zeros((4, 2), np.float32))
    >>> model.weight.grad.shape
    (2, 3)
    """

    def step(self, model: Module, loss_fn: Callable, x: Any, y: Any) -> ag.Tensor:
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss.detach()


class HookedBackprop(Rule):
    """Backprop with every ``nn.Linear``'s call changed by :meth:`layer_output`, a forward hook
    that returns the layer's output as it should take part in backward (a custom Function that
    sends the error back another way, a gradient filter, ...). The hooks live for one step."""

    @abc.abstractmethod
    def layer_output(self, module: Linear, args: tuple, out: ag.Tensor) -> ag.Tensor:
        """The output of ``module`` called on ``args`` that replaces ``out``."""

    def step(self, model: Module, loss_fn: Callable, x: Any, y: Any) -> ag.Tensor:
        with contextlib.ExitStack() as hooks:
            for m in linear_layers(model, type(self).__name__):
                hooks.enter_context(m.register_forward_hook(self.layer_output))
            loss = loss_fn(model(x), y)
        loss.backward()
        return loss.detach()


def as_layer_input(module: Linear, x: Any) -> ag.Tensor:
    """``x`` as a Tensor of the layer's weight dtype, as the layer casts it (``x`` if it is a
    Tensor already)."""
    return x if isinstance(x, ag.Tensor) else ag.Tensor(np.asarray(x, dtype=module.weight.dtype))


def accumulate_grad(param: ag.Tensor, grad: Any) -> None:
    """Add ``grad`` (array or Tensor of ``param``'s shape) to ``param.grad``, as ``backward`` does.

    >>> import numpy as np
    >>> import nn
    >>> p = nn.Parameter(np.zeros(2, np.float32))
    >>> nn.rules.accumulate_grad(p, np.ones(2)); nn.rules.accumulate_grad(p, np.ones(2))
    >>> p.grad.data.tolist()
    [2.0, 2.0]
    """
    g = np.asarray(grad.data if isinstance(grad, ag.Tensor) else grad, dtype=param.dtype)
    if g.shape != param.shape:
        raise ValueError(f"accumulate_grad: gradient of shape {g.shape} for a parameter of shape "
                         f"{param.shape}; pass one of the parameter's shape")
    param.grad = g if param.grad is None else param.grad.data + g


def linear_layers(model: Module, rule: str) -> list[Linear]:
    """The model's ``nn.Linear`` layers in registration order; a clear error if there are none.

    >>> import nn
    >>> len(nn.rules.linear_layers(nn.MLP([2, 4, 1]), "demo"))
    2
    """
    layers = [m for m in model.modules() if isinstance(m, Linear)]
    if not layers:
        raise TypeError(f"{rule}: needs a model built from nn.Linear layers (it changes how errors "
                        f"pass through them), but {type(model).__name__} has none; build one with "
                        "nn.MLP([64, 64, 64, 10], activation='tanh')")
    return layers


def layer_sizes(net: str, sizes: Sequence[int], hidden: bool = False) -> list[int]:
    """``sizes`` as a list, checked to hold the input and output sizes (and, if ``hidden``, at
    least one hidden size between them).

    >>> import nn
    >>> nn.rules.base.layer_sizes("demo", (4, 3))
    [4, 3]
    """
    sizes = list(sizes)
    if hidden and len(sizes) < 3:
        raise ValueError(f"{net}: needs at least one hidden layer, got sizes={sizes}")
    if len(sizes) < 2:
        raise ValueError(f"{net}: sizes needs at least input and output sizes, got {sizes}")
    return sizes


def linear_chain(sizes: Sequence[int], dtype: Any) -> ModuleList:
    """``Linear(sizes[0], sizes[1])``, ``Linear(sizes[1], sizes[2])``, ...: the layers of a
    feedforward net, without activations.

    >>> import nn
    >>> [tuple(m.weight.shape) for m in nn.rules.base.linear_chain([4, 8, 3], "float32")]
    [(8, 4), (3, 8)]
    """
    return ModuleList(Linear(a, b, dtype=dtype) for a, b in zip(sizes[:-1], sizes[1:]))


class TanhLayers(Module):
    """A ``tanh`` network with a linear output, ``h_l = tanh(W_l h_{l-1} + b_l)`` and ``h_L = W_L
    h_{L-1} + b_L``, like ``nn.MLP(sizes, activation="tanh")`` with the same initial weights, that
    a rule can run one layer at a time (:meth:`layer`). ``sizes`` needs a hidden layer; ``net``
    names the subclass in errors.

    >>> import numpy as np
    >>> import nn
    >>> net = nn.rules.base.TanhLayers("demo", [4, 8, 3])
    >>> net(np.ones((2, 4), np.float32)).shape, net.layer(0, np.ones((2, 4), np.float32)).shape
    ((2, 3), (2, 8))
    """

    def __init__(self, net: str, sizes: Sequence[int], dtype: Any = np.float32) -> None:
        super().__init__()
        self.sizes = layer_sizes(net, sizes, hidden=True)
        self.forward_layers = linear_chain(self.sizes, dtype)

    def layer(self, i: int, h: Any) -> ag.Tensor:
        """``f_i``: forward layer ``i`` (0-based) applied to ``h``."""
        a = self.forward_layers[i](h)
        return a if i == len(self.forward_layers) - 1 else a.tanh()

    def forward(self, x: Any) -> ag.Tensor:
        h = x
        for i in range(len(self.forward_layers)):
            h = self.layer(i, h)
        return h


class LinearTaps:
    """Context manager: while active, every ``nn.Linear`` of ``model`` sees a *detached* copy of
    its input, so each layer's graph reaches only its own parameters. Records, per call, the
    original input (``inputs``, still attached to the layers below) and the output (``outputs``).
    ``perturb`` (optional) maps ``(layer_index, output) -> output`` to add a perturbation;
    ``cut=False`` keeps the graph whole (only records and perturbs).

    A local rule then calls ``outputs[l].backward(signal)`` to fill layer ``l``'s gradients from
    whatever signal it computes, or ``inputs[l].backward(signal)`` to send a signal into layer
    ``l - 1`` through the activation between them.

    >>> import numpy as np
    >>> import nn
    >>> model = nn.MLP([3, 4, 2], activation="tanh")
    >>> with nn.rules.LinearTaps(model) as taps:
    ...     out = model(np.ones((5, 3), np.float32))
    >>> len(taps.outputs), out is taps.outputs[-1]
    (2, True)
    """

    def __init__(self, model: Module,
                 perturb: Callable[[int, ag.Tensor], ag.Tensor] | None = None,
                 cut: bool = True) -> None:
        self.model, self.perturb, self.cut = model, perturb, cut
        self.layers: list[Linear] = []
        self.inputs: list[Any] = []
        self.outputs: list[ag.Tensor] = []
        self._handles: list = []

    def _pre(self, module: Linear, args: tuple) -> tuple:
        x = as_layer_input(module, args[0])
        self.layers.append(module)
        self.inputs.append(x)
        return ((x.detach() if self.cut else x),) + tuple(args[1:])

    def _post(self, module: Linear, args: tuple, out: ag.Tensor) -> ag.Tensor:
        if self.perturb is not None:
            out = self.perturb(len(self.outputs), out)
        self.outputs.append(out)
        return out

    def __enter__(self) -> LinearTaps:
        for m in linear_layers(self.model, "LinearTaps"):
            self._handles.append(m.register_forward_pre_hook(self._pre))
            self._handles.append(m.register_forward_hook(self._post))
        return self

    def __exit__(self, *exc: object) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()


def check_output_is_last_linear(out: Any, taps: LinearTaps, rule: str) -> None:
    """Rules that send the output error straight to hidden layers need ``model(x)`` to be the
    last ``nn.Linear``'s output (no activation or other op after it); raise ``TypeError`` if not.

    >>> import numpy as np
    >>> import nn
    >>> model = nn.MLP([2, 3])
    >>> with nn.rules.LinearTaps(model) as taps:
    ...     out = model(np.ones((1, 2), np.float32))
    >>> nn.rules.base.check_output_is_last_linear(out, taps, "demo")  # fine: no error
    """
    if not taps.outputs or out is not taps.outputs[-1]:
        raise TypeError(f"{rule}: needs a feedforward model whose output is its last nn.Linear's "
                        "output (logits), such as nn.MLP([64, 64, 64, 10], activation='tanh')")


def output_error(loss: ag.Tensor, out: ag.Tensor) -> ag.Tensor:
    """``e = ∂L/∂out``: the error at the output, the one gradient every rule may use (the
    graph from ``out`` to ``loss`` is kept).

    >>> import autograd_engine as ag
    >>> import nn
    >>> out = ag.Tensor([[1.0, 3.0]], requires_grad=True)
    >>> nn.rules.base.output_error(nn.MSELoss()(out, ag.Tensor([[0.0, 0.0]])), out)
    Tensor([[1., 3.]])
    """
    (e,) = ag.grad(loss, out, retain_graph=True)
    return e


def per_example_loss(loss_fn: Callable, out: Any, y: Any, rule: str) -> np.ndarray:
    """``loss_fn``'s per-example values (its ``reduction`` set to ``"none"`` for the call), as an
    array of shape ``(batch,)``; scaled so that their mean is the batch loss.

    >>> import numpy as np
    >>> import nn
    >>> nn.rules.base.per_example_loss(nn.MSELoss(), np.array([[1.0, 3.0], [0.0, 2.0]]),
    ...                                np.zeros((2, 2)), "demo")
    array([5., 2.])
    """
    if getattr(loss_fn, "reduction", None) != "mean":
        raise TypeError(f"{rule}: needs per-example losses, so loss_fn must be an nn loss module "
                        "with reduction='mean' (e.g. nn.CrossEntropyLoss()); got "
                        f"{type(loss_fn).__name__}")
    loss_fn.reduction = "none"
    try:
        values = np.asarray(loss_fn(out, y).data, dtype=np.float64)
    finally:
        loss_fn.reduction = "mean"
    return values.reshape(len(values), -1).mean(axis=1) if values.ndim > 1 else values
