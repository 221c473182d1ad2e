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

from . import func, onnx, tensor_methods
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
from .ops import EXPORTS as _OP_EXPORTS
from .ops import REGISTRY, astype
from .pytorch_names import argmax, argmin, cat, clamp, flatten, from_numpy, inference_mode
from .tensor import DEFAULT_DTYPE, Tensor

# Every registered op is ag.<name> (abs, add, ..., where): adding an op needs no line here.
globals().update(_OP_EXPORTS)
# Its methods, operators and the other Tensor methods the engine defines, all attached here.
tensor_methods.attach()

# PyTorch's dtype names, as NumPy's types (so `t.dtype == ag.float32`). `bool`, `float` and `int`
# stay out of __all__: `from autograd_engine import *` must not shadow the builtins.
float32, float64, int32, int64, bool = _np.float32, _np.float64, _np.int32, _np.int64, _np.bool_  # noqa: A001
float, double, int, long = _np.float32, _np.float64, _np.int32, _np.int64  # noqa: A001

__version__ = "0.1.0"

__all__ = [
    "func", "onnx",
    "DEFAULT_DTYPE", "REGISTRY", "Function", "Tensor", "__version__", "apply_any",
    "arange", "astype", "default_generator", "detect_anomaly", "enable_grad", "eye", "full",
    "checkpoint", "grad", "is_grad_enabled", "linspace", "manual_seed", "no_grad", "ones",
    "ones_like", "rand", "randint", "randn", "scope", "set_grad_enabled", "tensor", "zeros",
    "zeros_like", "increment_version",
    "argmax", "argmin", "cat", "clamp", "double", "flatten", "float32", "float64", "from_numpy",
    "inference_mode", "int32", "int64", "long",
    "compile", "replayed", "TracingError",
    *_OP_EXPORTS,
]
