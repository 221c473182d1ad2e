"""Random-graph property tests: gradients are right on graphs nobody wrote by hand.

A Hypothesis strategy, :func:`graphs`, builds random DAGs out of the ops in ``ag.REGISTRY``: it is
generic over each op's registry metadata (``kind``, ``nargs``, ``domains``, ``distinct``, ``params``,
``sampler``), so ops registered later are fuzzed without edits here. Graphs have shared
subexpressions (a node may be picked any number of times, also twice by one op), broadcasting
between inputs of different shapes, reductions, basic and advanced indexing (repeated indices,
boolean masks, integer Tensors), inputs that do not require grad, detached branches and ``no_grad``
islands.

Keeping values where central differences are meaningful:

* Before an elementwise op or a reduction, an argument outside the op's domain (``Domain.low`` ..
  ``Domain.high``) is squashed into it with ``mid + half * tanh(scale * x)``; values that are still
  within ``margin`` of a kink (``Domain.avoid``), or ties for ``distinct`` ops, are *recentred*:
  ``target + (x - x0)``, where ``target`` is drawn inside the domain and ``x0`` is x's value at the
  drawn inputs, a constant. At the drawn inputs the op sees exactly ``target``; under the tiny
  perturbations of central differences it sees ``target + O(eps)``; gradients flow through x.
* Custom ops (``kind="custom"``) get their arguments from their own sampler in
  ``testing.strategies.SAMPLERS`` (the only place that knows their shape and value constraints), each
  float array recentred on a graph node (reshaped, broadcast or summed to fit).
* A detached or ``no_grad`` value is a constant of the function being differentiated, so when the
  inputs are perturbed (numeric differences) it is replayed as the constant recorded at the drawn
  inputs; at the drawn inputs the real ``.detach()`` / ``no_grad`` runs, so a leak of gradient
  through either would show up as a disagreement.

A graph prints as the list of its steps (``print(graph)``), which is what Hypothesis shows for a
(shrunk) failing example.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_engine as ag
from autograd_engine.ops.registry import Domain, OpSpec
from autograd_engine.testing import gradcheck, gradgradcheck
from autograd_engine.testing import strategies as ags

MAX_STEPS = 8
MAX_BROADCAST_SIZE = 36  # keeps intermediates small when elementwise ops broadcast two nodes
MAX_OUTPUT_SIZE = 4  # larger sinks are read out as a weighted sum (keeps gradgradcheck cheap)
TIE_GAP = 1e-3  # the smallest gap between values fed to a `distinct` op


def _fmt(a: Any) -> str:
    if isinstance(a, np.ndarray):
        return np.array2string(a, precision=4, separator=", ", threshold=12, edgeitems=2)
    if isinstance(a, ag.Tensor):
        return f"Tensor({_fmt(a.data)})"
    if isinstance(a, (list, tuple)):
        inner = ", ".join(_fmt(v) for v in a)
        return f"[{inner}]" if isinstance(a, list) else f"({inner}{',' if len(a) == 1 else ''})"
    return repr(a)


@dataclass(frozen=True)
class Ref:
    """A reference to node ``i`` of a graph (an input or the result of an earlier step)."""

    i: int

    def __repr__(self) -> str:
        return f"v{self.i}"


def _resolve(a: Any, vals: list) -> Any:
    if isinstance(a, Ref):
        return vals[a.i]
    if isinstance(a, list):
        return [_resolve(v, vals) for v in a]
    if isinstance(a, tuple):
        return tuple(_resolve(v, vals) for v in a)
    return a


def _refs(a: Any) -> list[int]:
    if isinstance(a, Ref):
        return [a.i]
    if isinstance(a, (list, tuple)):
        return [i for v in a for i in _refs(v)]
    return []


# ----- steps: each computes one node from earlier ones ---------------------------------------------


@dataclass
class Op:
    """``spec.fn(*args, **kwargs)`` (``[pick]`` of a tuple result), optionally under ``no_grad``."""

    name: str
    args: list
    kwargs: dict
    no_grad: bool = False
    pick: int | None = None
    passthrough: bool = False  # under no_grad the op returned an input itself (e.g. dropout in eval)

    # A no_grad result is a constant, unless the op returned its input unchanged: then it is that
    # input (PyTorch's identity shortcuts, e.g. dropout(x, training=False) is x, do the same).
    frozen = property(lambda self: self.no_grad and not self.passthrough)

    def run(self, vals: list) -> ag.Tensor:
        fn = ag.REGISTRY[self.name].fn
        kwargs = copy.deepcopy(self.kwargs)  # e.g. a random Generator: same draws on every replay
        if self.no_grad:
            with ag.no_grad():
                out = fn(*_resolve(self.args, vals), **kwargs)
        else:
            out = fn(*_resolve(self.args, vals), **kwargs)
        return out[self.pick] if self.pick is not None else out

    def inputs(self) -> list[int]:
        return _refs(self.args)

    def describe(self) -> str:
        parts = [_fmt(a) if not isinstance(a, Ref) else repr(a) for a in self.args]
        parts += [f"{k}={_fmt(v)}" for k, v in self.kwargs.items()]
        text = f"ag.{self.name}({', '.join(parts)})"
        if self.pick is not None:
            text += f"[{self.pick}]"
        return f"{text}    # under ag.no_grad()" if self.no_grad else text


@dataclass
class Detach:
    src: int
    frozen = True

    def run(self, vals: list) -> ag.Tensor:
        return vals[self.src].detach()

    def inputs(self) -> list[int]:
        return [self.src]

    def describe(self) -> str:
        return f"v{self.src}.detach()"


@dataclass
class Index:
    src: int
    index: Any
    frozen = False

    def run(self, vals: list) -> ag.Tensor:
        return vals[self.src][self.index]

    def inputs(self) -> list[int]:
        return [self.src]

    def describe(self) -> str:
        return f"v{self.src}[{_fmt(self.index)}]"


@dataclass
class Squash:
    """``mid + half * tanh(scale * x)``: maps any values into (mid - half, mid + half)."""

    src: int
    mid: float
    half: float
    scale: float
    frozen = False

    def run(self, vals: list) -> ag.Tensor:
        return self.mid + self.half * ag.tanh(vals[self.src] * self.scale)

    def inputs(self) -> list[int]:
        return [self.src]

    def describe(self) -> str:
        return f"{self.mid:.4g} + {self.half:.4g} * ag.tanh(v{self.src} * {self.scale:.4g})"


@dataclass
class Recenter:
    """``target + (fit(x) - fit(x0))``: exactly ``target`` at the drawn inputs, gradient through x.

    ``fit`` makes x's shape fit ``target``'s: as is, broadcast, reshaped, or summed to a scalar.
    """

    src: int
    target: np.ndarray
    mode: str
    offset: np.ndarray
    frozen = False

    def _fit(self, x: ag.Tensor) -> ag.Tensor:
        if self.mode == "reshape":
            return x.reshape(self.target.shape)
        if self.mode == "sum":
            return x.sum()
        return x  # "same" or "broadcast" (the addition broadcasts)

    def run(self, vals: list) -> ag.Tensor:
        return ag.Tensor(self.target) + (self._fit(vals[self.src]) - self.offset)

    def inputs(self) -> list[int]:
        return [self.src]

    def describe(self) -> str:
        fit = {"same": "v{}", "broadcast": "v{}", "reshape": "v{}.reshape(target.shape)",
               "sum": "v{}.sum()"}[self.mode].format(self.src)
        return f"recenter({fit}, target={_fmt(self.target)})"


@dataclass
class Readout:
    """``sum(x * w)`` with a fixed random ``w``: a scalar output that depends on every element."""

    src: int
    w: np.ndarray
    frozen = False

    def run(self, vals: list) -> ag.Tensor:
        return (vals[self.src] * self.w).sum()

    def inputs(self) -> list[int]:
        return [self.src]

    def describe(self) -> str:
        return f"(v{self.src} * w).sum()    # w = {_fmt(self.w)}"


# ----- the graph -------------------------------------------------------------------------------------


@dataclass
class Graph:
    """Inputs, steps and outputs; calling it on input Tensors replays the steps (see module doc)."""

    inputs: list[np.ndarray]
    requires: list[bool]
    steps: list = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    frozen: dict[int, np.ndarray] = field(default_factory=dict)

    def leaves(self) -> list[ag.Tensor]:
        """Fresh input Tensors (float64) at the drawn values."""
        return [ag.Tensor(a.copy(), requires_grad=r) for a, r in zip(self.inputs, self.requires)]

    def run(self, leaves: list[ag.Tensor], live: bool = True) -> list[ag.Tensor]:
        """Every node's value. ``live=False`` replays detached/no_grad nodes as recorded constants."""
        vals = list(leaves)
        for k, step in enumerate(self.steps):
            i = len(self.inputs) + k
            if step.frozen and not live:
                vals.append(ag.Tensor(self.frozen[i]))
            else:
                vals.append(step.run(vals))
        return vals

    def __call__(self, *leaves: ag.Tensor) -> tuple[ag.Tensor, ...]:
        live = all(np.array_equal(t.data, a) for t, a in zip(leaves, self.inputs))
        vals = self.run(list(leaves), live)
        return tuple(vals[i] for i in self.outputs)

    def __repr__(self) -> str:
        lines = ["Graph("]
        for i, (a, r) in enumerate(zip(self.inputs, self.requires)):
            lines.append(f"  v{i} = ag.Tensor({_fmt(a)}, requires_grad={r})")
        for k, step in enumerate(self.steps):
            lines.append(f"  v{len(self.inputs) + k} = {step.describe()}")
        lines.append(f"  outputs: {', '.join(f'v{i}' for i in self.outputs)}")
        return "\n".join(lines) + "\n)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # how Hypothesis prints it
        printer.text(repr(self))


