"""Walk an autograd graph into a plain model of nodes, edges and scope clusters.

Everything here goes through the engine's public surface only: ``Tensor.grad_fn``, ``.is_leaf``,
``.requires_grad``, ``.name``, ``.grad``; ``node.name``, ``node.inputs``, ``node.next_functions``,
``node.scope``, ``node.register_hook``. The walk
is a breadth-first loop over an explicit queue, so a 100k-deep chain costs memory, not recursion
depth, and every node gets its shortest distance from the roots (used to truncate big graphs).

The graph keeps edges to each input's producer, not the input Tensors themselves: an intermediate
that nothing else references is collected, and shows as a :class:`FreedValue` (shape and dtype,
no value; its gradient if ``retain_grads`` ran). Otherwise the value node drawn for an op's result
is the Tensor object met in the walk (a root, or an input of a consumer), including its ``.grad``
when ``retain_grad()`` was used.
"""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_engine import Function, Tensor

# Value-node kinds, in the order the legend lists them.
OUTPUT, PARAM, LEAF, CONSTANT, INTERMEDIATE = "output", "param", "leaf", "constant", "intermediate"


@dataclass(slots=True)
class _Node:
    """What every drawn node has: its DOT id, its scope key (a tuple of ids; () = top level) and
    its distance from the roots (used to truncate big graphs)."""

    id: str
    cluster: tuple = field(default=(), kw_only=True)
    depth: int = field(default=0, kw_only=True)


@dataclass(slots=True)
class ValueNode(_Node):
    tensor: Tensor
    kind: str
    name: str | None


@dataclass(slots=True)
class OpNode(_Node):
    fn: Any


@dataclass(slots=True)
class ConstNode(_Node):
    """A non-Tensor input of an op (a Python number, an array): one node per use."""

    value: Any


@dataclass
class Graph:
    values: list = field(default_factory=list)
    ops: list = field(default_factory=list)
    consts: list = field(default_factory=list)
    edges: list = field(default_factory=list)  # (src id, dst id, input position or None)
    scopes: dict = field(default_factory=dict)  # scope key -> the scope object (last element)
    scope_names: dict = field(default_factory=dict)  # scope key -> display path or None

    def nodes(self) -> Iterator[Any]:
        yield from self.values
        yield from self.ops
        yield from self.consts

    def __len__(self) -> int:
        return len(self.values) + len(self.ops) + len(self.consts)


def flatten_roots(roots: Iterable[Any]) -> list[Tensor]:
    """Accept tensors, and lists/tuples/dicts of tensors (one level deep), as roots."""
    out: list[Tensor] = []
    for r in roots:
        if isinstance(r, Function):
            raise TypeError(
                f"viz: roots must be Tensors, got the node {r!r}; pass the Tensor it made (y, "
                "not y.grad_fn), e.g. viz.to_dot(loss)"
            )
        if isinstance(r, Tensor):
            out.append(r)
        elif isinstance(r, dict):
            out.extend(flatten_roots(r.values()))
        elif isinstance(r, (list, tuple)):
            out.extend(flatten_roots(r))
        else:
            raise TypeError(
                f"viz: roots must be Tensors (or lists/tuples/dicts of Tensors), got "
                f"{type(r).__name__}; pass the output(s) of your computation, e.g. viz.to_dot(loss)"
            )
    return out


def is_parameter(t: Any) -> bool:
    """Whether ``t`` is an ``nn.Parameter`` (by class name, so viz does not import nn)."""
    cls = type(t)
    return cls is not Tensor and any(c.__name__ == "Parameter" for c in cls.__mro__)


class FreedValue:
    """An op's input that the engine no longer holds: an intermediate Tensor nothing else
    referenced, collected after its consumer was recorded (graphs keep edges, not values). Its
    producer, shape and dtype are known, and its gradient if ``retain_grads`` ran; its value is not.
    """

    freed = True
    requires_grad = True
    name = None
    data = None

    def __init__(self, grad_fn: Any, output_nr: int, shape: tuple, dtype: Any) -> None:
        self.grad_fn, self.output_nr, self.shape, self.dtype = grad_fn, output_nr, shape, dtype
        self.ndim = len(shape)
        self.size = int(np.prod(shape, dtype=np.int64))

    @property
    def grad(self) -> Any:
        return retained_grad(self.grad_fn, self.output_nr)


# Gradients of node outputs kept by ``retain_grads`` for values the engine did not keep.
_RETAINED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def retained_grad(fn: Any, output_nr: int) -> Any:
    return _RETAINED.get(fn, {}).get(output_nr)


def retain_node_grad(fn: Any, output_nr: int) -> None:
    """Keep the gradient of ``fn``'s output ``output_nr`` (for a value whose Tensor is gone)."""
    slots = _RETAINED.get(fn)
    if slots is None:
        slots = _RETAINED[fn] = {}
    if output_nr in slots:
        return
    slots[output_nr] = None

    def keep(grad: Any, slots: dict = slots, k: int = output_nr) -> None:
        slots[k] = grad.detach()

    fn.register_hook(keep, output_nr)


def graph_inputs(fn: Any) -> list:
    """``fn``'s positional inputs, with a :class:`FreedValue` for intermediates the engine let go."""
    inputs = list(fn.inputs)
    for pos, edge in enumerate(fn.next_functions):
        if inputs[pos] is None and edge is not None:
            inputs[pos] = FreedValue(*edge)
    return inputs


def _value_key(t: Tensor) -> Any:
    # One value node per (node, output) when the engine exposes output_nr, else per Tensor object:
    # outside saved_tensors (which viz does not walk) each output is one Tensor object anyway.
    if _HAS_OUTPUT_NR:
        fn = t.grad_fn
        nr = t.output_nr
        if fn is not None and isinstance(nr, int):
            return (id(fn), nr)
    return id(t)


