"""Code generation for :mod:`autograd_engine.compiler`: from a trace to two Python functions.

``generate(tracer, fn)`` turns the recorded program into the source of ``forward(T)`` and (when
the function called ``backward()``) ``backward(T, saved)``, where ``T`` is the list of tensors the
program reads (the Tensor arguments, then the captured tensors) and ``saved`` what the forward
hands to the backward. The steps:

* **forward**: one statement per recorded op. The common ops are written out as the NumPy
  expression their ``forward`` evaluates (``RULES`` below); any other op is called through, its
  own ``forward`` on arrays with a small context object (``_Ctx``) that keeps what it saves.
  Ops whose arguments are all constants are folded: their result is a constant of the program.
* **backward**: the gradient rules in the order the engine ran them while tracing, each written
  out (``RULES``) or called through (the op's array-mode ``backward``), followed by the glue the
  engine adds: summing broadcast axes and casting to the input's dtype, both decided now from
  the traced shapes, and summing the gradients that reach a value in the engine's order
  (``old + g`` as they arrive), so float64 results are bit-for-bit those of eager mode. The
  leaves' ``.grad`` are written as the engine writes them (accumulated when already set).
* every variable is deleted (``del``) right after its last use, as eager mode frees a node's
  saved arrays once its rule has run.
"""

from __future__ import annotations

import itertools
import keyword
import linecache
import operator
import re
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from .compiler import (
    ArrayCallRecord,
    BackwardRecord,
    CallRecord,
    OpRecord,
    SetGradRecord,
    TracingError,
    Value,
    _Tracer,
)
from .function import NO_GRAD_CTX, Function
from .ops._util import broadcast_view, normalize_axes
from .ops.elementwise import _IN_PLACE_MIN, _stable_sigmoid
from .tensor import Tensor

_COUNTER = itertools.count()


# ---------------------------------------------------------------------------------------------
# Run-time helpers the generated code calls (plain functions on arrays)


class _Ctx:
    """The ``ctx`` of an op called through: keeps what ``forward`` saves and sets, for
    ``backward``; ``saved_tensors`` gives the arrays back as they were saved."""

    def __init__(self, needs_input_grad: tuple, op: type) -> None:
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()
        self._op = op

    def __getattr__(self, name: str) -> Any:
        # as on a graph node (an instance of the op's class): class attributes are the defaults
        if name == "_op":
            raise AttributeError(name)
        return getattr(self._op, name)

    def save_for_backward(self, *items: Any) -> None:
        self.saved_tensors = items

    def mark_non_differentiable(self, *outputs: Any) -> None:
        pass


class _TensorCtx(_Ctx):
    """For a custom rule written for Tensors (no ``backward_on_arrays``): saved arrays come back
    as Tensors."""

    def save_for_backward(self, *items: Any) -> None:
        self.saved_tensors = tuple(Tensor._make(i) if isinstance(i, (np.ndarray, np.generic))
                                   else i for i in items)


# The ctx of an op whose gradient is not needed (it accepts and forgets), as apply_any uses.
_NG = NO_GRAD_CTX


def _tensor_rule(rule: Callable, ctx: Any, *grads: Any) -> tuple:
    """Call a Tensor-only gradient rule on arrays: wrap, call, unwrap."""
    from .grad_mode import no_grad

    with no_grad():
        result = rule(ctx, *[Tensor._make(g) for g in grads])
    if type(result) is not tuple:
        result = tuple(result) if isinstance(result, list) else (result,)
    return tuple(r._data if isinstance(r, Tensor) else r for r in result)


def _write_grad(t: Tensor, g: Any, fresh: bool) -> None:
    """Accumulate ``g`` into ``t.grad`` as the engine does: a fresh array becomes the gradient
    (else a copy), an existing one is added to in place when nothing else holds its array."""
    if t._hooks:  # leaf hooks see the summed gradient and may replace it, as in eager mode
        for hook in list(t._hooks):
            r = hook(Tensor._make(g))
            if r is not None:
                r = r._data if isinstance(r, Tensor) else np.asarray(r, dtype=np.result_type(g))
                if np.shape(r) != np.shape(g):
                    raise RuntimeError(
                        f"hook: a hook returned a gradient of shape {np.shape(r)} for a tensor "
                        f"of shape {np.shape(g)}; hooks must return a gradient of the same shape "
                        "(or None)")
                g, fresh = r, False
    old = t._grad
    if old is None:
        # An array only this call holds (the caller's variable, `g` and getrefcount's argument)
        # becomes the gradient as it is, as the engine's _stealable decides; else a copy
        if not fresh and type(g) is np.ndarray and (g.base is not None or sys.getrefcount(g) > 3):
            g = np.array(g)
        t._grad = Tensor._make(g)
        return
    if old._requires_grad:
        t._grad = old + Tensor._make(g)
        return
    d = old._data
    # references: old's slot, `d` and getrefcount's argument, as the engine's _stealable counts
    if type(d) is not np.ndarray or (d.base is None and sys.getrefcount(d) <= 3):
        d += g
        old._data = d
    else:
        t._grad = Tensor._make(d + g)


HELPERS = {
    "np": np, "_Ctx": _Ctx, "_TensorCtx": _TensorCtx, "_NG": _NG, "_tensor_rule": _tensor_rule,
    "_write_grad": _write_grad, "_broadcast_view": broadcast_view,
    "_stable_sigmoid": _stable_sigmoid,
}