# ----- which registered ops the generator can drive ------------------------------------------------


def usable_ops(second_order: bool) -> list[str]:
    """Registered ops whose metadata the generator can satisfy (differentiable; for second-order
    graphs, twice differentiable)."""
    names = []
    for name, spec in sorted(ag.REGISTRY.items()):
        if not spec.differentiable or (second_order and not spec.gradgrad):
            continue
        if spec.kind == "elementwise" and len(spec.domains) == spec.nargs:
            names.append(name)
        elif spec.kind == "reduction":
            names.append(name)
        elif spec.kind == "custom" and spec.sampler in ags.SAMPLERS:
            names.append(name)
    return names


def _within(v: np.ndarray, d: Domain) -> bool:
    if v.size == 0 or not np.all(np.isfinite(v)):
        return False
    if v.min() < d.low or v.max() > d.high:
        return False
    return all(np.abs(v - k).min() >= d.margin for k in d.avoid)


def _distinct(values: list[np.ndarray]) -> bool:
    flat = np.sort(np.concatenate([np.ravel(v) for v in values]))
    return flat.size < 2 or bool(np.diff(flat).min() >= TIE_GAP)


def _broadcast(a: tuple, b: tuple) -> tuple | None:
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


class _Builder:
    """Draws steps, running each one right away so that later choices see the current values."""

    def __init__(self, draw: Any, graph: Graph) -> None:
        self.draw = draw
        self.g = graph
        self.vals = graph.leaves()
        self.focus: int | None = None

    def add(self, step: Any) -> int:
        out = step.run(self.vals)
        if isinstance(step, Op) and step.no_grad:
            step.passthrough = any(out is self.vals[j] for j in step.inputs())
        i = len(self.vals)
        self.vals.append(out)
        self.g.steps.append(step)
        if step.frozen:
            self.g.frozen[i] = out.data.copy()
        return i

    def pick(self, candidates: list[int] | None = None) -> int:
        """A node, recent ones first (shrinks towards the newest node)."""
        candidates = list(range(len(self.vals))) if candidates is None else candidates
        return candidates[-1 - self.draw(st.integers(0, len(candidates) - 1))]

    def value(self, i: int) -> np.ndarray:
        return self.vals[i].data

    # -- getting values into a domain --
    def recenter(self, i: int, target: np.ndarray) -> int:
        x = self.vals[i]
        if x.shape == target.shape:
            mode = "same"
        elif _broadcast(x.shape, target.shape) == target.shape:
            mode = "broadcast"
        elif x.size == target.size:
            mode = "reshape"
        else:
            mode = "sum"
        probe = Recenter(i, target, mode, np.zeros(()))
        offset = probe._fit(x).data.copy()
        return self.add(Recenter(i, target, mode, offset))

    def into_domain(self, i: int, d: Domain) -> int:
        v = self.value(i)
        if _within(v, d):
            return i
        if np.all(np.isfinite(v)) and v.size and (v.min() < d.low or v.max() > d.high):
            mid, half = (d.low + d.high) / 2, 0.45 * (d.high - d.low)
            scale = min(1.0, 1.5 / max(float(np.abs(v - mid).max()), 1e-12))
            i = self.add(Squash(i, mid, half, scale))
            if _within(self.value(i), d):
                return i
        target = self.draw(ags.arrays(self.vals[i].shape, domain=d))
        return self.recenter(i, target)

    def make_distinct(self, nodes: list[int], d: Domain) -> list[int]:
        if _distinct([self.value(i) for i in nodes]):
            return nodes
        shapes = [self.vals[i].shape for i in nodes]
        sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
        pool = self.draw(ags.arrays((sum(sizes),), domain=d, distinct=True))
        out, start = [], 0
        for i, s, n in zip(nodes, shapes, sizes):
            out.append(self.recenter(i, pool[start:start + n].reshape(s)))
            start += n
        return out

    # -- ops --
    def params(self, spec: OpSpec) -> dict:
        return {k: self.draw(st.sampled_from(v)) for k, v in spec.params.items()}

    def elementwise(self, spec: OpSpec, no_grad: bool) -> None:
        nodes = [self.pick()]
        shape = self.vals[nodes[0]].shape
        for _ in range(spec.nargs - 1):
            fits = [j for j in range(len(self.vals))
                    if (b := _broadcast(shape, self.vals[j].shape)) is not None
                    and int(np.prod(b, dtype=np.int64)) <= MAX_BROADCAST_SIZE]
            j = self.pick(fits or [nodes[0]])
            nodes.append(j)
            shape = np.broadcast_shapes(shape, self.vals[j].shape)
        args = [self.into_domain(i, d) for i, d in zip(nodes, spec.domains)]
        if spec.distinct:
            args = self.make_distinct(args, spec.domains[0])
        self.add(Op(spec.name, [Ref(i) for i in args], self.params(spec), no_grad))

    def reduction(self, spec: OpSpec, no_grad: bool) -> None:
        i = self.into_domain(self.pick(), spec.domains[0])
        if spec.distinct:
            (i,) = self.make_distinct([i], spec.domains[0])
        x = self.vals[i]
        kwargs = {"axis": self.draw(ags.axes(x.ndim)), "keepdims": self.draw(st.booleans()),
                  **self.params(spec)}
        if kwargs.get("ddof"):
            axes = range(x.ndim) if kwargs["axis"] is None else np.atleast_1d(kwargs["axis"])
            if int(np.prod([x.shape[a] for a in axes], dtype=np.int64)) <= kwargs["ddof"]:
                kwargs["ddof"] = 0
        self.add(Op(spec.name, [Ref(i)], kwargs, no_grad))

    def custom(self, spec: OpSpec, no_grad: bool) -> None:
        args, kwargs = self.draw(ags.op_arguments(spec, np.float64))

        def connect(a: Any) -> Any:
            # Empty arrays stay constants: as graph nodes, later reductions would pick them up
            # (the min of nothing raises, the mean of nothing is NaN, as in NumPy).
            if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size:
                return Ref(self.recenter(self.pick(), a))
            if isinstance(a, (list, tuple)):
                return type(a)(connect(v) for v in a)
            return a

        op = Op(spec.name, [connect(a) for a in args], kwargs, no_grad)
        out = op.run(self.vals)
        if isinstance(out, (tuple, list)):
            op.pick = self.draw(st.integers(0, len(out) - 1))
            out = out[op.pick]
        if isinstance(out, ag.Tensor) and out.dtype.kind == "f" and out.size:
            self.add(op)

    def index(self) -> None:
        i = self.pick()
        x = self.vals[i]
        kind = self.draw(st.integers(0, 2)) if x.ndim else 0
        if kind == 1:  # integer array along axis 0, repeats allowed (they accumulate)
            n = x.shape[0]
            idx = np.array(self.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4)))
            index = ag.Tensor(idx) if self.draw(st.booleans()) else idx
        elif kind == 2:  # boolean mask over all axes
            mask = self.draw(hnp.arrays(np.bool_, x.shape))
            mask.flat[self.draw(st.integers(0, x.size - 1))] = True
            index = mask
        else:
            index = self.draw(hnp.basic_indices(x.shape, allow_newaxis=True, allow_ellipsis=True))
            if x.data[index].size == 0:
                index = Ellipsis
        self.add(Index(i, index))

    def finish(self) -> None:
        used = {j for step in self.g.steps for j in step.inputs()}
        n = len(self.vals)
        sinks = [i for i in range(n) if i not in used and self.vals[i].requires_grad]
        outputs = sinks[-3:]
        if self.focus in sinks and self.focus not in outputs:
            outputs[0] = self.focus
        outputs = outputs or [max(i for i in range(n) if self.vals[i].requires_grad)]
        final = []
        for i in outputs:
            if self.vals[i].size > MAX_OUTPUT_SIZE:
                seed = self.draw(st.integers(0, 2**16))
                w = np.random.default_rng(seed).standard_normal(self.vals[i].shape)
                i = self.add(Readout(i, w))
            final.append(i)
        self.g.outputs = final


