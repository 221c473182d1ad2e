"""Function transforms: ``grad``, ``value_and_grad``, ``vjp``, ``jvp``, ``jacfwd``, ``jacrev``,
``jacobian``, ``hessian``, ``hvp``.

They take a function of Tensors and return a new function (or, for ``vjp``/``jvp``/``hvp``, the
results directly), in the style of ``torch.func`` and JAX:

>>> import autograd_engine as ag
>>> from autograd_engine import func
>>> f = lambda x: (x ** 3).sum()
>>> x = ag.Tensor([1.0, 2.0])
>>> func.grad(f)(x)
Tensor([ 3., 12.])
>>> func.grad(lambda x: func.grad(f)(x).sum())(x)   # transforms compose
Tensor([ 6., 12.])

How it works: each transform calls ``f`` on fresh tensors that require grad (connected to the
arguments when those themselves require grad, so the outer level can differentiate through) and
differentiates with :func:`autograd_engine.grad`, recording the backward pass whenever something
outside can still differentiate the result (an enclosing transform, arguments that require grad,
or tensors ``f`` closes over that require grad, such as model parameters). Otherwise results come
back as plain tensors without history. Transforms never write ``.grad`` and ignore an enclosing
``no_grad`` (they always need to record ``f``), as ``torch.func`` does.

Forward mode (``jvp``, ``jacfwd``) carries tangents alongside the values through one forward pass
(see :mod:`autograd_engine.forward_ad`): every op applies its ``jvp`` rule as it runs.
``jacobian``/``jacrev`` run one VJP per output element (reverse mode), so they suit functions with
few outputs; ``jacfwd`` runs one JVP per input element, for functions with few inputs.
``hessian`` and ``hvp`` are forward over reverse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import forward_ad
from .engine import grad as _autograd_grad
from .function import Op
from .grad_mode import STATE, enable_grad
from .ops.join import Stack
from .tensor import Tensor

__all__ = [
    "grad", "hessian", "hvp", "jacfwd", "jacobian", "jacrev", "jvp", "value_and_grad", "vjp",
]

# Depth of transforms currently evaluating ``f``: inside one, results must stay differentiable.
_DEPTH = [0]


class _Alias(Op):
    """Identity op: a fresh graph node standing for an argument that already requires grad."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad

    @staticmethod
    def jvp(ctx, t):
        return t


# ----- helpers ---------------------------------------------------------------------------------
def _as_tensor(x: Any, where: str, what: str) -> Tensor:
    if isinstance(x, Tensor):
        t = x
    else:
        try:
            t = Tensor(x)
        except TypeError as exc:
            raise TypeError(f"{where}: {what} must be a Tensor (or array-like), got "
                            f"{type(x).__name__}") from exc
    if t.dtype.kind != "f":
        raise TypeError(
            f"{where}: {what} has dtype {t.dtype}; only floating-point tensors can be "
            "differentiated, convert it first, e.g. x.astype(np.float64)"
        )
    return t


def _fresh(x: Tensor) -> Tensor:
    """A tensor equal to ``x`` that requires grad: a new leaf, or an alias node if ``x`` has a
    graph the enclosing level may differentiate through."""
    if x._requires_grad:
        return _Alias.apply(x)
    t = Tensor._make(x._data)
    t._requires_grad = True
    t.__dict__["_internal"] = True  # a transform's own leaf (see _externally_differentiable)
    for level in STATE.flags.forward:  # inside a jvp: the new leaf stands for x, tangent too
        tan = forward_ad.tangent(x, level)
        if tan is not None:
            forward_ad.set_tangent(t, level, tan)
    return t


def _argnums(argnums: int | Sequence[int], nargs: int, where: str) -> tuple[tuple[int, ...], bool]:
    single = isinstance(argnums, (int, np.integer))
    nums = (argnums,) if single else tuple(argnums)
    if not nums:
        raise ValueError(f"{where}: argnums is empty; pass an int or a non-empty tuple of ints")
    out = []
    for a in nums:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"{where}: argnums must be an int or a tuple of ints, got {argnums!r}")
        if not -nargs <= a < nargs:
            raise ValueError(
                f"{where}: argnums {a} is out of range for a call with {nargs} positional "
                "arguments"
            )
        out.append(int(a) % nargs)
    if len(set(out)) != len(out):
        raise ValueError(f"{where}: repeated entry in argnums {argnums!r}; list each position once")
    return tuple(out), single


