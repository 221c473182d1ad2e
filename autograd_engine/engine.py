"""The backward engine: ``Tensor.backward`` and ``ag.grad``.

One iterative pass (``_execute``), no recursion anywhere, in three steps:

1. **Count dependencies** (``_count_dependencies``): walk the graph from the roots along each
   node's edges (``function.edges``: the producer of every input) with an explicit stack, and
   count for every node how many edges lead into it from nodes that will run.
2. **Run ready nodes** (``_run_ready_nodes``): a node whose count reached zero has its complete
   gradient, so that is when tensor hooks and ``retain_grad`` see it. Its ``backward`` gives one
   gradient per input; each is fitted to the shape and dtype recorded on the edge (broadcasting
   summed away, dtype cast) *here, once*, then added to the producer's pending gradient (and the
   producer's count goes down by one) or to the leaf's sum. Unless ``retain_graph``, each node
   frees what it saved right after it ran.
3. **Write leaves** (``_write_leaf_grads``): run the leaves' hooks and accumulate into ``.grad``
   (or, for ``ag.grad``, return the gradients of its inputs instead).

Without ``create_graph`` the pass runs with grad mode off, so gradient rules record nothing, and
gradients travel as plain NumPy arrays: rules that declare ``backward_on_arrays`` (every built-in
op) run on them directly, other rules get them wrapped in Tensors. With ``create_graph`` gradients
are Tensors and every rule is recorded.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from .function import LEAF, Function, edges, edges_with, hook_result
from .grad_mode import STATE
from .tensor import Tensor


def backward(
    tensor: Tensor, gradient: Any = None, retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Implementation of :meth:`Tensor.backward`."""
    if not tensor._requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no grad_fn, so there is nothing "
            "to differentiate; create the inputs with requires_grad=True (and not under no_grad)"
        )
    if gradient is None:
        if tensor._data.size != 1:
            raise RuntimeError(
                f"backward: gradient can be implied only for a one-element output, but this output "
                f"has shape {tensor.shape}; pass gradient= (an array of shape {tensor.shape}), or "
                "reduce first, e.g. y.sum().backward()"
            )
        gradient = Tensor._make(_one_like(tensor._data))
    else:
        gradient = _as_root_grad(gradient, tensor, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    _execute((tensor,), (gradient,), retain_graph, create_graph, None)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, like ``torch.autograd.grad``.

    Returns a tuple with one Tensor per input and never touches ``.grad``. ``grad_outputs`` is
    required for outputs with more than one element. An input the outputs do not depend on raises
    unless ``allow_unused=True`` (then its entry is None). ``retain_graph`` defaults to
    ``create_graph``; with ``create_graph=True`` the results can be differentiated again.

    >>> import autograd_engine as ag
    >>> x = ag.Tensor(2.0, requires_grad=True)
    >>> (dx,) = ag.grad(x ** 3, x, create_graph=True)
    >>> dx, ag.grad(dx, x)[0]
    (Tensor(12., grad_fn=<Mul>), Tensor(12.))
    """
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t._requires_grad:
            raise RuntimeError(
                f"grad: input {i} does not require grad; only tensors with requires_grad=True "
                "(or results computed from them) can be differentiated against"
            )
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = (grad_outputs,) * len(outputs) if grad_outputs is None else (grad_outputs,)
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs; pass one per "
            "output (None for one-element outputs)"
        )
    roots, seeds = [], []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out._requires_grad:
            raise RuntimeError(
                f"grad: output {i} does not require grad (it does not depend on any tensor with "
                "requires_grad=True, or was computed under no_grad)"
            )
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"grad: output {i} has shape {out.shape}; grad_outputs is required for outputs "
                    "with more than one element (pass an array of the output's shape)"
                )
            g = Tensor._make(_one_like(out._data))
        else:
            g = _as_root_grad(g, out, "grad")
        roots.append(out)
        seeds.append(g)
    if retain_graph is None:
        retain_graph = create_graph
    captured = _execute(tuple(roots), tuple(seeds), retain_graph, create_graph, inputs)
    result = []
    for i, (t, g) in enumerate(zip(inputs, captured)):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {t.shape}) was not used to compute the outputs; pass "
                "allow_unused=True to get None for it"
            )
        result.append(g)
    return tuple(result)


# ----- one backward pass, in the steps of the module docstring ---------------------------------
def _execute(
    roots: tuple[Tensor, ...],
    seeds: tuple[Tensor, ...],
    retain_graph: bool,
    create_graph: bool,
    capture: tuple[Tensor, ...] | None,
) -> list[Tensor | None] | None:
    """Run backward from ``roots``; accumulate into leaves, or return gradients for ``capture``."""
    as_arrays = not create_graph  # pending gradients are arrays, else Tensors
    deps = _count_dependencies(roots)  # step 1
    pass_ = _Pass(deps, as_arrays, not retain_graph, capture)
    for r, g in zip(roots, seeds):
        pass_.seed(r, g._data if as_arrays else g)

    flags = STATE.flags
    prev_mode, prev_node = flags.enabled, flags.backward_node
    flags.enabled = create_graph  # rules record only for create_graph
    # The engine creates no reference cycles, so the cyclic collector has nothing to find here;
    # left on, it rescans the whole (large) graph again and again while backward allocates.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        _run_ready_nodes(pass_)  # step 2
        leaves = pass_.leaves
        if as_arrays:
            for t in leaves:
                leaves[t] = Tensor._make(leaves[t])
        if capture is not None:
            return pass_.captured_grads()
        _write_leaf_grads(leaves, create_graph)  # step 3
        return None
    finally:
        flags.enabled, flags.backward_node = prev_mode, prev_node
        if gc_was_enabled:
            gc.enable()


def _count_dependencies(roots: tuple[Tensor, ...]) -> dict[Function, int]:
    """For each node reachable from the roots, the number of edges into it (explicit stack)."""
    deps: dict[Function, int] = {}
    stack = []
    for r in roots:
        fn = r._grad_fn
        if fn is not None and fn not in deps:
            deps[fn] = 0
            stack.append(fn)
    leaf = LEAF
    while stack:
        node = stack.pop()
        for producer, meta in edges(node):
            if producer is not None and meta[0] != leaf:
                if producer in deps:
                    deps[producer] += 1
                else:
                    deps[producer] = 1
                    stack.append(producer)
    return deps


class _Pass:
    """The state of one backward pass: each node's dependencies still to run, the gradients still
    being summed (per node; a list per output for a multi-output node), the leaves' summed
    gradients, and where the gradients of ``capture`` (``ag.grad``'s inputs) appear."""

    __slots__ = ("deps", "as_arrays", "free", "pending", "leaves", "capture", "captured",
                 "capture_node")

    def __init__(self, deps: dict, as_arrays: bool, free: bool, capture: tuple | None) -> None:
        self.deps = deps
        self.as_arrays = as_arrays
        self.free = free
        self.pending: dict[Function, Any] = {}
        self.leaves: dict[Tensor, Any] = {}
        self.capture = capture
        self.captured: list = []
        self.capture_node: dict[Function, list[tuple[int, int]]] = {}
        if capture is not None:
            self.captured = [None] * len(capture)
            for k, t in enumerate(capture):
                if t._grad_fn is not None:  # a non-leaf: its gradient is seen at its node
                    self.capture_node.setdefault(t._grad_fn, []).append((t._output_nr, k))

    def seed(self, root: Tensor, g: Any) -> None:
        """Start from root ``root`` with gradient ``g``."""
        fn = root._grad_fn
        if fn is None:
            if root._requires_grad:
                _add(self.leaves, root, g)
        elif fn._n_outputs == 1 and fn not in self.pending:  # (the usual case, without calls)
            self.pending[fn] = g
        else:
            _add_to_output(self.pending, fn, root._output_nr, g)

    def captured_grads(self) -> list[Tensor | None]:
        """The gradients of ``capture``: leaves' from their sums (hooks run), others' as seen."""
        captured = self.captured
        if self.as_arrays:
            captured = [None if c is None else Tensor._make(c) for c in captured]
        leaves, hooked = self.leaves, set()
        for k, t in enumerate(self.capture):
            if t in leaves:  # a leaf's sum: its hooks run now (once, if it is passed twice)
                if t._hooks and t not in hooked:
                    leaves[t] = _run_leaf_hooks(t, leaves[t])
                    hooked.add(t)
                captured[k] = leaves[t]
        return captured


def _run_ready_nodes(pass_: _Pass) -> None:
    """Step 2: run every node whose gradient is complete (all its consumers ran), and pass each
    gradient its backward returns along the edge to the input's producer."""
    deps, pending, leaves = pass_.deps, pass_.pending, pass_.leaves
    as_arrays, free = pass_.as_arrays, pass_.free
    plain = np.ndarray if as_arrays else Tensor  # the type of a gradient that needs no _fit
    direct = not pass_.capture_node  # a plain node's rule can be called directly
    anomaly = STATE.flags.anomaly
    leaf = LEAF  # (a local: read once per edge)
    # Nodes whose gradient is complete, and that gradient (None if none arrived): a stack.
    ready, ready_grads = [], []
    for fn in list(pending):
        if deps[fn] == 0:
            ready.append(fn)
            ready_grads.append(pending.pop(fn))
    grads = None
    while ready:
        node = ready.pop()
        # The previous node's incoming gradient is released only after this node's rule has
        # allocated its results (as `g = g * a` does by hand): freed first, its memory would go
        # back to the allocator and the very next allocation fault fresh pages in.
        previous = grads
        grads = ready_grads.pop()
        if anomaly:  # ops its rule records are reported as made by this node's backward
            STATE.flags.backward_node = node
        if grads is None:
            input_grads = (None,) * len(node.needs_input_grad)
        else:
            if node._plain and direct and (node.backward_on_arrays or not as_arrays):
                input_grads = node.backward(node, grads)
            else:  # hooks, several outputs, captured outputs or a rule that wants Tensors
                input_grads = _run_node(node, grads, pass_)
            if input_grads.__class__ is not tuple or len(input_grads) != len(node.needs_input_grad):
                input_grads = _check_grad_count(node, input_grads)
            if anomaly:
                from .anomaly import check_backward

                check_backward(node, input_grads)
        del previous
        # Pass each input's gradient to its producer (and, unless retain_graph, let the node
        # release what it saved: it has run).
        for producer, meta, g in edges_with(node, input_grads, free):
            if producer is None:  # an argument that gets no gradient
                continue
            output_nr, shape, dtype = meta
            if g is not None:
                # dtype identity is the fast test; _fit compares properly and casts if needed
                if g.__class__ is plain:
                    if g.shape != shape or g.dtype is not dtype:
                        g = _fit(g, meta, node, as_arrays)
                elif shape or g.__class__ is not dtype.type or not as_arrays:
                    # (but a NumPy scalar of the input's dtype fits a 0-d input as it is)
                    g = _fit(g, meta, node, as_arrays)
                if output_nr == leaf:
                    if producer._requires_grad:
                        old = leaves.get(producer)
                        leaves[producer] = g if old is None else old + g
                    continue
                if producer._n_outputs > 1:
                    _add_to_output(pending, producer, output_nr, g)
                    g = None
            elif output_nr == leaf:
                continue
            remaining = deps[producer] - 1
            if remaining:  # more consumers to run: sum what arrived so far
                deps[producer] = remaining
                if g is not None:
                    old = pending.get(producer)
                    pending[producer] = g if old is None else old + g
            else:  # its last consumer ran: its gradient is complete
                old = pending.pop(producer, None)
                ready.append(producer)
                ready_grads.append(old if g is None else g if old is None else old + g)


def _add(sums: dict, key: Any, g: Any) -> None:
    """Add ``g`` to ``sums[key]``: plain NumPy on arrays, recorded on Tensors (create_graph)."""
    old = sums.get(key)
    sums[key] = g if old is None else old + g


def _add_to_output(pending: dict, node: Function, output_nr: int, g: Any) -> None:
    """Add ``g`` to the pending gradient of ``node``'s output ``output_nr``."""
    if node._n_outputs == 1:
        _add(pending, node, g)
        return
    slots = pending.get(node)
    if slots is None:
        slots = pending[node] = [None] * node._n_outputs
    old = slots[output_nr]
    slots[output_nr] = g if old is None else old + g


def _run_node(node: Function, grads: Any, pass_: _Pass) -> Any:
    """Call a node's backward the long way: run hooks and retain_grad on its outputs, note
    captured gradients, fill unused outputs of a multi-output node with zeros, and wrap arrays
    in Tensors for a rule that wants Tensors."""
    as_arrays = pass_.as_arrays
    grads = [grads] if node._n_outputs == 1 else grads
    if not node._plain:
        grads = node._run_output_hooks(grads, as_arrays)
    for output_nr, k in pass_.capture_node.get(node, ()):
        pass_.captured[k] = grads[output_nr]
    grads = node._fill_missing(grads, as_arrays)
    if as_arrays and not node.backward_on_arrays:
        result = _check_grad_count(node, node.backward(node, *[Tensor._make(g) for g in grads]))
        return tuple([r._data if isinstance(r, Tensor) else r for r in result])
    return node.backward(node, *grads)


def _check_grad_count(node: Function, result: Any) -> tuple:
    """Accept a lone gradient or a list for convenience; explain a wrong count."""
    if type(result) is not tuple:
        result = tuple(result) if isinstance(result, list) else (result,)
    n = len(node.needs_input_grad)
    if len(result) > n and all(r is None for r in result[n:]):
        result = result[:n]
    if len(result) != n:
        raise RuntimeError(
            f"{node.name}.backward returned {len(result)} gradients, but the op was called "
            f"with {n} positional inputs; return exactly one per input (None for inputs "
            "that get no gradient)"
        )
    return result


def _fit(g: Any, meta: tuple, node: Function, as_arrays: bool) -> Any:
    """Make ``g`` an array (``as_arrays``) or a Tensor of the input's shape and dtype (``meta`` is
    the input's ``(output_nr, shape, dtype)``): sum broadcast axes, cast, or explain."""
    shape, dtype = meta[1], meta[2]
    if isinstance(g, Tensor):
        if as_arrays:
            g = g._data
    elif isinstance(g, (np.ndarray, np.generic, int, float)):
        g = np.asarray(g) if as_arrays else Tensor._make(np.asarray(g))
    else:
        raise TypeError(
            f"{node.name}.backward returned a {type(g).__name__} as the gradient of input "
            f"{_position(node, meta)}; return a Tensor (or an array) of the input's shape, or None"
        )
    if g.shape != shape:
        g = _unbroadcast(g, shape, node, meta)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _position(node: Function, meta: tuple) -> int:
    """Which input of ``node`` has the edge metadata ``meta`` (for error messages)."""
    return next(k for k, (_, m) in enumerate(edges(node)) if m is meta)


def _unbroadcast(g: Any, shape: tuple[int, ...], node: Function, meta: tuple) -> Any:
    """Sum ``g`` (an array or a Tensor) over the axes along which an input of ``shape`` was
    broadcast."""
    gshape = g.shape
    lead = len(gshape) - len(shape)
    if lead > 0 and gshape[lead:] == shape:  # only leading axes were added (a bias, say)
        return g.sum(axis=tuple(range(lead)))
    axes = list(range(lead)) if lead > 0 else []
    ok = lead >= 0
    if ok:
        for k, n in enumerate(shape):
            m = gshape[lead + k]
            if n != m:
                if n != 1:
                    ok = False
                    break
                axes.append(lead + k)
    if not ok:
        raise RuntimeError(
            f"{node.name}.backward returned a gradient of shape {gshape} for input "
            f"{_position(node, meta)} of shape {shape}; a gradient must have the input's shape, "
            "or a shape the input broadcasts to"
        )
    if axes:
        g = g.sum(axis=tuple(axes))
    if g.shape != shape:
        g = g.reshape(shape)
    return g


def _run_leaf_hooks(t: Tensor, g: Tensor) -> Tensor:
    if t._hooks:
        for hook in list(t._hooks):
            r = hook(g)
            if r is not None:
                g = hook_result(r, g, "hook")
    return g


def _write_leaf_grads(leaves: dict, create_graph: bool) -> None:
    """Accumulate into ``.grad``, in place where that is safe, as PyTorch's AccumulateGrad."""
    handed_out: set[int] = set()
    for t, g in leaves.items():
        if t._hooks:
            g = _run_leaf_hooks(t, g)
        old = t._grad
        if g._requires_grad and not create_graph:  # a hook returned a graph: keep .grad out of it
            g = g.detach()
        if old is None:
            if g._requires_grad:
                t._grad = g
            else:
                t._grad = g if _stealable(g, handed_out) else Tensor._make(np.array(g._data))
                handed_out.add(id(t._grad._data))
        elif create_graph or old._requires_grad or g._requires_grad:
            t._grad = old + g
        elif _stealable(old, handed_out):
            old._data += g._data  # a NumPy scalar (0-d) rebinds instead, which is just as fine
        else:
            t._grad = Tensor._make(old._data + g._data)


def _stealable(g: Tensor, handed_out: set[int]) -> bool:
    """Whether ``g``'s array is referenced by nothing else, so it can become a ``.grad``."""
    data = g._data
    if type(data) is not np.ndarray:
        return True  # immutable NumPy scalar
    # References: g's slot, the local `data` and getrefcount's argument; anything more (another
    # Tensor, the caller's array, a view's `.base`) means someone else can see it. Reference
    # counts are an interpreter detail (borrowed references may not be counted): where the
    # check at import found them different, nothing is stolen and gradients are copied.
    return (_REFCOUNTS_AS_EXPECTED and data.base is None and id(data) not in handed_out
            and sys.getrefcount(data) <= 3)


def _refcounts_as_expected() -> bool:
    """Check, once, that this interpreter counts references as ``_stealable`` assumes: an array
    held by one Tensor only is stealable, and one also held elsewhere is not."""
    global _REFCOUNTS_AS_EXPECTED
    _REFCOUNTS_AS_EXPECTED = True
    lone = Tensor._make(np.zeros(2))
    shared = Tensor._make(np.zeros(2))
    elsewhere = [shared._data]
    ok = _stealable(lone, set()) and not _stealable(shared, set())
    del elsewhere
    _REFCOUNTS_AS_EXPECTED = ok
    return ok


_REFCOUNTS_AS_EXPECTED = False
_refcounts_as_expected()


def _one_like(d: Any) -> Any:
    """The implied gradient of a one-element output ``d``: a NumPy scalar 1 for a 0-d output (as
    ops give 0-d results, and ``np.ones`` is slow for them), else an array of ones of ``d``'s shape."""
    return np.ones(d.shape, d.dtype) if d.ndim else d.dtype.type(1)


def _as_root_grad(gradient: Any, out: Tensor, where: str) -> Tensor:
    if isinstance(gradient, Tensor):
        if gradient._requires_grad and gradient.shape == out.shape and gradient.dtype == out.dtype:
            return gradient  # keep its graph: it may be differentiated against (create_graph)
        data = gradient._data
    else:
        try:
            data = np.asarray(gradient, dtype=out.dtype)
        except (ValueError, TypeError) as exc:
            raise TypeError(
                f"{where}: gradient must be numeric data of the output's shape {out.shape}, got "
                f"{type(gradient).__name__} that NumPy cannot convert to {out.dtype} ({exc})"
            ) from exc
    if data.shape != out._data.shape:
        raise RuntimeError(
            f"{where}: gradient has shape {data.shape} but the output has shape {out.shape}; pass "
            "a gradient of exactly the output's shape"
        )
    if data.dtype != out._data.dtype:
        data = data.astype(out._data.dtype)
    return Tensor._make(data)