@st.composite
def graphs(draw: Any, second_order: bool = False, focus: str | None = None,
           max_steps: int = MAX_STEPS) -> Graph:
    """Random graphs over the registered ops (see the module docstring). With ``focus``, one step
    (at a random position) applies that op, and its result is among the outputs if nothing else
    consumes it."""
    ops = usable_ops(second_order)
    n_inputs = draw(st.integers(1, 3))
    shapes = draw(ags.broadcastable_shapes(n_inputs, max_dims=2, max_side=3))
    inputs = [draw(ags.arrays(s, domain=(-2.0, 2.0))) for s in shapes]
    requires = [True] + [draw(st.booleans()) for _ in shapes[1:]]
    b = _Builder(draw, Graph(inputs, requires))
    n_steps = draw(st.integers(2, max_steps))
    at = draw(st.integers(0, n_steps - 1)) if focus else -1
    for k in range(n_steps):
        action = draw(st.integers(0, 9))  # shrinks towards 0: a plain op
        if k == at:
            spec = ag.REGISTRY[focus]
            getattr(b, spec.kind)(spec, False)
            b.focus = len(b.vals) - 1
        elif action == 7:
            b.index()
        elif action == 8:
            b.add(Detach(b.pick()))
        else:
            spec = ag.REGISTRY[draw(st.sampled_from(ops))]
            getattr(b, spec.kind)(spec, action == 9)
    b.finish()
    return b.g


