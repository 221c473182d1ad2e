"""``ag.compile``: trace a function once, then replay it as generated straight-line NumPy code.

The first call with a given signature (the shapes, dtypes and ``requires_grad`` flags of the Tensor
arguments, the values of the other arguments, and the Tensors the function reaches by itself,
such as ``nn`` parameters) runs the function eagerly while a tracer watches:

* every op's ``forward`` (each :class:`Function` subclass's, wrapped for the duration of the
  trace) is recorded with its arguments: which are inputs, which are earlier results, which are
  constants, and with the user's source line that called it;
* ``Tensor.backward()`` is recorded together with the order in which the engine ran the nodes'
  gradient rules and what each rule returned (shapes, dtypes), so that the generated backward sums
  gradients in exactly the engine's order and fits them (broadcast axes summed, dtypes cast) with
  steps decided now, at trace time;
* calls marked with :func:`replayed` (``nn.optim`` optimizers' ``step`` and ``zero_grad``) are
  recorded as calls to make again.

Then :mod:`autograd_engine.codegen` writes one Python function for the forward and one for the
backward (see ``fn.source()``): NumPy calls on arrays, no Tensors or graph nodes. The common ops'
forward and gradient rules are written out inline (the same NumPy expressions the ops evaluate, so
float64 results are bit-for-bit those of eager mode); any other op is *called through*: its own
``forward`` and array-mode ``backward`` run on the arrays with a small context object. Later
calls with the same signature run the generated code.

Values must not steer Python code while tracing (JAX's rule): ``bool()``, ``float()``,
``int()``, ``.item()``, ``.tolist()``, ``.data``, ``.numpy()`` or ``np.asarray`` of a tensor
*computed inside* the function raise :class:`TracingError`, because the branch taken or the
number read would be frozen into the compiled code. Reading the value of an *argument* or of a
captured tensor is allowed and guarded instead: the compiled code is reused only while that tensor
holds the same values (otherwise the function is traced again). In-place changes of tensors,
random numbers (other than ``dropout``'s mask, which is drawn again at every call) and
``create_graph`` are refused with an explanation.

As in JAX, what the function reads from Python is fixed by the trace: numbers and NumPy arrays
it closes over are constants of the generated code (pass them as arguments to vary them: numbers
are part of the signature), and Python side effects (printing, appending to a list) happen only
while tracing. Tensors it closes over are read at every call (their values may change, their
shapes, dtypes and ``requires_grad`` are guarded); replacing such a tensor object by another one
(assigning a new ``Parameter`` to a module) needs ``fn.cache_clear()``.
"""

from __future__ import annotations

import functools
import linecache
import os
import sys
import threading
import weakref
from collections import OrderedDict, namedtuple
from collections.abc import Callable
from typing import Any

import numpy as np

from . import factories
from .function import Function, apply_any
from .grad_mode import STATE
from .ops import nn_ops
from .tensor import Tensor

__all__ = ["compile", "replayed", "TracingError", "CompiledFunction"]

CacheInfo = namedtuple("CacheInfo", ["hits", "misses", "maxsize", "currsize"])

_HERE = os.path.dirname(os.path.abspath(__file__))
_LOCAL = threading.local()  # .tracer: the active tracer of this thread, if any
_TRACE_LOCK = threading.RLock()  # one trace at a time: tracing patches classes process-wide


class TracingError(RuntimeError):
    """Raised while tracing when the function does something compiled code cannot replay."""


# ---------------------------------------------------------------------------------------------
# Public entry points


def compile(fn: Callable | None = None, *, maxsize: int = 8) -> Any:  # noqa: A001 - ag.compile
    """Compile ``fn``: trace it on the first call per signature, then run generated NumPy code.

    Usable as ``ag.compile(fn)`` or as a decorator (``@ag.compile`` or
    ``@ag.compile(maxsize=4)``). The result is called like ``fn`` and returns what ``fn``
    returns (Tensors without history: a ``backward()`` inside ``fn`` has already run).
    ``fn.source()`` shows the generated code, ``fn.cache_info()`` the cache's hits and misses.
    Up to ``maxsize`` signatures are kept (least recently used first out).

    >>> import autograd_engine as ag
    >>> w = ag.Tensor([1.0, -2.0], requires_grad=True, name="w")
    >>> @ag.compile
    ... def step(x):
    ...     loss = (x * w).tanh().sum()
    ...     loss.backward()
    ...     return loss
    >>> round(step(ag.Tensor([0.5, 0.5])).item(), 6)     # traced: runs eagerly
    -0.299477
    >>> w.grad = None
    >>> round(step(ag.Tensor([0.5, 0.5])).item(), 6)     # replayed: generated code
    -0.299477
    >>> w.grad
    Tensor([0.39322387, 0.20998717])
    >>> step.cache_info()
    CacheInfo(hits=1, misses=1, maxsize=8, currsize=1)
    """
    if fn is None:
        return functools.partial(compile, maxsize=maxsize)
    if not callable(fn):
        raise TypeError(f"compile: expected a function, got {type(fn).__name__}; use "
                        "ag.compile(fn) or @ag.compile")
    if not isinstance(maxsize, int) or maxsize < 1:
        raise ValueError(f"compile: maxsize must be a positive int, got {maxsize!r}")
    return CompiledFunction(fn, maxsize)


