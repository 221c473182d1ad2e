"""``Parameter``: a Tensor that a :class:`~nn.Module` registers as a learnable weight."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_engine as ag


class Parameter(ag.Tensor):
    """A leaf Tensor with ``requires_grad=True`` that modules register when assigned as attributes.

    Given a Tensor, the parameter shares its array (like ``torch.nn.Parameter``); given an array it
    keeps the array's dtype (a copy is made); Python numbers and lists become float64 as for
    ``Tensor``. Pass ``requires_grad=False`` for a frozen parameter.

    >>> import numpy as np
    >>> import nn
    >>> p = nn.Parameter(np.zeros((2, 3), dtype=np.float32))
    >>> p.requires_grad, p.dtype, p.is_leaf
    (True, dtype('float32'), True)
    >>> p
    Parameter containing:
    Tensor([[0., 0., 0.],
            [0., 0., 0.]], dtype=float32, requires_grad=True)
    """

    __slots__ = ()

    def __new__(cls, data: Any = None, requires_grad: bool = True, dtype: Any = None) -> Parameter:
        if isinstance(data, ag.Tensor) and dtype is None:
            # Share the array and its version counter, as torch.nn.Parameter(tensor) does:
            # detach() makes that alias, and the alias becomes the Parameter.
            p = data.detach()
            p.__class__ = cls
            return p
        return super().__new__(cls)

    def __init__(self, data: Any = None, requires_grad: bool = True, dtype: Any = None) -> None:
        if isinstance(data, ag.Tensor) and dtype is None:  # made by __new__ from data
            self.requires_grad_(requires_grad)
            return
        if data is None:
            data = np.zeros((0,), dtype=dtype or np.float32)
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> Parameter:
        p = Parameter(self.data.copy(), self.requires_grad)
        if self.grad is not None:
            p.grad = self.grad.data.copy()
        memo[id(self)] = p
        return p


def zero_grads(parameters: Iterable[ag.Tensor], set_to_none: bool = True) -> None:
    """Reset the parameters' gradients: to None, or to zeros in place (telling the engine the
    gradient's memory was written). ``Module.zero_grad`` and ``Optimizer.zero_grad`` use it.

    >>> import nn
    >>> p = nn.Parameter([1.0, 2.0])
    >>> (p * p).sum().backward()
    >>> zero_grads([p], set_to_none=False); p.grad
    Tensor([0., 0.])
    """
    for p in parameters:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            p.grad.data[...] = 0
            ag.increment_version(p.grad)