# ---------------------------------------------------------------------------------------------
# Inline rules: forward and backward of the common ops, written as the ops evaluate them.
#
# A forward rule gets (rec, args) with args the argument expressions and returns an expression
# or None (then the op is called through). A backward rule gets (rec, g, args, outs, need) and
# returns (lines, grads) with grads a list per input of (expression, fresh) or None.


def _nd(v: Any) -> bool:
    return isinstance(v, Value) and v.pytype is np.ndarray


def _const_params(rec: OpRecord) -> dict | None:
    out = {}
    for k, p in rec.params.items():
        if not (type(p) is tuple and p[:1] == ("const",)):
            return None
        out[k] = p[1]
    return out


def _binary(symbol: str) -> Callable:
    return lambda rec, a: f"{a[0]} {symbol} {a[1]}" if len(a) == 2 and not rec.params else None


def _unary(template: str) -> Callable:
    return lambda rec, a: template.format(*a) if len(a) == 1 and not rec.params else None


def _b_add(rec, g, a, o, need):
    return [], [(g, False), (g, False)]


def _b_sub(rec, g, a, o, need):
    return [], [(g, False), (f"-{g}", True) if need[1] else None]


def _b_mul(rec, g, a, o, need):
    return [], [(f"{g} * {a[1]}", True) if need[0] else None,
                (f"{g} * {a[0]}", True) if need[1] else None]


def _b_div(rec, g, a, o, need):
    t = f"{g}_over_y"
    # (y's gradient in Div.backward's order, -grad * out / y, so results agree bit for bit)
    return [f"{t} = {g} / {a[1]}"], [(t, True),
                                    (f"-{g} * {o[0]} / {a[1]}", True) if need[1] else None]


def _b_neg(rec, g, a, o, need):
    return [], [(f"-{g}", True)]


def _b_exp(rec, g, a, o, need):
    return [], [(f"{g} * {o[0]}", True)]


def _b_log(rec, g, a, o, need):
    return [], [(f"{g} / {a[0]}", True)]


def _big(rec: OpRecord) -> bool:
    out = rec.outs[0]
    return out.pytype is np.ndarray and int(np.prod(out.shape)) >= _IN_PLACE_MIN


def _b_tanh(rec, g, a, o, need):
    if _big(rec):  # TanhBackward's in-place form: one allocation
        d = f"{g}_t"
        return [f"{d} = {o[0]} * {o[0]}", f"np.subtract(1, {d}, out={d})",
                f"np.multiply({g}, {d}, out={d})"], [(d, True)]
    return [], [(f"{g} - {g} * ({o[0]} * {o[0]})", True)]


def _b_sigmoid(rec, g, a, o, need):
    d = f"{g}_s"
    if _big(rec):
        return [f"{d} = 1 - {o[0]}", f"{d} *= {o[0]}", f"np.multiply({g}, {d}, out={d})"], \
            [(d, True)]
    return [f"{d} = {g} * {o[0]}"], [(f"{d} - {d} * {o[0]}", True)]


def _f_relu(rec, a):
    if len(a) != 1 or rec.params:
        return None
    x = rec.args[0]
    if isinstance(x, Value) and issubclass(x.pytype, np.generic):
        return f"{a[0]} if not {a[0]} <= 0 else type({a[0]})(0)"
    return f"np.maximum({a[0]}, 0)"


def _b_relu(rec, g, a, o, need):
    return [], [(f"{g} * ({o[0]} != 0)", True)]


def _f_matmul(rec, a):
    if len(a) == 2 and not rec.params and all(_nd(v) and len(v.shape) == 2 for v in rec.args):
        return f"np.dot({a[0]}, {a[1]})"
    return None


def _b_matmul(rec, g, a, o, need):
    return [], [(f"np.dot({g}, {a[1]}.T)", True) if need[0] else None,
                (f"np.dot({a[0]}.T, {g})", True) if need[1] else None]


def _sum_axes(rec: OpRecord) -> tuple | None:
    p = _const_params(rec)
    if p is None or set(p) - {"axis", "keepdims"} or len(rec.args) != 1:
        return None
    x = rec.args[0]
    return normalize_axes(p.get("axis"), len(x.shape), "sum"), bool(p.get("keepdims", False))


def _f_sum(rec, a):
    ak = _sum_axes(rec)
    return None if ak is None else f"np.add.reduce({a[0]}, axis={ak[0]!r}, keepdims={ak[1]!r})"


def _b_sum(rec, g, a, o, need):
    axes, keepdims = _sum_axes(rec)
    shape = rec.args[0].shape
    lines = []
    if int(np.prod(rec.outs[0].shape)) != 1 and not keepdims and axes:
        kept = list(shape)
        for ax in axes:
            kept[ax] = 1
        lines.append(f"{g} = {g}.reshape({tuple(kept)!r})")
    return lines, [(f"_broadcast_view({g}, {shape!r})", False)]


def _f_reshape(rec, a):
    p = _const_params(rec)
    if p is None or set(p) != {"shape"} or len(a) != 1:
        return None
    return f"np.reshape({a[0]}, {p['shape']!r})"


def _b_reshape(rec, g, a, o, need):
    return [], [(f"{g}.reshape({rec.args[0].shape!r})", False)]