def replayed(fn: Callable) -> Callable:
    """Mark a function (or method) that works on arrays outside the engine's ops as a step that
    compiled code calls again at every replay, instead of tracing into it.

    ``nn.optim``'s ``step`` and ``zero_grad`` are marked so: a compiled training step then runs the
    optimizer's own array update on the gradients the generated backward wrote. Outside a trace it
    costs one attribute lookup.

    >>> import autograd_engine as ag
    >>> calls = []
    >>> log = ag.replayed(calls.append)
    >>> f = ag.compile(lambda x: (log("step"), (x * 2).sum())[1])
    >>> _ = f(ag.Tensor([1.0])); _ = f(ag.Tensor([2.0]))
    >>> calls
    ['step', 'step']
    """
    if not callable(fn):
        raise TypeError(f"replayed: expected a function to mark, got {type(fn).__name__}; use "
                        "@ag.replayed on a def")

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        tracer = getattr(_LOCAL, "tracer", None)
        if tracer is None or tracer.suspended:
            return fn(*args, **kwargs)
        tracer.record_call(fn, args, kwargs)
        tracer.suspended += 1
        try:
            return fn(*args, **kwargs)
        finally:
            tracer.suspended -= 1

    wrapper.__replayed__ = fn  # type: ignore[attr-defined]
    return wrapper


