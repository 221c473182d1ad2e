"""``nn.rules``: learning rules, i.e. ways to fill parameters' ``.grad`` for a batch.

Every rule has ``step(model, loss_fn, x, y) -> loss``; pass one to ``nn.fit(..., rule=...)`` or call
it in your own loop before ``optimizer.step()``. :class:`Backprop` is the default. Each rule's
docstring cites its paper and writes its update as a formula; :mod:`nn.rules.base` shows how to add
one.

>>> import numpy as np
>>> import autograd_engine as ag
>>> import nn
>>> ag.manual_seed(0)
>>> X = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32)
>>> y = (X[:, 0] > 0).astype(np.int64)
>>> model = nn.MLP([2, 16, 2], activation="tanh")
>>> hist = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.Adam(model.parameters(), lr=0.05),
...               nn.data.DataLoader(X, y, batch_size=16), epochs=10, progress=False,
...               rule=nn.rules.FeedbackAlignment(seed=0))
>>> hist["loss"][-1] < hist["loss"][0]
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
