"""Linear algebra: matmul (1-d, 2-d and batched with broadcasting)."""

from __future__ import annotations

import numpy as np

from ..function import Function
from ..tensor import Tensor
from ._util import TensorLike
from .registry import register


class MatMul(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.matmul(x, y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        # Treat 1-d operands as a row (x) or a column (y), as matmul does, and undo it after.
        x2 = x if x.ndim > 1 else x.reshape(1, -1)
        y2 = y if y.ndim > 1 else y.reshape(-1, 1)
        batch = np.broadcast_shapes(x2.shape[:-2], y2.shape[:-2])
        g = grad.reshape(batch + (x2.shape[-2], y2.shape[-1]))
        gx = gy = None
        if need_x:
            gx = g @ y2.swapaxes(-1, -2)
            if x.ndim == 1:
                gx = gx.squeeze(-2)
        if need_y:
            gy = x2.swapaxes(-1, -2) @ g
            if y.ndim == 1:
                gy = gy.squeeze(-1)
        return gx, gy  # batch axes that were broadcast are summed away by the engine

    @classmethod
    def error_hint(cls, arrays, params):
        a, b = (np.shape(v) for v in arrays)
        if len(a) == 0 or len(b) == 0:
            return "matmul needs inputs with at least one dimension; use multiply for scalars"
        return (
            f"the last axis of x ({a[-1]}) must equal the {'only' if len(b) == 1 else 'second-to-last'}"
            f" axis of y ({b[0] if len(b) == 1 else b[-2]}) and batch axes must broadcast; "
            "transpose an operand (y.T) or reshape it"
        )


@register(np.matmul, kind="custom", sampler="matmul")
def matmul(x: TensorLike, y: TensorLike) -> Tensor:
    """Matrix product ``x @ y`` with NumPy's rules: 1-d operands act as vectors, leading axes are
    batch axes and broadcast. Gradient: ``grad @ y.T`` and ``x.T @ grad`` (batch-wise).

    >>> import autograd_engine as ag
    >>> ag.matmul(ag.Tensor([[1.0, 2.0]]), ag.Tensor([[3.0], [4.0]]))
    Tensor([[11.]])
    """
    return MatMul.apply(x, y)