class CompiledFunction:
    """What :func:`compile` returns: calls ``fn`` through a cache of traced, generated programs."""

    def __init__(self, fn: Callable, maxsize: int) -> None:
        self.fn = fn
        self.maxsize = maxsize
        self._cache: OrderedDict = OrderedDict()
        self._hits = self._misses = 0
        self._last = None
        functools.update_wrapper(self, fn)

    def __get__(self, obj: Any, objtype: Any = None) -> Any:  # decorating a method
        return self if obj is None else functools.partial(self.__call__, obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tensors: list[Tensor] = []
        try:
            key = (_signature(args, tensors), _signature(kwargs, tensors), STATE.flags.enabled)
            kept = [t.obj for t in tensors if type(t) is _Kept]
            if kept:
                tensors = [t for t in tensors if type(t) is not _Kept]
            if len(tensors) > 1:  # which arguments are the same tensor matters too
                first: dict[int, int] = {}
                key += (tuple([first.setdefault(id(t), k) for k, t in enumerate(tensors)]),)
        except _Unhashable as exc:
            raise TypeError(
                f"compile: argument {exc.args[0]} cannot be part of a compiled signature; pass "
                "Tensors (wrap arrays in ag.Tensor), numbers, strings, None, tuples, lists or "
                "dicts of them, or objects such as modules (compared by identity)"
            ) from None
        program = self._cache.get(key)
        if program is not None and program.guards_hold(tensors):
            self._hits += 1
            self._cache.move_to_end(key)
            self._last = program
            return program.run(tensors)
        self._misses += 1
        from .codegen import generate

        with _TRACE_LOCK:
            tracer = _Tracer(tensors)
            tracer.call_args = args
            result = tracer.trace(self.fn, args, kwargs)
        program = generate(tracer, self.fn)
        program.kept = kept
        self._cache[key] = program
        self._cache.move_to_end(key)
        if len(self._cache) > self.maxsize:
            self._cache.popitem(last=False)
        self._last = program
        return result

    def cache_info(self) -> CacheInfo:
        """Hits, misses (traces), ``maxsize`` and the number of cached signatures."""
        return CacheInfo(self._hits, self._misses, self.maxsize, len(self._cache))

    def cache_clear(self) -> None:
        """Forget every traced signature (the next call traces again)."""
        self._cache.clear()
        self._hits = self._misses = 0
        self._last = None

    def source(self) -> str:
        """The generated forward and backward of the most recently used signature, as Python
        with comments naming each statement's op and the source line it came from."""
        if self._last is None:
            raise RuntimeError(
                f"source: {getattr(self.fn, '__name__', 'the function')} has not been called yet, "
                "so nothing was traced; call it once with example arguments first"
            )
        return self._last.source

    def __repr__(self) -> str:
        return f"<compiled {getattr(self.fn, '__qualname__', self.fn)!r}>"


class _Unhashable(Exception):
    pass


class _Kept:
    """An argument compared by identity: the program holds it, so its id cannot be reused by
    another object while the program is cached."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj


def _signature(obj: Any, tensors: list) -> Any:
    """A hashable description of an argument; Tensors are appended to ``tensors`` in order."""
    if isinstance(obj, Tensor):
        tensors.append(obj)
        d = obj._data
        return ("T", d.shape, d.dtype.str, obj._requires_grad, type(d) is np.ndarray)
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes, np.generic)):
        return (type(obj), obj)
    if isinstance(obj, (tuple, list)):
        return (type(obj), tuple(_signature(o, tensors) for o in obj))
    if isinstance(obj, dict):
        return (dict, tuple((k, _signature(v, tensors)) for k, v in obj.items()))
    if isinstance(obj, np.ndarray):
        raise _Unhashable(f"of type numpy.ndarray (shape {obj.shape})")
    if isinstance(obj, (np.dtype, type)):
        return (type(obj), obj)
    tensors.append(_Kept(obj))  # (set aside by the caller: the program keeps it alive)
    return ("id", id(obj))  # modules, optimizers, functions: by identity


# ---------------------------------------------------------------------------------------------
# Trace records


class Value:
    """An array in the traced program: an input, a captured tensor, an op's result, a gradient,
    a constant or the result of a replayed array call."""

    __slots__ = ("kind", "name", "shape", "dtype", "pytype", "tensor", "index", "op", "out_nr",
                 "const", "leaf")

    def __init__(self, kind: str, array: Any, **fields: Any) -> None:
        self.kind = kind
        self.name = ""
        self.shape = np.shape(array)
        self.dtype = np.result_type(array) if not isinstance(array, (list, tuple)) else None
        self.pytype = type(array)
        self.tensor = self.index = self.op = self.out_nr = self.const = self.leaf = None
        for k, v in fields.items():
            setattr(self, k, v)

    def __repr__(self) -> str:
        return f"<Value {self.kind} {self.name or '?'} {self.shape}>"


class OpRecord:
    """One recorded call of an op's forward."""

    def __init__(self, cls: type, fwd: Callable, ctx: Any, n_args: int, where: str) -> None:
        self.cls, self.fwd, self.n_args = cls, fwd, n_args
        self.raw_outs: tuple | None = None  # kept only while the op may fold to a constant
        self.node = ctx if isinstance(ctx, Function) else None
        self.where = where
        self.args: list = []  # Value or ("const", object)
        self.params: dict = {}
        self.outs: list[Value] = []
        self.folded = False


class BackwardRecord:
    """``Tensor.backward()`` inside the traced function: the root and the engine's schedule."""

    def __init__(self, root: Tensor, where: str) -> None:
        self.root = root
        self.where = where
        self.calls: list = []  # (node, result info per input) in the engine's order
        self.leaves: list[Tensor] = []  # leaves that got a gradient, in order of arrival


class CallRecord:
    def __init__(self, fn: Callable, args: tuple, kwargs: dict, where: str) -> None:
        self.fn, self.args, self.kwargs, self.where = fn, args, kwargs, where


class SetGradRecord:
    def __init__(self, tensor: Tensor, where: str) -> None:
        self.tensor, self.where = tensor, where


class ArrayCallRecord:
    """A replayed array function (dropout's mask): its result is drawn again at every call."""

    def __init__(self, fn: Callable, args: tuple, out: Any, where: str) -> None:
        self.fn, self.args, self.where = fn, args, where
        self.out = Value("call", out)
        self.raw_out = out


# ---------------------------------------------------------------------------------------------
# The tracer


_VALUE_READS = {
    "__bool__": "bool() of", "__float__": "float() of", "__int__": "int() of",
    "__index__": "using as an index", "item": ".item() of", "tolist": ".tolist() of",
    "numpy": ".numpy() of", "__array__": "np.asarray() of",
}
_INPLACE = ("__iadd__", "__isub__", "__imul__", "__itruediv__", "__ipow__", "__setitem__")


class _Tracer:
    def __init__(self, tensors: list[Tensor]) -> None:
        self.inputs = tensors  # the Tensor arguments, in flattening order
        self.values: dict[int, Value] = {}  # id(array) -> Value
        # Arrays are told apart by identity: a NumPy scalar seen is kept alive (so that its id
        # stays unique), an array is held weakly and forgotten when it dies (its id may then be
        # reused), so that tracing keeps no more memory alive than the eager run does
        self.keep: list = []
        self.refs: dict[int, Any] = {}
        self.leaf_values: dict[int, Value] = {}  # id(Tensor) -> Value, inputs and captured
        self.events: list = []
        self.records: dict[int, OpRecord] = {}  # id(node) -> record
        self.derived: set[int] = set()  # ids of arrays computed inside the function
        self.value_guards: list = []  # (tensor, copy of its value)
        self.captured_guards: list = []
        self.depth = 0
        self.suspended = 0
        self.backward: BackwardRecord | None = None
        self.result = None
        self.later: BackwardRecord | None = None  # the output is differentiated after the call
        self.scopes: dict[int, Any] = {}  # objects entered with ag.scope around recorded ops
        for i, t in enumerate(tensors):
            v = Value("input", t._data, tensor=t, index=i)
            self.leaf_values[id(t)] = v
            self._know(t._data, v)

    # ----- bookkeeping -----
    def _know(self, array: Any, value: Value) -> None:
        key = id(array)
        self.values[key] = value
        if type(array) is np.ndarray:
            self.refs[key] = weakref.ref(array, functools.partial(self._forget, key))
        else:
            self.keep.append(array)

    def _forget(self, key: int, _ref: Any = None) -> None:
        self.values.pop(key, None)
        self.derived.discard(key)
        self.refs.pop(key, None)

    def where(self) -> str:
        """The user's source line (and the nn line, if an nn function made the call)."""
        frame = sys._getframe(2)
        inner = None
        nn_mod = sys.modules.get("nn")
        nn_dir = os.path.dirname(getattr(nn_mod, "__file__", None) or "\0") + os.sep
        while frame is not None:
            fname = frame.f_code.co_filename
            if not fname.startswith(_HERE):
                if not fname.startswith(nn_dir):
                    break
                if inner is None:  # the nn line that called the op (the user's line follows)
                    inner = frame
            frame = frame.f_back
        parts = []
        for f in (inner, frame):
            if f is not None:
                code = linecache.getline(f.f_code.co_filename, f.f_lineno).strip()
                parts.append(f"{os.path.basename(f.f_code.co_filename)}:{f.f_lineno}: {code}")
        return " <- ".join(parts)

    def captured(self, t: Tensor) -> Value:
        """The Value of a tensor the function reached by itself (a parameter, a closure)."""
        v = self.leaf_values.get(id(t))
        if v is None:
            v = Value("captured", t._data, tensor=t, index=len(self.captured_guards))
            self.leaf_values[id(t)] = v
            d = t._data
            self.captured_guards.append(
                (t, d.shape, d.dtype, t._requires_grad, type(d) is np.ndarray))
        return v

    # ----- hooks called by the patched classes -----
    def record_forward(self, cls: type, fwd: Callable, ctx: Any, arrays: tuple, params: dict,
                       out: Any) -> Any:
        if type(out) is tuple:
            out = tuple(o if isinstance(o, (np.ndarray, np.generic)) else np.asarray(
                o._data if isinstance(o, Tensor) else o) for o in out)
            outs = out
        else:
            if not isinstance(out, (np.ndarray, np.generic)):
                out = np.asarray(out._data if isinstance(out, Tensor) else out)
            outs = (out,)
        if any(o is a for o in outs for a in arrays):
            # an op that returned its input as it is (relu of a positive 0-d value): give the
            # result its own object, so that the two values are told apart by identity
            outs = tuple(_own(o) if any(o is a for a in arrays) else o for o in outs)
            out = outs if type(out) is tuple else outs[0]
        rec = OpRecord(cls, fwd, ctx, len(arrays), self.where())
        rec.params = {k: self._param_value(p) for k, p in params.items()}  # (by identity: now)
        if rec.node is None:  # without a node, arguments are told only by identity: now
            rec.args = [self._arg_now(a) for a in arrays]
            if all(type(a) is tuple for a in rec.args) and all(
                    type(p) is tuple and p[:1] == ("const",) for p in rec.params.values()):
                rec.raw_outs = outs  # constants only, so far: it may fold (see _resolve)
        for k, o in enumerate(outs):
            v = Value("op", o, op=rec, out_nr=k)
            rec.outs.append(v)
            self._know(o, v)
            self.derived.add(id(o))
        if rec.node is not None:
            self.records[id(rec.node)] = rec  # (the dict holds the node: ids stay unique)
        self.events.append(rec)
        return out

    def record_backward_rule(self, node: Any, result: Any) -> None:
        if type(result) is not tuple:
            result = tuple(result) if isinstance(result, list) else (result,)
        info = []
        for r in result:
            if r is None:
                info.append(None)
            else:
                rr = r._data if isinstance(r, Tensor) else r
                info.append((type(rr), np.shape(rr), getattr(rr, "dtype", None)))
        self.backward.calls.append((node, tuple(info), type(result) is tuple))

    def record_call(self, fn: Callable, args: tuple, kwargs: dict) -> None:
        self.events.append(CallRecord(fn, args, kwargs, self.where()))

    def value_read(self, t: Tensor, what: str) -> None:
        d = t._data
        if id(d) in self.derived:
            raise TracingError(
                f"compile: {what} a tensor computed inside the compiled function (shape "
                f"{t.shape}) while tracing: its value differs from call to call, and Python code "
                "that reads it (an if, a loop bound, a number kept aside, a NumPy computation) "
                "would be frozen into the compiled code as it ran this once. Keep the "
                "computation in tensor ops (ag.where(cond, a, b) for a choice), do that part "
                "outside the compiled function and pass the result in as an argument, or don't "
                "compile this function (JAX refuses this for the same reason)"
            )
        leaf = self.leaf_values.get(id(t))
        key = ("input", leaf.index) if leaf is not None and leaf.kind == "input" else ("obj", t)
        if not any(g[0] == key[0] and g[1] is key[1] or g[1] == key[1] and key[0] == "input"
                   for g in self.value_guards):
            self.value_guards.append((*key, np.array(d, copy=True)))

    def refuse_inplace(self, t: Tensor, op: str) -> None:
        raise TracingError(
            f"compile: in-place {op} on a tensor of shape {t.shape} inside the compiled function; "
            "compiled code replays the recorded ops and cannot see in-place changes made "
            "outside them. Use an out-of-place op (x = x + 1), or update parameters through an "
            "nn.optim optimizer, whose step() is replayed"
        )

    # ----- running the function -----
    def trace(self, fn: Callable, args: tuple, kwargs: dict) -> Any:
        _LOCAL.tracer = self
        patches = _install_patches()
        try:
            result = fn(*args, **kwargs)
            # A leaf's gradient after backward is a value of the program (e.g. a manual update)
            if self.backward is not None:
                for t in self.backward.leaves:
                    g = t._grad
                    if g is not None:
                        v = Value("grad", g._data, leaf=self.leaf_of(t))
                        self._know(g._data, v)
                        self.derived.add(id(g._data))
            self.result = result
            if self.backward is None:
                self._probe_backward(result)
            self._resolve()
            return result
        finally:
            _remove_patches(patches)
            _LOCAL.tracer = None

    def _probe_backward(self, result: Any) -> None:
        """A function that returns one tensor needing a gradient (and calls no backward()):
        run the engine's backward from it once, recording the schedule, so that code can be
        generated for a backward() the caller makes later on the compiled output."""
        found: list[Tensor] = []
        _tensors_in(result, found)
        roots = [t for t in found if t._grad_fn is not None and id(t._data) in self.values]
        if len(roots) != 1:
            return  # none (nothing to differentiate), or several: refused when generating
        root = roots[0]
        leaves, seen = [], set()
        for rec in self.records.values():
            for edge in rec.node.next_functions:
                if edge is not None and isinstance(edge[0], Tensor) and id(edge[0]) not in seen \
                        and edge[0].requires_grad:
                    seen.add(id(edge[0]))
                    leaves.append(edge[0])
        if not leaves:
            return
        from .engine import grad

        rec = BackwardRecord(root, "backward() of the compiled function's output")
        self.backward = rec
        self.in_backward = True
        self.suspended += 1
        try:
            seed = None if root._data.size == 1 else np.ones(root.shape, root.dtype)
            grad(root, leaves, grad_outputs=seed, retain_graph=True, allow_unused=True)
        finally:
            self.suspended -= 1
            self.in_backward = False
            self.backward = None
        self.later = rec

    def leaf_of(self, t: Tensor) -> Value:
        return self.leaf_values.get(id(t)) or self.captured(t)

    def _arg_now(self, a: Any) -> Any:
        """An argument of an op without a node, by identity: a Value, or ("unknown", array) for
        an array not seen before (a constant, or the array of a tensor the function closes
        over: told apart in _resolve), or ("const", object)."""
        v = self.values.get(id(a))
        if v is not None:
            return v
        if isinstance(a, (np.ndarray, np.generic)):
            if a.dtype == object:
                raise TracingError("compile: an object array reached an op; pass numeric arrays")
            return ("unknown", a)
        return ("const", a)

    def _tensor_arg(self, t: Any) -> Any:
        """An argument that gets no gradient of an op with a node (``node.inputs``)."""
        if isinstance(t, Tensor):
            return self.values.get(id(t._data)) or self.captured(t)
        return ("const", t)

    def _param_value(self, p: Any) -> Any:
        if isinstance(p, (np.ndarray, np.generic)) and id(p) in self.values:
            return self.values[id(p)]
        if isinstance(p, tuple) and any(id(x) in self.values for x in p
                                         if isinstance(x, np.ndarray)):
            return tuple(self._param_value(x) for x in p)
        return ("const", p)

    def _resolve(self) -> None:
        """Map every recorded op's arguments to Values (inputs, results, captured tensors) or
        constants; fold ops whose arguments are all constants."""
        unknown = [a[1] for ev in self.events if isinstance(ev, OpRecord) and ev.node is None
                   for a in ev.args if type(a) is tuple and a[0] == "unknown"]
        holders = _tensors_holding(unknown)
        for ev in self.events:
            if not isinstance(ev, OpRecord):
                continue
            node = ev.node
            if node is None:
                for k, a in enumerate(ev.args):
                    if type(a) is tuple and a[0] == "unknown":
                        holder = holders.get(id(a[1]))  # a tensor the function closes over
                        ev.args[k] = self.captured(holder) if holder is not None else \
                            ("const", a[1])
                if ev.raw_outs is not None and all(type(a) is tuple for a in ev.args):
                    ev.folded = True  # computed from constants only: its result is a constant
                    for o, raw in zip(ev.outs, ev.raw_outs):
                        o.kind, o.const = "const", raw
                ev.raw_outs = None
                continue
            edges = node.next_functions
            inputs = node.inputs
            for k in range(ev.n_args):
                if k < len(edges) and edges[k] is not None:
                    producer, nr = edges[k][0], edges[k][1]
                    if isinstance(producer, Tensor):
                        ev.args.append(self.leaf_of(producer))
                        continue
                    rec = self.records.get(id(producer))
                    if rec is None:
                        raise TracingError(
                            f"compile: {ev.cls.__name__} uses a tensor with history that was "
                            "computed before the compiled function was called (a closure over a "
                            "non-leaf tensor); pass it as an argument, or .detach() it"
                        )
                    ev.args.append(rec.outs[nr])
                    continue
                ev.args.append(self._tensor_arg(inputs[k] if k < len(inputs) else None))

# ---------------------------------------------------------------------------------------------
# Patching the engine's classes for the duration of a trace


def _active() -> _Tracer | None:
    """This thread's tracer while it traces (not inside a replayed call or the engine's backward);
    other threads see None: the patches let their calls through unchanged."""
    tracer = getattr(_LOCAL, "tracer", None)
    if tracer is None or tracer.suspended:
        return None
    return tracer


def _function_classes() -> list[type]:
    seen, stack = [], [Function]
    while stack:
        c = stack.pop()
        for s in c.__subclasses__():
            if s not in seen:
                seen.append(s)
                stack.append(s)
    return seen


def _wrap_forward(cls: type, raw: Any) -> Any:
    is_class = isinstance(raw, classmethod)
    func = raw.__func__

    def forward(*a: Any, **params: Any) -> Any:
        tracer = _active()
        if is_class:
            owner, rest = a[0], a[1:]
            call = functools.partial(func, owner)
        else:
            owner, rest = cls, a
            call = func
        if tracer is None or tracer.depth:
            return call(*rest, **params)
        if sys._getframe(1).f_code is _APPLY_ANY_CODE:
            return call(*rest, **params)  # apply_any on arrays: a rule's implementation detail
        ctx, arrays = rest[0], rest[1:]
        for obj in STATE.flags.scope:  # e.g. the nn modules whose forward made this op
            tracer.scopes.setdefault(id(obj), obj)
        tracer.depth += 1
        try:
            out = call(ctx, *arrays, **params)
        finally:
            tracer.depth -= 1
        return tracer.record_forward(owner, call, ctx, arrays, params, out)

    return classmethod(forward) if is_class else staticmethod(forward)


def _wrap_backward(cls: type, raw: Any) -> Any:
    is_class = isinstance(raw, classmethod)
    func = raw.__func__

    def backward(*a: Any) -> Any:
        active = _active()
        if active is not None:
            raise TracingError(
                "compile: gradients computed inside the compiled function other than by "
                "Tensor.backward() (ag.grad, ag.func transforms) are not compiled; call them "
                "outside, or use loss.backward() and read .grad after the call"
            )
        result = func(*a)
        tracer = getattr(_LOCAL, "tracer", None)
        if tracer is not None and tracer.backward is not None and tracer.suspended == 1 \
                and getattr(tracer, "in_backward", False):
            tracer.record_backward_rule(a[1] if is_class else a[0], result)
        return result

    return classmethod(backward) if is_class else staticmethod(backward)


_APPLY_ANY_CODE = apply_any.__code__


def _install_patches() -> list:
    saved: list = []

    def put(owner: Any, name: str, value: Any) -> None:
        saved.append((owner, name, owner.__dict__.get(name, _MISSING)))
        setattr(owner, name, value)

    for cls in _function_classes():
        for name, wrap in (("forward", _wrap_forward), ("backward", _wrap_backward)):
            raw = cls.__dict__.get(name)
            if isinstance(raw, (staticmethod, classmethod)):
                put(cls, name, wrap(cls, raw))

    for name, what in _VALUE_READS.items():
        original = Tensor.__dict__.get(name)
        if original is not None:
            put(Tensor, name, _reader(original, what))
    data = Tensor.__dict__["data"]
    put(Tensor, "data", property(_reader(data.fget, ".data of"), _data_setter(data.fset)))
    put(Tensor, "__repr__", _traced_repr(Tensor.__dict__["__repr__"]))
    for name in _INPLACE:
        original = Tensor.__dict__.get(name)
        if original is not None:
            put(Tensor, name, _inplace(original, name))
    grad = Tensor.__dict__["grad"]
    put(Tensor, "grad", property(grad.fget, _grad_setter(grad.fset)))
    put(Tensor, "backward", _traced_backward(Tensor.__dict__["backward"]))
    for name in ("register_hook", "retain_grad"):
        put(Tensor, name, _refused(Tensor.__dict__[name], name))
    put(Function, "__init_subclass__", classmethod(_new_op_refused))
    put(nn_ops, "_dropout_mask", _traced_mask(nn_ops._dropout_mask))
    import autograd_engine as ag

    for name in ("rand", "randn", "randint"):
        put(factories, name, _refused_rng(getattr(factories, name)))
        put(ag, name, _refused_rng(getattr(ag, name)))
    return saved


_MISSING = object()


def _remove_patches(saved: list) -> None:
    for owner, name, old in reversed(saved):
        if old is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, old)


