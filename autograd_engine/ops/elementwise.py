"""Elementwise ops: arithmetic, the unary math functions and activations, where/clip/maximum.

Each op is a class (forward, backward, jvp, all static methods) with its public function and its
``@register`` metadata directly below. Two small bases hold what a pattern shares:

- :class:`Elementwise`, for one input and an output of its shape where each element depends on
  its own input element only (``exp``, ``tanh``, ``relu``, ...): the Jacobian is diagonal, so its
  ``jvp`` is the op's own ``backward`` applied to the tangent, and an op writes only ``forward``
  and ``backward``;
- :class:`Broadcasting`, for several inputs broadcast together (``add``, ``maximum``, ``where``):
  an error hint that names the shapes or dtypes that do not fit. Each writes its own ``jvp``.

Binary ops broadcast like NumPy; the engine sums each gradient back to its input's shape, so the
rules here return gradients of the broadcast shape. Every rule is written with operators and NumPy
functions, so it runs on plain arrays for a first-order backward and on Tensors (differentiable
again) under ``create_graph`` (``Function.backward_on_arrays``). Gradients at kinks follow
PyTorch and are documented per op.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..function import Op, apply_any
from ..tensor import Tensor
from ._util import TensorLike, add_tangents, check_number, stop_gradient
from .registry import NONZERO, POSITIVE, REALS, Domain, register


def _kind(a: Any) -> str:
    """The NumPy dtype kind of an op argument ("O" when NumPy cannot make a plain array of it)."""
    try:
        return np.asarray(a).dtype.kind
    except (ValueError, TypeError):
        return "O"


class Broadcasting(Op):
    """Base of the ops that broadcast several inputs together: an error hint naming the inputs
    that are not numeric or the shapes that do not broadcast."""

    @classmethod
    def error_hint(cls, arrays: list, params: dict) -> str:
        kinds = [_kind(a) for a in arrays]
        bad = [type(a).__name__ if not isinstance(a, (np.ndarray, np.generic)) else str(a.dtype)
               for a, k in zip(arrays, kinds) if k not in "biuf"]
        if bad:
            return (
                f"inputs must be numbers, numeric arrays or Tensors, got {', '.join(bad)}; convert "
                "them first, e.g. np.asarray(a, dtype=np.float64)"
            )
        shapes = [np.shape(a) for a in arrays]
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            return (
                f"shapes {' and '.join(map(str, shapes))} do not broadcast: trailing dimensions "
                "must be equal or 1; reshape an input (e.g. x.reshape(-1, 1)) or use expand_dims"
            )
        if all(k in "biu" for k in kinds):
            return "integer inputs: convert one to float first, e.g. x.astype(np.float64)"
        return ""


class Elementwise(Op):
    """Base of the one-input elementwise ops: each output element depends on its own input element
    only, so the Jacobian is diagonal and the output's tangent ``J t`` is the ``backward`` rule
    applied to the tangent ``t``. A subclass writes ``forward`` and ``backward`` (static methods)
    and gets this ``jvp``; it may write its own.

    >>> import autograd_engine as ag
    >>> x, t = ag.Tensor([0.0, 1.0]), ag.Tensor([2.0, 2.0])
    >>> ag.func.jvp(ag.sin, (x,), (t,))[1]  # Sin.backward(ctx, t): t * cos(x)
    Tensor([2.        , 1.08060461])
    """

    @classmethod
    def jvp(cls, ctx, t):  # (a class method only to reach the subclass's backward)
        return cls.backward(ctx, t)[0]


# ----- binary arithmetic -------------------------------------------------------------------------
# Forwards use Python operators: on NumPy scalars (0-d tensors) they cost far less than ufuncs.


class Add(Broadcasting):
    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, grad):
        return grad, grad

    @staticmethod
    def jvp(ctx, tx, ty):  # (forward mode broadcasts a tangent to the output's shape)
        return ty if tx is None else tx if ty is None else tx + ty


@register(np.add, nargs=2, operators=("__add__", "__radd__"), op=Add, torch="torch.add")
def add(x: TensorLike, y: TensorLike) -> Tensor:
    """``x + y`` with broadcasting. Gradient: ``grad`` to both inputs.

    >>> import autograd_engine as ag
    >>> ag.add(ag.Tensor([1.0, 2.0]), 1.0)
    Tensor([2., 3.])
    """
    return Add.apply(x, y)


class Sub(Broadcasting):
    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)

    @staticmethod
    def jvp(ctx, tx, ty):
        return tx if ty is None else -ty if tx is None else tx - ty


@register(np.subtract, nargs=2, operators=("__sub__", "__rsub__"), op=Sub,
          torch="torch.sub")
def subtract(x: TensorLike, y: TensorLike) -> Tensor:
    """``x - y`` with broadcasting. Gradient: ``grad`` and ``-grad``.

    >>> import autograd_engine as ag
    >>> ag.subtract(ag.Tensor([1.0, 2.0]), 1.0)
    Tensor([0., 1.])
    """
    return Sub.apply(x, y)


class Mul(Broadcasting):
    saved_for = (1, 0)  # x is needed only for y's gradient, y only for x's

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        return (grad * y if need_x else None), (grad * x if need_y else None)

    @staticmethod
    def jvp(ctx, tx, ty):
        x, y = ctx.saved_tensors
        if ty is None:
            return tx * y
        return x * ty if tx is None else tx * y + x * ty


@register(np.multiply, nargs=2, operators=("__mul__", "__rmul__"), op=Mul,
          torch="torch.mul")
def multiply(x: TensorLike, y: TensorLike) -> Tensor:
    """``x * y`` with broadcasting. Gradient: ``grad * y`` and ``grad * x``.

    >>> import autograd_engine as ag
    >>> ag.multiply(ag.Tensor([1.0, 2.0]), 3.0)
    Tensor([3., 6.])
    """
    return Mul.apply(x, y)


class Div(Broadcasting):
    @staticmethod
    def forward(ctx, x, y):
        out = x / y
        if ctx.needs_input_grad[1]:  # only y's gradient reads the output
            ctx.save_for_backward(y, out)
        else:
            ctx.save_for_backward(y)
        return out

    @staticmethod
    def backward(ctx, grad):
        saved = ctx.saved_tensors
        gx = grad / saved[0]
        # d(x/y)/dy = -x/y**2 = -(x/y)/y, in PyTorch's order of operations (so that NaN and inf
        # at y == 0 come out as in PyTorch, to every order)
        return gx, (-grad * saved[1] / saved[0] if ctx.needs_input_grad[1] else None)

    @staticmethod
    def jvp(ctx, tx, ty):
        saved = ctx.saved_tensors  # (y, out) when y has a tangent
        if ty is None:
            return tx / saved[0]
        dy = -ty * saved[1] / saved[0]
        return dy if tx is None else tx / saved[0] + dy


@register(np.true_divide, nargs=2, domains=(REALS, NONZERO),
          operators=("__truediv__", "__rtruediv__"), op=Div, torch="torch.div")
def divide(x: TensorLike, y: TensorLike) -> Tensor:
    """``x / y`` (true division) with broadcasting. Gradient: ``grad / y`` and ``-grad * x / y**2``.

    >>> import autograd_engine as ag
    >>> ag.divide(ag.Tensor([1.0, 2.0]), 4.0)
    Tensor([0.25, 0.5 ])
    """
    return Div.apply(x, y)


class Pow(Broadcasting):
    @staticmethod
    def forward(ctx, x, y):
        out = x**y
        if ctx.needs_input_grad[1]:  # only y's gradient reads the output
            ctx.save_for_backward(x, y, out)
        else:
            ctx.save_for_backward(x, y)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors[:2]
        need_x, need_y = ctx.needs_input_grad
        gx = gy = None
        if need_x:
            # d(x**y)/dx = y * x**(y-1), defined as 0 where y == 0 and x == 0 (x**0 is constant,
            # but x**-1 is inf there), as PyTorch. The masked entries compute y = 1 instead, so
            # no 0 * inf reaches the gradients of this gradient: x**0 is 0 to every order.
            flat = (stop_gradient(y) == 0) & (stop_gradient(x) == 0)
            if np.any(flat):
                safe_y = np.where(flat, 1.0, y)
                gx = np.where(flat, 0.0, grad * (safe_y * x ** (safe_y - 1)))
            else:
                gx = grad * (y * x ** (y - 1))
        if need_y:
            out = ctx.saved_tensors[2]
            # d(x**y)/dy = x**y * log(x), defined as 0 where x == 0 and y >= 0 (PyTorch)
            flat = (stop_gradient(x) == 0) & (stop_gradient(y) >= 0)
            if np.any(flat):
                gy = np.where(flat, 0.0, grad * out * np.log(np.where(flat, 1.0, x)))
            else:
                gy = grad * out * np.log(x)
        return gx, gy

    @staticmethod
    def jvp(ctx, tx, ty):
        saved = ctx.saved_tensors  # (x, y, out) when y has a tangent
        x, y = saved[:2]
        d = None
        if ty is not None:  # out * log(x) * ty, 0 where x == 0 (as backward)
            xd = stop_gradient(x)
            d = np.where(xd == 0, 0.0, ty * saved[2] * np.log(np.where(xd == 0, 1.0, x)))
        if tx is None:
            return d
        dx = tx * (y * x ** (y - 1))
        return dx if d is None else dx + d


@register(np.power, nargs=2, domains=(POSITIVE, Domain(-2.0, 2.0)),
          operators=("__pow__", "__rpow__"), op=Pow, torch="torch.pow")
def power(x: TensorLike, y: TensorLike) -> Tensor:
    """``x ** y`` with broadcasting.

    Gradient: ``grad * y * x**(y-1)`` for x, ``grad * x**y * log(x)`` for y; the latter is 0 where
    x == 0 (as in PyTorch) and NaN where x < 0.

    >>> import autograd_engine as ag
    >>> ag.power(ag.Tensor([2.0, 3.0]), 2)
    Tensor([4., 9.])
    """
    return Pow.apply(x, y)


class Neg(Elementwise):
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return (-grad,)


@register(np.negative, method=True, operators=("__neg__",), op=Neg, torch="torch.neg")
def negative(x: TensorLike) -> Tensor:
    """``-x``. Gradient: ``-grad``.

    >>> import autograd_engine as ag
    >>> ag.negative(ag.Tensor([1.0, -2.0]))
    Tensor([-1.,  2.])
    """
    return Neg.apply(x)


# ----- unary math ----------------------------------------------------------------------------------


class Abs(Elementwise):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad * np.sign(stop_gradient(x)),)


@register(np.abs, domains=NONZERO, method=True, operators=("__abs__",), op=Abs, torch="torch.abs")
def abs(x: TensorLike) -> Tensor:  # noqa: A001 - NumPy's name
    """Elementwise ``|x|``. Gradient: ``grad * sign(x)``, which is 0 at x == 0.

    >>> import autograd_engine as ag
    >>> ag.abs(ag.Tensor([-2.0, 0.0, 3.0]))
    Tensor([2., 0., 3.])
    """
    return Abs.apply(x)


class Exp(Elementwise):
    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (grad * out,)


@register(np.exp, method=True, torch="torch.exp")
def exp(x: TensorLike) -> Tensor:
    """Elementwise ``e**x``. Gradient: ``grad * exp(x)``.

    >>> import autograd_engine as ag
    >>> ag.exp(ag.Tensor([0.0]))
    Tensor([1.])
    """
    return Exp.apply(x)


class Log(Elementwise):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad / x,)


@register(np.log, domains=POSITIVE, method=True, torch="torch.log")
def log(x: TensorLike) -> Tensor:
    """Elementwise natural logarithm. Gradient: ``grad / x``.

    >>> import autograd_engine as ag
    >>> ag.log(ag.Tensor([1.0]))
    Tensor([0.])
    """
    return Log.apply(x)


class Log1p(Elementwise):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad / (1 + x),)


@register(np.log1p, domains=Domain(-0.8, 3.0), method=True, torch="torch.log1p")
def log1p(x: TensorLike) -> Tensor:
    """Elementwise ``log(1 + x)``, accurate for small x. Gradient: ``grad / (1 + x)``.

    >>> import autograd_engine as ag
    >>> ag.log1p(ag.Tensor([0.0]))
    Tensor([0.])
    """
    return Log1p.apply(x)


class Sqrt(Elementwise):
    @staticmethod
    def forward(ctx, x):
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (grad / (2 * out),)


@register(np.sqrt, domains=POSITIVE, method=True, torch="torch.sqrt")
def sqrt(x: TensorLike) -> Tensor:
    """Elementwise square root. Gradient: ``grad / (2 * sqrt(x))``: +inf at x == 0, as in PyTorch
    (there is no finite convention: the one-sided derivative is infinite).

    >>> import autograd_engine as ag
    >>> ag.sqrt(ag.Tensor([4.0]))
    Tensor([2.])
    """
    return Sqrt.apply(x)


class Sin(Elementwise):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad * np.cos(x),)


@register(np.sin, method=True, torch="torch.sin")
def sin(x: TensorLike) -> Tensor:
    """Elementwise sine. Gradient: ``grad * cos(x)``.

    >>> import autograd_engine as ag
    >>> ag.sin(ag.Tensor([0.0]))
    Tensor([0.])
    """
    return Sin.apply(x)


class Cos(Elementwise):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (-grad * np.sin(x),)


@register(np.cos, method=True, torch="torch.cos")
def cos(x: TensorLike) -> Tensor:
    """Elementwise cosine. Gradient: ``-grad * sin(x)``.

    >>> import autograd_engine as ag
    >>> ag.cos(ag.Tensor([0.0]))
    Tensor([1.])
    """
    return Cos.apply(x)


# ----- activations -------------------------------------------------------------------------------
# tanh's and sigmoid's gradients are ops of their own (TanhBackward, SigmoidBackward): one op
# instead of three makes them twice differentiable at the cost of one op, and lets their kernels
# work in place on large arrays.

# From this many elements on, gradient kernels write into one fresh array instead of making
# temporaries: fewer allocations and page faults on large arrays; below it, the extra ufunc
# arguments cost more than the small allocations they save.
_IN_PLACE_MIN = 4096


class TanhBackward(Op):
    """``grad * (1 - out**2)``, tanh's gradient as one op; its own backward makes it twice
    differentiable (three separate ops would triple the per-op cost of every tanh)."""

    @staticmethod
    def forward(ctx, grad, out):
        ctx.save_for_backward(grad, out)
        d = out * out
        if type(d) is np.ndarray and d.size >= _IN_PLACE_MIN and d.shape == grad.shape:
            np.subtract(1, d, out=d)  # in place on the fresh array: one allocation, not three
            np.multiply(grad, d, out=d)
            return d
        # Not grad * (1 - d): NumPy 2 is slower for a Python scalar with an array than for two
        # arrays, on small arrays
        return grad - grad * d

    @staticmethod
    def backward(ctx, gg):
        grad, out = ctx.saved_tensors
        need_grad, need_out = ctx.needs_input_grad
        return (gg * (1 - out * out) if need_grad else None,
                gg * grad * (-2 * out) if need_out else None)

    @staticmethod
    def jvp(ctx, t_grad, t_out):
        grad, out = ctx.saved_tensors
        return add_tangents(None if t_grad is None else t_grad * (1 - out * out),
                            None if t_out is None else t_out * grad * (-2 * out))


class Tanh(Elementwise):
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (apply_any(TanhBackward, grad, out),)


@register(np.tanh, method=True, torch="torch.tanh")
def tanh(x: TensorLike) -> Tensor:
    """Elementwise hyperbolic tangent. Gradient: ``grad * (1 - tanh(x)**2)``.

    >>> import autograd_engine as ag
    >>> ag.tanh(ag.Tensor([0.0]))
    Tensor([0.])
    """
    return Tanh.apply(x)


class SigmoidBackward(Op):
    """``grad * out * (1 - out)``, the sigmoid's gradient as one op (see TanhBackward)."""

    @staticmethod
    def forward(ctx, grad, out):
        ctx.save_for_backward(grad, out)
        if type(out) is np.ndarray and out.size >= _IN_PLACE_MIN and out.shape == grad.shape:
            d = 1 - out
            d *= out  # in place on the fresh array: one allocation, not three
            np.multiply(grad, d, out=d)
            return d
        d = grad * out
        return d - d * out  # (not 1 - out on small arrays: see TanhBackward)

    @staticmethod
    def backward(ctx, gg):
        grad, out = ctx.saved_tensors
        need_grad, need_out = ctx.needs_input_grad
        return (gg * (out * (1 - out)) if need_grad else None,
                gg * grad * (1 - 2 * out) if need_out else None)

    @staticmethod
    def jvp(ctx, t_grad, t_out):
        grad, out = ctx.saved_tensors
        return add_tangents(None if t_grad is None else t_grad * (out * (1 - out)),
                            None if t_out is None else t_out * grad * (1 - 2 * out))


