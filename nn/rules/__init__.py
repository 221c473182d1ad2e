"""``nn.rules``: learning rules, i.e. ways to fill parameters' ``.grad`` for a batch.

Every rule has ``step(model, loss_fn, x, y) -> loss``; pass one to ``nn.fit(..., rule=...)`` or call
it in your own loop before ``optimizer.step()``. :class:`Backprop` is the default. Each rule's
docstring cites its paper and writes its update as a formula; :mod:`nn.rules.base` shows how to add
one.

The rules differ in how they send the error back through hidden layers: on a single layer,
feedback alignment's gradient is backprop's.

>>> import numpy as np
>>> import nn
>>> x, y = np.ones((4, 3), np.float32), np.full((4, 1), 2.0, np.float32)
>>> for rule in (nn.rules.Backprop(), nn.rules.FeedbackAlignment(seed=0)):
...     model = nn.Linear(3, 1, bias=False)
...     _ = nn.init.ones_(model.weight)
...     loss = rule.step(model, nn.MSELoss(), x, y)
...     print(type(rule).__name__, loss.item(), model.weight.grad.tolist())
Backprop 1.0 [[2.0, 2.0, 2.0]]
FeedbackAlignment 1.0 [[2.0, 2.0, 2.0]]
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