def _reader(original: Callable, what: str) -> Callable:
    @functools.wraps(original)
    def read(self: Tensor, *a: Any, **k: Any) -> Any:
        tracer = _active()
        if tracer is not None:
            tracer.value_read(self, what)
        return original(self, *a, **k)

    return read


def _data_setter(original: Callable) -> Callable:
    def set_data(self: Tensor, value: Any) -> None:
        tracer = _active()
        if tracer is not None:
            tracer.refuse_inplace(self, "assignment to .data")
        original(self, value)

    return set_data


def _traced_repr(original: Callable) -> Callable:
    def rep(self: Tensor) -> str:
        tracer = _active()
        if tracer is not None and id(self._data) in tracer.derived:
            return f"Tensor(<traced: shape {self.shape}, dtype {self.dtype}>)"
        return original(self)

    return rep


def _inplace(original: Callable, name: str) -> Callable:
    @functools.wraps(original)
    def op(self: Tensor, *a: Any) -> Any:
        tracer = _active()
        if tracer is not None:
            tracer.refuse_inplace(self, name.strip("_"))
        return original(self, *a)

    return op


def _grad_setter(original: Callable) -> Callable:
    def set_grad(self: Tensor, value: Any) -> None:
        tracer = _active()
        if tracer is not None:
            if value is not None:
                raise TracingError(
                    "compile: assigning a gradient other than None inside the compiled function "
                    "is not replayed; set .grad outside it"
                )
            tracer.events.append(SetGradRecord(self, tracer.where()))
            tracer.leaf_of(self)
        original(self, value)

    return set_grad