def _f_transpose(rec, a):
    p = _const_params(rec)
    if p is None or set(p) - {"axes"} or len(a) != 1:
        return None
    return f"np.transpose({a[0]}, {p.get('axes')!r})"


def _b_transpose(rec, g, a, o, need):
    axes = _const_params(rec).get("axes")
    inv = None if axes is None else tuple(int(i) for i in np.argsort(axes))
    return [], [(f"{g}.transpose({inv!r})", False)]


def _f_broadcast_to(rec, a):
    p = _const_params(rec)
    if p is None or set(p) != {"shape"} or len(a) != 1:
        return None
    return f"np.broadcast_to({a[0]}, {p['shape']!r})"


def _b_pass(rec, g, a, o, need):
    return [], [(g, False)]


_COMPARE = {operator.lt: "<", operator.le: "<=", operator.gt: ">", operator.ge: ">=",
            operator.eq: "==", operator.ne: "!="}


def _f_compare(rec, a):
    p = _const_params(rec)
    if p is None or set(p) != {"fn"} or p["fn"] not in _COMPARE or len(a) != 2:
        return None  # (another function without a gradient, argmax, ...: called through)
    return f"{a[0]} {_COMPARE[p['fn']]} {a[1]}"


# class name -> (forward rule, backward rule). Each repeats its op's own NumPy expressions (same
# operations, same order): an op whose forward or backward changes must change here too, or lose
# its entry (it is then called through). tests/test_compile.py's sweep compares bit for bit.
RULES: dict[str, tuple] = {
    "Add": (_binary("+"), _b_add),
    "Sub": (_binary("-"), _b_sub),
    "Mul": (_binary("*"), _b_mul),
    "Div": (_binary("/"), _b_div),
    "Neg": (_unary("-{0}"), _b_neg),
    "Exp": (_unary("np.exp({0})"), _b_exp),
    "Log": (_unary("np.log({0})"), _b_log),
    "Tanh": (_unary("np.tanh({0})"), _b_tanh),
    "Sigmoid": (_unary("_stable_sigmoid({0})"), _b_sigmoid),
    "Relu": (_f_relu, _b_relu),
    "MatMul": (_f_matmul, _b_matmul),
    "Sum": (_f_sum, _b_sum),
    "Reshape": (_f_reshape, _b_reshape),
    "Transpose": (_f_transpose, _b_transpose),
    "BroadcastTo": (_f_broadcast_to, _b_pass),
    "NonDifferentiable": (_f_compare, None),
}
_ENGINE_MODULES = ("autograd_engine.ops.",)


def _rule(rec: OpRecord) -> tuple | None:
    """The inline rules of a built-in op (user subclasses of the same name are called through)."""
    rules = RULES.get(rec.cls.__name__)
    if rules is None or not rec.cls.__module__.startswith(_ENGINE_MODULES):
        return None
    return rules


# ---------------------------------------------------------------------------------------------
# Statements, names, liveness


class _Stmt:
    __slots__ = ("lines", "defs", "uses", "comment")

    def __init__(self, lines: list[str], defs: set, uses: set, comment: str = "") -> None:
        self.lines, self.defs, self.uses, self.comment = lines, defs, uses, comment


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Writer:
    def __init__(self, tracer: _Tracer, fn: Callable) -> None:
        self.tracer = tracer
        self.ns: dict[str, Any] = dict(HELPERS)
        self.names: set[str] = set(self.ns) | {"T", "saved", "forward", "backward", "grad"}
        self.counters: dict[str, int] = {}
        self.const_ids: dict[int, str] = {}
        self.consts_kept: list = []
        self.T: list[Tensor] = list(tracer.inputs)
        self.t_index: dict[int, int] = {id(t): i for i, t in enumerate(self.T)}
        self.arg_names = _argument_names(fn, tracer)
        self.param_names: dict[int, str] = {}
        for a in list(getattr(tracer, "call_args", ())) + [getattr(fn, "__self__", None)]:
            named = getattr(a, "named_parameters", None)
            if callable(named):  # an nn.Module argument: name its parameters after it
                try:
                    for pname, p in named():
                        self.param_names.setdefault(id(p), pname.replace(".", "_"))
                except TypeError:
                    pass

    def fresh(self, base: str) -> str:
        base = re.sub(r"\W", "_", base) or "v"
        if base[0].isdigit() or keyword.iskeyword(base):
            base = "p_" + base
        k = self.counters.get(base, 1)
        name = base + "1" if base.endswith("_") else base
        while name in self.names:
            k += 1
            name = f"{base}_{k}" if base[-1].isdigit() else f"{base}{k}"
        self.counters[base] = k
        self.names.add(name)
        return name

    def bind(self, obj: Any, base: str) -> str:
        """A name in the generated module's namespace for a constant object."""
        key = id(obj)
        name = self.const_ids.get(key)
        if name is None:
            name = self.fresh(base)
            self.ns[name] = obj
            self.const_ids[key] = name
            self.consts_kept.append(obj)
        return name

    def literal(self, obj: Any) -> str:
        if obj is None or isinstance(obj, (bool, str)):
            return repr(obj)
        if type(obj) is int or (type(obj) is float and np.isfinite(obj)):
            return repr(obj)
        if type(obj) is tuple and all(type(o) is int for o in obj):
            return repr(obj)
        if isinstance(obj, np.dtype):
            return f"np.dtype({obj.str!r})"
        return self.bind(obj, "c")

    def tensor_slot(self, t: Tensor) -> int:
        k = self.t_index.get(id(t))
        if k is None:
            k = self.t_index[id(t)] = len(self.T)
            self.T.append(t)
        return k

    def name_leaf(self, v: Value) -> str:
        if not v.name:
            t = v.tensor
            base = None
            if v.kind == "input":
                base = self.arg_names.get(v.index)
            if base is None and t._name and _IDENT.fullmatch(t._name):
                base = t._name
            if base is None:
                base = self.param_names.get(id(t))
            v.name = self.fresh(base or ("x" if v.kind == "input" else "p"))
        return v.name


