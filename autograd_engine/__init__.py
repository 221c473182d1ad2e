"""autograd_engine: reverse-mode automatic differentiation on NumPy.

>>> import autograd_engine as ag
>>> x = ag.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="x")
>>> y = (x @ x.T).tanh().sum()
>>> y.backward()
>>> x.grad.shape
(2, 2)
"""

from __future__ import annotations

import numpy as _np

from . import func, inplace, interop, onnx  # noqa: F401 - inplace/interop attach Tensor protocols
from .anomaly import detect_anomaly
from .checkpoint import checkpoint
from .compiler import TracingError, compile, replayed
from .engine import grad
from .factories import (
    arange,
    default_generator,
    eye,
    full,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from .function import Function, apply_any
from .grad_mode import enable_grad, is_grad_enabled, no_grad, scope, set_grad_enabled
from .inplace import increment_version
from .ops import (
    REGISTRY,
    abs,
    add,
    astype,
    avg_pool2d,
    broadcast_to,
    clip,
    concatenate,
    conv2d,
    cos,
    cumsum,
    divide,
    dot,
    dropout,
    einsum,
    elu,
    erf,
    exp,
    expand_dims,
    flip,
    gelu,
    leaky_relu,
    log,
    log1p,
    log_softmax,
    logsumexp,
    matmul,
    max,
    max_pool2d,
    maximum,
    mean,
    min,
    minimum,
    multiply,
    negative,
    one_hot,
    pad,
    power,
    prod,
    relu,
    reshape,
    sigmoid,
    silu,
    sin,
    softmax,
    softplus,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    subtract,
    sum,
    swapaxes,
    tanh,
    transpose,
    var,
    where,
)
from .pytorch_names import argmax, argmin, cat, clamp, flatten, from_numpy, inference_mode
from .tensor import DEFAULT_DTYPE, Tensor

# PyTorch's dtype names, as NumPy's types (so `t.dtype == ag.float32`). `bool`, `float` and `int`
# stay out of __all__: `from autograd_engine import *` must not shadow the builtins.
float32, float64, int32, int64, bool = _np.float32, _np.float64, _np.int32, _np.int64, _np.bool_  # noqa: A001
float, double, int, long = _np.float32, _np.float64, _np.int32, _np.int64  # noqa: A001

__version__ = "0.1.0"

__all__ = [
    "func", "onnx",
    "DEFAULT_DTYPE", "REGISTRY", "Function", "Tensor", "__version__", "apply_any",
    "abs", "add", "arange", "astype", "broadcast_to", "clip", "cos", "default_generator",
    "detect_anomaly", "divide", "elu", "enable_grad", "erf", "exp", "expand_dims", "eye", "full",
    "checkpoint",
    "gelu", "grad", "is_grad_enabled", "leaky_relu", "linspace", "log", "log1p", "log_softmax",
    "logsumexp", "manual_seed", "matmul", "max", "maximum", "mean", "min", "minimum", "multiply",
    "negative", "no_grad", "ones", "ones_like", "power", "prod", "rand", "randint", "randn", "relu",
    "reshape", "scope", "set_grad_enabled", "sigmoid", "silu", "sin", "softmax", "softplus", "sqrt",
    "squeeze", "std", "subtract", "sum", "swapaxes", "tanh", "tensor", "transpose", "var", "where",
    "zeros", "zeros_like", "increment_version",
    "avg_pool2d", "concatenate", "conv2d", "cumsum", "dot", "dropout", "einsum", "flip",
    "max_pool2d", "one_hot", "pad", "split", "stack",
    "argmax", "argmin", "cat", "clamp", "double", "flatten", "float32", "float64", "from_numpy",
    "inference_mode", "int32", "int64", "long",
    "compile", "replayed", "TracingError",
]
