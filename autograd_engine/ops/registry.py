"""The op registry: one entry per public op, with everything else the engine and the tests need.

``@register(...)`` sits on an op's public function, directly below the op's class, and records an
:class:`OpSpec`: how the sweeps draw its arguments (``kind``, ``domains``, ``sampler``), its NumPy
reference and PyTorch counterpart, and the names it takes on :class:`Tensor` (``method``,
``operators``). From the registry, ``autograd_engine.ops`` and ``autograd_engine`` export every
op, and :mod:`autograd_engine.tensor_methods` attaches the methods and operators. The sweeps
(``tests/test_ops_sweep.py``, ``test_forward_mode.py``, ``test_torch_oracle.py``,
``test_compile.py``, ...) run over ``REGISTRY``: registering an op puts it under gradcheck,
gradgradcheck, the forward-mode, PyTorch, compile, shape, dtype and no-mutation checks with no
new test code. ``autograd_engine.testing.strategies.op_arguments(spec)`` draws valid arguments for
an entry from its ``kind``, ``domains`` and ``sampler``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..pytorch_names import pytorch_keywords


@dataclass(frozen=True)
class Domain:
    """Where an op's argument may be drawn from for gradient checks.

    ``avoid`` lists kinks (points without a derivative); values closer than ``margin`` to them are
    not drawn, so central differences stay meaningful. ``integer`` draws integers (e.g. exponents).
    """

    low: float = -3.0
    high: float = 3.0
    avoid: tuple[float, ...] = ()
    margin: float = 0.05


REALS = Domain()
POSITIVE = Domain(0.2, 4.0)
NONZERO = Domain(-3.0, 3.0, avoid=(0.0,), margin=0.2)


@dataclass(frozen=True)
class OpSpec:
    """Metadata of one public op.

    kind:
        ``"elementwise"`` (``nargs`` tensors, mutually broadcastable shapes), ``"reduction"``
        (one tensor plus ``axis``/``keepdims``) or ``"custom"`` (``sampler`` names the strategy in
        ``testing.strategies.SAMPLERS`` that draws ``(args, kwargs)``).
    reference:
        A NumPy function with the same call signature, for checking forward values.
    distinct:
        Draw inputs without ties (ops whose gradient at ties is a convention, like ``max``).
    gradgrad:
        Whether the gradient is itself differentiable (checked by gradgradcheck).
    methods:
        Tensor method names and the function each is (the public function, or a variant with a
        NumPy method's signature such as ``x.reshape(2, -1)``).
    operators:
        Tensor operators (``"__add__"``, ``"__radd__"``, ...) and the function each is.
    torch:
        The PyTorch counterpart taking the same arguments, as a dotted name
        (``"torch.nn.functional.silu"``), for ``tests/test_torch_oracle.py``; None when the test
        holds an adapter or a reason to skip.
    export:
        Whether it is a public function ``ag.<name>`` (False for ``getitem``, reached as ``x[i]``).
    """

    name: str
    fn: Callable[..., Any]
    reference: Callable[..., Any] | None
    kind: str = "elementwise"
    nargs: int = 1
    domains: tuple[Domain, ...] = (REALS,)
    sampler: str | None = None
    params: dict[str, tuple] = field(default_factory=dict)
    distinct: bool = False
    gradgrad: bool = True
    differentiable: bool = True
    methods: dict[str, Callable[..., Any]] = field(default_factory=dict)
    operators: dict[str, Callable[..., Any]] = field(default_factory=dict)
    torch: str | None = None
    export: bool = True


REGISTRY: dict[str, OpSpec] = {}


def register(
    reference: Callable[..., Any] | None = None,
    *,
    kind: str = "elementwise",
    nargs: int = 1,
    domains: tuple[Domain, ...] | Domain = REALS,
    sampler: str | None = None,
    params: dict[str, tuple] | None = None,
    distinct: bool = False,
    gradgrad: bool = True,
    differentiable: bool = True,
    method: bool | str | Callable[..., Any] = False,
    operators: tuple[str, ...] = (),
    op: type | None = None,
    torch: str | None = None,
    export: bool = True,
    name: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a public op function (see the module docstring); returns it (see below).

    ``params`` maps keyword names to the values the sweep tries (e.g. ``{"slope": (0.01, 0.2)}``).
    ``method=True`` also makes it a Tensor method of the same name; a string gives another name, a
    function another signature (``x.reshape(2, -1)``). ``operators`` names the Tensor operators it
    is (``("__add__", "__radd__")``; a reflected one swaps its operands); with ``op``, its class,
    an operator calls ``op.apply`` directly, one Python frame less on the hottest calls. ``torch``
    names the PyTorch function with the same arguments. ``name`` registers under another name
    than the function's. An op that takes ``axis``/``keepdims`` also takes PyTorch's
    ``dim``/``keepdim`` (:func:`~autograd_engine.pytorch_names.pytorch_keywords`), as function and
    as method: what is registered and returned is that wrapper.
    """
    if isinstance(domains, Domain):
        domains = (domains,) * nargs

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        op_name = name or fn.__name__
        fn = pytorch_keywords(fn)
        if op_name in REGISTRY:
            raise ValueError(f"register: an op named {op_name!r} is already registered")
        if method is True:
            methods = {op_name: fn}
        elif isinstance(method, str):
            methods = {method: fn}
        else:  # a function with the method's own signature, or no method
            methods = {op_name: pytorch_keywords(method)} if method else {}
        REGISTRY[op_name] = OpSpec(
            name=op_name, fn=fn, reference=reference, kind=kind, nargs=nargs, domains=domains,
            sampler=sampler, params=dict(params or {}), distinct=distinct, gradgrad=gradgrad,
            differentiable=differentiable, methods=methods,
            operators={dunder: _operator(dunder, fn, op) for dunder in operators},
            torch=torch, export=export,
        )
        return fn

    return deco


# The reflected operators: ``2 - x`` calls ``x.__rsub__(2)``, which is ``subtract(2, x)``.
_REFLECTED = frozenset({"__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__rpow__",
                        "__rmatmul__"})


def _operator(dunder: str, fn: Callable[..., Any], op: type | None) -> Callable[..., Any]:
    """The Tensor operator ``dunder`` of an op: ``fn`` itself, or with ``op`` a function calling
    ``op.apply`` (bound once here, not looked up per call) with the operands in order."""
    if op is None:
        if dunder in _REFLECTED:
            raise ValueError(f"register: the reflected operator {dunder} needs op= (the class)")
        return fn
    apply = op.apply
    if dunder in _REFLECTED:
        def operator(self, other):
            return apply(other, self)
    elif dunder in ("__neg__", "__pos__", "__abs__", "__invert__"):
        def operator(self):
            return apply(self)
    else:
        def operator(self, other):
            return apply(self, other)
    operator.__name__ = operator.__qualname__ = dunder
    operator.__doc__ = fn.__doc__
    return operator