def _traced_backward(original: Callable) -> Callable:
    @functools.wraps(original)
    def backward(self: Tensor, gradient: Any = None, retain_graph: Any = None,
                 create_graph: bool = False) -> None:
        tracer = _active()
        if tracer is None:
            return original(self, gradient, retain_graph, create_graph)
        if create_graph:
            raise TracingError("compile: backward(create_graph=True) is not compiled (gradients "
                               "of gradients); call it outside the compiled function")
        if gradient is not None:
            raise TracingError("compile: backward(gradient=...) is not compiled; reduce the "
                               "output to one element first (e.g. (y * w).sum().backward())")
        if tracer.backward is not None:
            raise TracingError("compile: the function calls backward() more than once; compile "
                               "supports one backward() per call (sum the losses first)")
        if self._grad_fn is None or id(self._data) not in tracer.values:
            raise TracingError("compile: backward() on a tensor that was not computed inside the "
                               "compiled function")
        rec = BackwardRecord(self, tracer.where())
        tracer.backward = rec
        tracer.events.append(rec)
        tracer.in_backward = True
        tracer.suspended += 1
        try:
            original(self, gradient, retain_graph, create_graph)
        finally:
            tracer.suspended -= 1
            tracer.in_backward = False
        for node, info, _ in rec.calls:  # the leaves that got a gradient, in order of arrival
            for edge, inf in zip(node.next_functions, info):
                if edge is not None and inf is not None and isinstance(edge[0], Tensor) \
                        and edge[0].requires_grad and not any(edge[0] is t for t in rec.leaves):
                    rec.leaves.append(edge[0])
        return None

    return backward