def _argument_names(fn: Callable, tracer: _Tracer) -> dict[int, str]:
    """Names for Tensor arguments: the function's parameter names where an argument is a Tensor."""
    import inspect

    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return {}
    names: dict[int, str] = {}
    args = getattr(tracer, "call_args", ())
    k = 0
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            if i < len(params):
                names[k] = params[i]
            k += 1
        else:
            k += _count_tensors(a)
    return names


def _count_tensors(obj: Any) -> int:
    if isinstance(obj, Tensor):
        return 1
    if isinstance(obj, (tuple, list)):
        return sum(_count_tensors(o) for o in obj)
    if isinstance(obj, dict):
        return sum(_count_tensors(o) for o in obj.values())
    return 0


# ---------------------------------------------------------------------------------------------
# The program


class Program:
    """One traced signature: the generated functions, the tensors they read and the guards."""

    def __init__(self, source: str, ns: dict, n_inputs: int, captured: list, guards: list,
                 value_guards: list, has_backward: bool, build: Callable) -> None:
        self.source = source
        self.forward = ns["forward"]
        self.backward = ns.get("backward")
        self.n_inputs = n_inputs
        self.captured = captured
        self.guards = guards
        self.value_guards = value_guards
        self.build = build
        self._ns = ns

    def guards_hold(self, tensors: list) -> bool:
        for t, shape, dtype, rg, nd in self.guards:
            d = t._data
            if d.shape != shape or d.dtype != dtype or t._requires_grad != rg or \
                    (type(d) is np.ndarray) != nd:
                return False
        for module, training in self.mode_guards:
            if module.training is not training:
                return False
        for kind, t, value in self.value_guards:
            d = tensors[t]._data if kind == "input" else t._data
            if d.shape != value.shape or d.dtype != value.dtype or not np.array_equal(d, value):
                return False
        return True

    later = None
    mode_guards: list = []

    def run(self, tensors: list) -> Any:
        T = tensors + self.captured if self.captured else tensors
        if self.later is not None:
            return self.later.run(T)
        if self.backward is not None:
            # (no variable here holds what forward saved: backward frees each array after its
            # last use, as the engine frees a node's saved arrays once the node has run)
            return self.build(self.backward(T, self.forward(T)), T)
        return self.build(self.forward(T), T)


