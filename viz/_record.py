"""Record one backward pass of a walked graph, for pictures and the step-through player.

Only the engine's public surface is used: ``ag.grad(..., retain_graph=True)`` runs the pass (it
never writes ``.grad``), ``node.register_hook(fn, output_nr)`` sees each node's incoming gradient
at the moment the node runs (so the hooks' firing order *is* the engine's order), and each op's
own gradient rule (``type(node).backward(node, *grads)``, the public custom-op signature) gives
what the node sends along each input edge: with the incoming gradient that is the product the
engine adds to the input, with a gradient of 1 on a scalar node it is the local derivative.

The user's graph is left as it was: every hook is removed, gradients that ``retain_grad`` (or
``viz.retain_grads``) keep are put back, and ``retain_graph=True`` frees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

import autograd_engine as ag
from autograd_engine import Tensor

from ._graph import _RETAINED, Graph


@dataclass
class OpRecord:
    """What one node did in the backward pass."""

    op_id: str
    out_grads: dict[str, np.ndarray]  # output value id -> incoming gradient (the engine's)
    products: dict[int, np.ndarray | None] = field(default_factory=dict)  # input pos -> sent
    local: dict[int, float] = field(default_factory=dict)  # input pos -> d out/d in (scalars)
    problem: str | None = None  # why products are missing, if they are


@dataclass
class Recording:
    order: list[str]  # op ids in the order the engine ran them
    ops: dict[str, OpRecord]
    grads: dict[str, np.ndarray]  # value id -> d root/d value, as the engine computed it
    root_id: str


_FREED = ("the graph was already freed by backward(), which releases what each op saved; "
          "call it before loss.backward(), or call loss.backward(retain_graph=True)")


class GraphFreedError(RuntimeError):
    """The graph was already freed by a backward pass without ``retain_graph=True``."""


def _as_array(g: Any) -> np.ndarray:
    return np.array(g.data if isinstance(g, Tensor) else g, copy=True)


def _fit(a: np.ndarray, shape: tuple, dtype: Any) -> np.ndarray:
    """Sum broadcast dimensions away, as the engine does on every edge, and cast."""
    a = np.asarray(a)
    while a.ndim > len(shape):
        a = a.sum(axis=0)
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and a.shape[i] != 1)
    if axes:
        a = a.sum(axis=axes, keepdims=True)
    return np.asarray(np.broadcast_to(a, shape), dtype=dtype)


def record_backward(g: Graph, root: Tensor, products: bool = True) -> Recording:
    """Run one backward pass of one-element ``root`` over graph ``g`` and record every step
    (with ``products=False`` only the gradients, not what each node sends along its edges)."""
    by_id = {v.id: v for v in g.values}
    op_of = {op.id: op for op in g.ops}
    root_id = next(v.id for v in g.values if v.tensor is root)
    out_vid: dict[tuple[int, int], str] = {}
    for v in g.values:
        fn = v.tensor.grad_fn
        if fn is not None:
            out_vid[(id(fn), v.tensor.output_nr)] = v.id
    producer: dict[str, str] = {}  # value id -> op id
    inputs: dict[str, dict[int, str]] = {}  # op id -> input pos -> value id
    for s, d, pos in g.edges:
        if pos is None:
            producer[d] = s
        elif s.startswith("v"):
            inputs.setdefault(d, {})[pos] = s

    if any(getattr(op.fn, "is_freed", False) for op in g.ops):  # fail before touching anything
        raise GraphFreedError(_FREED)
    events: list[tuple[str, np.ndarray]] = []
    handles = []
    fns_by_op: dict[str, Any] = {op.id: op.fn for op in g.ops}
    for (_, nr), vid in out_vid.items():
        fn = by_id[vid].tensor.grad_fn

        def hook(grad: Any, vid: str = vid) -> None:
            events.append((vid, _as_array(grad)))

        handles.append(fn.register_hook(hook, nr))

    leaves = [v for v in g.values if v.tensor.grad_fn is None and v.tensor.requires_grad]
    # what the user keeps: gradients of retained intermediates, and viz.retain_grads' copies
    kept = [(v.tensor, v.tensor.grad) for v in g.values
            if v.tensor.grad_fn is not None and isinstance(v.tensor, Tensor)]
    kept_viz = {id(op.fn): (op.fn, dict(_RETAINED[op.fn])) for op in g.ops if op.fn in _RETAINED}
    try:
        try:
            leaf_grads = ag.grad(root, [v.tensor for v in leaves], retain_graph=True,
                                 allow_unused=True) if leaves else ()
        except RuntimeError as exc:
            if "second time" in str(exc) or "freed" in str(exc):
                raise GraphFreedError(_FREED) from exc
            raise
    finally:
        for h in handles:
            h.remove()
        for t, old in kept:
            if t.grad is not old:
                t.grad = old
        for fn, slots in kept_viz.values():
            _RETAINED[fn].clear()
            _RETAINED[fn].update(slots)

    grads: dict[str, np.ndarray] = {}
    order: list[str] = []
    ops: dict[str, OpRecord] = {}
    for vid, arr in events:
        op_id = producer[vid]
        grads[vid] = arr
        rec = ops.get(op_id)
        if rec is None:
            rec = ops[op_id] = OpRecord(op_id, {})
            order.append(op_id)
        rec.out_grads[vid] = arr
    for v, lg in zip(leaves, leaf_grads):
        if lg is not None:
            grads[v.id] = _as_array(lg)

    outs_of: dict[str, list[tuple[int, str]]] = {}
    for (_, nr), vid in out_vid.items():
        outs_of.setdefault(producer[vid], []).append((nr, vid))
    for op_id in order if products else ():
        rec = ops[op_id]
        fn = fns_by_op[op_id]
        outs = sorted(outs_of[op_id])
        try:
            out_grads = []
            for _nr, vid in outs:
                t = by_id[vid].tensor
                arr = rec.out_grads.get(vid)
                out_grads.append(np.zeros(t.shape, t.dtype) if arr is None else arr)
            if len(outs) != max(nr for nr, _ in outs) + 1:
                raise ValueError("an output of this op is not part of the graph")
            rec.products = _rule(fn, out_grads)
            ins = inputs.get(op_id, {})
            scalar = all(by_id[vid].tensor.size == 1 for _, vid in outs) and all(
                by_id[ins[p]].tensor.size == 1 for p in ins)
            if scalar and len(outs) == 1:
                ones = [np.ones(by_id[outs[0][1]].tensor.shape, by_id[outs[0][1]].tensor.dtype)]
                for pos, a in _rule(fn, ones).items():
                    if a is not None:
                        rec.local[pos] = float(np.asarray(a).reshape(-1)[0])
        except Exception as exc:  # a rule that cannot be replayed: show the engine's totals only
            rec.products, rec.local = {}, {}
            rec.problem = f"{type(exc).__name__}: {exc}"[:200]
    del op_of
    return Recording(order, ops, grads, root_id)


def _rule(fn: Any, out_grads: list[np.ndarray]) -> dict[int, np.ndarray | None]:
    """What ``fn``'s gradient rule sends to each input for these output gradients."""
    with ag.no_grad():
        gs = out_grads if fn.backward_on_arrays else [Tensor(g) for g in out_grads]
        res = type(fn).backward(fn, *gs)
    if not isinstance(res, (tuple, list)):
        res = (res,)
    out: dict[int, np.ndarray | None] = {}
    for pos, (r, edge) in enumerate(zip(res, fn.next_functions)):
        if edge is None:
            continue
        out[pos] = None if r is None else _fit(_as_array(r), tuple(edge[2]), edge[3])
    return out
