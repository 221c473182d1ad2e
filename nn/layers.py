"""Layers and activation modules with PyTorch's names, parameter layouts and default inits.

Every layer with parameters takes ``dtype=`` (float32 by default) and computes in it: an input of
another dtype (e.g. float64 or int arrays from scikit-learn) is cast to the layer's dtype first, so
outputs and gradients keep the layer's dtype end to end.
"""

# ruff: noqa: A001, A002 - `input` is PyTorch's argument name, kept for keyword calls

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autograd_engine as ag

from . import functional as F
from . import init
from ._ops import as_tensor, cast_input, check_choice
from .module import Module, Sequential
from .parameter import Parameter

Tensor = ag.Tensor


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _size(layer: str, name: str, value: Any, low: int = 0) -> int:
    """An int argument of at least ``low`` (a size or a count), or an error naming it."""
    if not _is_int(value):
        raise TypeError(f"{layer}: {name} must be an int, got {value!r} ({type(value).__name__})")
    if value < low:
        raise ValueError(f"{layer}: {name} must be {'non-negative' if low == 0 else 'positive'}"
                         f" (>= {low}), got {value}")
    return int(value)


def _pair(v: Any, layer: str = "layer", name: str = "argument", low: int = 0) -> tuple[int, int]:
    """An int or a pair of ints, each at least ``low``."""
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{layer}: {name} must be an int or a pair (h, w), got {v!r}")
        return _size(layer, name, v[0], low), _size(layer, name, v[1], low)
    v = _size(layer, name, v, low)
    return v, v


def _param(shape: tuple, dtype: Any) -> Parameter:
    return Parameter(np.empty(shape, dtype=np.dtype(dtype)))


def _float_dtype(dtype: Any) -> np.dtype:
    d = np.dtype(dtype)
    if d.kind != "f":
        raise TypeError(f"layers need a floating-point dtype, got {d}")
    return d


# ----- linear and convolution ----------------------------------------------------------------------


