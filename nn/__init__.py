"""``nn``: neural-network modules, losses, initialisation, optimizers, data and training on top of
``autograd_engine``, with PyTorch's names, parameter layouts and semantics.

>>> import numpy as np
>>> import autograd_engine as ag
>>> import nn
>>> ag.manual_seed(0)
>>> model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
>>> opt = nn.optim.Adam(model.parameters(), lr=1e-2)
>>> x, y = ag.randn(8, 4), np.array([0, 1, 2, 0, 1, 2, 0, 1])
>>> loss = nn.functional.cross_entropy(model(x), y)
>>> opt.zero_grad(); loss.backward(); opt.step()
>>> model[0].weight.grad.shape, model[0].weight.dtype
((16, 4), dtype('float32'))
"""

from . import data, functional, init, optim, rules, utils
from .checkpoint import checkpoint_sequential
from .layers import (
    GELU,
    MLP,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
)
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import Module, ModuleList, RemovableHandle, Sequential
from .parameter import Parameter
from .rnn import LSTM, RNN
from .serialization import load, save
from .training import History, accuracy, fit

__all__ = [
    "GELU", "LSTM", "MLP", "RNN", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d",
    "BatchNorm2d", "Conv2d", "CrossEntropyLoss", "Dropout", "Embedding", "Flatten", "History",
    "HuberLoss", "Identity", "L1Loss", "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss",
    "MaxPool2d", "Module", "ModuleList", "NLLLoss", "Parameter", "ReLU", "RemovableHandle",
    "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax", "Tanh", "accuracy", "data", "fit",
    "functional", "init", "load", "optim", "rules", "save", "utils",
    "checkpoint_sequential",
]
