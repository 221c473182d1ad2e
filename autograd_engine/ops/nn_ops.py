"""Neural-network ops: conv2d, max_pool2d, avg_pool2d (NCHW), dropout and one_hot.

Everything is vectorised over pixels. Two linear ops that are each other's adjoint carry the
sliding-window work:

* ``Unfold`` (im2col) turns ``x`` of shape ``(N, C, H, W)`` into the strided windows
  ``(C, kh, kw, N, H', W')`` -- a view of the (padded) input, no copy;
* ``Fold`` (col2im) adds windows back into an image, one strided slice per kernel offset
  (``kh * kw`` vectorised additions).

``Unfold.backward`` is ``Fold`` and ``Fold.backward`` is ``Unfold``, so anything built on them is
differentiable to any order. ``conv2d`` is ``Unfold`` + one matrix product per group (the reshape of
the window view is the im2col copy), ``avg_pool2d`` is ``Unfold`` + a sum. ``max_pool2d`` keeps a
running maximum over the kernel offsets and the offset of each window's (first) maximum; its
gradient scatters ``grad`` to those positions (``PoolScatter``), whose own gradient gathers again
(``PoolGather``). These Functions call each other through ``apply_any``, so their rules run on
plain arrays for a first-order backward and on Tensors under ``create_graph``
(``Function.backward_on_arrays``).

Convention at kinks: ``max_pool2d`` sends the gradient of a window to the first maximal element in
row-major window order (as PyTorch's CPU kernel does).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..function import Op, apply_any
from ..tensor import Tensor
from ._util import TensorLike, stop_gradient
from .registry import register

Pair = tuple[int, int]


def _pair(value: Any, name: str, op: str, minimum: int) -> Pair:
    """An int or a pair of ints, checked against ``minimum``."""
    items = (value, value) if isinstance(value, (int, np.integer)) else value
    if not (isinstance(items, (tuple, list)) and len(items) == 2
            and all(isinstance(v, (int, np.integer)) for v in items)):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(items) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return int(items[0]), int(items[1])


def _out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _check_window(op: str, shape: tuple, kernel: Pair, stride: Pair, padding: Pair,
                  dilation: Pair) -> tuple[int, int]:
    """Output size (H', W'), or an error saying why the window does not fit."""
    H, W = shape[-2:]
    ho = _out_size(H, kernel[0], stride[0], padding[0], dilation[0])
    wo = _out_size(W, kernel[1], stride[1], padding[1], dilation[1])
    if ho < 1 or wo < 1:
        eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        raise ValueError(
            f"{op}: the kernel {kernel} (spanning {eff} with dilation {dilation}) is larger than the "
            f"padded input ({H + 2 * padding[0]}, {W + 2 * padding[1]}) (input shape {shape}, "
            f"padding {padding}); use a smaller kernel or more padding"
        )
    return ho, wo


def _pad_hw(x: np.ndarray, padding: Pair, value: float) -> np.ndarray:
    ph, pw = padding
    if not (ph or pw):
        return x
    N, C, H, W = x.shape
    out = np.full((N, C, H + 2 * ph, W + 2 * pw), value, dtype=x.dtype)
    out[:, :, ph:ph + H, pw:pw + W] = x
    return out


def _windows(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair) -> np.ndarray:
    """View ``(N, C, H', W', kh, kw)`` of the windows of the padded input ``xp``."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    win = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    return win[:, :, ::sh, ::sw, ::dh, ::dw]


# ----- im2col / col2im ----------------------------------------------------------------------------