def _prepare(args: tuple, nums: tuple[int, ...], where: str) -> tuple[list, list[Tensor], bool]:
    """Replace the differentiated arguments by fresh tensors; tell whether any had a graph."""
    args = list(args)
    fresh = []
    outer = False
    for i in nums:
        x = _as_tensor(args[i], where, f"argument {i}")
        outer = outer or x._requires_grad
        args[i] = t = _fresh(x)
        fresh.append(t)
    return args, fresh, outer


def _externally_differentiable(roots: Sequence[Any], internal: Sequence[Tensor]) -> bool:
    """Whether the graph of ``roots`` reaches a tensor requiring grad other than ``internal``
    (a closed-over parameter, say): then results must keep their history. Iterative walk."""
    skip = {id(t) for t in internal}
    seen: set[int] = set()
    stack = [r._grad_fn for r in roots if isinstance(r, Tensor) and r._grad_fn is not None]
    for r in roots:
        if (isinstance(r, Tensor) and r._grad_fn is None and r._requires_grad
                and id(r) not in skip and not r.__dict__.get("_internal")):
            return True
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for edge in node.next_functions:
            if edge is None:
                continue
            fn = edge[0]
            if isinstance(fn, Tensor):  # a leaf
                if (fn._requires_grad and id(fn) not in skip
                        and not fn.__dict__.get("_internal")):
                    return True
            else:
                stack.append(fn)
    return False


def _needs_graph(outer: bool, roots: Sequence[Any], fresh: Sequence[Tensor]) -> bool:
    """Record the backward pass only if someone can still differentiate the results."""
    if not STATE.flags.enabled:
        return False
    return outer or _DEPTH[0] > 0 or _externally_differentiable(roots, fresh)


def _call(f: Callable, args: Sequence[Any], kwargs: dict) -> Any:
    _DEPTH[0] += 1
    try:
        with enable_grad():
            return f(*args, **kwargs)
    finally:
        _DEPTH[0] -= 1


def _grads(outs: Sequence[Tensor], wrt: Sequence[Tensor], seeds: Sequence[Any],
           create_graph: bool) -> list[Tensor]:
    """``sum_k seeds[k]^T d outs[k] / d wrt``, zeros for inputs the outputs do not depend on."""
    pairs = [(o, s) for o, s in zip(outs, seeds) if o._requires_grad]
    if pairs:
        with enable_grad():
            gs = _autograd_grad([o for o, _ in pairs], list(wrt), grad_outputs=[s for _, s in pairs],
                                retain_graph=True, create_graph=create_graph, allow_unused=True)
    else:
        gs = (None,) * len(wrt)
    return [Tensor._make(np.zeros_like(x._data)) if g is None else g for g, x in zip(gs, wrt)]


def _detach_tree(obj: Any) -> Any:
    if isinstance(obj, Tensor):
        return obj.detach() if obj._requires_grad else obj
    if isinstance(obj, tuple):
        return tuple(_detach_tree(o) for o in obj)
    if isinstance(obj, list):
        return [_detach_tree(o) for o in obj]
    if isinstance(obj, dict):
        return {k: _detach_tree(v) for k, v in obj.items()}
    return obj


def _outputs(result: Any, where: str) -> tuple[tuple[Tensor, ...], bool]:
    """``f``'s result as a tuple of Tensors, and whether it was a single Tensor."""
    if isinstance(result, Tensor):
        return (result,), True
    if isinstance(result, (tuple, list)) and all(isinstance(r, Tensor) for r in result):
        return tuple(result), False
    raise TypeError(
        f"{where}: f must return a Tensor or a tuple of Tensors, got {type(result).__name__}"
        + ("; with has_aux=True return (output, aux)" if isinstance(result, tuple) else "")
    )


def _split_aux(result: Any, has_aux: bool, where: str) -> tuple[Any, Any]:
    if not has_aux:
        return result, None
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise TypeError(
            f"{where}: with has_aux=True, f must return a pair (output, aux), got "
            f"{type(result).__name__}"
        )
    return result[0], result[1]


