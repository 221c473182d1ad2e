"""Decoupled training: layers update without waiting for the full backward pass.

- :class:`SyntheticGradients` (decoupled neural interfaces): a small model next to each hidden
  layer *predicts* the gradient of its output, so the layer can update right after its forward
  pass; the predictors learn from the (bootstrapped) gradients that arrive later. Needs a
  :class:`DNINet`.
- :class:`DelayedGradients` (decoupled parallel backprop): the network is cut into modules, and
  module ``k`` updates with the error its upper neighbour sent one step earlier, i.e. a gradient
  ``K - k`` batches old; the modules could run in parallel. Works on an ``nn.Sequential`` chain.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autograd_engine as ag

from ..layers import Linear
from ..module import Module, ModuleList
from .base import Rule, TanhLayers, output_error
from .predictive_coding import _as_tensor, _run, blocks

__all__ = ["DNINet", "DelayedGradients", "SyntheticGradients"]


class DNINet(TanhLayers):
    """A ``tanh`` network (linear output, like ``nn.MLP(sizes, activation="tanh")``, same initial
    weights) with one synthetic-gradient module per hidden layer (Jaderberg et al. 2017).

    Synthesiser ``M_l`` is linear, sees the hidden activity ``h_l`` and, if ``classes`` is given,
    the one-hot label (the conditional "cDNI" of the paper), and starts at zero (so the first
    predicted gradients are zero, as in the paper). ``forward_layers`` are the network's
    ``nn.Linear`` layers, ``synthesizers`` the ``M_l``.

    >>> import numpy as np
    >>> import nn
    >>> net = nn.rules.DNINet([4, 8, 8, 3], classes=3)
    >>> net(np.ones((2, 4), np.float32)).shape, len(net.synthesizers)
    ((2, 3), 2)
    """

    def __init__(self, sizes: Sequence[int], classes: int | None = None,
                 dtype: Any = np.float32) -> None:
        super().__init__("DNINet", sizes, dtype)
        self.classes = classes
        extra = classes or 0
        self.synthesizers = ModuleList(Linear(n + extra, n, dtype=dtype) for n in self.sizes[1:-1])
        for m in self.synthesizers:
            m.weight.data[...] = 0.0
            m.bias.data[...] = 0.0

    def synthetic_gradient(self, i: int, h: ag.Tensor, y: Any) -> ag.Tensor:
        """``M_i([h, onehot(y)])``: the predicted per-example gradient ``∂L_n/∂h`` for hidden
        layer ``i`` (0-based)."""
        inp = h.detach()
        if self.classes:
            onehot = np.eye(self.classes, dtype=inp.dtype)[np.asarray(
                y.data if isinstance(y, ag.Tensor) else y)]
            inp = ag.concatenate([inp, ag.Tensor(onehot)], axis=1)
        return self.synthesizers[i](inp)


class SyntheticGradients(Rule):
    """Synthetic gradients / decoupled neural interfaces (Jaderberg, Czarnecki, Osindero, Vinyals,
    Graves, Silver & Kavukcuoglu 2017, "Decoupled neural interfaces using synthetic gradients",
    ICML).

    Hidden layer ``l`` updates as soon as it has computed ``h_l``, with the *predicted* gradient::

        grad θ_l = (∂h_l/∂θ_l)ᵀ ĝ_l,        ĝ_l = M_l(h_l, y) / B       (B = batch size)

    and the synthesiser regresses onto the gradient that the layer above sends back through its
    own local Jacobian (bootstrapping from the next synthesiser; the top one sees the true
    error ``e = ∂L/∂out``)::

        δ_l = (∂h_{l+1}/∂h_l)ᵀ ĝ_{l+1}    (δ_{L-1} = (∂out/∂h_{L-1})ᵀ e)
        grad M_l = ∂/∂M_l ½ ‖M_l(h_l, y) - B δ_l‖² / B

    No layer waits for the loss: the true gradient never travels further than one layer.
    Needs a :class:`DNINet`.

    >>> import numpy as np
    >>> import nn
    >>> net = nn.rules.DNINet([4, 8, 8, 3], classes=3)
    >>> loss = nn.rules.SyntheticGradients().step(
    ...     net, nn.CrossEntropyLoss(), np.ones((2, 4), np.float32), np.array([0, 2]))
    >>> net.synthesizers[1].weight.grad.shape
    (8, 11)
    """

    def step(self, model: Module, loss_fn: Callable, x: Any, y: Any) -> ag.Tensor:
        if not isinstance(model, DNINet):
            raise TypeError("SyntheticGradients: needs a synthetic-gradient module next to every "
                            f"hidden layer, not a {type(model).__name__}; build the network with "
                            "nn.rules.DNINet([64, 64, 64, 10], classes=10)")
        batch = len(x)
        n = len(model.forward_layers)
        h = _as_tensor(x, model)
        ins, outs, synth = [], [], []
        for i in range(n):
            inp = h.detach().requires_grad_(True) if i else h.detach()
            h = model.layer(i, inp)
            ins.append(inp)
            outs.append(h)
            if i < n - 1:  # update layer i now, from its synthesiser's prediction
                g = model.synthetic_gradient(i, h, y)
                synth.append(g)
                h.backward(g.detach() * (1.0 / batch), retain_graph=True)
        loss = loss_fn(outs[-1], y)
        e = output_error(loss, outs[-1])
        outs[-1].backward(e, retain_graph=True)  # the output layer has the true error
        regression = None
        for i in range(n - 1):
            above = e if i == n - 2 else synth[i + 1].detach() * (1.0 / batch)
            (delta,) = ag.grad(outs[i + 1], ins[i + 1], grad_outputs=above, retain_graph=True)
            r = synth[i] - delta.detach() * batch
            term = (r * r).sum() * (0.5 / batch)
            regression = term if regression is None else regression + term
        if regression is not None:
            regression.backward()
        return loss.detach()


class DelayedGradients(Rule):
    """Decoupled parallel backpropagation with delayed gradients (Huo, Gu, Yang & Huang 2018,
    "Decoupled parallel backpropagation with convergence guarantee", ICML).

    The ``nn.Sequential`` chain is cut into ``K`` modules (at ``nn.Linear`` boundaries; by
    default one per ``nn.Linear``). At step ``t`` the top module backpropagates the current
    batch's loss; every lower module ``k`` backpropagates, through itself only, the error its
    upper neighbour sent at step ``t - 1``, for the batch it processed ``K - k`` steps ago, and
    passes the error at its input down for step ``t + 1``::

        grad θ_k(t) = (∂h_k/∂θ_k)ᵀ δ_k(t - K + k),   δ_{k-1} = (∂h_k/∂h_{k-1})ᵀ δ_k

    so no module waits for a full backward pass (they could run on ``K`` devices at once). Each
    module keeps its last ``K - k + 1`` inputs and recomputes its local forward from the stored
    input with its current weights. The first ``K - k`` steps leave module ``k`` without a
    gradient. ``reset()`` forgets the pipeline (a new model resets it automatically).

    >>> import numpy as np
    >>> import nn
    >>> model = nn.MLP([4, 8, 8, 3], activation="tanh")
    >>> rule = nn.rules.DelayedGradients()
    >>> x, y = np.ones((2, 4), np.float32), np.array([0, 2])
    >>> _ = rule.step(model, nn.CrossEntropyLoss(), x, y)
    >>> model[0].weight.grad is None  # its first gradient arrives two steps later
    True
    """

    def __init__(self, modules: int | None = None) -> None:
        if modules is not None and modules < 1:
            raise ValueError(f"DelayedGradients: modules must be >= 1, got {modules}")
        self.modules = modules
        self.reset()

    def reset(self) -> None:
        """Forget the stored inputs and the errors in flight."""
        self._model_id: int | None = None
        self._inputs: list[deque] = []
        self._errors: list[ag.Tensor | None] = []

    def _split(self, model: Module) -> list[list[Module]]:
        chain = blocks(model, "DelayedGradients")
        k = self.modules or len(chain)
        if k > len(chain):
            raise ValueError(f"DelayedGradients: modules={k} but the model has only "
                             f"{len(chain)} nn.Linear layers to cut at")
        bounds = np.linspace(0, len(chain), k + 1).round().astype(int)
        return [sum(chain[a:b], []) for a, b in zip(bounds[:-1], bounds[1:])]

    def step(self, model: Module, loss_fn: Callable, x: Any, y: Any) -> ag.Tensor:
        mods = self._split(model)
        k = len(mods)
        if self._model_id != id(model) or len(self._inputs) != k:
            self.reset()
            self._model_id = id(model)
            self._inputs = [deque(maxlen=k - i) for i in range(k)]
            self._errors = [None] * k
        h = _as_tensor(x, model)
        with ag.no_grad():  # the forward pipeline: every module stores its input
            for i, mod in enumerate(mods[:-1]):
                self._inputs[i].append(h.detach())
                h = _run(mod, h)
        self._inputs[-1].append(h.detach())
        top_in = h.detach().requires_grad_(k > 1)
        loss = loss_fn(_run(mods[-1], top_in), y)
        loss.backward()
        incoming = [None] * k
        if k > 1:
            incoming[k - 2] = top_in.grad
        for i in range(k - 2, -1, -1):  # the errors sent at the previous step, K - i steps old
            delta = self._errors[i]
            if delta is None or len(self._inputs[i]) < k - i:
                continue
            old = self._inputs[i][0]
            inp = old.detach().requires_grad_(i > 0)
            _run(mods[i], inp).backward(delta)
            if i > 0:
                incoming[i - 1] = inp.grad
        self._errors = incoming
        return loss.detach()
