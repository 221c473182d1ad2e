"""The backward engine: ``Tensor.backward`` and ``ag.grad``.

One iterative pass, no recursion anywhere:

1. Walk the graph (a node's edges: its first list items and ``node._meta``) from the roots
   with an explicit stack and count, for every node, how many edges lead into it from nodes that
   will run (its dependencies).
2. Run nodes whose count reached zero. A node's pending gradient is complete at that moment, so
   that is when tensor hooks and ``retain_grad`` see it. Its ``backward`` gives one gradient per
   input; each is fitted to the shape and dtype recorded on the edge (broadcasting summed away,
   dtype cast) *here, once*, then added to the producer's pending gradient, or to the leaf's.
3. Unless ``retain_graph``, each node frees what it saved right after it ran.

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

from .function import FREED, Function
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


# ---------------------------------------------------------------------------------------------
def _execute(
    roots: tuple[Tensor, ...],
    seeds: tuple[Tensor, ...],
    retain_graph: bool,
    create_graph: bool,
    capture: tuple[Tensor, ...] | None,
) -> list[Tensor | None] | None:
    """Run backward from ``roots``; accumulate into leaves, or return gradients for ``capture``."""
    deps = _count_dependencies(roots)
    as_arrays = not create_graph  # pending gradients are arrays, else Tensors
    plain = np.ndarray if as_arrays else Tensor  # the type of a gradient that needs no _fit

    # Where the gradients of captured tensors appear: leaves by themselves (a Tensor hashes by
    # identity), non-leaves at their node.
    captured: list[Tensor | None] = []
    capture_leaf: dict[Tensor, int] = {}
    capture_node: dict[Function, list[tuple[int, int]]] = {}
    if capture is not None:
        captured = [None] * len(capture)
        for k, t in enumerate(capture):
            if t._grad_fn is None:
                capture_leaf[t] = k
            else:
                capture_node.setdefault(t._grad_fn, []).append((t._output_nr, k))

    # Gradients still being summed: one per single-output node, a list per multi-output node.
    pending: dict[Function, Any] = {}
    leaves: dict[Tensor, Any] = {}  # leaf -> its summed gradient
    for r, g in zip(roots, seeds):
        if as_arrays:
            g = g._data
        fn = r._grad_fn
        if fn is None:
            _add_leaf(leaves, r, g)
        else:
            _add_pending(pending, fn, r._output_nr, g)
    # Nodes whose gradient is complete, and that gradient (None if none arrived): a stack.
    ready, ready_grads = [], []
    for fn in list(pending):
        if deps[fn] == 0:
            ready.append(fn)
            ready_grads.append(pending.pop(fn))

    prev_mode = STATE.flags.enabled
    STATE.flags.enabled = create_graph
    # The engine creates no reference cycles, so the cyclic collector has nothing to find here;
    # left on, it rescans the whole (large) graph again and again while backward allocates.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    anomaly = STATE.flags.anomaly
    free = not retain_graph
    shortcut = not capture_node  # no captured outputs: a plain node's rule can run directly
    try:
        grads = None
        while ready:
            node = ready.pop()
            # The previous node's incoming gradient is released only after this node's rule has
            # allocated its results (as `g = g * a` does by hand): freed first, its memory merges
            # into the top of the heap, glibc trims it and the very next allocation faults fresh
            # pages back in (see benchmarks/README.md, op_overhead_256).
            previous = grads
            grads = ready_grads.pop()
            metas = node._meta
            if grads is None:
                input_grads = (None,) * len(metas)
            else:
                if node._plain and shortcut and (node.backward_on_arrays or not as_arrays):
                    input_grads = node.backward(node, grads)  # a staticmethod of the op
                else:  # hooks, several outputs, captured outputs or a rule that wants Tensors
                    input_grads = _run_node(node, grads, as_arrays, capture_node, captured)
                if input_grads.__class__ is not tuple or len(input_grads) != len(metas):
                    input_grads = _check_grad_count(node, input_grads)
                if anomaly:
                    from .anomaly import check_backward

                    check_backward(node, input_grads)
            del previous
            if free and node._saved is not None:
                node._saved = FREED  # release saved arrays as soon as the node has run
                node._out = None
            for fn, meta, g in zip(node, metas, input_grads):  # (a node: edges, then arguments)
                if fn is None:  # an argument that gets no gradient
                    continue
                k, shape, dtype = meta  # output_nr of the producer fn, or -1 when fn is a leaf
                if g is not None:
                    # dtype identity is the fast test; _fit compares properly and casts if needed
                    if g.__class__ is plain:
                        if g.shape != shape or g.dtype is not dtype:
                            g = _fit(g, meta, node, as_arrays)
                    elif shape or g.__class__ is not dtype.type or not as_arrays:
                        # (but a NumPy scalar of the input's dtype fits a 0-d input as it is)
                        g = _fit(g, meta, node, as_arrays)
                    if k < 0:
                        if fn._requires_grad:
                            old = leaves.get(fn)
                            leaves[fn] = g if old is None else old + g
                        continue
                    if fn._n_outputs == 1:
                        d = deps[fn] - 1
                        if d == 0:  # its last consumer: the gradient is complete
                            old = pending.pop(fn, None)
                            ready.append(fn)
                            ready_grads.append(g if old is None else old + g)
                        else:
                            deps[fn] = d
                            old = pending.get(fn)
                            pending[fn] = g if old is None else old + g
                        continue
                    _add_pending(pending, fn, k, g)
                elif k < 0:
                    continue
                d = deps[fn] - 1
                deps[fn] = d
                if d == 0:
                    ready.append(fn)
                    ready_grads.append(pending.pop(fn, None))

        # Drop the loop's last references to returned gradients, so _write_leaf_grads can see
        # which arrays nothing else holds.
        input_grads = g = grads = old = None
        if as_arrays:
            for t in leaves:
                leaves[t] = Tensor._make(leaves[t])
            if captured:
                captured = [None if c is None else Tensor._make(c) for c in captured]
        if capture is not None:
            for t, g in leaves.items():
                k = capture_leaf.get(t)
                if k is not None:
                    captured[k] = _run_leaf_hooks(t, g)
            return captured
        _write_leaf_grads(leaves, create_graph)
        return None
    finally:
        STATE.flags.enabled = prev_mode
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
    while stack:
        node = stack.pop()
        for fn, meta in zip(node, node._meta):  # (zip stops at the edges)
            if fn is not None and meta[0] >= 0:
                if fn in deps:
                    deps[fn] += 1
                else:
                    deps[fn] = 1
                    stack.append(fn)
    return deps


def _add_pending(pending: dict, node: Function, output_nr: int, g: Any) -> None:
    """Add ``g`` to ``node``'s pending gradient for ``output_nr`` (the main loop of ``_execute``
    inlines the single-output case: it runs once per edge). ``old + g`` is plain NumPy on arrays
    and recorded on Tensors (``create_graph``)."""
    if node._n_outputs == 1:
        old = pending.get(node)
        pending[node] = g if old is None else old + g
        return
    slots = pending.get(node)
    if slots is None:
        slots = pending[node] = [None] * node._n_outputs
    old = slots[output_nr]
    slots[output_nr] = g if old is None else old + g


def _add_leaf(leaves: dict, t: Tensor, g: Any) -> None:
    """Add ``g`` to leaf ``t``'s summed gradient (for roots that are leaves; the main loop of
    ``_execute`` inlines the same steps)."""
    if not t._requires_grad:
        return
    old = leaves.get(t)
    leaves[t] = g if old is None else old + g


def _run_node(
    node: Function, grads: Any, as_arrays: bool, capture_node: dict, captured: list
) -> Any:
    """Call a node's backward the long way: run hooks and retain_grad on its outputs, record
    captured gradients, fill unused outputs of a multi-output node with zeros, and wrap arrays
    in Tensors for a rule that wants Tensors."""
    grads = [grads] if node._n_outputs == 1 else grads
    if node._hooks is not None or node._retained is not None:
        grads = _run_node_hooks(node, grads, as_arrays)
    for output_nr, k in capture_node.get(node, ()):
        captured[k] = grads[output_nr]
    if any(g is None for g in grads):  # not `None in grads`: that calls Tensor.__eq__
        grads = [
            (np.zeros(shape, dtype) if as_arrays else Tensor._make(np.zeros(shape, dtype)))
            if g is None else g
            for g, (shape, dtype) in zip(grads, node._out_meta)
        ]
    if as_arrays and not node.backward_on_arrays:
        result = _check_grad_count(node, node.backward(node, *[Tensor._make(g) for g in grads]))
        return tuple([r._data if isinstance(r, Tensor) else r for r in result])
    return node.backward(node, *grads)


def _check_grad_count(node: Function, result: Any) -> tuple:
    """Accept a lone gradient or a list for convenience; explain a wrong count."""
    if type(result) is not tuple:
        result = tuple(result) if isinstance(result, list) else (result,)
    n = len(node._meta)
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
    return next(k for k, m in enumerate(node._meta) if m is meta)


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


def _run_node_hooks(node: Function, grads: list, as_arrays: bool) -> list:
    """Tensor hooks and retain_grad on a node's outputs, now that their gradients are final."""
    if as_arrays:  # hooks see Tensors
        wrapped = [None if g is None else Tensor._make(g) for g in grads]
        return [None if g is None else g._data for g in _run_node_hooks(node, wrapped, False)]
    for output_nr, hooks in (node._hooks or {}).items():
        g = grads[output_nr]
        if g is None:
            continue
        for hook in list(hooks):
            r = hook(g)
            if r is not None:
                g = _as_hook_result(r, g, node.name)
        grads[output_nr] = g
    retained = node._retained or {}
    for output_nr, old in list(retained.items()):
        g = grads[output_nr]
        if g is not None:
            kept = Tensor._make(np.array(g._data)) if not g._requires_grad else g
            retained[output_nr] = kept if old is None else old + kept
    return grads


def _run_leaf_hooks(t: Tensor, g: Tensor) -> Tensor:
    if t._hooks:
        for hook in list(t._hooks):
            r = hook(g)
            if r is not None:
                g = _as_hook_result(r, g, "hook")
    return g


def _as_hook_result(r: Any, g: Tensor, where: str) -> Tensor:
    r = r if isinstance(r, Tensor) else Tensor._make(np.asarray(r, dtype=g.dtype))
    if r.shape != g.shape:
        raise RuntimeError(
            f"{where}: a hook returned a gradient of shape {r.shape} for a tensor of shape "
            f"{g.shape}; hooks must return a gradient of the same shape (or None)"
        )
    return r


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
