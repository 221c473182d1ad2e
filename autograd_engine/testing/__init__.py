"""Gradient checking for users' own property tests: ``gradcheck``, ``gradgradcheck``, ``check_function``.

The checks compare the engine's gradients with central differences in float64, contracted with a
random upstream gradient (a fixed ``.sum()`` can hide wrong rules). Hypothesis strategies for inputs
live in :mod:`autograd_engine.testing.strategies`; ``check_function`` runs the checks over inputs
drawn from them in one call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..engine import grad as _grad
from ..grad_mode import enable_grad
from ..tensor import Tensor

__all__ = ["GradcheckError", "check_function", "gradcheck", "gradgradcheck"]


class GradcheckError(AssertionError):
    """Raised when analytic and numeric gradients disagree (an AssertionError, for pytest)."""


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _requiring_grad(inputs: tuple) -> list[int]:
    """The positions of the Tensors among ``inputs`` that require grad (the ones checked)."""
    return [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _differentiable_outputs(fn: Callable, inputs: tuple) -> tuple[tuple, list[int]]:
    """``fn(*inputs)`` as a tuple, and the positions of its float outputs that require grad."""
    outputs = _as_tuple(fn(*inputs))
    return outputs, [k for k, o in enumerate(outputs)
                     if isinstance(o, Tensor) and o.dtype.kind == "f" and o.requires_grad]


def _contract(outputs: tuple, idx: list[int], cotangents: list[np.ndarray]) -> float:
    return float(sum(np.sum(outputs[k].data * v) for k, v in zip(idx, cotangents)))


def gradcheck(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    grad_outputs: Sequence[Any] | None = None,
) -> bool:
    """Check ``fn``'s backward against central differences; raise :class:`GradcheckError` if off.

    ``inputs`` are the positional arguments of ``fn``; the Tensors among them with
    ``requires_grad=True`` are checked and must be float64. Outputs are contracted with a random
    upstream gradient (``seed``), or with ``grad_outputs`` when given. Returns True on success.

    >>> import autograd_engine as ag
    >>> from autograd_engine.testing import gradcheck
    >>> x = ag.randn(3, requires_grad=True)
    >>> gradcheck(lambda t: (t * t).tanh(), [x])
    True
    """
    inputs = _as_tuple(inputs)
    wrt = _requiring_grad(inputs)
    if not wrt:
        raise ValueError("gradcheck: no input requires grad; pass Tensors with requires_grad=True")
    for i in wrt:
        if inputs[i].dtype != np.float64:
            raise ValueError(
                f"gradcheck: input {i} is {inputs[i].dtype}; central differences need float64 "
                "inputs (use Tensor(..., dtype=np.float64) or .astype(np.float64))"
            )
    before = [inputs[i].data.copy() for i in wrt]
    outputs, idx = _differentiable_outputs(fn, inputs)
    if grad_outputs is not None:
        cotangents = [np.asarray(g.data if isinstance(g, Tensor) else g, dtype=np.float64)
                      for g in _as_tuple(grad_outputs)]
    else:
        rng = np.random.default_rng(seed)
        cotangents = [rng.standard_normal(outputs[k].shape) for k in idx]
    if idx:
        analytic = _grad(
            [outputs[k] for k in idx], [inputs[i] for i in wrt],
            grad_outputs=[Tensor(v) for v in cotangents], allow_unused=True,
        )
    else:
        analytic = (None,) * len(wrt)

    for n, (i, a) in enumerate(zip(wrt, analytic)):
        x = inputs[i]
        if not np.array_equal(x.data, before[n], equal_nan=True):
            raise GradcheckError(f"gradcheck: fn modified input {i} in place")
        a = np.zeros_like(x.data) if a is None else a.data
        if a.shape != x.shape or a.dtype != x.dtype:
            raise GradcheckError(
                f"gradcheck: gradient of input {i} has shape {a.shape} and dtype {a.dtype}, but "
                f"the input has shape {x.shape} and dtype {x.dtype}"
            )
        numeric = _numeric_grad(fn, inputs, i, idx, cotangents, eps)
        bad = ~np.isclose(a, numeric, atol=atol, rtol=rtol, equal_nan=True)
        if bad.any():
            j = tuple(int(v) for v in np.argwhere(bad)[0])
            raise GradcheckError(
                f"gradcheck: gradient of input {i} (shape {x.shape}) disagrees at index {j}: "
                f"analytic {a[j]!r}, numeric {numeric[j]!r} (atol={atol}, rtol={rtol}); "
                f"{int(bad.sum())} of {bad.size} entries differ.\ninput {i} = {x.data!r}\n"
                f"analytic = {a!r}\nnumeric = {numeric!r}"
            )
    return True


def _numeric_grad(
    fn: Callable, inputs: tuple, i: int, idx: list[int], cotangents: list, eps: float
) -> np.ndarray:
    x = inputs[i]
    base = x.data.astype(np.float64)
    numeric = np.zeros_like(base)
    args = list(inputs)
    with enable_grad():  # fn may itself differentiate (gradgradcheck)
        for j in np.ndindex(base.shape):
            values = []
            for step in (eps, -eps):
                data = base.copy()
                data[j] += step
                args[i] = Tensor(data, requires_grad=True)
                values.append(_contract(_as_tuple(fn(*args)), idx, cotangents))
            numeric[j] = (values[0] - values[1]) / (2 * eps)
    return numeric


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Check second derivatives: ``gradcheck`` of the vector-Jacobian product of ``fn``.

    The VJP ``(x, v) -> v^T J(x)`` is differentiated with respect to both the inputs and the random
    upstream gradient ``v``, so this checks that the gradient rules are themselves differentiable.

    >>> import autograd_engine as ag
    >>> from autograd_engine.testing import gradgradcheck
    >>> x = ag.randn(3, requires_grad=True)
    >>> gradgradcheck(lambda t: t.sin() * t, [x])
    True
    """
    inputs = _as_tuple(inputs)
    wrt = _requiring_grad(inputs)
    outputs, idx = _differentiable_outputs(fn, inputs)
    rng = np.random.default_rng(seed + 1)
    vs = [Tensor(rng.standard_normal(outputs[k].shape), requires_grad=True) for k in idx]
    n = len(inputs)

    def vjp(*args: Any) -> tuple:
        outs = _as_tuple(fn(*args[:n]))
        grads = _grad(
            [outs[k] for k in idx], [args[i] for i in wrt], grad_outputs=list(args[n:]),
            create_graph=True, allow_unused=True,
        )
        return tuple(g for g in grads if g is not None and g.requires_grad)

    if not idx:
        return True
    return gradcheck(vjp, list(inputs) + vs, eps=eps, atol=atol, rtol=rtol, seed=seed + 2)


