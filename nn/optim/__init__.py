"""Optimizers with ``torch.optim``'s update rules, and learning-rate schedulers.

>>> import autograd_engine as ag
>>> import nn
>>> model = nn.Linear(2, 1)
>>> opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
>>> loss = model(ag.ones(4, 2)).sum()
>>> opt.zero_grad(); loss.backward(); opt.step()
"""

from . import lr_scheduler
from .optimizer import Optimizer
from .optimizers import SGD, Adagrad, Adam, AdamW, RMSprop

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