# ----- grad and value_and_grad -----------------------------------------------------------------
def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """Return a function computing ``(f(*args), gradient of f at args)``.

    ``f`` must return a one-element Tensor (or ``(output, aux)`` with ``has_aux=True``, in which
    case the result is ``((value, aux), gradient)``). ``argnums`` picks the positional arguments
    to differentiate: an int gives one gradient, a tuple gives a tuple of gradients. Arguments need
    not require grad, and no ``.grad`` is written.

    >>> import autograd_engine as ag
    >>> from autograd_engine import func
    >>> f = lambda x, y: (x * y).sum()
    >>> value, (dx, dy) = func.value_and_grad(f, argnums=(0, 1))(ag.Tensor([1.0, 2.0]),
    ...                                                            ag.Tensor([3.0, 4.0]))
    >>> value, dx, dy
    (Tensor(11.), Tensor([3., 4.]), Tensor([1., 2.]))
    >>> (v, aux), g = func.value_and_grad(lambda x: ((x ** 2).sum(), "note"), has_aux=True)(
    ...     ag.Tensor(3.0))
    >>> v, aux, g
    (Tensor(9.), 'note', Tensor(6.))
    """

    def value_and_grad_f(*args: Any, **kwargs: Any) -> Any:
        nums, single = _argnums(argnums, len(args), "value_and_grad")
        call_args, fresh, outer = _prepare(args, nums, "value_and_grad")
        result = _call(f, call_args, kwargs)
        out, aux = _split_aux(result, has_aux, "value_and_grad")
        if not isinstance(out, Tensor):
            raise TypeError(
                f"value_and_grad: f must return a Tensor, got {type(out).__name__}"
                + ("" if has_aux else "; if it returns (output, aux), pass has_aux=True")
            )
        if out.size != 1:
            raise ValueError(
                f"value_and_grad: f must return a one-element Tensor, got shape {out.shape}; "
                "reduce it (e.g. .sum()) or use func.vjp / func.jacobian for non-scalar outputs"
            )
        create = _needs_graph(outer, [out], fresh)
        seed = Tensor._make(np.ones_like(out._data))
        gs = _grads([out], fresh, [seed], create)
        if not create:
            out = _detach_tree(out)
            aux = _detach_tree(aux)
        g = gs[0] if single else tuple(gs)
        return ((out, aux), g) if has_aux else (out, g)

    value_and_grad_f.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    return value_and_grad_f


def grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """Return a function computing the gradient of the scalar function ``f``.

    Same arguments as :func:`value_and_grad`; with ``has_aux=True`` it returns ``(grad, aux)``.
    The result is differentiable again, so ``grad(grad(f))`` is the second derivative.

    >>> import autograd_engine as ag
    >>> from autograd_engine import func
    >>> f = lambda x: x.sin()
    >>> func.grad(f)(ag.Tensor(0.0)), func.grad(func.grad(f))(ag.Tensor(0.0))
    (Tensor(1.), Tensor(-0.))
    """
    vg = value_and_grad(f, argnums=argnums, has_aux=has_aux)

    def grad_f(*args: Any, **kwargs: Any) -> Any:
        if has_aux:
            (_, aux), g = vg(*args, **kwargs)
            return g, aux
        return vg(*args, **kwargs)[1]

    grad_f.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    return grad_f


# ----- vjp and jvp -----------------------------------------------------------------------------
def vjp(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., tuple[Tensor, ...]]]:
    """Evaluate ``f(*primals)`` and return ``(output, vjp_fn)``.

    ``vjp_fn(cotangents)`` takes one cotangent per output (a Tensor or array of the output's shape;
    a tuple when ``f`` returns a tuple) and returns a tuple with ``cotangent^T J`` for every primal.
    It can be called any number of times.

    >>> import autograd_engine as ag
    >>> from autograd_engine import func
    >>> out, vjp_fn = func.vjp(lambda x: x ** 2, ag.Tensor([1.0, 2.0]))
    >>> out, vjp_fn(ag.Tensor([1.0, 10.0]))
    (Tensor([1., 4.]), (Tensor([ 2., 40.]),))
    """
    if not primals:
        raise TypeError("vjp: pass at least one primal, e.g. func.vjp(f, x)")
    nums = tuple(range(len(primals)))
    call_args, fresh, outer = _prepare(primals, nums, "vjp")
    result = _call(f, call_args, {})
    outs, single = _outputs(result, "vjp")
    create = _needs_graph(outer, outs, fresh)

    def vjp_fn(cotangents: Any) -> tuple[Tensor, ...]:
        cts = (cotangents,) if single else tuple(cotangents)
        if len(cts) != len(outs):
            raise ValueError(
                f"vjp: got {len(cts)} cotangents for {len(outs)} outputs; pass one per output"
            )
        seeds = []
        for k, (o, c) in enumerate(zip(outs, cts)):
            c = c if isinstance(c, Tensor) else Tensor(np.asarray(c, dtype=o.dtype))
            if c.shape != o.shape:
                raise ValueError(
                    f"vjp: cotangent {k} has shape {c.shape} but output {k} has shape {o.shape}; "
                    "pass a cotangent of the output's shape"
                )
            seeds.append(c)
        with_graph = create or _DEPTH[0] > 0 or any(c._requires_grad for c in seeds)
        return tuple(_grads(outs, fresh, seeds, with_graph))

    out = result if create else _detach_tree(outs[0] if single else tuple(outs))
    return out, vjp_fn


