"""Gradient checkpointing: keep a segment's inputs instead of its activations, recompute in backward.

Backpropagation keeps every intermediate array of the forward pass until backward has used it
(seed 004: "you always need to keep intermediate data in the memory during the forward pass").
``checkpoint(fn, *args)`` runs ``fn`` and keeps, for backward, only its inputs: the graph that
``fn`` recorded is dropped as soon as the call returns, and one node stands for the whole call.
When backward reaches that node it runs ``fn`` again on the saved inputs, with grad mode on, and
backpropagates through that fresh graph. Checkpointing every √n-th block of an n-block network
keeps √n boundary activations plus one block's worth during backward, for the price of about
one extra forward pass (``benchmarks/checkpoint.py`` measures both).

The recomputation is the same sequence of NumPy operations on the same arrays, so the gradients
are bit for bit those of the plain run. Tensors that ``fn`` reaches other than through its
arguments (a module's parameters, a tensor it closes over) are found by walking the graph of the
first run: they become inputs of the checkpoint node, so their gradients flow as usual.
Randomness is replayed as PyTorch does: the state of ``ag.default_generator()`` (what
``ag.manual_seed`` seeds, and ``dropout``'s default), of every ``numpy.random.Generator`` passed
as an argument, and of NumPy's legacy global generator is saved before the first run and
restored for the recomputation (and put back afterwards). A function whose recomputation still
differs, say one drawing from a Generator it closes over, is refused in backward with an error
naming the fix, rather than given wrong gradients: the outputs of the recomputation are
compared with a checksum of the first run's.
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import factories
from .engine import grad as _grad
from .function import Function
from .grad_mode import STATE, enable_grad, scope
from .tensor import Tensor

__all__ = ["checkpoint"]


class _Run:
    """What a checkpointed call needs to run again: ``fn``, its arguments (Tensor positions
    filled in from the node's saved inputs), the tensors found outside, RNG states, checksums."""

    def __init__(self, fn: Callable, args: tuple, kwargs: dict, positions: list[int],
                 preserve_rng_state: bool) -> None:
        self.fn, self.args, self.kwargs, self.positions = fn, args, kwargs, positions
        self.rng = _RngState(args, kwargs) if preserve_rng_state else None
        self.externals: list[Tensor] = []
        self.outputs: Any = None
        self.single = True
        self.checksums: tuple = ()

    def call(self, inputs: list[Tensor]) -> Any:
        args = list(self.args)
        for i, t in zip(self.positions, inputs):
            args[i] = t
        return self.fn(*args, **self.kwargs)

    def backward(self, node: Function, inputs: tuple, grads: tuple) -> tuple:
        create = STATE.flags.enabled  # the engine records the backward pass iff create_graph
        needs = node.needs_input_grad
        n = len(self.positions)
        if create:  # the recomputed graph hangs off the real inputs: differentiable again
            ins = list(inputs)
        else:
            ins = []
            for t, need in zip(inputs, needs):
                leaf = Tensor._make(t._data)
                leaf._requires_grad = need
                ins.append(leaf)
        # Without create_graph, tensors made before the call stand as leaves while fn runs
        # again: the recomputed graph then ends at them, and backward through it neither walks
        # nor frees the graph they came from (the outer backward still needs it)
        cut = [] if create else [(t, t._grad_fn) for t in self.externals if t._grad_fn is not None]
        try:
            for t, _ in cut:
                t._grad_fn = None
            with _replayed(self.rng), enable_grad():
                result = self.call(ins)
            outs, _ = _outputs(result)
            if _checksums(outs) != self.checksums:
                raise RuntimeError(
                    f"checkpoint: recomputing {_name(self.fn)} in backward gave different outputs "
                    "than the forward pass, so its gradients cannot be computed exactly. "
                    "Randomness is replayed only from ag.default_generator() (ag.manual_seed), "
                    "NumPy's global generator and numpy.random.Generator objects passed to "
                    "checkpoint as arguments: pass the generator fn draws from as an argument (or "
                    "use ag.manual_seed), or do not checkpoint this function"
                )
            wrt = [t for t, need in zip(ins, needs[:n]) if need]
            wrt += [t for t, need in zip(self.externals, needs[n:]) if need]
            pairs = [(o, g) for o, g in zip(outs, grads) if o._requires_grad and g is not None]
            if pairs and wrt:
                gs = list(_grad([o for o, _ in pairs], wrt, grad_outputs=[g for _, g in pairs],
                                create_graph=create, allow_unused=True))
            else:
                gs = [None] * len(wrt)
        finally:
            for t, fn in cut:
                t._grad_fn = fn
        result = []
        for need in needs:
            result.append(gs.pop(0) if need else None)
        return tuple(result)


class _RngState:
    """The random-number state a call may draw from, saved so that it can be replayed."""

    def __init__(self, args: tuple, kwargs: dict) -> None:
        self.default = copy.deepcopy(factories.default_generator())
        passed = [a for a in (*args, *kwargs.values()) if isinstance(a, np.random.Generator)]
        self.passed = [(g, g.bit_generator.state) for g in passed]
        self.legacy = np.random.get_state()


@contextmanager
def _replayed(rng: _RngState | None):
    """Run with every saved random state restored; afterwards put the current ones back."""
    if rng is None:
        yield
        return
    current_default = factories._rng
    current_passed = [(g, g.bit_generator.state) for g, _ in rng.passed]
    current_legacy = np.random.get_state()
    factories._rng = copy.deepcopy(rng.default)  # (a copy: backward may run more than once)
    for g, state in rng.passed:
        g.bit_generator.state = state
    np.random.set_state(rng.legacy)
    try:
        yield
    finally:
        factories._rng = current_default
        for g, state in current_passed:
            g.bit_generator.state = state
        np.random.set_state(current_legacy)


class Checkpoint(Function):
    """The node standing for a checkpointed call. Its inputs are ``fn``'s Tensor arguments and
    the tensors ``fn`` reached from outside; it saves only the former and keeps no activation."""

    @staticmethod
    def forward(ctx, *arrays, run):
        ctx.run = run
        ctx.save_for_backward(*arrays[: len(run.positions)])
        out, run.outputs = run.outputs, None  # the outputs of the first run, handed over
        return out[0] if run.single else out

    @staticmethod
    def backward(ctx, *grads):
        return ctx.run.backward(ctx, ctx.saved_tensors, grads)


def _name(fn: Any) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def _outputs(result: Any) -> tuple[tuple[Tensor, ...], bool]:
    if isinstance(result, Tensor):
        return (result,), True
    if isinstance(result, (tuple, list)) and result and all(isinstance(r, Tensor) for r in result):
        return tuple(result), False
    raise TypeError(
        f"checkpoint: fn must return a Tensor or a tuple of Tensors, got {type(result).__name__}; "
        "return the tensors and compute anything else outside the checkpointed function"
    )


def _checksums(outs: tuple[Tensor, ...]) -> tuple:
    return tuple((o.shape, o.dtype.str, zlib.crc32(np.ascontiguousarray(o._data).data))
                 for o in outs)


def _external_inputs(outs: tuple[Tensor, ...], marker: object, own: list[Tensor]) -> list[Tensor]:
    """The tensors requiring grad that the graph of ``outs`` reaches from outside the call: leaves
    other than ``own`` (the call's stand-in arguments), and outputs of ops recorded before the
    call (ops recorded inside carry ``marker`` in their scope). Iterative walk."""
    own_ids = {id(t) for t in own}
    found: list[Tensor] = []
    seen_ext: set = set()
    seen: set[int] = set()
    stack = []
    for o in outs:
        if o.grad_fn is not None:
            stack.append(o.grad_fn)
        elif o.requires_grad and id(o) not in own_ids and id(o) not in seen_ext:
            seen_ext.add(id(o))
            found.append(o)  # fn returned a leaf it closes over
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        args = None
        for k, edge in enumerate(node.next_functions):
            if edge is None:
                continue
            producer, output_nr = edge[0], edge[1]
            if isinstance(producer, Tensor):  # a leaf
                if producer.requires_grad and id(producer) not in own_ids \
                        and id(producer) not in seen_ext:
                    seen_ext.add(id(producer))
                    found.append(producer)
            elif any(s is marker for s in producer.scope):
                stack.append(producer)
            elif (id(producer), output_nr) not in seen_ext:
                args = node.inputs if args is None else args
                t = args[k]
                if t is None:
                    raise RuntimeError(
                        f"checkpoint: a tensor made before the call reaches the checkpointed "
                        f"function through {node.name}, but nothing holds it any more; pass it "
                        "to checkpoint as an argument"
                    )
                seen_ext.add((id(producer), output_nr))
                found.append(t)
    return found


def checkpoint(fn: Callable[..., Any], *args: Any, preserve_rng_state: bool = True,
               **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, keeping for backward only its inputs: backward runs ``fn`` again.

    Gradients are exactly those of the plain call (the same operations on the same arrays), also
    with ``create_graph=True``. ``fn`` returns a Tensor or a tuple of Tensors. The states of
    ``ag.default_generator()``, of ``numpy.random.Generator`` arguments and of NumPy's global
    generator are saved and replayed for the recomputation (``preserve_rng_state=False`` skips
    that); a recomputation that still differs raises in backward. Under ``no_grad`` or in forward
    mode (``func.jvp``) this is simply ``fn(*args, **kwargs)``.

    >>> import autograd_engine as ag
    >>> x = ag.Tensor([0.5, -1.0], requires_grad=True)
    >>> w = ag.Tensor([2.0, 3.0], requires_grad=True)
    >>> y = ag.checkpoint(lambda x: (x * w).tanh() * x, x)   # w is found, and gets a gradient
    >>> y.grad_fn
    <Checkpoint>
    >>> y.sum().backward()
    >>> x.grad, w.grad
    (Tensor([ 1.1815685 , -1.02465287]), Tensor([0.10499359, 0.00986604]))
    """
    if not callable(fn):
        raise TypeError(
            f"checkpoint: fn must be callable (a function or a module), got {type(fn).__name__}; "
            "call it as ag.checkpoint(fn, *args)"
        )
    flags = STATE.flags
    if not flags.enabled or flags.forward:  # nothing kept for backward anyway / forward mode
        return fn(*args, **kwargs)
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    run = _Run(fn, tuple(None if isinstance(a, Tensor) else a for a in args), kwargs, positions,
               preserve_rng_state)
    own = []
    for i in positions:  # stand-ins: the walk below stops at them
        a = args[i]
        leaf = Tensor._make(a._data)
        leaf._requires_grad = a._requires_grad
        own.append(leaf)
    marker = object()
    with scope(marker):
        result = run.call(own)
    outs, run.single = _outputs(result)
    if not any(o._requires_grad for o in outs):
        return result  # nothing to differentiate: no graph was recorded
    run.externals = _external_inputs(outs, marker, own)
    run.outputs = tuple([o._data for o in outs])
    run.checksums = _checksums(outs)
    del result, outs, own  # the first run's graph dies here
    return Checkpoint.apply(*[args[i] for i in positions], *run.externals, run=run)