# ----- the properties ----------------------------------------------------------------------------


@pytest.mark.parametrize("op", usable_ops(second_order=False))
@given(data=st.data())
def test_gradients_match_central_differences(op, data):
    """ag.grad on every input against central differences, with a random upstream gradient, on
    random graphs that contain ``op`` (every registered op gets its own share of examples)."""
    graph = data.draw(graphs(focus=op), label="graph")
    assert gradcheck(graph, graph.leaves())


@given(graphs(), st.integers(0, 2**16))
def test_grad_matches_backward(graph, seed):
    """``ag.grad`` equals ``.backward()``: one backward per output, accumulating into ``.grad``."""
    leaves = graph.leaves()
    outs = graph(*leaves)
    rng = np.random.default_rng(seed)
    vs = [rng.standard_normal(o.shape) for o in outs]
    wrt = [t for t in leaves if t.requires_grad]
    expected = ag.grad(list(outs), wrt, grad_outputs=[ag.Tensor(v) for v in vs],
                       retain_graph=True, allow_unused=True)
    for o, v in zip(outs, vs):
        o.backward(v, retain_graph=True)
    for t, e in zip(wrt, expected):
        if e is None:
            assert t.grad is None
        else:
            assert t.grad.shape == t.shape and t.grad.dtype == t.dtype
            np.testing.assert_allclose(t.grad.data, e.data, rtol=1e-10, atol=1e-12)
    # and the graph still gives the same gradients after the retained backward passes
    again = ag.grad(list(outs), wrt, grad_outputs=[ag.Tensor(v) for v in vs], allow_unused=True)
    for a, e in zip(again, expected):
        assert (a is None) == (e is None)
        if a is not None:
            np.testing.assert_array_equal(a.data, e.data)


