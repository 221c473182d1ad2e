"""``nn.rules``: learning rules, i.e. ways to fill parameters' ``.grad`` for a batch.

Every rule has ``step(model, loss_fn, x, y) -> loss``; pass one to ``nn.fit(..., rule=...)`` or call
it in your own loop before ``optimizer.step()``. :class:`Backprop` is the default. Each rule's
docstring cites its paper and writes its update as a formula; :mod:`nn.rules.base` shows how to add
one.

>>> import numpy as np
>>> import autograd_engine as ag
>>> import nn
>>> ag.manual_seed(0)
>>> model = nn.MLP([2, 16, 1], activation="tanh")
>>> opt = nn.optim.SGD(model.parameters(), lr=0.1)
>>> rule = nn.rules.FeedbackAlignment(seed=0)
>>> x = np.random.default_rng(0).normal(size=(32, 2)).astype(np.float32)
>>> losses = []
>>> for _ in range(20):
...     opt.zero_grad()
...     losses.append(rule.step(model, nn.MSELoss(), x, x[:, :1] - x[:, 1:]).item())
...     opt.step()
>>> losses[-1] < losses[0] / 10
True
"""

from .base import Backprop, LinearTaps, Rule, accumulate_grad, linear_layers
from .decoupled import DelayedGradients, DNINet, SyntheticGradients
from .equilibrium import EnergyNet, EquilibriumPropagation
from .feedback import DirectFeedbackAlignment, FeedbackAlignment, FeedbackLinearFunction, SignSymmetry
from .forward_forward import ForwardForward, ForwardForwardNet, SymBa
from .forward_gradient import ForwardGradient
from .perturbation import MGD, SPSA
from .predictive_coding import ActivationRelaxation, PredictiveCoding, blocks
from .sparse import MeProp, TopKGradient
from .straight_through import SignActivation, SignFunction, SignSTE, sign_ste
from .target_prop import DifferenceTargetPropagation, DTPNet

__all__ = [
    "ActivationRelaxation", "Backprop", "DNINet", "DTPNet", "DelayedGradients",
    "DifferenceTargetPropagation", "DirectFeedbackAlignment", "EnergyNet",
    "EquilibriumPropagation", "FeedbackAlignment", "FeedbackLinearFunction", "ForwardForward",
    "ForwardForwardNet", "ForwardGradient", "LinearTaps", "MGD", "MeProp", "PredictiveCoding",
    "Rule", "SPSA", "SignActivation", "SignFunction", "SignSTE", "SignSymmetry", "SymBa",
    "SyntheticGradients", "TopKGradient", "accumulate_grad", "blocks", "linear_layers",
    "sign_ste",
]