def generate(tracer: _Tracer, fn: Callable) -> Program:
    w = _Writer(tracer, fn)
    events = tracer.events
    split = next((k for k, e in enumerate(events) if isinstance(e, BackwardRecord)), None)
    pre = events if split is None else events[:split]
    post = [] if split is None else events[split + 1:]

    # which recorded nodes' rules run in backward: they need a real ctx in forward
    in_backward = set()
    if split is not None:
        in_backward = {id(n) for n, _, _ in events[split].calls}

    # the returned structure
    outputs: list[Value] = []
    spec = _output_spec(tracer.result, tracer, outputs, w,
                        True if split is not None else None if tracer.later is not None else False)

    fwd_stmts: list[_Stmt] = []
    loaded: dict[int, str] = {}  # id(Value) -> name, leaves loaded in the current function

    def expr(v: Any, stmts: list[_Stmt], uses: set) -> str:
        if isinstance(v, tuple) and v[:1] == ("const",):
            return w.literal(v[1])
        if isinstance(v, tuple):
            return "(" + "".join(expr(x, stmts, uses) + ", " for x in v) + ")"
        if v.kind == "const":
            return w.literal(v.const)
        if v.kind in ("input", "captured"):
            name = loaded.get(id(v))
            if name is None:
                name = w.name_leaf(v)
                k = w.tensor_slot(v.tensor)
                load = f"T[{k}]._data"
                if v.tensor._requires_grad and v.shape == () and v.pytype is np.ndarray:
                    load += "[()]"  # a 0-d leaf that gets a gradient: ops see a NumPy scalar
                stmts.insert(_n_loads(stmts), _Stmt([f"{name} = {load}"], {name}, set(),
                                                     "load"))
                loaded[id(v)] = name
            uses.add(name)
            return name
        if v.kind == "grad":
            name = loaded.get(id(v))
            if name is None:
                name = w.fresh("d_" + w.name_leaf(v.leaf))
                k = w.tensor_slot(v.leaf.tensor)
                stmts.append(_Stmt([f"{name} = T[{k}]._grad._data"], {name}, set(),
                                   "the gradient written by backward"))
                loaded[id(v)] = name
            uses.add(name)
            return name
        uses.add(v.name)
        return v.name

    ctx_names: dict[int, str] = {}

    def emit_events(evs: list, stmts: list[_Stmt]) -> None:
        for ev in evs:
            if isinstance(ev, OpRecord):
                if ev.folded:
                    continue
                emit_op(ev, stmts)
            elif isinstance(ev, CallRecord):
                call = w.bind(_Call(ev.fn, ev.args, ev.kwargs), _call_name(ev.fn))
                stmts.append(_Stmt([f"{call}()"], set(), set(), f"replayed call <- {ev.where}"))
                loaded.clear()  # it may have replaced arrays: read leaves again after it
            elif isinstance(ev, SetGradRecord):
                k = w.tensor_slot(ev.tensor)
                stmts.append(_Stmt([f"T[{k}].grad = None"], set(), set(), ev.where))
            elif isinstance(ev, ArrayCallRecord):
                f = w.bind(ev.fn, "_draw_mask")
                uses: set = set()
                args = ", ".join(w.literal(a) if not isinstance(a, str) else repr(a)
                                 for a in ev.args)
                ev.out.name = w.fresh("mask")
                stmts.append(_Stmt([f"{ev.out.name} = {f}({args})"], {ev.out.name}, uses,
                                   f"dropout mask, drawn again at every call <- {ev.where}"))

    def emit_op(rec: OpRecord, stmts: list[_Stmt]) -> None:
        uses: set = set()
        a = [expr(x, stmts, uses) for x in rec.args]
        name = rec.cls.__name__
        for o in rec.outs:
            o.name = w.fresh(name.lower() + "_")
        rules = _rule(rec)
        code = rules[0](rec, a) if rules else None
        needs_ctx = rec.node is not None and id(rec.node) in in_backward
        if code is not None and needs_ctx and rules[1] is None:
            code = None
        rec.inline = code is not None  # type: ignore[attr-defined]
        defs = {o.name for o in rec.outs}
        comment = f"{name} <- {rec.where}"
        if code is not None:
            stmts.append(_Stmt([f"{rec.outs[0].name} = {code}"], defs, uses, comment))
            return
        f = w.bind(rec.fwd, f"{name}_forward")
        params = "".join(f", {k}={expr(p, stmts, uses)}" for k, p in rec.params.items())
        if needs_ctx:
            c = w.fresh(f"ctx_{rec.outs[0].name}")
            ctx_names[id(rec.node)] = c
            maker = "_Ctx" if rec.cls.backward_on_arrays else "_TensorCtx"
            op_cls = w.bind(rec.cls, rec.cls.__name__)
            nig = tuple(bool(b) for b in rec.node.needs_input_grad)
            lines = [f"{c} = {maker}({nig!r}, {op_cls})"]
            defs = defs | {c}
        else:
            c = "_NG"
            lines = []
        targets = ", ".join(o.name for o in rec.outs) + ("," if len(rec.outs) > 1 else "")
        lines.append(f"{targets} = {f}({c}{''.join(', ' + x for x in a)}{params})")
        stmts.append(_Stmt(lines, defs, uses, comment + "  (called through)"))

    emit_events(pre, fwd_stmts)

    bwd_stmts: list[_Stmt] = []
    later = tracer.later  # the function's output is differentiated after the call
    leaf_grads: list = []
    if split is not None:
        loaded.clear()
        _emit_backward(events[split], tracer, w, bwd_stmts, ctx_names, expr)
        emit_events(post, bwd_stmts)
    elif later is not None:
        loaded.clear()
        leaf_grads = _emit_backward(later, tracer, w, bwd_stmts, ctx_names, expr, "grad")
        uses = {g for _, g in leaf_grads}
        bwd_stmts.append(_Stmt([f"return ({''.join(g + ', ' for _, g in leaf_grads)})"], set(),
                               uses, ""))

    last = bwd_stmts if split is not None else fwd_stmts
    ret_uses: set = set()
    ret = [expr(v, last, ret_uses) for v in outputs]
    ret_code = f"({''.join(r + ', ' for r in ret)})"
    if later is None:
        last.append(_Stmt([f"return {ret_code}"], set(), ret_uses, ""))

    if split is not None or later is not None:
        carried = sorted(_used_before_defined(bwd_stmts) - {"T", "grad"} - set(w.ns))
        saved = f"({''.join(n + ', ' for n in carried)})"
        fwd_stmts.append(_Stmt([f"return {saved}" if later is None else
                                f"return {ret_code}, {saved}"], set(),
                               set(carried) | (ret_uses if later is not None else set()), ""))
        if carried:
            bwd_stmts.insert(0, _Stmt([f"{saved} = saved", "del saved"], set(carried), set(),
                                      ""))

    src = [f"# generated by ag.compile from {getattr(fn, '__qualname__', fn)!r}", ""]
    src += _function("forward", "T", fwd_stmts, w)
    if split is not None:
        src += ["", ""] + _function("backward", "T, saved", bwd_stmts, w)
    elif later is not None:
        src += ["", "", "# called by backward() on the output, with its gradient `grad`"]
        src += _function("backward", "T, saved, grad", bwd_stmts, w)
    source = "\n".join(src) + "\n"
    filename = f"<ag.compile {getattr(fn, '__qualname__', 'fn')} #{next(_COUNTER)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(builtins_compile(source, filename, "exec"), w.ns)  # noqa: S102 - our own generated code

    captured = w.T[len(tracer.inputs):]
    guards = [g for g in tracer.captured_guards]
    extra = {id(t) for t in captured} - {id(g[0]) for g in guards}
    for t in captured:
        if id(t) in extra:
            d = t._data
            guards.append((t, d.shape, d.dtype, t._requires_grad, type(d) is np.ndarray))
    program = Program(source, w.ns, len(tracer.inputs), captured, guards, tracer.value_guards,
                      split is not None, spec)
    program.later_output = getattr(tracer, "later_output", 0)
    # nn modules whose forward ran: train() / eval() changes what forward does (dropout, batch
    # norm), so the code is valid only in the mode it was traced in
    program.mode_guards = [(m, m.training) for m in tracer.scopes.values()
                           if isinstance(getattr(m, "training", None), bool)]
    if later is not None:
        program.later = _Later(program, [w.tensor_slot(v.tensor) for v, _ in leaf_grads])
    return program