class Unfold(Op):
    """``(N, C, H, W)`` -> windows ``(C, kh, kw, N, H', W')`` (a read-only strided view)."""

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation):
        ctx.shape = x.shape
        ctx.params = {"kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation}
        win = _windows(_pad_hw(x, padding, 0), kernel, stride, dilation)
        return win.transpose(1, 4, 5, 0, 2, 3)

    @staticmethod
    def backward(ctx, grad):
        return (apply_any(Fold, grad, shape=ctx.shape, **ctx.params),)

    @staticmethod
    def jvp(ctx, t):  # linear: the op itself
        return apply_any(Unfold, t, **ctx.params)


class Fold(Op):
    """Windows ``(C, kh, kw, N, H', W')`` -> ``(N, C, H, W)``, adding where windows overlap."""

    @staticmethod
    def forward(ctx, cols, shape, kernel, stride, padding, dilation):
        ctx.params = {"kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation}
        ctx.shape = shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
        N, C, H, W = shape
        ho, wo = cols.shape[-2:]
        # Accumulate in the layout of cols, (C, N, H, W), and hand out the (N, C, H, W) view.
        out = np.zeros((C, N, H + 2 * ph, W + 2 * pw), dtype=cols.dtype)
        for i in range(kh):  # a loop over kernel offsets; each step covers every pixel at once
            for j in range(kw):
                out[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh,
                    j * dw:j * dw + sw * (wo - 1) + 1:sw] += cols[:, i, j]
        return out[:, :, ph:ph + H, pw:pw + W].transpose(1, 0, 2, 3)

    @staticmethod
    def backward(ctx, grad):
        return (apply_any(Unfold, grad, **ctx.params),)

    @staticmethod
    def jvp(ctx, t):  # linear: the op itself
        return apply_any(Fold, t, shape=ctx.shape, **ctx.params)


# ----- conv2d -------------------------------------------------------------------------------------


def _np_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """NumPy reference for the sweep: windows contracted with einsum, group by group."""
    stride, padding, dilation = (_pair(v, n, "conv2d", 0) for v, n in
                                 ((stride, "stride"), (padding, "padding"), (dilation, "dilation")))
    win = _windows(_pad_hw(x, padding, 0), w.shape[2:], stride, dilation)  # (N, C, H', W', kh, kw)
    Cg, Og = w.shape[1], w.shape[0] // groups
    out = np.concatenate([
        np.einsum("nchwij,ocij->nohw", win[:, g * Cg:(g + 1) * Cg], w[g * Og:(g + 1) * Og])
        for g in range(groups)], axis=1)
    return out if b is None else out + b.reshape(1, -1, 1, 1)


@register(_np_conv2d, kind="custom", sampler="conv2d", torch="torch.nn.functional.conv2d")
def conv2d(x: TensorLike, w: TensorLike, b: TensorLike | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-d cross-correlation (PyTorch's ``conv2d``) of ``x`` ``(N, C, H, W)`` with weights ``w``
    ``(O, C // groups, kh, kw)`` plus an optional bias ``b`` ``(O,)``.

    ``stride``, ``padding`` (zeros) and ``dilation`` are ints or ``(h, w)`` pairs; output sizes round
    down: ``H' = (H + 2 p - d (kh - 1) - 1) // s + 1``. With ``groups = g`` the channels are split into
    ``g`` groups that are convolved separately. Computed as im2col (a strided view, one copy) and one
    matrix product per group.

    Gradient: x gets the transposed convolution of ``grad`` (col2im of ``w^T grad``), ``w`` gets the
    correlation of ``grad`` with the windows of x, ``b`` the sum of ``grad`` over N, H', W'; all are
    built from differentiable ops, so second derivatives work.

    >>> import autograd_engine as ag
    >>> x = ag.ones(1, 1, 3, 3, requires_grad=True)
    >>> w = ag.ones(2, 1, 2, 2, requires_grad=True)
    >>> y = ag.conv2d(x, w, padding=1)
    >>> y.shape
    (1, 2, 4, 4)
    >>> y.sum().backward()
    >>> x.grad[0, 0]
    Tensor([[8., 8., 8.],
            [8., 8., 8.],
            [8., 8., 8.]])
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    w = w if isinstance(w, Tensor) else Tensor(w)
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(
            f"conv2d: expected x of shape (N, C, H, W) and w of shape (out_channels, "
            f"in_channels // groups, kh, kw), got x.shape={x.shape} and w.shape={w.shape}; add a "
            "batch axis with x[None] for a single image"
        )
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    if C != Cg * groups:
        raise ValueError(
            f"conv2d: x has {C} input channels (x.shape={x.shape}) but w.shape={w.shape} with "
            f"groups={groups} expects w.shape[1] * groups = {Cg * groups}; in_channels must equal "
            f"w.shape[1] * groups, so use a weight of shape ({O}, {C // groups if C % groups == 0 else '?'}"
            f", {kh}, {kw}) or change groups"
        )
    if O % groups:
        raise ValueError(
            f"conv2d: out_channels = w.shape[0] = {O} must be divisible by groups={groups}"
        )
    if b is not None:
        b = b if isinstance(b, Tensor) else Tensor(b)
        if b.shape != (O,):
            raise ValueError(
                f"conv2d: bias must have shape (out_channels,) = ({O},), got {b.shape}"
            )
    if kh < 1 or kw < 1:
        raise ValueError(f"conv2d: kernel size must be at least 1, got w.shape={w.shape}")
    stride = _pair(stride, "stride", "conv2d", 1)
    padding = _pair(padding, "padding", "conv2d", 0)
    dilation = _pair(dilation, "dilation", "conv2d", 1)
    ho, wo = _check_window("conv2d", x.shape, (kh, kw), stride, padding, dilation)

    g, K = groups, Cg * kh * kw
    # (C, kh, kw, N, H', W'), a view
    cols = Unfold.apply(x, kernel=(kh, kw), stride=stride, padding=padding, dilation=dilation)
    cols = cols.reshape(g, K, N * ho * wo)  # the im2col copy
    out = w.reshape(g, O // g, K) @ cols  # (g, O/g, N*H'*W'): one GEMM per group
    out = out.reshape(O, N, ho, wo).transpose(1, 0, 2, 3)
    if b is not None:
        out = out + b.reshape(1, O, 1, 1)
    return out


# ----- pooling ------------------------------------------------------------------------------------


def _pool_params(op: str, shape: tuple, kernel_size: Any, stride: Any, padding: Any):
    if len(shape) != 4:
        raise ValueError(
            f"{op}: expected an input of shape (N, C, H, W), got {shape}; add a batch axis with "
            "x[None] for a single image"
        )
    kernel = _pair(kernel_size, "kernel_size", op, 1)
    stride = kernel if stride is None else _pair(stride, "stride", op, 1)
    padding = _pair(padding, "padding", op, 0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(
            f"{op}: padding {padding} must be at most half the kernel size {kernel} (as in PyTorch), "
            "so that every window covers part of the input; use a smaller padding"
        )
    out = _check_window(op, shape, kernel, stride, padding, (1, 1))
    return kernel, stride, padding, out


def _offsets(kernel: Pair, stride: Pair, out_hw: tuple[int, int]):
    """For each kernel offset ``k = i * kw + j``: the (rows, cols) slices of the padded input that
    the offset covers in every window at once."""
    (kh, kw), (sh, sw), (ho, wo) = kernel, stride, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i * kw + j, slice(i, i + sh * (ho - 1) + 1, sh), slice(j, j + sw * (wo - 1) + 1, sw)


def _torch_like_max_pool(x, kernel_size, stride=None, padding=0):
    """NumPy reference for the sweep (windows of the -inf padded input)."""
    kernel, stride, padding, _ = _pool_params("max_pool2d", x.shape, kernel_size, stride, padding)
    return _windows(_pad_hw(x, padding, -np.inf), kernel, stride, (1, 1)).max(axis=(-2, -1))


def _torch_like_avg_pool(x, kernel_size, stride=None, padding=0):
    kernel, stride, padding, _ = _pool_params("avg_pool2d", x.shape, kernel_size, stride, padding)
    return _windows(_pad_hw(x, padding, 0), kernel, stride, (1, 1)).mean(axis=(-2, -1))


class PoolScatter(Op):
    """Into zeros of ``shape``, add each window's ``grad`` at the kernel offset ``arg`` of it."""

    @staticmethod
    def forward(ctx, grad, *, arg, shape, kernel, stride, padding):
        ctx.where = {"arg": arg, "shape": shape, "kernel": kernel, "stride": stride,
                     "padding": padding}
        (ph, pw), (N, C, H, W) = padding, shape
        out = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=grad.dtype)
        disjoint = stride[0] >= kernel[0] and stride[1] >= kernel[1]  # windows do not overlap
        for k, rows, cols in _offsets(kernel, stride, arg.shape[2:]):
            # grad * mask, not np.where: several times faster (a NaN in grad would spread over
            # its window, but then the gradient is NaN anyway)
            if disjoint:
                np.multiply(grad, arg == k, out=out[:, :, rows, cols])
            else:
                out[:, :, rows, cols] += grad * (arg == k)
        return out[:, :, ph:ph + H, pw:pw + W] if (ph or pw) else out

    @staticmethod
    def backward(ctx, grad):
        return (apply_any(PoolGather, grad, **ctx.where),)

    @staticmethod
    def jvp(ctx, t):  # linear: the op itself
        return apply_any(PoolScatter, t, **ctx.where)


class PoolGather(Op):
    """Each window's element at kernel offset ``arg``: the adjoint of :class:`PoolScatter`."""

    @staticmethod
    def forward(ctx, x, *, arg, shape, kernel, stride, padding):
        ctx.where = {"arg": arg, "shape": shape, "kernel": kernel, "stride": stride,
                     "padding": padding}
        xp = _pad_hw(x, padding, 0)
        out = np.zeros(arg.shape, dtype=x.dtype)
        for k, rows, cols in _offsets(kernel, stride, arg.shape[2:]):
            np.copyto(out, xp[:, :, rows, cols], where=arg == k)
        return out

    @staticmethod
    def backward(ctx, grad):
        return (apply_any(PoolScatter, grad, **ctx.where),)

    @staticmethod
    def jvp(ctx, t):  # linear: the op itself
        return apply_any(PoolGather, t, **ctx.where)


class MaxPool2d(Op):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        xp = _pad_hw(x, padding, -np.inf)
        out_hw = _check_window("max_pool2d", x.shape, kernel, stride, padding, (1, 1))
        # Running maximum over the kernel offsets (vectorised over all windows); ``arg`` keeps the
        # offset of the first maximum. Arithmetic instead of masked copies: those are much slower.
        out = arg = None
        offsets = list(_offsets(kernel, stride, out_hw))
        for k, rows, cols in offsets:
            v = xp[:, :, rows, cols]
            if out is None:
                out = v.copy()
                arg = np.zeros(out.shape, dtype=np.int8 if len(offsets) < 128 else np.int64)
                continue
            better = v > out
            np.maximum(out, v, out=out)
            arg += better * (k - arg)
        nan = np.isnan(out)
        if nan.any():  # NaN wins, and the first NaN of a window takes the gradient (PyTorch)
            for k, rows, cols in reversed(offsets):
                arg[nan & np.isnan(xp[:, :, rows, cols])] = k
        ctx.where = {"arg": arg, "shape": x.shape, "kernel": kernel, "stride": stride,
                     "padding": padding}
        return out

    @staticmethod
    def backward(ctx, grad):
        return (apply_any(PoolScatter, grad, **ctx.where),)

    @staticmethod
    def jvp(ctx, t):  # the tangent at each window's maximum
        return apply_any(PoolGather, t, **ctx.where)


@register(_torch_like_max_pool, kind="custom", sampler="pool2d", distinct=True)
def max_pool2d(x: TensorLike, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Maximum over ``kernel_size`` windows of ``x`` ``(N, C, H, W)``, as PyTorch's ``max_pool2d``.

    ``stride`` defaults to ``kernel_size``; ``padding`` pads with ``-inf`` and must be at most half
    the kernel; ints or ``(h, w)`` pairs; output sizes round down.

    Gradient: each window's ``grad`` goes to the position of its maximum (the first one in row-major
    window order when tied, like PyTorch's CPU kernel); overlapping windows add up.

    >>> import autograd_engine as ag
    >>> x = ag.Tensor([[[[1.0, 2.0], [4.0, 3.0]]]], requires_grad=True)
    >>> ag.max_pool2d(x, 2).sum().backward()
    >>> x.grad
    Tensor([[[[0., 0.],
              [1., 0.]]]])
    """
    shape = np.shape(stop_gradient(x))
    kernel, stride, padding, _ = _pool_params("max_pool2d", shape, kernel_size, stride, padding)
    return MaxPool2d.apply(x, kernel=kernel, stride=stride, padding=padding)


@register(_torch_like_avg_pool, kind="custom", sampler="pool2d")
def avg_pool2d(x: TensorLike, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Mean over ``kernel_size`` windows of ``x`` ``(N, C, H, W)``, as PyTorch's ``avg_pool2d``
    with ``count_include_pad=True``: padded zeros count, every window divides by ``kh * kw``.

    ``stride`` defaults to ``kernel_size``; ``padding`` must be at most half the kernel; ints or
    ``(h, w)`` pairs; output sizes round down.

    Gradient: ``grad / (kh * kw)`` spread over each window (col2im), differentiable again.

    >>> import autograd_engine as ag
    >>> ag.avg_pool2d(ag.Tensor([[[[1.0, 2.0], [3.0, 6.0]]]]), 2)
    Tensor([[[[3.]]]])
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    kernel, stride, padding, (ho, wo) = _pool_params("avg_pool2d", x.shape, kernel_size, stride,
                                                     padding)
    # (C, kh, kw, N, H', W'), a view
    cols = Unfold.apply(x, kernel=kernel, stride=stride, padding=padding, dilation=(1, 1))
    return (cols.sum(axis=(1, 2)) * (1.0 / (kernel[0] * kernel[1]))).transpose(1, 0, 2, 3)


# ----- dropout and one_hot ------------------------------------------------------------------------


def _generator(rng: Any) -> np.random.Generator:
    if rng is None:
        from ..factories import default_generator

        return default_generator()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"dropout: rng must be a numpy.random.Generator, an int seed or None, got "
        f"{type(rng).__name__}; use np.random.default_rng(seed)"
    )


def _dropout_mask(shape: tuple, p: float, rng: Any, dtype: Any) -> np.ndarray:
    keep = _generator(rng).random(shape) >= p
    return keep.astype(dtype) * np.asarray(1.0 / (1.0 - p), dtype=dtype)


def _np_dropout(x, p=0.5, training=True, rng=None):
    if not training or p == 0:
        return x
    if p == 1:
        return np.zeros_like(x)
    return x * _dropout_mask(np.shape(x), p, rng, np.result_type(x))


@register(_np_dropout, kind="custom", sampler="dropout")
def dropout(x: TensorLike, p: float = 0.5, training: bool = True, rng: Any = None) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the kept ones by
    ``1 / (1 - p)``, so the expected value is unchanged. Identity (``x`` itself) when not
    ``training`` or ``p == 0``; all zeros when ``p == 1``.

    ``rng`` is a ``numpy.random.Generator`` (or an int seed, as NumPy's ``default_rng`` takes);
    None uses ``ag.default_generator()``, which ``ag.manual_seed`` seeds.

    Gradient: ``grad`` times the same mask (scaled by ``1 / (1 - p)``).

    >>> import numpy as np
    >>> import autograd_engine as ag
    >>> y = ag.dropout(ag.ones(2, 4), p=0.5, rng=np.random.default_rng(0))
    >>> sorted(set(y.data.ravel().tolist())) in ([0.0, 2.0], [2.0], [0.0])
    True
    >>> ag.dropout(ag.ones(3), p=0.5, training=False)
    Tensor([1., 1., 1.])
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p!r}")
    x = x if isinstance(x, Tensor) else Tensor(x)
    if not training or p == 0:
        return x
    if p == 1:
        return x * np.zeros((), dtype=x.dtype)
    return x * _dropout_mask(x.shape, p, rng, x.dtype)


def _np_one_hot(indices, num_classes=-1, dtype=np.float64):
    indices = np.asarray(indices)
    n = int(indices.max()) + 1 if num_classes == -1 else num_classes
    return (indices[..., None] == np.arange(n)).astype(dtype)


@register(_np_one_hot, kind="custom", sampler="one_hot", differentiable=False)
def one_hot(indices: TensorLike, num_classes: int = -1, dtype: Any = np.float64) -> Tensor:
    """One-hot encoding: ``indices`` of any shape ``S`` (integers in ``[0, num_classes)``) give a
    tensor of shape ``S + (num_classes,)`` with a 1 at each index, like PyTorch's ``one_hot``.
    ``num_classes=-1`` uses ``indices.max() + 1``.

    The result is **float64** by default (NumPy's default float, what ``np.eye(n)[indices]`` gives),
    ready to multiply with float tensors; pass ``dtype=np.float32`` for float32 models or
    ``dtype=np.int64`` for PyTorch's integer result. No gradient: the result never requires grad.

    >>> import autograd_engine as ag
    >>> import numpy as np
    >>> ag.one_hot(np.array([0, 2]), 3)
    Tensor([[1., 0., 0.],
            [0., 0., 1.]])
    """
    # The indices' values decide the result outside any op, so they are read through the public
    # ``.data``: ag.compile then guards on them (or refuses a value computed inside) instead of
    # baking the traced ones in.
    idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(
            f"one_hot: indices must be integers, got dtype {idx.dtype}; convert with "
            ".astype('int64')"
        )
    if num_classes == -1:
        if idx.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from empty indices; pass it")
        num_classes = int(idx.max()) + 1
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(
            f"one_hot: indices must lie in [0, {num_classes}), got values from {int(idx.min())} to "
            f"{int(idx.max())}; pass a larger num_classes or fix the labels"
        )
    return Tensor((idx[..., None] == np.arange(num_classes)).astype(dtype))