def check_function(
    fn: Callable[..., Any],
    *inputs: Any,
    params: dict | None = None,
    gradgrad: bool = False,
    reference: Callable[..., Any] | None = None,
    domain: Any = None,
    max_examples: int | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> None:
    """Property-test a custom op: ``gradcheck`` (and ``gradgradcheck``) over Hypothesis inputs.

    ``fn`` is an :class:`autograd_engine.Function` subclass (called as ``fn.apply(*args,
    **params)``) or any function of Tensors. Give one entry in ``inputs`` per positional argument:

    * a shape (tuple of ints, or an int): float64 tensors of that shape that require grad, with
      values from ``domain`` (a ``(low, high)`` pair or a ``strategies.Domain``; default
      ``[-3, 3]``);
    * a Hypothesis strategy, e.g. from :mod:`autograd_engine.testing.strategies`: drawn float
      arrays become float64 tensors that require grad, drawn Tensors are used as they are;
    * anything else (a number, an array, a Tensor): passed unchanged to every call.

    ``reference`` (a NumPy function with the same signature) also checks the forward values.
    Raises on the first failure, with Hypothesis' minimal falsifying example; returns None. Call it
    from a plain test function (not from inside another ``@given`` test). ``max_examples`` defaults
    to the active Hypothesis profile's.

    >>> import numpy as np
    >>> import autograd_engine as ag
    >>> from autograd_engine.testing import GradcheckError, check_function
    >>> class Hypot(ag.Function):
    ...     @staticmethod
    ...     def forward(ctx, x, y):
    ...         r = np.hypot(x, y)
    ...         ctx.save_for_backward(x, y, r)
    ...         return r
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         x, y, r = ctx.saved_tensors
    ...         return grad * x / r, grad * y / r
    >>> check_function(Hypot, (2, 3), (2, 3), gradgrad=True, reference=np.hypot, domain=(0.5, 3),
    ...                max_examples=5)
    >>> class SwappedHypot(Hypot):
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         x, y, r = ctx.saved_tensors
    ...         return grad * y / r, grad * x / r
    >>> try:
    ...     check_function(SwappedHypot, (3,), (3,), domain=(0.5, 3), max_examples=5)
    ... except GradcheckError as e:
    ...     print(str(e).splitlines()[0][:47])
    gradcheck: gradient of input 0 (shape (3,)) dis
    """
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from ..function import Function
    from ..ops.registry import REALS
    from .strategies import arrays

    params = dict(params or {})
    if isinstance(fn, type) and issubclass(fn, Function):
        op = fn

        def call(*args: Any) -> Any:
            return op.apply(*args, **params)
    elif callable(fn):

        def call(*args: Any) -> Any:
            return fn(*args, **params)
    else:
        raise TypeError(
            f"check_function: fn must be a Function subclass or a callable, got {type(fn).__name__}"
        )
    if not inputs:
        raise ValueError("check_function: pass one input spec (a shape or a strategy) per argument")
    dom = REALS if domain is None else domain
    specs = []
    for spec in inputs:
        if isinstance(spec, st.SearchStrategy):
            specs.append(spec.map(_as_checked_input))
        elif isinstance(spec, (int, np.integer)) or (
                isinstance(spec, (tuple, list)) and all(isinstance(n, (int, np.integer)) for n in spec)):
            shape = (int(spec),) if isinstance(spec, (int, np.integer)) else tuple(spec)
            specs.append(arrays(shape, np.float64, dom).map(_as_checked_input))
        else:
            specs.append(st.just(spec))

    name = getattr(fn, "__name__", "fn")
    suppressed = [*settings().suppress_health_check, HealthCheck.too_slow]  # keep the profile's
    options = {"deadline": None, "suppress_health_check": suppressed}
    if max_examples is not None:
        options["max_examples"] = max_examples

    @settings(**options)
    @given(st.tuples(*specs))
    def check(args: tuple) -> None:
        out = call(*args)
        outputs = _as_tuple(out)
        if not all(isinstance(o, Tensor) for o in outputs):
            raise GradcheckError(
                f"check_function: {name} returned {type(out).__name__}; it must return a Tensor "
                "or a tuple of Tensors"
            )
        if reference is not None:
            plain = [a.data if isinstance(a, Tensor) else a for a in args]
            expected = _as_tuple(reference(*plain, **params))
            for k, (o, e) in enumerate(zip(outputs, expected)):
                if not np.allclose(o.data, np.asarray(e), atol=atol, rtol=rtol, equal_nan=True):
                    raise GradcheckError(
                        f"check_function: output {k} of {name} differs from the reference:\n"
                        f"got {o.data!r}\nexpected {np.asarray(e)!r}"
                    )
        if any(isinstance(a, Tensor) and a.requires_grad for a in args):
            gradcheck(call, list(args), eps=eps, atol=atol, rtol=rtol)
            if gradgrad:
                gradgradcheck(call, list(args), eps=eps, atol=atol, rtol=rtol)

    check()


def _as_checked_input(value: Any) -> Any:
    """Drawn float arrays become float64 tensors requiring grad; the rest is used as drawn."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return Tensor(value.astype(np.float64), requires_grad=True)
    return value