class _Later:
    """A function whose output is differentiated after the call: the generated forward and
    backward become one graph node (a :class:`Function`) between the leaves and the output."""

    def __init__(self, program: Program, slots: list[int]) -> None:
        self.program, self.slots = program, slots
        self.node_class = type("Compiled", (Function,), {
            "forward": staticmethod(self._forward), "backward": staticmethod(self._backward),
            "backward_on_arrays": True, "__module__": __name__,
            "__doc__": "The compiled forward and backward of an ag.compile'd function.",
        })

    def run(self, T: list) -> Any:
        self.T = T
        try:
            diff = self.node_class.apply(*[T[k] for k in self.slots])
        finally:
            self.T = None
        outs = self.outs
        self.outs = None
        k = self.program.later_output
        out = list(outs)
        out[k] = diff
        return self.program.build(out, T, tensors_given=True)

    def _forward(self, ctx: Any, *arrays: Any) -> Any:
        T = self.T
        outs, saved = self.program.forward(T)
        ctx.saved_values, ctx.T = saved, T  # (ignored when nothing is recorded)
        self.outs = outs
        return outs[self.program.later_output]

    def _backward(self, ctx: Any, grad: Any) -> tuple:
        return self.program.backward(ctx.T, self._take_saved(ctx), grad)

    @staticmethod
    def _take_saved(ctx: Any) -> tuple:
        """What forward saved, no longer held by the node (backward frees it as it goes)."""
        saved, ctx.saved_values = ctx.saved_values, None
        return saved


builtins_compile = compile  # (the module's own name `compile` is ag.compile's, in compiler.py)


class _Call:
    """A replayed call with its arguments (as traced), e.g. ``optimizer.step()``."""

    def __init__(self, fn: Callable, args: tuple, kwargs: dict) -> None:
        self.fn, self.args, self.kwargs = fn, args, kwargs

    def __call__(self) -> Any:
        return self.fn(*self.args, **self.kwargs)


def _call_name(fn: Callable) -> str:
    return re.sub(r"\W", "_", getattr(fn, "__qualname__", "call").replace(".", "_"))


def _n_loads(stmts: list[_Stmt]) -> int:
    n = 0
    for s in stmts:
        if s.comment != "load":
            break
        n += 1
    return n


def _used_before_defined(stmts: list[_Stmt]) -> set:
    defined, need = set(), set()
    for s in stmts:
        need |= s.uses - defined
        defined |= s.defs
    return need


def _function(name: str, args: str, stmts: list[_Stmt], w: _Writer) -> list[str]:
    """The source of one function, with ``del`` after each variable's last use."""
    used = set().union(*[s.uses for s in stmts]) if stmts else set()
    stmts = [s for s in stmts if s.comment != "load" or s.defs & used]
    last_use: dict[str, int] = {}
    for k, s in enumerate(stmts):
        for u in s.uses:
            last_use[u] = k
    defined_here = set()
    for k, s in enumerate(stmts):
        for n in s.defs:
            if n not in defined_here:
                defined_here.add(n)
                last_use.setdefault(n, k)  # defined and never used: dead right after
    out = [f"def {name}({args}):"]
    loads = [s for s in stmts if s.comment == "load"]
    if loads:
        out.append("    # the arrays of the tensors read (arguments, then captured tensors)")
    held: list[str] = []  # gradients whose release waits for one more statement (see below)
    for k, s in enumerate(stmts):
        if s.comment and s.comment != "load":
            out.append(f"    # {s.comment}")
        out += ["    " + line for line in s.lines]
        if s.lines[-1].startswith("return"):
            continue
        dead = sorted(n for n in (s.uses | s.defs) if last_use.get(n) == k and n in defined_here)
        # A gradient is released after the next statement has allocated its results, as the
        # engine releases a node's incoming gradient (a large block freed first goes back to the
        # system, and the very next allocation faults fresh pages in)
        now = held + [n for n in dead if not n.startswith("d_") or name != "backward"]
        held = [n for n in dead if n.startswith("d_") and name == "backward"]
        if now:
            out.append("    del " + ", ".join(sorted(now)))
    if len(out) == 1:
        out.append("    pass")
    return out


# ---------------------------------------------------------------------------------------------
# Backward


