"""All built-in ops, one module per family; importing this attaches operators to Tensor."""

from __future__ import annotations

import operator

from ..tensor import Tensor
from . import elementwise, join, linalg, nn_ops, reduce, shape
from .elementwise import (
    Add,
    Div,
    Mul,
    Neg,
    Pow,
    Sub,
    _comparison,
    abs,
    add,
    astype,
    clip,
    cos,
    divide,
    elu,
    erf,
    exp,
    gelu,
    leaky_relu,
    log,
    log1p,
    maximum,
    minimum,
    multiply,
    negative,
    power,
    relu,
    sigmoid,
    silu,
    sin,
    softplus,
    sqrt,
    subtract,
    tanh,
    where,
)
from .join import concatenate, flip, pad, split, stack
from .linalg import MatMul, dot, einsum, matmul
from .nn_ops import avg_pool2d, conv2d, dropout, max_pool2d, one_hot
from .reduce import (
    cumsum,
    log_softmax,
    logsumexp,
    max,
    mean,
    min,
    prod,
    softmax,
    std,
    sum,
    var,
)
from .registry import REGISTRY, Domain, OpSpec, register
from .shape import broadcast_to, expand_dims, getitem, reshape, squeeze, swapaxes, transpose

__all__ = [
    "REGISTRY", "Domain", "OpSpec", "register", "elementwise", "linalg", "reduce", "shape",
    "abs", "add", "astype", "broadcast_to", "clip", "cos", "divide", "elu", "erf", "exp",
    "expand_dims", "gelu", "getitem", "leaky_relu", "log", "log1p", "log_softmax", "logsumexp",
    "matmul", "max", "maximum", "mean", "min", "minimum", "multiply", "negative", "power", "prod",
    "relu", "reshape", "sigmoid", "silu", "sin", "softmax", "softplus", "sqrt", "squeeze", "std",
    "subtract", "sum", "swapaxes", "tanh", "transpose", "var", "where",
    "join", "nn_ops", "avg_pool2d", "concatenate", "conv2d", "cumsum", "dot", "dropout", "einsum",
    "flip", "max_pool2d", "one_hot", "pad", "split", "stack",
]


def _operator(fn, reflected: bool = False):
    apply = fn.apply  # bound once, not looked up on every call
    if reflected:
        def method(self, other):
            return apply(other, self)
    else:
        def method(self, other):
            return apply(self, other)
    return method


Tensor.__add__ = _operator(Add)
Tensor.__radd__ = _operator(Add, reflected=True)
Tensor.__sub__ = _operator(Sub)
Tensor.__rsub__ = _operator(Sub, reflected=True)
Tensor.__mul__ = _operator(Mul)
Tensor.__rmul__ = _operator(Mul, reflected=True)
Tensor.__truediv__ = _operator(Div)
Tensor.__rtruediv__ = _operator(Div, reflected=True)
Tensor.__pow__ = _operator(Pow)
Tensor.__rpow__ = _operator(Pow, reflected=True)
Tensor.__matmul__ = _operator(MatMul)
Tensor.__rmatmul__ = _operator(MatMul, reflected=True)
Tensor.__neg__ = lambda self: Neg.apply(self)
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = abs
for _op in (operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne):
    setattr(Tensor, f"__{_op.__name__}__", _comparison(_op))
del _op