def _refused(original: Callable, name: str) -> Callable:
    @functools.wraps(original)
    def refuse(self: Tensor, *a: Any, **k: Any) -> Any:
        tracer = _active()
        if tracer is not None:
            raise TracingError(f"compile: {name}() inside a compiled function is not supported "
                               "(hooks are not replayed); call it outside, or don't compile")
        return original(self, *a, **k)

    return refuse


def _traced_mask(original: Callable) -> Callable:
    def mask(shape: tuple, p: float, rng: Any, dtype: Any) -> Any:
        tracer = _active()
        if tracer is None:
            return original(shape, p, rng, dtype)
        tracer.suspended += 1
        try:
            out = original(shape, p, rng, dtype)
        finally:
            tracer.suspended -= 1
        default = rng is not None and rng is factories._rng
        rec = ArrayCallRecord(_replay_mask, (shape, p, "default" if default else rng, dtype),
                              out, tracer.where())
        tracer.events.append(rec)
        tracer._know(out, rec.out)
        tracer.derived.add(id(out))
        return out

    return mask


def _tensors_in(obj: Any, found: list) -> None:
    if isinstance(obj, Tensor):
        found.append(obj)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _tensors_in(o, found)
    elif isinstance(obj, dict):
        for o in obj.values():
            _tensors_in(o, found)


