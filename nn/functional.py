"""Functional forms of the layers, activations and losses, with PyTorch's names and arguments.

Losses take ``reduction="mean" | "sum" | "none"``. Float targets are cast to the input's dtype, so
a float32 model stays float32 even when the targets are float64 arrays.
"""

# ruff: noqa: A001, A002 - `input` is PyTorch's argument name, kept for keyword calls

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd_engine as ag

from . import _ops
from ._ops import as_tensor

Tensor = ag.Tensor

_REDUCTIONS = ("mean", "sum", "none")

# ----- linear and activations ----------------------------------------------------------------------


def linear(input: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` as one fused op (weight is ``(out_features, in_features)``).

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.linear(ag.ones(2, 3), ag.ones(4, 3), ag.zeros(4)).shape
    (2, 4)
    """
    input = as_tensor(input, fn="linear")
    w_shape = tuple(getattr(weight, "shape", ()))
    if len(w_shape) != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape "
                         f"{w_shape}")
    if input.ndim < 1 or input.shape[-1] != w_shape[1]:
        raise ValueError(f"linear: input of shape {input.shape} must have {w_shape[1]} features "
                         f"on its last axis for a weight of shape {w_shape} (out_features, "
                         "in_features); reshape the input, or build the layer with in_features="
                         f"{input.shape[-1] if input.ndim else 1}")
    if bias is not None and tuple(getattr(bias, "shape", ())) != (w_shape[0],):
        raise ValueError(f"linear: bias must have shape ({w_shape[0]},), one per output feature, "
                         f"got {getattr(bias, 'shape', bias)}")
    if bias is None:
        return _ops.Linear.apply(input, weight)
    return _ops.Linear.apply(input, weight, bias)


def relu(input: Any) -> Tensor:
    """``max(x, 0)`` elementwise.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.relu(ag.Tensor([-1.0, 2.0]))
    Tensor([0., 2.])
    """
    return ag.relu(as_tensor(input, fn="relu"))


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    """``x`` for ``x > 0`` else ``negative_slope * x``.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.leaky_relu(ag.Tensor([-1.0, 2.0]), 0.1)
    Tensor([-0.1,  2. ])
    """
    return ag.leaky_relu(as_tensor(input, fn="leaky_relu"), negative_slope)


def tanh(input: Any) -> Tensor:
    """Hyperbolic tangent.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.tanh(ag.Tensor([0.0]))
    Tensor([0.])
    """
    return ag.tanh(as_tensor(input, fn="tanh"))


def sigmoid(input: Any) -> Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))``.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.sigmoid(ag.Tensor([0.0]))
    Tensor([0.5])
    """
    return ag.sigmoid(as_tensor(input, fn="sigmoid"))


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """GELU, exact (erf) form or ``approximate="tanh"``.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.gelu(ag.Tensor([0.0]))
    Tensor([0.])
    """
    return ag.gelu(as_tensor(input, fn="gelu"), approximate=approximate)


def silu(input: Any) -> Tensor:
    """``x * sigmoid(x)``.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.silu(ag.Tensor([0.0]))
    Tensor([0.])
    """
    return ag.silu(as_tensor(input, fn="silu"))


def softplus(input: Any) -> Tensor:
    """``log(1 + exp(x))``, without overflow.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.softplus(ag.Tensor([0.0]))
    Tensor([0.69314718])
    """
    return ag.softplus(as_tensor(input, fn="softplus"))


def elu(input: Any, alpha: float = 1.0) -> Tensor:
    """``x`` for ``x > 0`` else ``alpha * (exp(x) - 1)``.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.elu(ag.Tensor([0.0, 1.0]))
    Tensor([0., 1.])
    """
    return ag.elu(as_tensor(input, fn="elu"), alpha)


def softmax(input: Any, dim: int = -1) -> Tensor:
    """Softmax along ``dim`` (PyTorch's name for NumPy's ``axis``).

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.softmax(ag.Tensor([[0.0, 0.0]]), dim=1)
    Tensor([[0.5, 0.5]])
    """
    return ag.softmax(as_tensor(input, fn="softmax"), axis=dim)


def log_softmax(input: Any, dim: int = -1) -> Tensor:
    """Log-softmax along ``dim``, computed stably.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.log_softmax(ag.Tensor([0.0, 0.0])).exp()
    Tensor([0.5, 0.5])
    """
    return ag.log_softmax(as_tensor(input, fn="log_softmax"), axis=dim)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding of integer class indices, appended as a last axis (no gradient).

    >>> import nn.functional as F
    >>> F.one_hot([0, 2], 3)
    Tensor([[1, 0, 0],
            [0, 0, 1]], dtype=int64)
    """
    idx = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: class indices must be integers, got dtype {idx.dtype}")
    if num_classes < 0:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got "
                         f"[{idx.min()}, {idx.max()}]")
    return ag.Tensor((idx[..., None] == np.arange(num_classes)).astype(np.int64))


# ----- convolution, pooling, dropout (engine ops) ---------------------------------------------------


def conv2d(input: Any, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation) over NCHW input; weight ``(out, in/groups, kh, kw)``.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.conv2d(ag.ones(1, 1, 4, 4), ag.ones(2, 1, 3, 3), padding=1).shape
    (1, 2, 4, 4)
    """
    return ag.conv2d(as_tensor(input, fn="conv2d"), weight, bias, stride=stride, padding=padding,
                     dilation=dilation, groups=groups)


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Max pooling over NCHW input; ``stride`` defaults to ``kernel_size``.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.max_pool2d(ag.ones(1, 1, 4, 4), 2).shape
    (1, 1, 2, 2)
    """
    return ag.max_pool2d(as_tensor(input, fn="max_pool2d"), kernel_size, stride=stride, padding=padding)


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Average pooling over NCHW input (padded cells count, like ``count_include_pad=True``).

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.avg_pool2d(ag.ones(1, 1, 4, 4), 2)
    Tensor([[[[1., 1.],
              [1., 1.]]]])
    """
    return ag.avg_pool2d(as_tensor(input, fn="avg_pool2d"), kernel_size, stride=stride, padding=padding)


def dropout(input: Any, p: float = 0.5, training: bool = True, rng: np.random.Generator | None = None
            ) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)`` when training;
    identity otherwise. ``rng`` defaults to the generator seeded by ``ag.manual_seed``.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.dropout(ag.ones(3), 0.5, training=False)
    Tensor([1., 1., 1.])
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    input = as_tensor(input, fn="dropout")
    if not training or p == 0.0:
        return input
    return ag.dropout(input, p=p, training=True, rng=rng if rng is not None else ag.default_generator())


# ----- normalisation and embedding -----------------------------------------------------------------


def batch_norm(input: Any, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float | None = 0.1, eps: float = 1e-5,
               num_batches_tracked: Tensor | None = None) -> Tensor:
    """Batch normalisation over axis 1 (``(N, C)``, ``(N, C, L)`` or ``(N, C, H, W)`` input).

    Training uses the batch's biased variance to normalise and updates the running statistics in
    place with the unbiased one (``momentum=None`` gives a cumulative average over
    ``num_batches_tracked``); evaluation uses the running statistics.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> x = ag.Tensor([[1.0], [3.0]])
    >>> F.batch_norm(x, None, None, training=True)
    Tensor([[-0.999995],
            [ 0.999995]])
    """
    x = as_tensor(input, fn="batch_norm")
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, ...), got {x.shape}")
    axes = (0,) + tuple(range(2, x.ndim))
    bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training or running_mean is None:
        n = x.size // x.shape[1]
        if training and n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {x.shape}")
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = (xc * xc).mean(axis=axes, keepdims=True)
        if training and running_mean is not None:
            with ag.no_grad():
                if num_batches_tracked is not None:
                    num_batches_tracked.data[...] += 1
                m = momentum
                if m is None:
                    m = 1.0 / float(num_batches_tracked.data) if num_batches_tracked is not None else 0.0
                bm = mean.data.reshape(-1)
                bv = var.data.reshape(-1) * (n / max(n - 1, 1))
                rm, rv = running_mean.data, running_var.data
                rm[...] = (1 - m) * rm + m * bm
                rv[...] = (1 - m) * rv + m * bv
                for buffer in (running_mean, running_var, num_batches_tracked):
                    if buffer is not None:  # (a graph that saved them must not backward)
                        ag.increment_version(buffer)
        y = xc / (var + eps).sqrt()
    else:
        rm = running_mean.data.reshape(bshape)
        inv = 1.0 / np.sqrt(running_var.data.reshape(bshape) + eps)
        y = (x - ag.Tensor(rm, dtype=x.dtype)) * ag.Tensor(inv, dtype=x.dtype)
    if weight is not None:
        y = y * weight.reshape(bshape)
    if bias is not None:
        y = y + bias.reshape(bshape)
    return y


def layer_norm(input: Any, normalized_shape: Sequence[int] | int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` axes (biased variance), then scale/shift.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.layer_norm(ag.Tensor([[1.0, 3.0]]), (2,))
    Tensor([[-0.999995,  0.999995]])
    """
    x = as_tensor(input, fn="layer_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.shape[x.ndim - len(shape):] != shape:
        raise ValueError(f"layer_norm: input shape {x.shape} does not end with normalized_shape "
                         f"{shape}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    xc = x - mean
    var = (xc * xc).mean(axis=axes, keepdims=True)
    y = xc / (var + eps).sqrt()
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` picked by integer indices (any shape); the row at ``padding_idx`` gets
    no gradient.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.embedding([[0, 2]], ag.eye(3)).shape
    (1, 2, 3)
    """
    idx = np.asarray(input.data if isinstance(input, Tensor) else input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype}; "
                        "use .astype(np.int64)")
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):  # no wrapping of -1, as in PyTorch
        bad = idx[(idx < 0) | (idx >= n)].flat[0]
        raise IndexError(f"embedding: index {bad} is out of range: indices must be in [0, {n}) "
                         f"for a weight of shape {weight.shape}, got values from {idx.min()} to "
                         f"{idx.max()}")
    out = weight[idx]
    if padding_idx is not None:
        pad = padding_idx % n
        mask = (idx == pad)[..., None]
        if mask.any():
            out = ag.where(mask, weight.detach()[idx], out)
    return out