def _stable_sigmoid(x):
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(np.asarray(x) >= 0, 1 / (1 + e), e / (1 + e))


class Sigmoid(Elementwise):
    @staticmethod
    def forward(ctx, x):
        out = _stable_sigmoid(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (apply_any(SigmoidBackward, grad, out),)


@register(lambda x: 1 / (1 + np.exp(-x)), method=True, torch="torch.sigmoid")
def sigmoid(x: TensorLike) -> Tensor:
    """Elementwise logistic ``1 / (1 + e**-x)``, stable for any x (no overflow at ±1000).
    Gradient: ``grad * s * (1 - s)``.

    >>> import autograd_engine as ag
    >>> ag.sigmoid(ag.Tensor([0.0, -1000.0, 1000.0]))
    Tensor([0.5, 0. , 1. ])
    """
    return Sigmoid.apply(x)


class Relu(Elementwise):
    """``max(x, 0)``; see :func:`relu` for its gradient."""

    @staticmethod
    def forward(ctx, x):
        if isinstance(x, np.generic):  # a 0-d tensor: a comparison costs far less than a ufunc
            out = x if not x <= 0 else type(x)(0)  # (NaN passes, as with np.maximum)
        else:
            out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        # Multiplying by the mask is much faster than np.where on large activations; the only
        # difference is that a NaN/inf upstream gradient on a dead unit gives NaN rather than 0.
        # `out != 0` rather than `out > 0`: a NaN input passes its gradient, as in PyTorch.
        return (grad * (stop_gradient(out) != 0),)


@register(lambda x: np.maximum(x, 0), domains=NONZERO, method=True, torch="torch.relu")
def relu(x: TensorLike) -> Tensor:
    """Elementwise ``max(x, 0)``. Gradient: ``grad`` where x > 0, else 0 (0 at x == 0 and ``grad``
    at a NaN x, as PyTorch; computed as ``grad * (relu(x) != 0)``, so a non-finite upstream
    gradient on a dead unit gives NaN).

    >>> import autograd_engine as ag
    >>> ag.relu(ag.Tensor([-1.0, 2.0]))
    Tensor([0., 2.])
    """
    return Relu.apply(x)


class LeakyRelu(Elementwise):
    @staticmethod
    def forward(ctx, x, slope=0.01):
        ctx.save_for_backward(x)
        ctx.slope = slope
        return np.where(np.asarray(x) > 0, x, np.multiply(x, slope))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad * np.where(stop_gradient(x) > 0, 1.0, ctx.slope).astype(x.dtype),)


