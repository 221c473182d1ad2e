"""Thread-local autograd state: grad mode, the active scope, anomaly detection.

Every thread starts with gradients enabled. ``no_grad``/``enable_grad``/``set_grad_enabled`` work as
context managers and as decorators, exactly like their PyTorch namesakes.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _Flags:
    """One thread's autograd state. Every op reads it: ``apply`` fetches the thread's ``_Flags``
    once (``STATE.flags``) and then reads plain slots, 4x faster than attributes of a
    ``threading.local``."""

    __slots__ = ("enabled", "scope", "anomaly", "forward")

    def __init__(self) -> None:
        self.enabled = True  # record graphs?
        self.scope: tuple = ()  # objects entered with `scope(...)`, outermost first
        self.anomaly = False  # detect_anomaly active?
        self.forward: tuple = ()  # active forward-mode levels (func.jvp), outermost first


class _State(threading.local):
    """Each thread's ``flags``, made when the thread first reads them."""

    def __init__(self) -> None:
        self.flags = _Flags()


STATE = _State()


def is_grad_enabled() -> bool:
    """Whether operations are recorded for backward in this thread.

    >>> import autograd_engine as ag
    >>> ag.is_grad_enabled()
    True
    """
    return STATE.flags.enabled


class _GradMode:
    """Base for the grad-mode context managers; also usable as a decorator."""

    _mode: bool

    def __enter__(self) -> None:
        self._prev = STATE.flags.enabled
        STATE.flags.enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        STATE.flags.enabled = self._prev

    def __call__(self, fn: F) -> F:
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Context manager and decorator that stops recording operations.

    >>> import autograd_engine as ag
    >>> x = ag.Tensor([1.0], requires_grad=True)
    >>> with ag.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    _mode = False


class enable_grad(_GradMode):
    """Context manager and decorator that records operations, even inside ``no_grad``.

    >>> import autograd_engine as ag
    >>> with ag.no_grad():
    ...     with ag.enable_grad():
    ...         ag.is_grad_enabled()
    True
    """

    _mode = True


class set_grad_enabled(_GradMode):
    """Set grad mode to ``mode``: immediately, and back on exit when used with ``with``.

    >>> import autograd_engine as ag
    >>> with ag.set_grad_enabled(False):
    ...     ag.is_grad_enabled()
    False
    """

    def __init__(self, mode: bool) -> None:
        self._prev = STATE.flags.enabled
        self._mode = bool(mode)
        STATE.flags.enabled = self._mode

    def __enter__(self) -> None:
        pass  # already set in __init__, as in PyTorch

    def __exit__(self, *exc: object) -> None:
        STATE.flags.enabled = self._prev


class scope:
    """Tag every op created inside with ``obj`` (``node.scope`` holds the stack, outermost first).

    ``nn.Module`` enters a scope with itself around ``forward`` so that ``viz`` can cluster a
    graph by module; any object can be a scope.

    >>> import autograd_engine as ag
    >>> x = ag.Tensor([1.0], requires_grad=True)
    >>> with ag.scope("block"):
    ...     y = x * 2
    >>> y.grad_fn.scope
    ('block',)
    """

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __enter__(self) -> scope:
        self._prev = STATE.flags.scope
        STATE.flags.scope = self._prev + (self.obj,)
        return self

    def __exit__(self, *exc: object) -> None:
        STATE.flags.scope = self._prev