def _run_forward(f: Callable, args: Sequence[Any], tans: Sequence[Any], kwargs: dict) -> tuple:
    """Call ``f(*args, **kwargs)`` once in forward mode, argument ``i`` carrying the tangent
    ``tans[i]`` (None: none). Returns ``f``'s result and the level its tangents are kept at."""
    level = forward_ad.Level()
    flags = STATE.flags
    prev = flags.forward
    flags.forward = prev + (level,)
    try:
        call = list(args)
        for i, t in enumerate(tans):
            if t is not None:
                # A fresh tensor stands for the primal: it keeps the primal's graph and its
                # tangents at enclosing levels, and takes this level's tangent
                d = _Alias.apply(args[i])
                forward_ad.set_tangent(d, level, t)
                call[i] = d
        return _call(f, call, kwargs), level
    finally:
        flags.forward = prev


def _tangent_out(o: Tensor, level: forward_ad.Level) -> Tensor:
    """The tangent ``o`` got at ``level`` as a Tensor (zeros when ``o`` does not depend on the
    primals)."""
    t = forward_ad.tangent(o, level)
    if t is None:
        return Tensor._make(np.zeros_like(o._data))
    if isinstance(t, Tensor):
        return t
    t = np.asarray(t)
    return Tensor._make(t if t.flags.writeable else t.copy())  # (not a broadcast view)


def _check_tangents(primals: tuple, tangents: tuple, where: str,
                    name: str = "tangent {k}") -> tuple[list, list]:
    """Primals as float Tensors and tangents (``name`` in messages) of their shapes and dtypes."""
    if len(primals) != len(tangents):
        raise ValueError(
            f"{where}: got {len(primals)} primals but {len(tangents)} tangents; pass one tangent "
            "per primal"
        )
    xs, tans = [], []
    for k, (x, t) in enumerate(zip(primals, tangents)):
        x = _as_tensor(x, where, f"primal {k}")
        t = t if isinstance(t, Tensor) else Tensor(np.asarray(t, dtype=x.dtype))
        if t.shape != x.shape:
            raise ValueError(
                f"{where}: {name.format(k=k)} has shape {t.shape} but primal {k} has shape "
                f"{x.shape}; pass tangents of the primals' shapes"
            )
        if t.dtype != x.dtype:
            t = t.astype(x.dtype)
        xs.append(x)
        tans.append(t)
    return xs, tans


def jvp(
    f: Callable[..., Any], primals: Any, tangents: Any, has_aux: bool = False
) -> tuple[Any, ...]:
    """Evaluate ``f(*primals)`` and the Jacobian-vector product ``J @ tangents`` in one forward
    pass (forward mode: every op applies its ``jvp`` rule as it runs).

    ``primals`` and ``tangents`` are tuples of the same length (a single Tensor is accepted for
    each); returns ``(output, tangent_out)`` with the structure of ``f``'s output, and
    ``(output, tangent_out, aux)`` with ``has_aux=True`` (``f`` then returns ``(output, aux)``).
    Both results are differentiable: ``grad`` of a ``jvp`` works, and ``jvp`` of a ``grad`` too.

    >>> import autograd_engine as ag
    >>> from autograd_engine import func
    >>> out, t = func.jvp(lambda x: x ** 2, (ag.Tensor([1.0, 2.0]),), (ag.Tensor([1.0, 1.0]),))
    >>> out, t
    (Tensor([1., 4.]), Tensor([2., 4.]))
    """
    primals = tuple(primals) if isinstance(primals, (tuple, list)) else (primals,)
    tangents = tuple(tangents) if isinstance(tangents, (tuple, list)) else (tangents,)
    xs, tans = _check_tangents(primals, tangents, "jvp")
    result, level = _run_forward(f, xs, tans, {})
    out, aux = _split_aux(result, has_aux, "jvp")
    outs, single = _outputs(out, "jvp")
    touts = tuple(_tangent_out(o, level) for o in outs)
    outer = any(t._requires_grad for t in xs + tans)
    if not _needs_graph(outer, outs + touts, ()):  # only the transforms' own leaves: plain results
        outs, touts, aux = _detach_tree(outs), _detach_tree(touts), _detach_tree(aux)
    pair = (outs[0], touts[0]) if single else (tuple(outs), touts)
    return (*pair, aux) if has_aux else pair


