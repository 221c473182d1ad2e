"""Weight initialisation, in place, with ``torch.nn.init``'s names and formulas.

Every function writes into ``tensor.data`` (keeping its dtype), returns the tensor, and draws from
``generator`` if given, else from the generator seeded by ``autograd_engine.manual_seed``.

>>> import autograd_engine as ag
>>> import nn
>>> ag.manual_seed(0)
>>> w = nn.Parameter(ag.zeros(3, 4, dtype="float32"))
>>> nn.init.xavier_uniform_(w) is w
True
>>> bool((abs(w.data) <= (6 / 7) ** 0.5).all()), w.dtype
(True, dtype('float32'))
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import autograd_engine as ag

from ._ops import check_number as _number

__all__ = [
    "calculate_gain", "constant_", "kaiming_normal_", "kaiming_uniform_", "normal_", "ones_",
    "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_",
]


def _rng(generator: np.random.Generator | None) -> np.random.Generator:
    return generator if generator is not None else ag.default_generator()


def _arr(tensor: Any, fn: str = "init") -> np.ndarray:
    if isinstance(tensor, ag.Tensor):
        return tensor.data
    if isinstance(tensor, np.ndarray):
        return tensor
    raise TypeError(f"{fn}: tensor must be a Tensor (or a NumPy array) to fill in place, got "
                    f"{type(tensor).__name__}; wrap it, e.g. ag.Tensor(values)")


def _empty(tensor: Any, fn: str) -> bool:
    """Whether there is nothing to fill (PyTorch warns and returns the tensor unchanged). Called
    from the helpers below, so the warning points at the caller of the public function."""
    if _arr(tensor, fn).size == 0:
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=4)
        return True
    return False


def _written(tensor: Any) -> Any:
    """Tell the engine a Tensor's memory was written (graphs that saved it then refuse backward)."""
    if isinstance(tensor, ag.Tensor):
        ag.increment_version(tensor)
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table).

    >>> import nn
    >>> nn.init.calculate_gain("relu")
    1.4142135623730951
    """
    linear_fns = {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid", "identity"}
    if nonlinearity in linear_fns:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"calculate_gain: negative_slope {param} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Any, fn: str = "init") -> tuple[int, int]:
    shape = _arr(tensor, fn).shape
    if len(shape) < 2:
        raise ValueError(f"{fn}: fan in and fan out can not be computed for a tensor with fewer "
                         f"than 2 dimensions (tensor of shape {shape})")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor: Any, mode: str, fn: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{fn}: mode {mode!r} not supported, use 'fan_in' or 'fan_out'")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, fn)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Any, values: np.ndarray) -> Any:
    arr = _arr(tensor)
    arr[...] = values.astype(arr.dtype, copy=False)
    return _written(tensor)


def uniform_(tensor: Any, a: float = 0.0, b: float = 1.0,
             generator: np.random.Generator | None = None) -> Any:
    """Fill with samples from ``U(a, b)``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> t = nn.init.uniform_(ag.zeros(100), -1, 1)
    >>> bool((t.data >= -1).all() and (t.data < 1).all())
    True
    """
    arr = _arr(tensor, "uniform_")
    _number("uniform_", "a", a)
    _number("uniform_", "b", b)
    if not a <= b:
        raise ValueError(f"uniform_: expects a range [a, b) with a <= b, got a={a} > b={b}")
    return _fill(tensor, _rng(generator).uniform(a, b, size=arr.shape))


def normal_(tensor: Any, mean: float = 0.0, std: float = 1.0,
            generator: np.random.Generator | None = None) -> Any:
    """Fill with samples from ``N(mean, std**2)``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.init.normal_(ag.zeros(2, 2), std=0.01).shape
    (2, 2)
    """
    arr = _arr(tensor, "normal_")
    _number("normal_", "mean", mean)
    if not _number("normal_", "std", std) >= 0:
        raise ValueError(f"normal_: std must be non-negative, got std={std}")
    return _fill(tensor, _rng(generator).normal(mean, std, size=arr.shape))


def constant_(tensor: Any, val: float) -> Any:
    """Fill with ``val``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.init.constant_(ag.zeros(2), 0.5)
    Tensor([0.5, 0.5])
    """
    arr = _arr(tensor, "constant_")
    if isinstance(val, (str, bytes)) or np.asarray(val).dtype.kind not in "biuf":
        raise TypeError(f"constant_: val must be a number, got {val!r}")
    arr[...] = val
    return _written(tensor)


def zeros_(tensor: Any) -> Any:
    """Fill with zeros.

    >>> import autograd_engine as ag
    >>> import nn
    >>> t = ag.ones(2)
    >>> nn.init.zeros_(t) is t, t
    (True, Tensor([0., 0.]))
    """
    return constant_(tensor, 0.0)


def ones_(tensor: Any) -> Any:
    """Fill with ones.

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.init.ones_(ag.zeros(2))
    Tensor([1., 1.])
    """
    return constant_(tensor, 1.0)


def _zero_mean(tensor: Any, std: float, generator: np.random.Generator | None, fn: str) -> Any:
    """Fill with zero-mean samples of standard deviation ``std``: from ``U(-√3·std, √3·std)`` for
    the ``*_uniform_`` functions, else from ``N(0, std**2)``."""
    if fn.endswith("_uniform_"):
        bound = math.sqrt(3.0) * std
        return uniform_(tensor, -bound, bound, generator)
    return normal_(tensor, 0.0, std, generator)


def _xavier(tensor: Any, gain: float, generator: np.random.Generator | None, fn: str) -> Any:
    if _empty(tensor, fn):
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, fn)
    return _zero_mean(tensor, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator, fn)


def _kaiming(tensor: Any, a: float, mode: str, nonlinearity: str,
             generator: np.random.Generator | None, fn: str) -> Any:
    if _empty(tensor, fn):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode, fn))
    return _zero_mean(tensor, std, generator, fn)


def xavier_uniform_(tensor: Any, gain: float = 1.0,
                    generator: np.random.Generator | None = None) -> Any:
    """Glorot uniform: ``U(-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> w = nn.init.xavier_uniform_(ag.zeros(4, 4))
    >>> bool((abs(w.data) <= (6 / (4 + 4)) ** 0.5).all())
    True
    """
    return _xavier(tensor, gain, generator, "xavier_uniform_")


def xavier_normal_(tensor: Any, gain: float = 1.0,
                   generator: np.random.Generator | None = None) -> Any:
    """Glorot normal: ``N(0, std**2)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    >>> import numpy as np
    >>> import nn
    >>> w = nn.init.xavier_normal_(np.zeros((200, 200)), generator=np.random.default_rng(0))
    >>> round(float(w.std()), 2)  # sqrt(2 / (200 + 200))
    0.07
    """
    return _xavier(tensor, gain, generator, "xavier_normal_")


def kaiming_uniform_(tensor: Any, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> Any:
    """He uniform: ``U(-b, b)``, ``b = gain * sqrt(3 / fan)`` with ``gain = calculate_gain(
    nonlinearity, a)``. PyTorch's default Linear/Conv init is ``kaiming_uniform_(w, a=sqrt(5))``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> w = nn.init.kaiming_uniform_(ag.zeros(8, 3), nonlinearity="relu")
    >>> bool((abs(w.data) <= 2 ** 0.5 * (3 / 3) ** 0.5).all())
    True
    """
    return _kaiming(tensor, a, mode, nonlinearity, generator, "kaiming_uniform_")


def kaiming_normal_(tensor: Any, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> Any:
    """He normal: ``N(0, std**2)`` with ``std = gain / sqrt(fan)``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.init.kaiming_normal_(ag.zeros(8, 3), mode="fan_out", nonlinearity="relu").shape
    (8, 3)
    """
    return _kaiming(tensor, a, mode, nonlinearity, generator, "kaiming_normal_")