def _emit_backward(rec: BackwardRecord, tracer: _Tracer, w: _Writer, stmts: list[_Stmt],
                   ctx_names: dict, expr: Callable, seed_arg: str | None = None) -> list:
    """The backward pass of ``rec``. With ``seed_arg`` (the name of the output's gradient, for a
    function whose output is differentiated after the call) the leaves' gradients are returned
    (a list of (leaf Value, variable)) instead of written to ``.grad``."""
    root = tracer.values.get(id(rec.root._data))
    if root is None or root.kind != "op":
        raise TracingError("compile: backward() on a tensor the trace did not compute")
    d = rec.root._data
    seed = seed_arg or w.fresh("d_" + root.name)
    dtype = np.dtype(d.dtype)
    if seed_arg:
        pass
    elif np.ndim(d):
        stmts.append(_Stmt([f"{seed} = np.ones({d.shape!r}, np.dtype({dtype.str!r}))"], {seed},
                           set(), f"backward() <- {rec.where}: the seed d{root.name}/d{root.name}"))
    else:
        stmts.append(_Stmt([f"{seed} = np.{dtype.name}(1)"], {seed}, set(),
                           f"backward() <- {rec.where}: the seed d{root.name}/d{root.name} = 1"))
    # pending gradient per (node id, output_nr): the variable holding the running sum
    pending: dict[tuple, str] = {(id(root.op.node), root.out_nr): seed}
    fresh: dict[str, bool] = {seed: True}
    leaf_grads: dict[int, str] = {}
    leaf_order: list[Value] = []
    written: set[str] = set()

    def arrive(key: Any, g: str, is_fresh: bool, table: dict, base: str, where: str) -> None:
        old = table.get(key)
        if old is None:
            table[key] = g
            return
        total = w.fresh(base)
        stmts.append(_Stmt([f"{total} = {old} + {g}"], {total}, {old, g},
                           f"gradients meeting at {where} add up"))
        table[key] = total
        fresh[total] = True

    for node, info, _ in rec.calls:
        op = tracer.records.get(id(node))
        if op is None:
            raise TracingError(f"compile: the gradient rule of {node.name} ran for a node the "
                               "trace did not record")
        n_out = len(op.outs)
        gs = []
        for k in range(n_out):
            g = pending.pop((id(node), k), None)
            if g is None:
                o = op.outs[k]
                g = w.fresh(f"d_{o.name}")
                stmts.append(_Stmt([f"{g} = np.zeros({o.shape!r}, np.dtype({o.dtype.str!r}))"],
                                   {g}, set(), f"no gradient reached {o.name}: zeros"))
            gs.append(g)
        edges = node.next_functions
        need = tuple(bool(b) for b in node.needs_input_grad)
        rules = _rule(op) if getattr(op, "inline", False) else None
        uses: set = set(gs)
        out_exprs = [o.name for o in op.outs]
        comment = f"gradient of {op.cls.__name__} <- {op.where}"
        results: list = []
        if rules is not None and rules[1] is not None:
            arg_exprs = [expr(x, stmts, set()) for x in op.args]
            lines, exprs = rules[1](op, gs[0], arg_exprs, out_exprs, need)
            body = list(lines)
            for i, e in enumerate(exprs):
                if e is None or i >= len(info) or info[i] is None or \
                        edges[i] is None:
                    results.append(None)
                    continue
                if _IDENT.fullmatch(e[0]):
                    results.append((e[0], e[1]))
                    continue
                gname = w.fresh(f"d_{_input_name(op, i)}")
                body.append(f"{gname} = {e[0]}")
                results.append((gname, e[1]))
            defs = {r[0] for r in results if r is not None} | \
                {ln.split(" = ")[0] for ln in lines if " = " in ln}
            candidates = set(gs) | set(arg_exprs) | set(out_exprs)
            uses = {u for u in _IDENT.findall(" ".join(body) + " " + " ".join(
                r[0] for r in results if r is not None)) if u in candidates}
            if body:
                stmts.append(_Stmt(body, defs, uses, comment))
        else:
            c = ctx_names.get(id(node))
            if c is None:
                raise TracingError(f"compile: no context kept for {op.cls.__name__}")
            uses.add(c)
            rule = w.bind(op.cls.backward, f"{op.cls.__name__}_backward")
            r = w.fresh(f"r_{op.outs[0].name}")
            call = f"{rule}({c}, {', '.join(gs)})"
            if not op.cls.backward_on_arrays:
                call = f"_tensor_rule({rule}, {c}, {', '.join(gs)})"
            body = [f"{r} = {call}"]
            defs = {r}
            for i, inf in enumerate(info):
                if inf is None or i >= len(edges) or edges[i] is None:
                    results.append(None)
                    continue
                gname = w.fresh(f"d_{_input_name(op, i)}")
                body.append(f"{gname} = {r}[{i}]" if _tuple_result(rec, node) else
                            f"{gname} = {r}")
                defs.add(gname)
                results.append((gname, False))
            stmts.append(_Stmt(body, defs, uses, comment + "  (called through)"))
        # fit each gradient to its input and pass it on
        for i, res in enumerate(results):
            if res is None:
                continue
            edge = edges[i]
            g, is_fresh = res
            g, is_fresh = _fit(g, is_fresh, info[i], edge[2], edge[3], w, stmts, op, i)
            producer = edge[0]
            if isinstance(producer, Tensor):
                if not producer.requires_grad:
                    continue
                v = tracer.leaf_of(producer)
                if id(v) not in leaf_grads:
                    leaf_order.append(v)
                fresh.setdefault(g, is_fresh)
                arrive(id(v), g, is_fresh, leaf_grads, "d_" + w.name_leaf(v), w.name_leaf(v))
            else:
                prod = tracer.records[id(producer)]
                fresh.setdefault(g, is_fresh)
                arrive((id(producer), edge[1]), g, is_fresh, pending,
                       "d_" + prod.outs[edge[1]].name, prod.outs[edge[1]].name)
    if seed_arg:
        return [(v, leaf_grads[id(v)]) for v in leaf_order]
    for v in leaf_order:
        g = leaf_grads[id(v)]
        k = w.tensor_slot(v.tensor)
        own = fresh.get(g, False) and g not in written
        written.add(g)
        stmts.append(_Stmt([f"_write_grad(T[{k}], {g}, {own!r})"], set(), {g},
                           f"{w.name_leaf(v)}.grad = {g} (added to it if there is one)"))
    return []