# ----- jacobian, hessian, hvp ------------------------------------------------------------------
def jacobian(f: Callable[..., Any], argnums: int | Sequence[int] = 0,
             has_aux: bool = False) -> Callable[..., Any]:
    """Return a function computing the Jacobian of ``f`` with respect to ``args[argnums]``.

    For an output of shape ``S`` and an argument of shape ``A`` the Jacobian has shape ``S + A``.
    A tuple ``argnums`` gives a tuple of Jacobians; a function returning a tuple gives a tuple (one
    entry per output, each a tuple when ``argnums`` is). Reverse mode: one VJP per output element.
    Results are differentiable, so ``jacobian(grad(f))`` is the Hessian. With ``has_aux=True``,
    ``f`` returns ``(output, aux)`` and the result is ``(jacobian, aux)``.

    >>> import autograd_engine as ag
    >>> from autograd_engine import func
    >>> func.jacobian(lambda x: x ** 2)(ag.Tensor([1.0, 2.0]))
    Tensor([[2., 0.],
            [0., 4.]])
    """
    return _reverse_jacobian(f, argnums, has_aux, "jacobian")


def _reverse_jacobian(f: Callable[..., Any], argnums: int | Sequence[int], has_aux: bool,
                      _where: str) -> Callable[..., Any]:
    """``jacobian``/``jacrev`` (``_where`` names the caller in messages)."""
    def jacobian_f(*args: Any, **kwargs: Any) -> Any:
        nums, single = _argnums(argnums, len(args), _where)
        call_args, fresh, outer = _prepare(args, nums, _where)
        result, aux = _split_aux(_call(f, call_args, kwargs), has_aux, _where)
        outs, single_out = _outputs(result, _where)
        create = _needs_graph(outer, outs, fresh)
        per_output = []
        for o in outs:
            rows: list[list[Tensor]] = [[] for _ in fresh]
            for j in range(o.size):
                seed = np.zeros(o.size, dtype=o.dtype)
                seed[j] = 1
                gs = _grads([o], fresh, [Tensor._make(seed.reshape(o.shape))], create)
                for r, g in zip(rows, gs):
                    r.append(g)
            jacs = []
            for x, r in zip(fresh, rows):
                if r:
                    jac = Stack.apply(*r).reshape(o.shape + x.shape)
                else:  # an empty output
                    jac = Tensor._make(np.zeros(o.shape + x.shape, dtype=x.dtype))
                jacs.append(jac if create else _detach_tree(jac))
            per_output.append(jacs[0] if single else tuple(jacs))
        jac = per_output[0] if single_out else tuple(per_output)
        return (jac, aux if create else _detach_tree(aux)) if has_aux else jac

    jacobian_f.__name__ = f"{_where}({getattr(f, '__name__', 'f')})"
    return jacobian_f


def jacrev(f: Callable[..., Any], argnums: int | Sequence[int] = 0,
           has_aux: bool = False) -> Callable[..., Any]:
    """The Jacobian by reverse mode, one VJP per output element: cheap for functions with few
    outputs (wide Jacobians). The same as :func:`jacobian`, named as in ``torch.func``.

    >>> import autograd_engine as ag
    >>> from autograd_engine import func
    >>> func.jacrev(lambda x: (x ** 2).sum())(ag.Tensor([1.0, 2.0]))
    Tensor([2., 4.])
    """
    return _reverse_jacobian(f, argnums, has_aux, "jacrev")