@register(
    lambda x, slope=0.01: np.where(x > 0, x, slope * x), domains=NONZERO,
    params={"slope": (0.01, 0.2)}, method=True,
)
def leaky_relu(x: TensorLike, slope: float = 0.01) -> Tensor:
    """Elementwise ``x if x > 0 else slope * x``. Gradient: 1 where x > 0, ``slope`` elsewhere
    (including x == 0, as PyTorch).

    >>> import autograd_engine as ag
    >>> ag.leaky_relu(ag.Tensor([-1.0, 2.0]), 0.1)
    Tensor([-0.1,  2. ])
    """
    check_number("leaky_relu", "slope", slope)
    return LeakyRelu.apply(x, slope=slope)


class Elu(Elementwise):
    @staticmethod
    def forward(ctx, x, alpha=1.0):
        out = np.where(np.asarray(x) > 0, x, alpha * np.expm1(np.minimum(x, 0)))
        ctx.save_for_backward(x, out)
        ctx.alpha = alpha
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        xc = stop_gradient(x)
        # alpha * e**x written as out + alpha below 0 and as the constant alpha at 0, so that the
        # second derivative at the kink is 0, as PyTorch's
        return (np.where(xc > 0, grad, grad * np.where(xc < 0, out + ctx.alpha, ctx.alpha)),)