_HAS_OUTPUT_NR = hasattr(Tensor, "output_nr")


def named_params(params: Any) -> dict[int, str | None]:
    """``params=`` as a map id(tensor) -> name: Tensors, (name, Tensor) pairs or a dict."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = params.named_parameters()
    if isinstance(params, dict):
        params = params.items()
    if isinstance(params, Tensor):
        params = [params]
    out: dict[int, str | None] = {}
    for item in params:
        if isinstance(item, Tensor):
            out[id(item)] = None
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Tensor):
            out[id(item[1])] = str(item[0])
        else:
            raise TypeError(
                "viz: params= takes Tensors, (name, Tensor) pairs, a dict name -> Tensor or a "
                f"module with named_parameters(), got an item of type {type(item).__name__}"
            )
    return out


def build(roots: list[Tensor], params: Any = None, model: Any = None) -> Graph:
    """Walk the graph from ``roots`` (breadth first, iteratively) into a :class:`Graph`."""
    g = Graph()
    param_names = named_params(params)
    if model is not None:
        if not hasattr(model, "named_parameters"):
            raise TypeError(
                f"viz: model= must be a module with named_parameters()/named_modules(), got "
                f"{type(model).__name__}"
            )
        for n, p in model.named_parameters():
            if param_names.get(id(p)) is None:
                param_names[id(p)] = n

    root_keys = {_value_key(t) for t in roots}
    vid: dict[Any, str] = {}  # value key -> node id
    oid: dict[int, str] = {}  # id(fn) -> node id
    keep: list[Any] = []  # keep every walked object alive so that id()s stay unique
    pending_edges: list[tuple[Any, str, int]] = []  # (input value key, op id, position)
    consumer_scopes: dict[str, list[tuple]] = {}  # leaf value id -> scope keys of its consumers
    queue: deque = deque((t, 0) for t in roots)

    while queue:
        t, depth = queue.popleft()
        key = _value_key(t)
        if key in vid:
            continue
        keep.append(t)
        fn = t.grad_fn
        node_id = f"v{len(g.values)}"
        vid[key] = node_id
        if key in root_keys:
            kind = OUTPUT
        elif id(t) in param_names or is_parameter(t):
            kind = PARAM
        elif fn is not None:
            kind = INTERMEDIATE
        elif t.requires_grad:
            kind = LEAF
        else:
            kind = CONSTANT
        name = t.name
        if name is None and kind in (PARAM, OUTPUT):
            name = param_names.get(id(t))
        v = ValueNode(node_id, t, kind, name, depth=depth)
        g.values.append(v)
        if fn is None:
            continue
        op_id = oid.get(id(fn))
        if op_id is None:
            keep.append(fn)
            op_id = oid[id(fn)] = f"f{len(g.ops)}"
            scope = tuple(getattr(fn, "scope", ()) or ())
            skey = tuple(id(o) for o in scope)
            for i in range(1, len(skey) + 1):
                if skey[:i] not in g.scopes:
                    g.scopes[skey[:i]] = scope[i - 1]
            keep.append(scope)
            g.ops.append(OpNode(op_id, fn, cluster=skey, depth=depth + 1))
            for pos, inp in enumerate(graph_inputs(fn)):
                if isinstance(inp, (Tensor, FreedValue)):
                    pending_edges.append((_value_key(inp), op_id, pos))
                    queue.append((inp, depth + 2))
                    if inp.grad_fn is None:
                        consumer_scopes.setdefault(_value_key(inp), []).append(skey)
                else:
                    c = ConstNode(f"c{len(g.consts)}", inp, cluster=skey, depth=depth + 2)
                    g.consts.append(c)
                    g.edges.append((c.id, op_id, pos))
        v.cluster = g.ops[int(op_id[1:])].cluster
        g.edges.append((op_id, node_id, None))

    for key, op_id, pos in pending_edges:
        g.edges.append((vid[key], op_id, pos))

    # A parameter sits in the innermost scope shared by all the ops that use it (a Linear's
    # weight lands in that Linear's box); other leaves stay at the top level.
    for v in g.values:
        if v.kind == PARAM:
            scopes = consumer_scopes.get(_value_key(v.tensor))
            if scopes:
                v.cluster = _common_prefix(scopes)
    g.scope_names = _scope_names(g.scopes, model)
    return g


def _common_prefix(keys: list[tuple]) -> tuple:
    first = keys[0]
    n = len(first)
    for k in keys[1:]:
        m = 0
        while m < n and m < len(k) and k[m] == first[m]:
            m += 1
        n = m
    return first[:n]


def _scope_names(scopes: dict[tuple, Any], model: Any) -> dict[tuple, str | None]:
    """Module paths (``encoder.layers.0``) for scope objects, from ``model.named_modules()``.

    Without ``model=``, an outermost scope object that has ``named_modules()`` names the scopes
    under it in the same way.
    """
    paths: dict[int, str] = {}
    roots = [model] if model is not None else []
    roots += [obj for key, obj in scopes.items() if len(key) == 1 and hasattr(obj, "named_modules")]
    for r in roots:
        if id(r) in paths:
            continue
        try:
            for name, m in r.named_modules():
                paths.setdefault(id(m), name)
        except Exception:  # a foreign object with an incompatible named_modules: no paths
            continue
    return {key: paths.get(key[-1]) for key in scopes}


def scope_title(obj: Any) -> str:
    """The type name of a scope object, or the string itself for string scopes."""
    return obj if isinstance(obj, str) else type(obj).__name__