def jacfwd(f: Callable[..., Any], argnums: int | Sequence[int] = 0,
           has_aux: bool = False) -> Callable[..., Any]:
    """Return a function computing the Jacobian of ``f`` by forward mode: one ``jvp`` (one
    forward pass) per input element, so it suits functions with few inputs (tall Jacobians).

    Shapes and structure as :func:`jacobian`: ``S + A`` for an output of shape ``S`` and an
    argument of shape ``A``; tuples for tuple ``argnums`` and for functions returning tuples.
    Composes with the other transforms: ``jacfwd(grad(f))`` is the Hessian (forward over reverse).
    With ``has_aux=True``, ``f`` returns ``(output, aux)`` and the result is ``(jacobian, aux)``.

    >>> import autograd_engine as ag
    >>> from autograd_engine import func
    >>> func.jacfwd(lambda x: x.sin() * 2)(ag.Tensor([0.0, 0.0]))
    Tensor([[2., 0.],
            [0., 2.]])
    """

    def jacfwd_f(*args: Any, **kwargs: Any) -> Any:
        nums, single = _argnums(argnums, len(args), "jacfwd")
        args = list(args)
        for i in nums:
            args[i] = _as_tensor(args[i], "jacfwd", f"argument {i}")
        outs = None
        columns = []  # per argument: per element, the tangents of the outputs
        for i in nums:
            x = args[i]
            cols = []
            for e in range(x.size):
                basis = np.zeros(x.size, dtype=x.dtype)
                basis[e] = 1
                tans = [None] * len(args)
                tans[i] = Tensor._make(basis.reshape(x.shape))
                result, level = _run_forward(f, args, tans, kwargs)
                result, aux = _split_aux(result, has_aux, "jacfwd")
                outs, single_out = _outputs(result, "jacfwd")
                cols.append([_tangent_out(o, level) for o in outs])
            columns.append(cols)
        if outs is None:  # every argument is empty: f's output gives the shapes
            result, aux = _split_aux(_call(f, args, kwargs), has_aux, "jacfwd")
            outs, single_out = _outputs(result, "jacfwd")
        from .ops import stack

        per_output = []
        for m, o in enumerate(outs):
            jacs = []
            for i, cols in zip(nums, columns):
                shape = o.shape + args[i].shape
                if cols:
                    jac = stack([c[m] for c in cols], axis=o.ndim).reshape(shape)
                else:
                    jac = Tensor._make(np.zeros(shape, dtype=o.dtype))
                jacs.append(jac)
            per_output.append(jacs[0] if single else tuple(jacs))
        outer = any(args[i]._requires_grad for i in nums)
        flat = [j for js in per_output for j in (js if isinstance(js, tuple) else (js,))]
        if not _needs_graph(outer, flat, ()):
            per_output, aux = _detach_tree(per_output), _detach_tree(aux)
        jac = per_output[0] if single_out else tuple(per_output)
        return (jac, aux) if has_aux else jac

    jacfwd_f.__name__ = f"jacfwd({getattr(f, '__name__', 'f')})"
    return jacfwd_f


def hessian(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """Return a function computing the Hessian of the scalar function ``f``.

    ``jacfwd(jacrev(f, argnums), argnums)`` (forward over reverse, as ``torch.func.hessian``): for
    an argument of shape ``A`` the Hessian has shape ``A + A``; a tuple ``argnums`` gives a tuple
    of tuples (block ``[i][j]`` is ``d2f / dx_i dx_j``).

    >>> import autograd_engine as ag
    >>> from autograd_engine import func
    >>> func.hessian(lambda x: (x ** 3).sum())(ag.Tensor([1.0, 2.0]))
    Tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    h = jacfwd(jacrev(f, argnums), argnums)
    h.__name__ = f"hessian({getattr(f, '__name__', 'f')})"
    return h


def hvp(f: Callable[..., Any], primals: Any, v: Any) -> Any:
    """The Hessian of the scalar function ``f`` at ``primals`` times ``v``, without forming it.

    ``primals`` is a Tensor or a tuple of Tensors (``f`` is differentiated with respect to all of
    them) and ``v`` has the same structure; the result too. Forward over reverse: the ``jvp`` of
    ``grad(f)`` along ``v``, one forward pass and one backward pass that carry tangents.

    >>> import autograd_engine as ag
    >>> from autograd_engine import func
    >>> func.hvp(lambda x: (x ** 3).sum(), ag.Tensor([1.0, 2.0]), ag.Tensor([1.0, 1.0]))
    Tensor([ 6., 12.])
    """
    single = not isinstance(primals, (tuple, list))
    primals = (primals,) if single else tuple(primals)
    vs = (v,) if single else tuple(v)
    if len(vs) != len(primals):
        raise ValueError(
            f"hvp: got {len(primals)} primals but {len(vs)} vectors; pass one v per primal"
        )
    xs, vs = _check_tangents(primals, vs, "hvp", name="v[{k}]")
    nums = tuple(range(len(xs)))
    _, result = jvp(grad(f, argnums=nums), tuple(xs), tuple(vs))
    return result[0] if single else result