@given(graphs(second_order=True))
def test_second_derivatives_match_differences_of_gradients(graph):
    """``create_graph`` gradients, differentiated again, against differences of gradients."""
    assert gradgradcheck(graph, graph.leaves())


@given(graphs(second_order=True), st.integers(0, 2**16))
def test_backward_create_graph_hessian_vector_product(graph, seed):
    """``backward(create_graph=True)`` leaves differentiable ``.grad``s: their directional
    derivative equals the difference quotient of gradients along the same direction."""
    rng = np.random.default_rng(seed)
    leaves = graph.leaves()
    outs = graph(*leaves)
    vs = [rng.standard_normal(o.shape) for o in outs]
    wrt = [k for k, t in enumerate(leaves) if t.requires_grad]
    dirs = {k: rng.standard_normal(leaves[k].shape) for k in wrt}

    loss = sum((o * v).sum() for o, v in zip(outs, vs))
    loss.backward(create_graph=True)
    grads = [leaves[k].grad for k in wrt]
    dots = [(g * dirs[k]).sum() for g, k in zip(grads, wrt) if g is not None and g.requires_grad]
    if dots:
        hv = ag.grad(sum(dots), [leaves[k] for k in wrt], allow_unused=True)
    else:
        hv = [None] * len(wrt)

    def gradient_at(step: float) -> list[np.ndarray]:
        moved = [ag.Tensor(t.data + step * dirs[k], requires_grad=True) if k in dirs else t
                 for k, t in enumerate(graph.leaves())]
        o = graph(*moved)
        got = ag.grad(list(o), [moved[k] for k in wrt], grad_outputs=[ag.Tensor(v) for v in vs],
                      allow_unused=True)
        return [np.zeros(moved[k].shape) if g is None else g.data for g, k in zip(got, wrt)]

    eps = 1e-6
    plus, minus = gradient_at(eps), gradient_at(-eps)
    for h, p, m, k in zip(hv, plus, minus, wrt):
        analytic = np.zeros(leaves[k].shape) if h is None else h.data
        np.testing.assert_allclose(analytic, (p - m) / (2 * eps), rtol=1e-3, atol=1e-5,
                                   err_msg=f"input v{k}")


def test_generator_covers_the_registry():
    """Every differentiable registered op is reachable by the generator (or knowingly skipped)."""
    reachable = set(usable_ops(second_order=False))
    skipped = {n for n, s in ag.REGISTRY.items() if s.differentiable} - reachable
    assert not skipped, f"ops the fuzzer cannot drive (unknown kind or missing sampler): {skipped}"


def test_graph_repr_lists_the_steps():
    x = np.array([1.0, -2.0])
    g = Graph([x], [True])
    g.steps = [Op("tanh", [Ref(0)], {}), Detach(1), Index(0, np.array([0, 0]))]
    g.outputs = [3]
    text = repr(g)
    assert "v1 = ag.tanh(v0)" in text and "v2 = v1.detach()" in text and "v3 = v0[[0, 0]]" in text