def _tensors_holding(arrays: list) -> dict[int, Tensor]:
    """For each array, a live Tensor holding it, if any (by id). An op without a graph node sees
    only arrays: this tells a tensor the function closes over (read again at every call) from a
    constant. One pass of the garbage collector's object list for all of them."""
    import gc

    if not arrays:
        return {}
    wanted = {id(a) for a in arrays}
    found: dict[int, Tensor] = {}
    for r in gc.get_referrers(*arrays):
        if isinstance(r, Tensor) and id(r._data) in wanted:
            found.setdefault(id(r._data), r)
    return found


def _new_op_refused(cls: type, **kwargs: Any) -> None:
    if _active() is not None:  # its forward would not be watched: its results would be frozen
        raise TracingError(
            f"compile: the Function subclass {cls.__name__} is defined inside the compiled "
            "function; define it once, outside (the tracer watches the ops that exist when the "
            "trace starts)"
        )


def _own(o: Any) -> Any:
    return np.array(o)[()] if isinstance(o, np.generic) else o.copy()


def _replay_mask(shape: tuple, p: float, rng: Any, dtype: Any) -> Any:
    if isinstance(rng, str):
        rng = factories.default_generator()
    return nn_ops._dropout_mask(shape, p, rng, dtype)


def _refused_rng(original: Callable) -> Callable:
    @functools.wraps(original)
    def rng(*a: Any, **k: Any) -> Any:
        tracer = _active()
        if tracer is not None:
            raise TracingError(
                "compile: random numbers drawn inside the compiled function (ag.randn, ag.rand, "
                "a random initialiser...) would be frozen into the compiled code, the same at "
                "every call; draw them outside and pass them in as arguments (ag.dropout's mask "
                "is the exception: it is drawn again at every call)"
            )
        return original(*a, **k)

    return rng
