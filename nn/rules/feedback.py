"""The feedback family: errors travel back through matrices other than the forward weights.

- :class:`FeedbackAlignment` (Lillicrap, Cownden, Tweed & Akerman 2016): a fixed random ``B``;
- :class:`SignSymmetry` (Liao, Leibo & Poggio 2016): ``sign(W)``, the forward weights' signs only;
- :class:`DirectFeedbackAlignment` (Nøkland 2016): every hidden layer gets the *output* error
  through its own fixed random matrix, with no layer-to-layer backward pass at all.

FA and sign symmetry are a custom :class:`autograd_engine.Function` swapped in for each
``nn.Linear`` by a forward hook; DFA uses :class:`~nn.rules.LinearTaps` to cut the graph between
layers and injects ``e B_l`` at each hidden layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_engine as ag

from ..layers import Linear
from ..module import Module
from .base import (
    HookedBackprop,
    LinearTaps,
    Rule,
    as_layer_input,
    check_output_is_last_linear,
    output_error,
)

__all__ = ["DirectFeedbackAlignment", "FeedbackAlignment", "SignSymmetry"]


class FeedbackLinearFunction(ag.Function):
    """``y = x Wᵀ`` whose backward sends ``dy B`` (not ``dy W``) to ``x``; ``dW = dyᵀ x`` as usual.
    ``feedback`` (the array ``B``, ``W``'s shape) is a keyword, so the engine treats it as a
    constant.

    >>> import numpy as np
    >>> import autograd_engine as ag
    >>> import nn
    >>> x = ag.Tensor(np.ones((1, 2)), requires_grad=True)
    >>> W, B = ag.Tensor(np.eye(2), requires_grad=True), np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> nn.rules.FeedbackLinearFunction.apply(x, W, feedback=B).backward(np.array([[1.0, 0.0]]))
    >>> x.grad  # dy B = [1, 0] B, where backprop would give dy W = [1, 0]
    Tensor([[0., 1.]])
    """

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, weight: np.ndarray, feedback: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        ctx.feedback = feedback
        return x @ weight.T

    @staticmethod
    def backward(ctx: Any, grad: ag.Tensor) -> tuple:
        (x,) = ctx.saved_tensors
        return grad @ ag.Tensor(ctx.feedback), grad.T @ x  # backprop would send grad @ weight


class _FeedbackRule(HookedBackprop):
    """Shared by FA and sign symmetry: every ``nn.Linear`` runs :class:`FeedbackLinearFunction`
    with the matrix ``self.feedback_matrix(layer)``."""

    def feedback_matrix(self, layer: Linear) -> np.ndarray:  # pragma: no cover - abstract
        raise TypeError(f"{type(self).__name__} must define feedback_matrix")

    def layer_output(self, module: Linear, args: tuple, out: ag.Tensor) -> ag.Tensor:
        y = FeedbackLinearFunction.apply(as_layer_input(module, args[0]), module.weight,
                                         feedback=self.feedback_matrix(module))
        return y if module.bias is None else y + module.bias


class FeedbackAlignment(_FeedbackRule):
    """Feedback alignment (Lillicrap et al. 2016, "Random synaptic feedback weights support error
    backpropagation for deep learning", Nat. Commun. 7:13276).

    The error reaching layer ``l`` goes through a fixed random matrix ``B_{l+1}`` instead of the
    transposed forward weights::

        δ_l = (B_{l+1}ᵀ δ_{l+1}) ⊙ f'(a_l)      (backprop: W_{l+1}ᵀ δ_{l+1})
        ΔW_l ∝ -δ_l h_{l-1}ᵀ

    Each ``B`` has its layer's weight shape, drawn once (uniform ±1/√fan_in, like the weights'
    own init) from ``seed``, and never changes. Works with any model whose ``nn.Linear`` layers
    should learn this way (the matrices are created the first time a layer is seen).

    >>> import numpy as np
    >>> import nn
    >>> model = nn.MLP([4, 8, 3], activation="tanh")
    >>> rule = nn.rules.FeedbackAlignment(seed=0)
    >>> _ = rule.step(model, nn.CrossEntropyLoss(), np.ones((2, 4), np.float32), np.array([0, 1]))
    >>> rule.feedback_matrix(model[2]).shape
    (3, 8)
    """

    def __init__(self, seed: int | None = 0) -> None:
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self._feedback: dict[int, np.ndarray] = {}

    def feedback_matrix(self, layer: Linear) -> np.ndarray:
        """The fixed ``B`` used for ``layer`` (created on first use)."""
        key = id(layer)
        if key not in self._feedback:
            bound = 1 / np.sqrt(layer.in_features)
            self._feedback[key] = self._rng.uniform(-bound, bound, layer.weight.shape).astype(
                layer.weight.dtype)
        return self._feedback[key]


class SignSymmetry(_FeedbackRule):
    """Sign symmetry (Liao, Leibo & Poggio 2016, "How important is weight symmetry in
    backpropagation?", AAAI): the feedback matrix shares the forward weights' signs but not their
    magnitudes::

        δ_l = (B_{l+1}ᵀ δ_{l+1}) ⊙ f'(a_l),   B = sign(W) · mean|W|

    ``B`` follows ``W``'s signs at every step. The paper uses ``sign(W)``; the constant factor
    ``mean|W|`` only keeps the error's scale comparable to backprop's (it does not change any
    direction, and adaptive optimizers ignore it).

    >>> import numpy as np
    >>> import nn
    >>> layer = nn.Linear(2, 2)
    >>> B = nn.rules.SignSymmetry().feedback_matrix(layer)
    >>> bool(np.all(np.sign(B) == np.sign(layer.weight.data)))
    True
    """

    def feedback_matrix(self, layer: Linear) -> np.ndarray:
        w = layer.weight.data
        return (np.sign(w) * np.abs(w).mean()).astype(w.dtype)


class DirectFeedbackAlignment(Rule):
    """Direct feedback alignment (Nøkland 2016, "Direct feedback alignment provides learning in
    deep neural networks", NeurIPS).

    The output error ``e = ∂L/∂out`` goes to every hidden layer directly, through a fixed random
    matrix per layer; no error passes from layer to layer::

        δ_l = (e B_l) ⊙ f'(a_l)     (B_l: classes × width of h_l, fixed)
        ΔW_l ∝ -δ_l h_{l-1}ᵀ;       the output layer uses e itself.

    Needs a feedforward model whose output is its last ``nn.Linear``'s output (e.g.
    ``nn.MLP(sizes, activation="tanh")``); the hidden layers are the inputs of the later
    ``nn.Linear`` layers. ``B_l`` is uniform ±1/√width, drawn once from ``seed``.

    >>> import numpy as np
    >>> import nn
    >>> model = nn.MLP([4, 8, 3], activation="tanh")
    >>> rule = nn.rules.DirectFeedbackAlignment(seed=0)
    >>> _ = rule.step(model, nn.CrossEntropyLoss(), np.ones((2, 4), np.float32), np.array([0, 1]))
    >>> rule.feedback_matrix(model[2]).shape  # carries the 3 output errors to its 8 inputs
    (3, 8)
    """

    def __init__(self, seed: int | None = 0) -> None:
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self._feedback: dict[int, np.ndarray] = {}

    def feedback_matrix(self, layer: Linear, classes: int | None = None) -> np.ndarray:
        """``B`` carrying the output error to ``layer``'s input (created on first use)."""
        key = id(layer)
        if key not in self._feedback:
            if classes is None:
                raise ValueError("DirectFeedbackAlignment.feedback_matrix: this layer has no "
                                 "matrix yet; run step() once or pass classes=")
            bound = 1 / np.sqrt(layer.in_features)
            self._feedback[key] = self._rng.uniform(
                -bound, bound, (classes, layer.in_features)).astype(layer.weight.dtype)
        return self._feedback[key]

    def step(self, model: Module, loss_fn: Callable, x: Any, y: Any) -> ag.Tensor:
        with LinearTaps(model) as taps:
            out = model(x)
        check_output_is_last_linear(out, taps, "DirectFeedbackAlignment")
        loss = loss_fn(out, y)
        e = output_error(loss, out)
        out.backward(e)  # the output layer learns from e exactly as in backprop
        classes = out.shape[-1]
        for layer, h in zip(taps.layers[1:], taps.inputs[1:]):
            if h.requires_grad:  # h_l = f(a_l): backward multiplies by f'(a_l) on its way to W_l
                h.backward(e @ ag.Tensor(self.feedback_matrix(layer, classes)))
        return loss.detach()