# ----- losses --------------------------------------------------------------------------------------


def _check_reduction(reduction: str, fn: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _target_like(target: Any, input: Tensor, fn: str, what: str = "target",
                 same_size: str = "broadcast") -> Tensor:
    """``target`` (or ``weight``, ``pos_weight``: ``what``) as a Tensor of the input's dtype.

    A shape that differs from the input's is refused if it does not broadcast with it, and
    otherwise, as in PyTorch, warned about (``same_size="warn"``: ``(4, 1)`` against ``(4,)``
    broadcasts to ``(4, 4)``, almost always a bug) or refused (``same_size="raise"``).
    """
    t = as_tensor(target)
    if t.dtype != input.dtype:
        t = t.astype(input.dtype)
    if t.shape != input.shape:
        if same_size == "raise":
            raise ValueError(f"{fn}: {what} size {t.shape} must be the same as the input size "
                             f"{input.shape}; reshape the {what} (e.g. {what}.reshape"
                             f"{input.shape})")
        try:
            np.broadcast_shapes(t.shape, input.shape)
        except ValueError:
            raise ValueError(f"{fn}: {what} shape {t.shape} does not broadcast with input shape "
                             f"{input.shape}") from None
        if same_size == "warn":
            warnings.warn(f"{fn}: Using a target size {t.shape} that is different to the input "
                          f"size {input.shape}. This will likely lead to incorrect results due to "
                          "broadcasting. Please ensure they have the same size.", UserWarning,
                          stacklevel=3)
    return t


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error ``(input - target)**2``, reduced.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.mse_loss(ag.Tensor([1.0, 2.0]), ag.Tensor([1.0, 4.0]))
    Tensor(2.)
    """
    _check_reduction(reduction, "mse_loss")
    x = as_tensor(input, fn="mse_loss")
    d = x - _target_like(target, x, "mse_loss", same_size="warn")
    return _reduce(d * d, reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error ``|input - target|``, reduced (gradient 0 where they are equal).

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.l1_loss(ag.Tensor([1.0, 2.0]), ag.Tensor([1.0, 4.0]))
    Tensor(1.)
    """
    _check_reduction(reduction, "l1_loss")
    x = as_tensor(input, fn="l1_loss")
    return _reduce((x - _target_like(target, x, "l1_loss", same_size="warn")).abs(), reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """Huber loss: ``0.5 d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 delta)``.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.huber_loss(ag.Tensor([0.0, 0.0]), ag.Tensor([0.5, 3.0]), reduction="none")
    Tensor([0.125, 2.5  ])
    """
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    x = as_tensor(input, fn="huber_loss")
    d = x - _target_like(target, x, "huber_loss", same_size="warn")
    a = d.abs()
    loss = ag.where(a.data < delta, 0.5 * d * d, delta * (a - 0.5 * delta))
    return _reduce(loss, reduction)


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: ``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.smooth_l1_loss(ag.Tensor([0.0]), ag.Tensor([3.0]))
    Tensor(2.5)
    """
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    x = as_tensor(input, fn="smooth_l1_loss")
    d = x - _target_like(target, x, "smooth_l1_loss", same_size="warn")
    a = d.abs()
    if beta == 0:
        return _reduce(a, reduction)
    loss = ag.where(a.data < beta, (0.5 / beta) * d * d, a - 0.5 * beta)
    return _reduce(loss, reduction)


def _class_targets(input: Tensor, target: Any, fn: str) -> tuple[np.ndarray, int]:
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{fn}: class-index targets must be integers, got dtype {t.dtype}; "
                        "use .astype(np.int64) (or pass class probabilities of the input's shape)")
    expected = (input.shape[0],) + input.shape[2:]
    if t.shape != expected:
        raise ValueError(f"{fn}: input of shape {input.shape} (N, C, ...) needs class-index "
                         f"targets of shape {expected}, got {t.shape}")
    return t.astype(np.int64, copy=False), input.shape[1]


def _class_weights(q: np.ndarray, t: np.ndarray, weight: Any, ignore_index: int, C: int, fn: str
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Per-element target weights and validity; fills nothing, returns (t_safe, w_t, w)."""
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(f"{fn}: ignore_index must be an int (a class index), got {ignore_index!r}")
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= C))
    if bad.any():
        raise IndexError(f"{fn}: target {int(t[bad].flat[0])} is out of bounds for {C} classes "
                         f"(targets must be in [0, {C}) or equal ignore_index={ignore_index})")
    t_safe = np.where(valid, t, 0)
    w = None
    if weight is not None:
        w = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=q.dtype)
        if w.shape != (C,):
            raise ValueError(f"{fn}: weight must have shape ({C},), one per class, got {w.shape}")
        w_t = w[t_safe] * valid
    else:
        w_t = valid.astype(q.dtype)
    return t_safe, w_t, w


