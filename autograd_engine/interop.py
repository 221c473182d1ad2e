"""NumPy interop: NumPy functions called on Tensors return Tensors and backpropagate.

``Tensor`` implements NumPy's dispatch protocols (NEP 13 ``__array_ufunc__`` and NEP 18
``__array_function__``). ``np.exp(t)``, ``np.sum(t, axis=0)``, ``np.matmul(a, t)``,
``np.concatenate([t1, t2])``, ``ndarray + t``, ... call the engine's function of the same NumPy
name (``autograd_engine.exp``, ``autograd_engine.sum``, ...), looked up when called, so every op in
``autograd_engine.REGISTRY`` takes part. A few NumPy names are mapped (``true_divide`` and
``divide`` to ``divide``, ``absolute`` to ``abs``, ``amax`` to ``max``, ``square`` to
``power(x, 2)``, ...).

Rules:

* A ufunc whose result is not floating point (comparisons, ``isnan``, ``logical_and``, ...) is
  computed on the arrays and returned as a Tensor without gradient; so are a few inspection
  functions (``np.shape``, ``np.allclose``, ``np.argmax``, ...), which return NumPy values.
* Anything else without an engine function, an ``out=`` argument, ufunc methods such as
  ``np.add.reduce``, and NumPy keyword arguments the engine function does not take raise a
  ``TypeError`` that names the function: the graph is never dropped silently. Call NumPy on
  ``np.asarray(t)`` (or ``t.numpy()``) when you do not need gradients.
* ``np.asarray(t)`` and ``np.array(t)`` still give the array (through ``__array__``); note that
  ``np.array([t1, t2])`` therefore builds a plain array: use ``np.stack([t1, t2])``.

>>> import numpy as np
>>> import autograd_engine as ag
>>> x = ag.Tensor([1.0, 2.0], requires_grad=True)
>>> y = np.sum(np.exp(x) * np.array([1.0, 0.0]))
>>> y.backward()
>>> x.grad
Tensor([2.71828183, 0.        ])
>>> np.asarray(x)
array([1., 2.])
"""

from __future__ import annotations

import inspect
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .tensor import Tensor

__all__: list[str] = []

# NumPy ufunc / function names whose engine function has another name or form.
_ALIASES: dict[str, str | Callable[..., Any]] = {
    "true_divide": "divide",
    "absolute": "abs",
    "amax": "max",
    "amin": "min",
    "product": "prod",
    "concat": "concatenate",
    "permute_dims": "transpose",
    "positive": operator.pos,
    "square": lambda x: _engine("power")(x, 2),
    "reciprocal": lambda x: _engine("divide")(1.0, x),
}

# Functions whose result carries no gradient: run on the arrays, return NumPy's result.
_PASSTHROUGH = frozenset({
    "shape", "ndim", "size", "result_type", "can_cast", "min_scalar_type", "iscomplexobj",
    "isrealobj", "may_share_memory", "shares_memory", "array_equal", "array_equiv", "allclose",
    "isclose", "count_nonzero", "argmax", "argmin", "argsort", "argwhere", "nonzero",
    "flatnonzero", "searchsorted", "all", "any", "array_repr", "array_str", "array2string",
    "iscomplex", "isreal", "sometrue", "alltrue",
})

_SIGNATURES: dict[Callable, inspect.Signature | None] = {}


def _engine(name: str) -> Callable[..., Any] | None:
    """The engine's public function called ``name`` (a registered op first), or None."""
    import autograd_engine

    spec = autograd_engine.REGISTRY.get(name)
    if spec is not None:
        return spec.fn
    if name in autograd_engine.__all__:
        fn = getattr(autograd_engine, name, None)
        if callable(fn) and not isinstance(fn, type):
            return fn
    return None


def _lookup(name: str) -> Callable[..., Any] | None:
    alias = _ALIASES.get(name, name)
    if callable(alias):
        return alias
    return _engine(alias)


def _unsupported(what: str, why: str) -> TypeError:
    return TypeError(
        f"{what} {why} on autograd_engine Tensors, and computing it on the arrays would drop "
        f"the gradient graph; if you do not need gradients, call it on np.asarray(t) (or "
        "t.numpy()) instead"
    )


def _to_arrays(obj: Any) -> Any:
    if isinstance(obj, Tensor):
        return obj.data
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_arrays(o) for o in obj)
    return obj


def _signature(fn: Callable) -> inspect.Signature | None:
    if fn not in _SIGNATURES:
        try:
            _SIGNATURES[fn] = inspect.signature(fn)
        except (TypeError, ValueError):
            _SIGNATURES[fn] = None
    return _SIGNATURES[fn]


def _call(fn: Callable, what: str, args: tuple, kwargs: dict) -> Any:
    sig = _signature(fn)
    if sig is not None:
        names = sig.parameters
        # A keyword the engine does not take, passed as None, means "NumPy's default": drop it.
        kwargs = {k: v for k, v in kwargs.items() if k in names or v is not None}
        try:
            sig.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(
                f"{what}: these arguments are not supported on autograd_engine Tensors ({exc}); "
                f"the engine's version is autograd_engine.{getattr(fn, '__name__', '?')}{sig}. "
                "Call NumPy on np.asarray(t) if you do not need gradients"
            ) from None
    return fn(*args, **kwargs)


def _array_ufunc(self: Tensor, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    what = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    out = kwargs.pop("out", None)
    if out is not None and any(o is not None for o in out):
        raise TypeError(
            f"{what}: out= is not supported with autograd_engine Tensors (a Tensor result cannot "
            "be written into an array without dropping its gradient); use the returned Tensor, "
            "e.g. a = a + t instead of a += t for an ndarray a"
        )
    for t in inputs:
        if not isinstance(t, (Tensor, np.ndarray, np.generic, int, float, bool, complex, list)):
            return NotImplemented
    if method != "__call__":
        raise _unsupported(what, "is not supported (only direct ufunc calls are)")
    if kwargs:
        raise _unsupported(what, f"with keyword arguments {sorted(kwargs)} is not supported")
    fn = _lookup(ufunc.__name__)
    if fn is not None:
        return fn(*inputs)
    result = ufunc(*(_to_arrays(t) for t in inputs))
    if isinstance(result, tuple) or np.result_type(result).kind == "f":
        raise _unsupported(what, "has no differentiable implementation")
    return Tensor._make(np.asarray(result))  # comparisons, isnan, logical ops: no gradient


def _array_function(self: Tensor, func: Callable, types: tuple, args: tuple, kwargs: dict) -> Any:
    for t in types:
        if not issubclass(t, (Tensor, np.ndarray)):
            return NotImplemented
    name = getattr(func, "__name__", "")
    what = f"np.{name}"
    if getattr(np, name, None) is not func:  # np.linalg.norm, np.fft.fft, ...
        module = getattr(func, "__module__", "numpy")
        raise _unsupported(f"{module}.{name}", "is not supported")
    if name in _PASSTHROUGH:
        return func(*_to_arrays(args), **{k: _to_arrays(v) for k, v in kwargs.items()})
    if "out" in kwargs:
        if kwargs["out"] is not None:
            raise TypeError(
                f"{what}: out= is not supported with autograd_engine Tensors (a Tensor result "
                "cannot be written into an array without dropping its gradient); use the "
                "returned Tensor"
            )
        kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    fn = _lookup(name)
    if fn is None:
        raise _unsupported(what, "is not supported")
    return _call(fn, what, args, kwargs)