def _tuple_result(rec: BackwardRecord, node: Any) -> bool:
    for n, _, was_tuple in rec.calls:
        if n is node:
            return was_tuple
    return True


def _input_name(op: OpRecord, i: int) -> str:
    a = op.args[i] if i < len(op.args) else None
    if isinstance(a, Value) and a.name:
        return a.name
    return f"{op.outs[0].name}_in{i}"


def _fit(g: str, is_fresh: bool, info: tuple, shape: tuple, dtype: Any, w: _Writer,
         stmts: list[_Stmt], op: OpRecord, i: int) -> tuple[str, bool]:
    """The engine's fitting of a rule's gradient to input ``i``, decided from the traced types."""
    cls, gshape, gdtype = info
    if cls is np.ndarray:
        need = gshape != shape or np.dtype(gdtype) != dtype
    else:
        need = bool(shape) or cls is not np.dtype(dtype).type
    if not need:
        return g, is_fresh
    lines = []
    out = w.fresh("d_" + _input_name(op, i))
    cur = g
    if cls is not np.ndarray:
        lines.append(f"{out} = np.asarray({cur})")
        cur = out
        gshape = np.shape(np.zeros(gshape))
    if gshape != shape:
        lead = len(gshape) - len(shape)
        if lead > 0 and gshape[lead:] == shape:
            lines.append(f"{out} = {cur}.sum(axis={tuple(range(lead))!r})")
        else:
            axes = list(range(lead)) if lead > 0 else []
            for k, n in enumerate(shape):
                if n != gshape[lead + k] and n == 1:
                    axes.append(lead + k)
            reduced = list(gshape)
            if axes:
                lines.append(f"{out} = {cur}.sum(axis={tuple(axes)!r})")
                reduced = [n for k, n in enumerate(gshape) if k not in axes]
                cur = out
            if tuple(reduced) != shape:
                lines.append(f"{out} = {cur}.reshape({shape!r})")
        cur = out
    if gdtype is None or np.dtype(gdtype) != dtype:
        lines.append(f"{out} = {cur}.astype(np.dtype({np.dtype(dtype).str!r}))")
    stmts.append(_Stmt(lines, {out}, {g}, f"sum the broadcast axes / cast, for input {i} of "
                                          f"{op.cls.__name__} (shape {shape}, {dtype})"))
    return out, True


# ---------------------------------------------------------------------------------------------
# The returned structure


def _output_spec(result: Any, tracer: _Tracer, outputs: list, w: _Writer,
                 has_backward: bool) -> Callable:
    """A function that rebuilds ``fn``'s return value from the generated code's results."""

    def spec(obj: Any) -> Callable:
        if isinstance(obj, Tensor):
            v = tracer.values.get(id(obj._data))
            leaf = tracer.leaf_values.get(id(obj))
            if leaf is not None and leaf.kind == "input":
                i = leaf.index
                return lambda out, T: T[i]
            if v is None or v.kind == "const":  # made from constants: a new copy each call
                data = obj._data
                return lambda out, T: Tensor._make(data.copy() if type(data) is np.ndarray
                                                   else data)
            if has_backward is False and obj.requires_grad:
                raise TracingError(
                    "compile: the function returns a tensor that requires grad but calls no "
                    "backward() itself; compiled code has no graph to differentiate later. Put "
                    "the backward() inside the compiled function (a whole training step), or "
                    "return loss.detach()"
                )
            k = len(outputs)
            outputs.append(v)
            if has_backward is None and obj is tracer.later.root:
                tracer.later_output = k
            return lambda out, T: out[k] if isinstance(out[k], Tensor) else Tensor._make(out[k])
        if isinstance(obj, (tuple, list)):
            parts = [spec(o) for o in obj]
            kind = type(obj)
            if kind in (tuple, list):
                return lambda out, T: kind(p(out, T) for p in parts)
            return lambda out, T: kind(*[p(out, T) for p in parts])  # namedtuple
        if isinstance(obj, dict):
            items = [(k, spec(v)) for k, v in obj.items()]
            return lambda out, T: {k: p(out, T) for k, p in items}
        return lambda out, T: obj

    build = spec(result)
    n = len(tracer.inputs)

    def rebuild(out: tuple, T: list | None = None) -> Any:
        return build(out, T)

    rebuild.n = n  # type: ignore[attr-defined]
    return _Builder(build)


class _Builder:
    def __init__(self, build: Callable) -> None:
        self.build = build

    def __call__(self, out: Any, T: list, tensors_given: bool = False) -> Any:
        return self.build(out, T)
