"""The op registry: one entry per public op, with the metadata the test sweep and strategies use.

``@register(...)`` on a public op function records an :class:`OpSpec` and, with ``method=True``,
attaches the function to :class:`Tensor` as a method. The sweep in ``tests/test_ops_sweep.py`` runs
over ``REGISTRY``: registering an op puts it under gradcheck, gradgradcheck and the shape, dtype and
no-mutation checks with no new test code. ``autograd_engine.testing.strategies.op_arguments(spec)``
draws valid arguments for an entry from its ``kind``, ``domains`` and ``sampler``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..pytorch_names import pytorch_keywords
from ..tensor import Tensor


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
    method: bool | str = False,
    name: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a public op function (see the module docstring); returns it unchanged.

    ``params`` maps keyword names to the values the sweep tries (e.g. ``{"slope": (0.01, 0.2)}``).
    ``method=True`` also makes it a Tensor method of the same name (a string gives another name).
    ``name`` registers under another name than the function's (for ops reached by an operator).
    An op that takes ``axis``/``keepdims`` also takes PyTorch's ``dim``/``keepdim``
    (:func:`~autograd_engine.pytorch_names.pytorch_keywords`); what is registered is that wrapper.
    """
    if isinstance(domains, Domain):
        domains = (domains,) * nargs

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        op_name = name or fn.__name__
        fn = pytorch_keywords(fn)
        if op_name in REGISTRY:
            raise ValueError(f"register: an op named {op_name!r} is already registered")
        REGISTRY[op_name] = OpSpec(
            name=op_name, fn=fn, reference=reference, kind=kind, nargs=nargs, domains=domains,
            sampler=sampler, params=dict(params or {}), distinct=distinct, gradgrad=gradgrad,
            differentiable=differentiable,
        )
        if method:
            setattr(Tensor, op_name if method is True else method, fn)
        return fn

    return deco