class Identity(Module):
    """Returns its input unchanged (a placeholder layer).

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.Identity()(ag.Tensor([1.0]))
    Tensor([1.])
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class _WeightAndBias(Module):
    """A layer with a ``weight`` whose first axis is the output and an optional ``bias`` of that
    size, initialised like PyTorch's Linear and Conv layers."""

    def _init_parameters(self, weight_shape: tuple, bias: bool, dtype: Any) -> None:
        self.dtype = _float_dtype(dtype)
        self.weight = _param(weight_shape, self.dtype)
        if bias:
            self.bias = _param(weight_shape[:1], self.dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default init: ``kaiming_uniform_(a=sqrt(5))`` for the weight, and the bias
        uniform in ``±1/sqrt(fan_in)``."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)


class Linear(_WeightAndBias):
    """``y = x @ weight.T + bias`` with ``weight`` of shape ``(out_features, in_features)``.

    Initialised like PyTorch: weight and bias uniform in ``±1/sqrt(in_features)``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> lin = nn.Linear(3, 2)
    >>> lin.weight.shape, lin.bias.shape, lin.weight.dtype
    ((2, 3), (2,), dtype('float32'))
    >>> lin(ag.ones(4, 3)).dtype
    dtype('float32')
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = np.float32) -> None:
        super().__init__()
        self.in_features = _size("Linear", "in_features", in_features)
        self.out_features = _size("Linear", "out_features", out_features)
        self._init_parameters((self.out_features, self.in_features), bias, dtype)

    def forward(self, input: Any) -> Tensor:
        return F.linear(cast_input(input, self.dtype), self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Conv2d(_WeightAndBias):
    """2-D convolution over NCHW input; ``weight`` is ``(out_channels, in_channels/groups, kh, kw)``.

    ``stride``, ``padding`` (zeros) and ``dilation`` take an int or a pair. Initialised like
    PyTorch (``kaiming_uniform_(a=sqrt(5))``, bias uniform in ``±1/sqrt(fan_in)``).

    >>> import autograd_engine as ag
    >>> import nn
    >>> conv = nn.Conv2d(1, 4, kernel_size=3, padding=1)
    >>> conv.weight.shape
    (4, 1, 3, 3)
    >>> conv(ag.ones(2, 1, 8, 8)).shape
    (2, 4, 8, 8)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 dtype: Any = np.float32) -> None:
        super().__init__()
        in_channels = _size("Conv2d", "in_channels", in_channels)
        out_channels = _size("Conv2d", "out_channels", out_channels)
        groups = _size("Conv2d", "groups", groups, low=1)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must be divisible by groups ({groups})")
        if isinstance(padding, str):
            if padding != "valid":
                raise ValueError(f"Conv2d: padding must be an int, a pair or 'valid', got "
                                 f"{padding!r}")
            padding = 0
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, "Conv2d", "kernel_size", low=1)
        self.stride = _pair(stride, "Conv2d", "stride", low=1)
        self.padding = _pair(padding, "Conv2d", "padding")
        self.dilation = _pair(dilation, "Conv2d", "dilation", low=1)
        self.groups = groups
        self._init_parameters((out_channels, in_channels // groups) + self.kernel_size, bias, dtype)

    def forward(self, input: Any) -> Tensor:
        return F.conv2d(cast_input(input, self.dtype), self.weight, self.bias, self.stride,
                        self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class _Functional(Module):
    """A module with no parameters that applies ``function`` (one of ``nn.functional``'s) to its
    input, passing the attributes named in ``options`` after it; its repr shows those options."""

    function: Callable[..., Tensor]
    options: tuple[str, ...] = ()

    def forward(self, input: Any) -> Tensor:
        return type(self).function(input, *(getattr(self, name) for name in self.options))

    def extra_repr(self) -> str:
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in self.options)


class _Pool2d(_Functional):
    """Pooling over NCHW input with a window ``kernel_size``; ``stride`` defaults to it."""

    options = ("kernel_size", "stride", "padding")

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        layer = type(self).__name__
        _pair(kernel_size, layer, "kernel_size", low=1)
        if stride is not None:
            _pair(stride, layer, "stride", low=1)
        _pair(padding, layer, "padding")
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding


class MaxPool2d(_Pool2d):
    """Max pooling over NCHW input; ``stride`` defaults to ``kernel_size``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.MaxPool2d(2)(ag.ones(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    function = F.max_pool2d


class AvgPool2d(_Pool2d):
    """Average pooling over NCHW input (padded cells are counted); ``stride`` defaults to
    ``kernel_size``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> pool = nn.AvgPool2d(2, stride=1)
    >>> pool, pool(ag.ones(1, 3, 8, 8)).shape
    (AvgPool2d(kernel_size=2, stride=1, padding=0), (1, 3, 7, 7))
    """

    function = F.avg_pool2d


class Flatten(Module):
    """Flatten axes ``start_dim..end_dim`` into one (default: all but the batch axis).

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.Flatten()(ag.ones(2, 3, 4, 5)).shape
    (2, 60)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Any) -> Tensor:
        x = as_tensor(input)
        if x.ndim == 0:
            return x.reshape(1)
        for name, d in (("start_dim", self.start_dim), ("end_dim", self.end_dim)):
            if not -x.ndim <= d < x.ndim:
                raise IndexError(f"Flatten: {name}={d} is out of range for input of shape "
                                 f"{x.shape}; use a dim in [{-x.ndim}, {x.ndim - 1}]")
        s, e = self.start_dim % x.ndim, self.end_dim % x.ndim
        if s > e:
            raise ValueError(f"Flatten: start_dim {self.start_dim} comes after end_dim "
                             f"{self.end_dim} for input of shape {x.shape}")
        shape = x.shape[:s] + (int(np.prod(x.shape[s:e + 1])),) + x.shape[e + 1:]
        return x.reshape(shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Zero elements with probability ``p`` in training mode (survivors scaled by ``1/(1-p)``);
    identity in eval mode. Draws from the generator seeded by ``ag.manual_seed``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> d = nn.Dropout(0.5).eval()
    >>> d(ag.ones(3))
    Tensor([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability has to be between 0 and 1, but got {p}")
        self.p = float(p)

    def forward(self, input: Any) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


# ----- normalisation and embedding -----------------------------------------------------------------


class _BatchNorm(Module):
    _expected_ndim: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 dtype: Any = np.float32) -> None:
        super().__init__()
        num_features = _size(type(self).__name__, "num_features", num_features)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.dtype = _float_dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=self.dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=self.dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=self.dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=self.dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, counter 0."""
        if self.track_running_stats:
            for buffer, value in ((self.running_mean, 0), (self.running_var, 1),
                                  (self.num_batches_tracked, 0)):
                buffer.data[...] = value
                ag.increment_version(buffer)

    def forward(self, input: Any) -> Tensor:
        x = cast_input(input, self.dtype)
        if x.ndim not in self._expected_ndim:
            raise ValueError(f"{type(self).__name__}: expected {' or '.join(map(str, self._expected_ndim))}"
                             f"-D input, got shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: expected {self.num_features} channels on axis "
                             f"1, got input of shape {x.shape}")
        use_batch = self.training or not self.track_running_stats
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            use_batch, self.momentum, self.eps,
                            num_batches_tracked=self.num_batches_tracked)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` input over the batch (and length).

    Buffers ``running_mean``, ``running_var``, ``num_batches_tracked`` as in PyTorch; eval mode
    normalises with the running statistics.

    >>> import autograd_engine as ag
    >>> import nn
    >>> bn = nn.BatchNorm1d(3)
    >>> bn(ag.randn(8, 3)).shape
    (8, 3)
    >>> int(bn.num_batches_tracked.item())
    1
    """

    _expected_ndim = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of NCHW input per channel.

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.BatchNorm2d(4)(ag.randn(2, 4, 5, 5)).shape
    (2, 4, 5, 5)
    """

    _expected_ndim = (4,)


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` axes, then scale by ``weight`` (ones) and
    shift by ``bias`` (zeros).

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.LayerNorm(4)(ag.randn(2, 4)).shape
    (2, 4)
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, dtype: Any = np.float32) -> None:
        super().__init__()
        shape = (normalized_shape,) if _is_int(normalized_shape) else tuple(normalized_shape)
        self.normalized_shape = tuple(_size("LayerNorm", "normalized_shape", s) for s in shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.dtype = _float_dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=self.dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=self.dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Any) -> Tensor:
        return F.layer_norm(cast_input(input, self.dtype), self.normalized_shape, self.weight,
                            self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class Embedding(Module):
    """A lookup table: integer indices of any shape -> rows of ``weight``
    ``(num_embeddings, embedding_dim)``, initialised ``N(0, 1)``. The ``padding_idx`` row starts
    at zero and gets no gradient.

    >>> import numpy as np
    >>> import nn
    >>> emb = nn.Embedding(10, 3, padding_idx=0)
    >>> emb(np.array([[1, 2, 0]])).shape
    (1, 3, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 dtype: Any = np.float32) -> None:
        super().__init__()
        self.num_embeddings = _size("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = _size("Embedding", "embedding_dim", embedding_dim)
        num_embeddings = self.num_embeddings
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be within num_embeddings, got "
                                 f"{padding_idx}")
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        self.dtype = _float_dtype(dtype)
        self.weight = _param((self.num_embeddings, self.embedding_dim), self.dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``N(0, 1)``, with the padding row zeroed."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0
            ag.increment_version(self.weight)

    def forward(self, input: Any) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s


# ----- activations ---------------------------------------------------------------------------------


class ReLU(_Functional):
    """``max(x, 0)``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.ReLU()(ag.Tensor([-1.0, 1.0]))
    Tensor([0., 1.])
    """

    function = F.relu


class LeakyReLU(_Functional):
    """``x`` if positive else ``negative_slope * x``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> leaky = nn.LeakyReLU(0.1)
    >>> leaky, leaky(ag.Tensor([-1.0, 1.0]))
    (LeakyReLU(negative_slope=0.1), Tensor([-0.1,  1. ]))
    """

    function, options = F.leaky_relu, ("negative_slope",)

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope


class Tanh(_Functional):
    """Hyperbolic tangent, saturating at -1 and 1.

    >>> import autograd_engine as ag
    >>> import nn
    >>> y = nn.Tanh()(ag.Tensor([-50.0, 0.0, 50.0]))
    >>> y.tolist()
    [-1.0, 0.0, 1.0]
    """

    function = F.tanh


class Sigmoid(_Functional):
    """Logistic sigmoid, ``1 / (1 + exp(-x))``: maps to ``(0, 1)`` with ``sigmoid(0) = 0.5``.

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.Sigmoid()(ag.zeros(2))
    Tensor([0.5, 0.5])
    """

    function = F.sigmoid


class GELU(_Functional):
    """GELU (exact erf form, or ``approximate="tanh"``).

    >>> import autograd_engine as ag
    >>> import nn
    >>> gelu = nn.GELU(approximate="tanh")
    >>> gelu, gelu(ag.Tensor([0.0]))
    (GELU(approximate='tanh'), Tensor([0.]))
    """

    function, options = F.gelu, ("approximate",)

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = check_choice("GELU", "approximate", approximate, ("none", "tanh"))


class SiLU(_Functional):
    """``x * sigmoid(x)`` (swish); unlike ReLU it dips below zero for negative inputs.

    >>> import numpy as np
    >>> import nn
    >>> bool(nn.SiLU()(np.array([-1.0])).item() < 0)
    True
    """

    function = F.silu


class _AlongDim(_Functional):
    """An activation that normalises along the axis ``dim``."""

    options = ("dim",)

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim


class Softmax(_AlongDim):
    """Softmax along ``dim`` (default the last axis).

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.Softmax(dim=1)(ag.Tensor([[1.0, 1.0]]))
    Tensor([[0.5, 0.5]])
    """

    function = F.softmax


class LogSoftmax(_AlongDim):
    """Log-softmax along ``dim`` (default the last axis).

    >>> import autograd_engine as ag
    >>> import nn
    >>> nn.LogSoftmax(dim=1)(ag.Tensor([[0.0, 0.0]])).exp()
    Tensor([[0.5, 0.5]])
    """

    function = F.log_softmax


_ACTIVATIONS: dict[str, Callable[[], Module]] = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "tanh": Tanh, "sigmoid": Sigmoid, "gelu": GELU,
    "silu": SiLU, "identity": Identity,
}


class MLP(Sequential):
    """A multilayer perceptron: ``Linear`` layers of the given ``sizes`` with an activation between
    consecutive layers (none after the last).

    ``activation`` is a module class or factory (``nn.ReLU``, ``lambda: nn.LeakyReLU(0.2)``) or a
    name (``"relu"``, ``"tanh"``, ``"gelu"``, ...). It is a ``Sequential``, so its state_dict
    matches ``torch.nn.Sequential(Linear, act, Linear, ...)`` (keys ``0.weight``, ``2.weight``, ...).

    >>> import autograd_engine as ag
    >>> import nn
    >>> mlp = nn.MLP([2, 16, 16, 1], activation="tanh")
    >>> mlp
    MLP(
      (0): Linear(in_features=2, out_features=16, bias=True)
      (1): Tanh()
      (2): Linear(in_features=16, out_features=16, bias=True)
      (3): Tanh()
      (4): Linear(in_features=16, out_features=1, bias=True)
    )
    >>> mlp(ag.ones(5, 2)).shape
    (5, 1)
    """

    def __init__(self, sizes: Sequence[int], activation: Any = ReLU, bias: bool = True,
                 dtype: Any = np.float32) -> None:
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least input and output sizes, got {sizes}")
        if isinstance(activation, str):
            if activation.lower() not in _ACTIVATIONS:
                raise ValueError(f"MLP: unknown activation {activation!r}; use one of "
                                 f"{sorted(_ACTIVATIONS)} or a Module class")
            factory = _ACTIVATIONS[activation.lower()]
        elif isinstance(activation, Module):
            raise TypeError("MLP: pass the activation's class or a factory (e.g. nn.ReLU or "
                            "lambda: nn.LeakyReLU(0.2)), not an instance, so each layer gets its own")
        else:
            factory = activation
        layers: OrderedDict = OrderedDict()
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers[str(len(layers))] = Linear(a, b, bias=bias, dtype=dtype)
            if i < len(sizes) - 2:
                layers[str(len(layers))] = factory()
        super().__init__(layers)
        self.sizes = sizes
