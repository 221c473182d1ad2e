"""Thread-local autograd state: grad mode, the active scope, anomaly detection.

Every thread starts with gradients enabled. ``no_grad``/``enable_grad``/``set_grad_enabled`` work as
context managers and as decorators, exactly like their PyTorch namesakes.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., Any])


class _Flags:
    """One thread's autograd state. Every op reads it: ``apply`` fetches the thread's ``_Flags``
    once (``STATE.flags``) and then reads plain slots, because every attribute read on a
    ``threading.local`` first looks up the current thread's dictionary (the cost is measured in
    benchmarks/README.md, "Figures behind comments")."""

    __slots__ = ("enabled", "scope", "anomaly", "forward", "backward_node")

    def __init__(self) -> None:
        self.enabled = True  # record graphs?
        self.scope: tuple = ()  # objects entered with `scope(...)`, outermost first
        self.anomaly = False  # detect_anomaly active?
        self.forward: tuple = ()  # active forward-mode levels (func.jvp), outermost first
        self.backward_node = None  # under detect_anomaly: the node whose backward is running


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
    """Base of the grad-mode objects: a context manager, and a decorator (a fresh context per call,
    so decorated functions are safe in threads and recursion; a decorated generator runs each step
    in the mode and gives the caller back its own between steps), as in PyTorch."""

    _mode: bool

    def __enter__(self) -> None:
        flags = STATE.flags
        self._prev = flags.enabled
        flags.enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        STATE.flags.enabled = self._prev

    def clone(self) -> _GradMode:
        """A fresh context of the same mode (what each call of a decorated function enters)."""
        return type(self)()

    def __call__(self, fn: F) -> F:
        if not callable(fn):
            raise TypeError(
                f"{type(self).__name__}: a decorator takes a function, got {type(fn).__name__}; "
                f"use `with ag.{type(self).__name__}():` for a block"
            )
        make = self.clone
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(fn, make)  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with make():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def _wrap_generator(fn: Callable, make: Callable[[], _GradMode]) -> Callable:
    """Run every step of the generator ``fn`` makes (next, send, throw, close) in the mode."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with make():
            gen = fn(*args, **kwargs)
        try:
            with make():
                item = gen.send(None)
            while True:
                try:
                    sent = yield item
                except GeneratorExit:
                    with make():
                        gen.close()
                    raise
                except BaseException as exc:  # thrown in by the caller: pass it on
                    with make():
                        item = gen.throw(exc)
                else:
                    with make():
                        item = gen.send(sent)
        except StopIteration as stop:
            return stop.value

    return wrapper


class _NoArgsDecorator(_GradMode):
    """A grad mode that is also a decorator without parentheses (``@ag.no_grad``)."""

    def __new__(cls, fn: Callable | None = None) -> Any:
        if fn is None:
            return super().__new__(cls)
        return cls()(fn)

    def __init__(self, fn: Callable | None = None) -> None:
        pass


class no_grad(_NoArgsDecorator):
    """Context manager and decorator (``@ag.no_grad`` or ``@ag.no_grad()``) that stops recording
    operations in this thread.

    >>> import autograd_engine as ag
    >>> x = ag.Tensor([1.0], requires_grad=True)
    >>> with ag.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    _mode = False


class enable_grad(_NoArgsDecorator):
    """Context manager and decorator that records operations, even inside ``no_grad``.

    >>> import autograd_engine as ag
    >>> with ag.no_grad():
    ...     with ag.enable_grad():
    ...         ag.is_grad_enabled()
    True
    """

    _mode = True


class set_grad_enabled(_GradMode):
    """Set grad mode to ``mode``: at once when called (``ag.set_grad_enabled(False)`` switches
    recording off until switched on again), for a block with ``with``, or for a function as a
    decorator (which leaves the mode as it found it), as PyTorch's.

    >>> import autograd_engine as ag
    >>> with ag.set_grad_enabled(False):
    ...     ag.is_grad_enabled()
    False
    >>> @ag.set_grad_enabled(False)
    ... def evaluate():
    ...     return ag.is_grad_enabled()
    >>> evaluate(), ag.is_grad_enabled()
    (False, True)
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(
                f"set_grad_enabled: mode must be a bool, got {type(mode).__name__}; pass True "
                "or False"
            )
        flags = STATE.flags
        self._prev = flags.enabled
        self._mode = bool(mode)
        flags.enabled = self._mode

    def __enter__(self) -> None:
        STATE.flags.enabled = self._mode  # (already set by __init__, as in PyTorch)

    def __call__(self, fn: F) -> F:
        STATE.flags.enabled = self._prev  # decorating must not change the mode of the caller
        return super().__call__(fn)

    def clone(self) -> set_grad_enabled:
        return type(self)(self._mode)


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