@register(
    lambda x, alpha=1.0: np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1)),
    domains=NONZERO, params={"alpha": (1.0, 0.5)}, method=True,
)
def elu(x: TensorLike, alpha: float = 1.0) -> Tensor:
    """Elementwise ``x if x > 0 else alpha * (e**x - 1)``. Gradient: 1 where x > 0, else
    ``alpha * e**x`` (so ``alpha`` at x == 0, as PyTorch).

    >>> import autograd_engine as ag
    >>> ag.elu(ag.Tensor([0.0, 2.0]))
    Tensor([0., 2.])
    """
    check_number("elu", "alpha", alpha)
    return Elu.apply(x, alpha=alpha)


def _erf(x):
    from scipy.special import erf as scipy_erf  # imported on first use: scipy is heavy

    return scipy_erf(x)


_INV_SQRT2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


class Erf(Elementwise):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad * (_TWO_OVER_SQRT_PI * np.exp(-(x * x))),)


@register(lambda x: np.vectorize(math.erf)(x), method=True, torch="torch.erf")
def erf(x: TensorLike) -> Tensor:
    """Elementwise error function. Gradient: ``grad * 2/sqrt(pi) * exp(-x**2)``.

    >>> import autograd_engine as ag
    >>> ag.erf(ag.Tensor([0.0]))
    Tensor([0.])
    """
    return Erf.apply(x)


