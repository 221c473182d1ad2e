"""``detect_anomaly``: stop at the first NaN or inf that an op produces, and say where it was made.

While active, every recorded op notes the line of user code that created it, checks its forward
output, and the engine checks every gradient its backward returns.
"""

from __future__ import annotations

import os
import traceback
from typing import Any

import numpy as np

from .grad_mode import STATE, _GradMode

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class detect_anomaly(_GradMode):
    """Context manager and decorator: raise at the first NaN/inf in forward or backward.

    The error names the op and the line of your code that created it.

    >>> import autograd_engine as ag
    >>> x = ag.Tensor([-1.0], requires_grad=True)
    >>> with ag.detect_anomaly():
    ...     try:
    ...         ag.log(x)
    ...     except RuntimeError as e:
    ...         print(str(e).split(":")[0])
    detect_anomaly
    """

    def __enter__(self) -> None:
        self._prev = STATE.anomaly
        STATE.anomaly = True

    def __exit__(self, *exc: object) -> None:
        STATE.anomaly = self._prev

    def __call__(self, fn):  # type: ignore[override]
        import functools

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly():
                return fn(*args, **kwargs)

        return wrapper


def _user_frame() -> str:
    """The innermost stack frame outside this package, as 'file:line in function: code'."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno} in {frame.name}: {frame.line or ''}".strip()
    return "<unknown>"


def _bad(values: Any) -> str | None:
    arr = np.asarray(values)
    if arr.dtype.kind != "f":
        return None
    if np.isnan(arr).any():
        return "NaN"
    if np.isinf(arr).any():
        return "inf"
    return None


def check_forward(ctx: Any, out: Any) -> None:
    ctx.created_at = _user_frame()
    for o in out if isinstance(out, tuple) else (out,):
        kind = _bad(o)
        if kind:
            raise RuntimeError(
                f"detect_anomaly: {ctx.name} produced {kind} in its forward output (shape "
                f"{np.shape(o)}); created at {ctx.created_at}"
            )


def check_backward(node: Any, grads: tuple) -> None:
    for i, g in enumerate(grads):
        if g is None:
            continue
        kind = _bad(g._data if hasattr(g, "_data") else g)
        if kind:
            where = getattr(node, "created_at", "<made before detect_anomaly was on>")
            raise RuntimeError(
                f"detect_anomaly: {node.name}.backward returned {kind} in the gradient of input "
                f"{i}; the op was created at {where}"
            )
