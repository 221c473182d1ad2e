"""``detect_anomaly``: stop at the first NaN or inf that an op produces, and say where it was made.

While active, every recorded op notes the line of user code that created it (the innermost frame
outside ``autograd_engine``, ``nn`` and ``viz``) and checks its forward output, and the engine checks
every gradient a backward returns. Ops that are not recorded (under ``no_grad``, or when no input
requires grad) are not checked, as they never take part in backward. With ``create_graph=True`` the
ops of a gradient rule are recorded too; an anomaly there names the op whose backward ran. The checks
cost a pass over every output, so this is a debugging tool.
"""

from __future__ import annotations

import linecache
import os
import sys
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
        self._prev = STATE.flags.anomaly
        STATE.flags.anomaly = True

    def __exit__(self, *exc: object) -> None:
        STATE.flags.anomaly = self._prev

    def __call__(self, fn):  # type: ignore[override]
        import functools

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly():
                return fn(*args, **kwargs)

        return wrapper


# Frames in these directories are the library's own (the engine and the nn/viz packages next to it);
# the user's code is the innermost frame outside them.
_LIBRARY_DIRS = tuple(
    os.path.join(os.path.dirname(_PACKAGE_DIR), name) + os.sep
    for name in ("autograd_engine", "nn", "viz")
)


def _user_frame() -> str:
    """The innermost stack frame outside the library, as 'file:line in function: code'."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_LIBRARY_DIRS):
            line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
            where = f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
            return f"{where}: {line}" if line else where
        frame = frame.f_back
    return "<unknown>"


def _bad(values: Any) -> str | None:
    arr = np.asarray(values)
    if arr.dtype.kind not in "fc":
        return None
    if np.isnan(arr).any():
        return "NaN"
    if np.isinf(arr).any():
        return "inf"
    return None


def check_forward(ctx: Any, out: Any) -> None:
    """Note where ``ctx`` was created; raise if its output holds NaN or inf."""
    node = STATE.flags.backward_node
    if node is not None:  # an op of a gradient rule, recorded by create_graph=True
        made = getattr(node, "created_at", "<made before detect_anomaly was on>")
        ctx.created_at = f"the backward of {node.name} (created at {made})"
    else:
        ctx.created_at = _user_frame()
    for o in out if isinstance(out, tuple) else (out,):
        kind = _bad(o)
        if kind:
            upstream = [
                bad for bad in (_bad(getattr(a, "_data", a)) for a in ctx.inputs
                                if isinstance(getattr(a, "_data", a), (np.ndarray, np.generic)))
                if bad
            ]
            note = (f"; its inputs already contained {upstream[0]}, so the problem is further "
                    "upstream (values computed without recording are not checked)"
                    if upstream else "")
            raise RuntimeError(
                f"detect_anomaly: {ctx.name} produced {kind} in its forward output (shape "
                f"{np.shape(o)}); created at {ctx.created_at}{note}"
            )


def check_backward(node: Any, grads: tuple) -> None:
    """Raise if the gradients ``node.backward`` returned hold NaN or inf."""
    for i, g in enumerate(grads):
        if g is None:
            continue
        kind = _bad(g._data if hasattr(g, "_data") else g)
        if kind:
            where = getattr(node, "created_at", "<made before detect_anomaly was on>")
            raise RuntimeError(
                f"detect_anomaly: {node.name}.backward returned {kind} in the gradient of input "
                f"{i} (shape {np.shape(getattr(g, '_data', g))}); the op was created at {where}"
            )