class Gelu(Elementwise):
    """The exact (erf) form; the tanh form is composed of other ops (see :func:`gelu`)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * x * (1 + _erf(x * _INV_SQRT2))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad * (
            0.5 * (1 + apply_any(Erf, x * _INV_SQRT2)) + x * (np.exp(-0.5 * (x * x)) * _INV_SQRT_2PI)
        ),)


@register(lambda x: x * 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2))), method=True,
          torch="torch.nn.functional.gelu")
def gelu(x: TensorLike, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit ``x * Phi(x)``, exact (erf) by default; ``approximate="tanh"``
    gives ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))``, as in PyTorch.
    Gradient: ``grad * (Phi(x) + x * phi(x))`` for the exact form.

    >>> import autograd_engine as ag
    >>> ag.gelu(ag.Tensor([0.0]))
    Tensor([0.])
    """
    if approximate == "none":
        return Gelu.apply(x)
    if approximate == "tanh":
        x = x if isinstance(x, Tensor) else Tensor(x)
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1 + tanh(inner))
    raise ValueError(f'gelu: approximate must be "none" or "tanh", got {approximate!r}')


class Silu(Elementwise):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * _stable_sigmoid(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        s = apply_any(Sigmoid, x)
        return (grad * (s * (1 + x * (1 - s))),)


@register(lambda x: x / (1 + np.exp(-x)), method=True, torch="torch.nn.functional.silu")
def silu(x: TensorLike) -> Tensor:
    """Elementwise ``x * sigmoid(x)`` (swish). Gradient: ``grad * s * (1 + x * (1 - s))``.

    >>> import autograd_engine as ag
    >>> ag.silu(ag.Tensor([0.0]))
    Tensor([0.])
    """
    return Silu.apply(x)


class Softplus(Elementwise):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(0, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad * apply_any(Sigmoid, x),)


@register(lambda x: np.log1p(np.exp(x)), method=True, torch="torch.nn.functional.softplus")
def softplus(x: TensorLike) -> Tensor:
    """Elementwise ``log(1 + e**x)``, computed without overflow. Gradient: ``grad * sigmoid(x)``.

    >>> import autograd_engine as ag
    >>> ag.softplus(ag.Tensor([0.0]))
    Tensor([0.69314718])
    """
    return Softplus.apply(x)


# ----- selection: maximum, minimum, where, clip -------------------------------------------------


class Maximum(Broadcasting):
    """At ties the gradient is split equally between x and y (PyTorch). ``wins`` tells which input
    the output took; :class:`Minimum` reuses these rules with its own."""

    wins = staticmethod(np.greater)  # (read through ctx, which sees the op's class attributes)

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.maximum(x, y)

    @staticmethod
    def backward(ctx, grad):
        x, y = (stop_gradient(t) for t in ctx.saved_tensors)
        share_x = np.where(ctx.wins(x, y), 1.0, np.where(x == y, 0.5, 0.0)).astype(grad.dtype)
        need_x, need_y = ctx.needs_input_grad
        return (grad * share_x if need_x else None), (grad * (1 - share_x) if need_y else None)

    @staticmethod
    def jvp(ctx, tx, ty):
        x, y = (stop_gradient(t) for t in ctx.saved_tensors)
        dtype = (tx if tx is not None else ty).dtype
        share_x = np.where(ctx.wins(x, y), 1.0, np.where(x == y, 0.5, 0.0)).astype(dtype)
        if ty is None:
            return tx * share_x
        dy = ty * (1 - share_x)
        return dy if tx is None else tx * share_x + dy


@register(np.maximum, nargs=2, distinct=True, torch="torch.maximum")
def maximum(x: TensorLike, y: TensorLike) -> Tensor:
    """Elementwise larger of x and y, with broadcasting. Gradient: to the larger input; at ties
    each input gets ``grad / 2`` (PyTorch's convention).

    >>> import autograd_engine as ag
    >>> ag.maximum(ag.Tensor([1.0, 5.0]), 3.0)
    Tensor([3., 5.])
    """
    return Maximum.apply(x, y)


class Minimum(Maximum):
    """Maximum's rules, with ``wins`` for the smaller input."""

    wins = staticmethod(np.less)

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.minimum(x, y)


@register(np.minimum, nargs=2, distinct=True, torch="torch.minimum")
def minimum(x: TensorLike, y: TensorLike) -> Tensor:
    """Elementwise smaller of x and y, with broadcasting. Gradient: to the smaller input; at ties
    each input gets ``grad / 2`` (PyTorch's convention).

    >>> import autograd_engine as ag
    >>> ag.minimum(ag.Tensor([1.0, 5.0]), 3.0)
    Tensor([1., 3.])
    """
    return Minimum.apply(x, y)


class Where(Broadcasting):
    @staticmethod
    def forward(ctx, condition, x, y):
        if _kind(condition) not in "biuf":
            raise TypeError(
                f"where: condition must be a boolean array or Tensor (e.g. x > 0), got "
                f"{type(condition).__name__} of dtype {np.asarray(condition).dtype}"
            )
        ctx.condition = condition = np.asarray(condition, dtype=bool)
        return np.where(condition, x, y)

    @staticmethod
    def backward(ctx, grad):
        c = ctx.condition
        need_x, need_y = ctx.needs_input_grad[1:]
        return (
            None,
            np.where(c, grad, 0.0) if need_x else None,
            np.where(c, 0.0, grad) if need_y else None,
        )

    @staticmethod
    def jvp(ctx, tc, tx, ty):
        if tx is None and ty is None:
            return None
        return np.where(ctx.condition, 0.0 if tx is None else tx, 0.0 if ty is None else ty)


@register(np.where, kind="custom", sampler="where", torch="torch.where")
def where(condition: Any, x: TensorLike, y: TensorLike) -> Tensor:
    """Elementwise ``x if condition else y``, with broadcasting (``np.where``). ``condition`` is a
    boolean array or Tensor and gets no gradient. Gradient: ``grad`` where chosen, else 0.

    >>> import autograd_engine as ag
    >>> ag.where(ag.Tensor([1.0, -1.0]) > 0, 1.0, ag.Tensor([7.0, 8.0]))
    Tensor([1., 8.])
    """
    return Where.apply(condition, x, y)


class Clip(Elementwise):
    @staticmethod
    def forward(ctx, x, a_min=None, a_max=None):
        if a_min is None and a_max is None:
            raise ValueError("clip: give a_min, a_max or both (None means unbounded)")
        lo = -np.inf if a_min is None else a_min
        hi = np.inf if a_max is None else a_max
        out = np.clip(x, lo, hi)
        if np.shape(out) != np.shape(x):
            raise ValueError(
                f"clip: bounds of shape {np.shape(a_min)} / {np.shape(a_max)} would broadcast x of "
                f"shape {np.shape(x)} to {np.shape(out)}; bounds must broadcast to x's shape"
            )
        ctx.inside = (x >= lo) & (x <= hi)
        ctx.a_min, ctx.a_max = a_min, a_max  # op attributes, for exporters (vars(node))
        dtype = np.result_type(x)
        return out.astype(dtype, copy=False) if dtype.kind == "f" else out

    @staticmethod
    def backward(ctx, grad):
        return (np.where(ctx.inside, grad, 0.0),)


@register(np.clip, kind="custom", sampler="clip", method=True)
def clip(x: TensorLike, a_min: Any = None, a_max: Any = None) -> Tensor:
    """Limit x to ``[a_min, a_max]`` (``np.clip``); None leaves a side open. The bounds are
    constants. Gradient: ``grad`` where ``a_min <= x <= a_max`` (edges included, as PyTorch's
    clamp), else 0.

    >>> import autograd_engine as ag
    >>> ag.clip(ag.Tensor([-2.0, 0.5, 2.0]), -1.0, 1.0)
    Tensor([-1. ,  0.5,  1. ])
    """
    a_min, a_max = stop_gradient(a_min), stop_gradient(a_max)
    for name, bound in (("a_min", a_min), ("a_max", a_max)):
        if bound is not None and np.asarray(bound).dtype.kind not in "biuf":
            raise TypeError(f"clip: {name} must be a number, an array of numbers or None, got "
                            f"{bound!r}")
    return Clip.apply(x, a_min=a_min, a_max=a_max)


# ----- dtype conversion --------------------------------------------------------------------------


class AsType(Op):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = np.result_type(x)
        return np.asarray(x).astype(dtype) if np.ndim(x) else np.result_type(dtype).type(x)

    @staticmethod
    def backward(ctx, grad):
        return (grad.astype(ctx.dtype),)

    @staticmethod
    def jvp(ctx, t):
        return t  # (forward mode casts a tangent to the output's dtype)


def astype(x: Tensor, dtype: Any) -> Tensor:
    """``x`` converted to ``dtype`` (differentiable between float dtypes; the result of a cast to an
    integer or bool dtype gets no gradient).

    >>> import numpy as np
    >>> import autograd_engine as ag
    >>> ag.Tensor([1.5]).astype(np.float32)
    Tensor([1.5], dtype=float32)
    """
    try:
        dtype = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(
            f"astype: {dtype!r} is not a NumPy dtype ({exc}); use e.g. np.float32, np.float64, "
            "'float32' or np.int64"
        ) from None
    if isinstance(x, Tensor) and x._data.dtype == dtype:
        return x
    return AsType.apply(x, dtype=dtype)

