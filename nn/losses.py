"""Loss modules; each wraps the function of the same name in :mod:`nn.functional`."""

# ruff: noqa: A001, A002 - `input` is PyTorch's argument name, kept for keyword calls

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import autograd_engine as ag

from . import functional as F
from .module import Module

Tensor = ag.Tensor


class _Loss(Module):
    """A loss module: ``function`` (one of ``nn.functional``'s) of ``(input, target)`` with this
    module's ``reduction`` and the attributes named in ``options``, passed by keyword."""

    function: Callable[..., Tensor]
    options: tuple[str, ...] = ()

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def forward(self, input: Any, target: Any) -> Tensor:
        options = {name: getattr(self, name) for name in self.options}
        return type(self).function(input, target, reduction=self.reduction, **options)

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error; ``reduction`` is ``"mean"``, ``"sum"`` or ``"none"``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.MSELoss()(ag.Tensor([1.0, 3.0]), ag.Tensor([1.0, 1.0]))
    Tensor(2.)
    """

    function = F.mse_loss


class L1Loss(_Loss):
    """Mean absolute error.

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.L1Loss(reduction="sum")(ag.Tensor([1.0, 3.0]), ag.Tensor([1.0, 1.0]))
    Tensor(2.)
    """

    function = F.l1_loss


class HuberLoss(_Loss):
    """Huber loss with threshold ``delta`` (quadratic inside, linear outside).

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.HuberLoss(delta=1.0)(ag.Tensor([0.0]), ag.Tensor([3.0]))
    Tensor(2.5)
    """

    function, options = F.huber_loss, ("delta",)

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta


class SmoothL1Loss(_Loss):
    """Smooth L1 loss with threshold ``beta``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.SmoothL1Loss()(ag.Tensor([0.0]), ag.Tensor([0.5]))
    Tensor(0.125)
    """

    function, options = F.smooth_l1_loss, ("beta",)

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = beta


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits ``(N, C, ...)`` against integer classes ``(N, ...)``
    (or class probabilities), fused and numerically stable; ``weight``, ``ignore_index`` and
    ``label_smoothing`` as in PyTorch.

    >>> import autograd_engine as ag
    >>> import nn
    >>> loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    >>> round(loss_fn(ag.Tensor([[0.0, 0.0]]), [1]).item(), 4)
    0.6931
    """

    function, options = F.cross_entropy, ("weight", "ignore_index", "label_smoothing")

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self.weight, self.ignore_index, self.label_smoothing = weight, ignore_index, label_smoothing


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (e.g. after ``LogSoftmax(dim=1)``).

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.NLLLoss()(ag.Tensor([[-0.5, -1.0]]), [1])
    Tensor(1.)
    """

    function, options = F.nll_loss, ("weight", "ignore_index")

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy on logits, stable for large ``|x|``; optional ``weight``
    and ``pos_weight``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.BCEWithLogitsLoss()(ag.Tensor([0.0]), ag.Tensor([1.0]))
    Tensor(0.69314718)
    """

    function, options = F.binary_cross_entropy_with_logits, ("weight", "pos_weight")

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities (logs clamped at -100 like PyTorch).

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.BCELoss()(ag.Tensor([0.5]), ag.Tensor([0.0]))
    Tensor(0.69314718)
    """

    function, options = F.binary_cross_entropy, ("weight",)

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = weight