def _put_class(q: np.ndarray, t_safe: np.ndarray, values: np.ndarray) -> None:
    np.put_along_axis(q, np.expand_dims(t_safe, 1), np.expand_dims(values, 1).astype(q.dtype), axis=1)


def cross_entropy(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy between logits ``(N, C, ...)`` (or ``(C,)``) and integer class
    targets ``(N, ...)``, as one fused, numerically stable op.

    ``weight`` (shape ``(C,)``) rescales classes; targets equal to ``ignore_index`` contribute
    nothing; ``label_smoothing`` mixes the one-hot target with the uniform distribution. With
    ``reduction="mean"`` the sum is divided by the total weight of the non-ignored targets, as in
    PyTorch. Targets may also be class probabilities of the input's shape (float).

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> logits = ag.Tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]], requires_grad=True)
    >>> loss = F.cross_entropy(logits, [0, 2])
    >>> round(loss.item(), 4)
    0.6691
    >>> loss.backward(); logits.grad.shape
    (2, 3)
    """
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    x = as_tensor(input, fn="cross_entropy")
    if x.dtype.kind != "f":
        raise TypeError(f"cross_entropy: logits must be floating point, got dtype {x.dtype}")
    tdata = target.data if isinstance(target, Tensor) else np.asarray(target)
    unbatched = x.ndim == 1
    if unbatched:
        x = x.reshape(1, -1)
        tdata = np.asarray(tdata)[None]
    C = x.shape[1]
    if tdata.dtype.kind == "f":  # class probabilities, which must have the input's shape
        if tdata.shape != x.shape:
            shape = tdata.shape[1:] if unbatched else tdata.shape
            in_shape = x.shape[1:] if unbatched else x.shape
            if tdata.shape == (x.shape[0],) + x.shape[2:]:
                raise TypeError(
                    f"cross_entropy: class-index targets must be integers, got a float target of "
                    f"shape {shape} for input of shape {in_shape}; use target.astype(np.int64), "
                    f"or pass class probabilities of the input's shape {in_shape}")
            raise ValueError(f"cross_entropy: probability targets must have the input's shape "
                             f"{in_shape}, got target of shape {shape}")
        t = as_tensor(target)
        t = _target_like(t.reshape(x.shape) if unbatched else t, x, "cross_entropy")
        if label_smoothing > 0:
            t = t * (1.0 - label_smoothing) + label_smoothing / C
        logp = ag.log_softmax(x, axis=1)
        if weight is not None:
            w = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=x.dtype)
            logp = logp * ag.Tensor(w.reshape((1, C) + (1,) * (x.ndim - 2)))
        loss = -(t * logp).sum(axis=1)
        if unbatched:
            loss = loss.reshape(())
        return _reduce(loss, reduction)
    t, C = _class_targets(x, tdata, "cross_entropy")
    q = np.zeros(x.shape, dtype=x.dtype)
    t_safe, w_t, w = _class_weights(q, t, weight, ignore_index, C, "cross_entropy")
    _put_class(q, t_safe, (1.0 - label_smoothing) * w_t)
    if label_smoothing > 0:
        valid = np.expand_dims(t != ignore_index, 1)
        per_class = (w if w is not None else np.ones(C, dtype=q.dtype)) * (label_smoothing / C)
        q += per_class.reshape((1, C) + (1,) * (x.ndim - 2)) * valid
    denom = float(w_t.sum())
    out = _ops.CrossEntropy.apply(x, q=q, reduction=reduction, denom=denom)
    if unbatched and reduction == "none":
        out = out.reshape(())
    return out


def nll_loss(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``(N, C, ...)`` at integer targets
    ``(N, ...)``; ``weight``/``ignore_index``/``reduction`` as in :func:`cross_entropy`.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.nll_loss(ag.Tensor([[-1.0, -2.0], [-3.0, -0.5]]), [0, 1])
    Tensor(0.75)
    """
    _check_reduction(reduction, "nll_loss")
    x = as_tensor(input, fn="nll_loss")
    tdata = target.data if isinstance(target, Tensor) else np.asarray(target)
    unbatched = x.ndim == 1
    if unbatched:
        x = x.reshape(1, -1)
        tdata = np.asarray(tdata)[None]
    t, C = _class_targets(x, tdata, "nll_loss")
    t_safe, w_t, _ = _class_weights(np.zeros(0, dtype=x.dtype), t, weight, ignore_index, C, "nll_loss")
    # move the class axis last, flatten, and pick each element's target class
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    flat = (x.transpose(perm) if x.ndim > 2 else x).reshape(-1, C)
    picked = flat[np.arange(flat.shape[0]), t_safe.reshape(-1)].reshape(t.shape)
    loss = -picked * ag.Tensor(w_t.astype(x.dtype))
    if unbatched and reduction == "none":
        return loss.reshape(())
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            return loss.sum() / float(w_t.sum())
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """Sigmoid + binary cross-entropy in one stable expression:
    ``(1 - t) x + (1 + (pos_weight - 1) t) * softplus(-x)``, times ``weight``.

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.binary_cross_entropy_with_logits(ag.Tensor([0.0, 100.0]), ag.Tensor([1.0, 1.0]))
    Tensor(0.34657359)
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    fn = "binary_cross_entropy_with_logits"
    x = as_tensor(input, fn="binary_cross_entropy_with_logits")
    t = _target_like(target, x, fn, same_size="raise")
    pw = None if pos_weight is None else _target_like(pos_weight, x, fn, "pos_weight")
    w = None if weight is None else _target_like(weight, x, fn, "weight")
    sp = ag.softplus(-x)
    if pw is not None:
        loss = (1.0 - t) * x + (1.0 + (pw - 1.0) * t) * sp
    else:
        loss = (1.0 - t) * x + sp
    if w is not None:
        loss = loss * w
    return _reduce(loss, reduction)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None, reduction: str = "mean"
                         ) -> Tensor:
    """Binary cross-entropy of probabilities in [0, 1]; logs are clamped at -100 like PyTorch.
    Prefer :func:`binary_cross_entropy_with_logits` on logits (more stable).

    >>> import autograd_engine as ag
    >>> import nn.functional as F
    >>> F.binary_cross_entropy(ag.Tensor([0.5]), ag.Tensor([1.0]))
    Tensor(0.69314718)
    """
    _check_reduction(reduction, "binary_cross_entropy")
    x = as_tensor(input, fn="binary_cross_entropy")
    t = _target_like(target, x, "binary_cross_entropy", same_size="raise")
    w = None if weight is None else _target_like(weight, x, "binary_cross_entropy", "weight")
    for what, v in (("input", x.data), ("target", t.data)):
        if not ((v >= 0) & (v <= 1)).all():  # NaN fails too
            fix = ("apply sigmoid first, or use binary_cross_entropy_with_logits on logits"
                   if what == "input" else "targets are probabilities of the positive class")
            raise ValueError(f"binary_cross_entropy: all elements of {what} should be between 0 "
                             f"and 1, got values from {np.min(v)} to {np.max(v)}; {fix}")
    log_p = ag.maximum(x.log(), -100.0)
    log_1p = ag.maximum((1.0 - x).log(), -100.0)
    loss = -(t * log_p + (1.0 - t) * log_1p)
    if w is not None:
        loss = loss * w
    return _reduce(loss, reduction)
