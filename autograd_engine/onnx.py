"""``ag.onnx.export``: write a function or ``nn.Module`` as an ONNX model.

The exporter records one forward pass and walks the recorded graph through the public node
interface only (``t.grad_fn``, ``node.name``, ``node.next_functions``, ``node.inputs`` and
``vars(node)`` for op attributes, see CONTRIBUTING.md): the graph that backward would walk *is*
the model. Every engine op becomes one ONNX node or a small fixed pattern of them; parameters
and other constants become initializers (named by their ``state_dict`` keys when ``fn`` is a
Module), the example inputs become graph inputs. Ops it cannot translate are refused, all of them
named in one error, before anything is written.

Recording needs gradients: float inputs are passed as fresh leaves that require grad, a Module's
parameters are made to require grad for the duration (their flags are restored afterwards), and a
Module runs in eval mode, as ``torch.onnx.export`` does (dropout is the identity, batch norm uses
its running statistics). Integer inputs (indices for ``nn.Embedding``) cannot require grad: they
must reach an op as they are (an index), not through arithmetic, which would not be recorded.

The batch axis (``batch_axis``, axis 0 by default) is dynamic: the function is recorded a second
time on a batch one larger (the example with its first row repeated), and every size that grows
with the batch (a reshape's target, the shape of a zero initial state, the divisor of a mean over
the batch) is computed from the input's shape in the model. A constant that changes between the
two passes in any other way (a mask computed from the data, a ``Where`` condition: comparisons are
not recorded) is refused with the advice to pass ``batch_axis=None``, which exports fixed shapes
from one pass.

``onnx`` (to build and check the model) is imported only when ``export`` runs: install it with
``pip install 'autograd_engine[onnx]'``, which also brings ``onnxruntime`` to run the model. The
file opens in Netron (https://netron.app) to be looked at.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .function import Function
from .grad_mode import enable_grad
from .tensor import Tensor

__all__ = ["OPSET", "export"]

#: The ONNX opset the exporter writes (onnxruntime 1.20 and newer run it).
OPSET = 21

_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min
_ENGINE = "autograd_engine.ops."
_NN = "nn._ops."


def export(fn: Callable[..., Any], example_inputs: Any, path: str | os.PathLike | None, *,
           input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
           batch_axis: int | None = 0) -> Any:
    """Record ``fn(*example_inputs)`` once and write it to ``path`` as an ONNX model.

    ``fn`` is any callable of Tensors, e.g. an ``nn.Module`` (exported in eval mode, its
    parameters as initializers named by their ``state_dict`` keys). It is called twice, the
    second time on other values (and a batch one larger) to find what depends on the data and
    on the batch size; a plain function is called as it is, so put the modules it uses in eval
    mode first. ``example_inputs`` is a Tensor,
    an array or a tuple of them; their values only serve to record the graph. Outputs may be a
    Tensor or (nested) tuples and lists of Tensors, as an LSTM returns; they become the graph's
    outputs in that order. ``batch_axis`` of every input (and every size that grows with it) is
    dynamic; ``None`` exports fixed shapes. Returns the ``onnx.ModelProto`` (checked with
    ``onnx.checker``); ``path=None`` writes no file.

    Ops that have no translation are refused with a ``ValueError`` naming each of them (and the
    module they ran in), before anything is written. float32 and float64 models both export;
    onnxruntime runs float64 ones too, except ``erf`` and exact ``gelu`` (it has no float64 Erf).

    >>> import os, tempfile
    >>> import numpy as np
    >>> import autograd_engine as ag
    >>> import nn
    >>> onnx = __import__("pytest").importorskip("onnx")
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> path = os.path.join(tempfile.mkdtemp(), "mlp.onnx")
    >>> proto = ag.onnx.export(model, np.zeros((2, 4), np.float32), path)
    >>> [n.op_type for n in proto.graph.node]
    ['Gemm', 'Relu', 'Gemm']
    >>> [i.name for i in proto.graph.initializer]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """
    try:
        import onnx
    except ImportError:
        raise ImportError("ag.onnx.export needs the onnx package: pip install "
                          "'autograd_engine[onnx]' (or pip install onnx onnxruntime)") from None
    inputs = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    arrays = []
    for k, x in enumerate(inputs):
        a = np.asarray(x.data if isinstance(x, Tensor) else x)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"ag.onnx.export: example input {k} has dtype {a.dtype}; pass numeric "
                            "Tensors or arrays")
        arrays.append(a)
    if batch_axis is not None:
        if not isinstance(batch_axis, (int, np.integer)) or batch_axis < 0:
            raise ValueError(f"ag.onnx.export: batch_axis must be a non-negative int or None, got "
                             f"{batch_axis!r}")
        bad = [k for k, a in enumerate(arrays) if a.ndim <= batch_axis]
        if bad:
            raise ValueError(f"ag.onnx.export: batch_axis={batch_axis} but example input(s) {bad} "
                             f"have shapes {[arrays[k].shape for k in bad]}; pass batch_axis=None "
                             "for fixed shapes")
    names = _names(input_names, len(arrays), "input")
    first = _trace(fn, arrays)
    # The second pass: other values (each example flipped, floats also scaled and shifted, so that
    # statistics of the data change too), and one more row on the batch axis.
    others = [(np.flip(a) * 1.5 + 0.125).astype(a.dtype) if a.dtype.kind == "f" else np.flip(a)
              for a in arrays]
    if batch_axis is not None:
        others = [np.concatenate([o, np.take(o, [0], axis=batch_axis)], axis=batch_axis)
                  for o in others]
    second = _trace(fn, others)
    out_names = _names(output_names, len(first.outputs), "output")
    model = _Exporter(first, second, batch_axis, names, out_names, fn).build(onnx)
    onnx.checker.check_model(model, full_check=True)
    if path is not None:
        onnx.save(model, os.fspath(path))
    return model


def _names(given: Sequence[str] | None, n: int, stem: str) -> list[str]:
    if given is None:
        return [stem] if n == 1 else [f"{stem}_{k}" for k in range(n)]
    given = list(given)
    if len(given) != n or len(set(given)) != n:
        raise ValueError(f"ag.onnx.export: {stem}_names must be {n} distinct names, got {given}")
    return given


class _Trace:
    """One recorded forward: its input leaves, flat outputs and nodes in topological order."""

    def __init__(self, inputs: list[Tensor], outputs: list[Tensor]) -> None:
        self.inputs, self.outputs = inputs, outputs
        roots = [t.grad_fn for t in outputs if t.grad_fn is not None]
        self.order = _topological(roots)


def _trace(fn: Callable[..., Any], arrays: list[np.ndarray]) -> _Trace:
    leaves = [Tensor(a.copy(), requires_grad=True) if a.dtype.kind == "f" else Tensor(a.copy())
              for a in arrays]
    restore: list[Callable[[], Any]] = []
    # A Module: eval mode and parameters that require grad, for the duration of the call.
    modules = list(fn.modules()) if callable(getattr(fn, "modules", None)) else []
    modes = [(m, m.training) for m in modules]
    for m, _ in modes:
        m.train(False)
    for m, mode in modes:  # parents first: train() also sets a module's children
        restore.append(lambda m=m, mode=mode: m.train(mode))
    params = list(fn.parameters()) if callable(getattr(fn, "parameters", None)) else []
    for p in params:
        if not p.requires_grad and p.dtype.kind == "f":
            p.requires_grad = True
            restore.append(lambda p=p: p.requires_grad_(False))
    try:
        with enable_grad():
            out = fn(*leaves)
    finally:
        for undo in restore:
            undo()
    flat: list[Tensor] = []
    stack = [out]
    while stack:  # nested tuples/lists of Tensors, in order
        o = stack.pop()
        if isinstance(o, (tuple, list)):
            stack.extend(reversed(o))
        elif isinstance(o, Tensor):
            flat.append(o)
        else:
            raise TypeError(f"ag.onnx.export: the function returned a {type(o).__name__}; outputs "
                            "must be Tensors or (nested) tuples/lists of Tensors")
    return _Trace(leaves, flat)


def _topological(roots: list[Function]) -> list[Function]:
    """Nodes reachable from ``roots``, every node after the nodes that produce its inputs."""
    order: list[Function] = []
    seen: set = set()
    for root in roots:
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append((node, True))
            for edge in reversed(node.next_functions):
                if edge is not None and isinstance(edge[0], Function) and edge[0] not in seen:
                    stack.append((edge[0], False))
    return order


def _key(node: Function) -> str:
    cls = type(node)
    return f"{cls.__module__}.{cls.__qualname__}"


class _Refused(Exception):
    """An op (or a use of one) with no translation; collected and reported together."""


class _Exporter:
    """Builds the ONNX graph from the first pass, with what the second pass showed (which sizes
    and constants follow the batch): ``values`` maps each node output to its ONNX name, and each
    rule in ``_RULES`` adds the nodes for one engine op through ``add``, ``arg`` and ``const``."""

    def __init__(self, first: _Trace, second: _Trace, batch_axis: int | None,
                 input_names: list[str], output_names: list[str], fn: Any) -> None:
        self.t, self.batch_axis = first, batch_axis
        self.input_names, self.output_names = input_names, output_names
        self.nodes: list = []
        self.initializers: list = []
        self.const_names: dict[int, str] = {}
        self.kept: list = []  # constants named by id(): kept alive so ids stay unique
        self.counter = 0
        self.batch_value: str | None = None
        # Where every node's outputs go, with their shapes and dtypes.
        self.meta: dict[tuple, tuple] = {}
        self.consumers: dict[Function, list] = {n: [] for n in first.order}
        for node in first.order:
            for i, e in enumerate(node.next_functions):
                if e is not None and isinstance(e[0], Function):
                    self.meta[(e[0], e[1])] = (tuple(e[2]), np.dtype(e[3]))
                    self.consumers[e[0]].append((node, i, e[1]))
        for t in first.outputs:
            if t.grad_fn is not None:
                self.meta[(t.grad_fn, t.output_nr)] = (tuple(t.shape), t.dtype)
        self.dyn: dict[Any, tuple] = {}  # per value: each dim's multiple of the batch (0: fixed)
        # (node, arg) -> the batch multiple of each dim of a constant fill (zero initial states),
        # or ("times" | "over", k) for a scalar k * batch or k / batch (a mean's divisor)
        self.dyn_consts: dict[tuple, tuple] = {}
        self.input_of = {id(t): k for k, t in enumerate(first.inputs)}
        self.input_data = {id(t.data): k for k, t in enumerate(first.inputs)}
        self.used_inputs: set[int] = set()
        self._compare(second)
        self.param_names: dict[int, str] = {}
        self.scope_names: dict[int, str] = {}
        if callable(getattr(fn, "named_modules", None)):
            for name, m in fn.named_modules():
                self.scope_names[id(m)] = name or type(m).__name__
                for pname, p in list(m.named_parameters(recurse=False)) + \
                        list(m.named_buffers(recurse=False)):
                    if p is not None:
                        self.param_names.setdefault(id(p), f"{name}.{pname}" if name else pname)
        self.values: dict[Any, str] = {}

    # ----- the second pass: which sizes follow the batch --------------------------------------
    def _compare(self, second: _Trace) -> None:
        """Match the second pass (other values, a batch one larger unless ``batch_axis`` is None)
        with the first, node by node: sizes that grew are multiples of the batch; constants must
        be the same, or fills and counts that follow the batch."""
        a, b = self.t, second
        ax = self.batch_axis
        if ax is None:
            n1 = n2 = 1
            changed = "other input values"
            fix = ("; the model would hard-code the example's. Compute it with recorded Tensor "
                   "ops (comparisons, .data and NumPy calls are not recorded)")
        else:
            n1 = a.inputs[0].shape[ax]
            n2 = b.inputs[0].shape[ax]
            changed = "other input values and a batch one larger"
            fix = ("; pass batch_axis=None to export fixed shapes, and compute what depends on the "
                   "data with recorded Tensor ops (comparisons, .data and NumPy calls are not "
                   "recorded)")
            if any(t.shape[ax] != n1 for t in a.inputs):
                raise ValueError(f"ag.onnx.export: the example inputs differ in size on "
                                 f"batch_axis={ax} ({[t.shape for t in a.inputs]}); pass "
                                 "batch_axis=None")
        names_a = [n.name for n in a.order]
        names_b = [n.name for n in b.order]
        if names_a != names_b or len(a.outputs) != len(b.outputs):
            raise ValueError(f"ag.onnx.export: the function records a different graph for {changed} "
                             "(Python control flow on the data or the batch size), so no one "
                             "graph stands for it" + (fix if ax is not None else ""))

        def multiples(s1: tuple, s2: tuple, what: str) -> tuple:
            if len(s1) != len(s2):
                raise ValueError(f"ag.onnx.export: {what} changes rank for {changed}" + fix)
            out = []
            for d1, d2 in zip(s1, s2):
                if d1 == d2:
                    out.append(0)
                elif d1 * n2 == d2 * n1 and d1 % n1 == 0:
                    out.append(d1 // n1)
                else:
                    raise ValueError(f"ag.onnx.export: a size of {what} changes from {d1} to {d2} "
                                     f"for {changed}, not in proportion to the batch" + fix)
            return tuple(out)

        for t in a.inputs:
            self.dyn[id(t)] = tuple(int(k == ax) for k in range(t.ndim))  # (ax None: all 0)
        for na, nb in zip(a.order, b.order):
            ea, eb = na.next_functions, nb.next_functions
            for i, (x, y) in enumerate(zip(ea, eb)):
                if (x is None) != (y is None):
                    raise ValueError(f"ag.onnx.export: the graph differs for {changed}" + fix)
                if x is not None and isinstance(x[0], Function):
                    self.dyn[(x[0], x[1])] = multiples(x[2], y[2], f"the output of {x[0].name}")
                if x is None:  # a constant: the same, or a batch-sized fill
                    ca, cb = na.inputs[i], nb.inputs[i]
                    va = np.asarray(ca.data if isinstance(ca, Tensor) else ca)
                    vb = np.asarray(cb.data if isinstance(cb, Tensor) else cb)
                    if isinstance(ca, Tensor) and id(ca) in self.input_of:
                        continue
                    if va.shape == vb.shape:
                        if va.dtype.kind not in "biufc" or np.array_equal(va, vb, equal_nan=True):
                            continue
                        if va.size == 1 and va.dtype.kind in "iuf":  # a count, or one over it
                            c1, c2 = va.item(), vb.item()
                            if c1 * n2 == c2 * n1 and c1 % n1 == 0:  # (a mean's divisor)
                                self.dyn_consts[(na, i)] = ("times", c1 // n1)
                                continue
                            if va.dtype.kind == "f" and np.isclose(
                                    c1 * n1, c2 * n2, rtol=4 * np.finfo(va.dtype).eps, atol=0):
                                self.dyn_consts[(na, i)] = ("over", c1 * n1)
                                continue
                        raise ValueError(
                            f"ag.onnx.export: a constant argument of {na.name}{_where(na)} "
                            f"changes for {changed} (e.g. a mask computed from the data)" + fix)
                    dims = multiples(va.shape, vb.shape, f"a constant argument of {na.name}")
                    if va.size and not (va == va.flat[0]).all():
                        raise ValueError(
                            f"ag.onnx.export: {na.name}{_where(na)} takes a constant of shape "
                            f"{va.shape} that grows with the batch and is not one repeated value "
                            "(only fills such as zero initial states can be exported with a "
                            "dynamic batch)" + fix)
                    self.dyn_consts[(na, i)] = dims
        for ta, tb in zip(a.outputs, b.outputs):
            if ta.grad_fn is not None:
                self.dyn[(ta.grad_fn, ta.output_nr)] = multiples(ta.shape, tb.shape, "an output")

    # ----- building blocks ----------------------------------------------------------------------
    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}_{self.counter}"

    def add(self, op: str, inputs: list[str], n_out: int = 1, outputs: list[str] | None = None,
            **attrs: Any) -> list[str]:
        outputs = outputs or [self.fresh(op.lower()) for _ in range(n_out)]
        name = self.fresh(f"{self.scope}{op}")
        self.nodes.append(self.onnx.helper.make_node(op, inputs, outputs, name=name, **attrs))
        return outputs

    def const(self, value: Any, dtype: Any = None, name: str | None = None) -> str:
        arr = np.asarray(value, dtype=dtype)
        if arr.dtype.kind not in "biuf":
            raise _Refused(f"a constant of dtype {arr.dtype}")
        name = name or self.fresh("const")
        self.initializers.append(self.onnx.numpy_helper.from_array(arr.copy(order="C"), name))
        return name

    def ints(self, values: Sequence[int]) -> str:
        return self.const(np.asarray(list(values), dtype=np.int64))

    def batch(self) -> str:
        """The batch size, as a 1-element int64 tensor read from the first input's shape."""
        if self.batch_value is None:
            shape = self.add("Shape", [self.input_names[0]], start=self.batch_axis,
                             end=self.batch_axis + 1)[0]
            self.batch_value = shape
        return self.batch_value

    def shape_tensor(self, dims: Sequence[int], dyn: Sequence[int] | None,
                     minus_one: bool = True) -> str:
        """``dims`` as an int64 shape input, computing the sizes that are multiples of the batch.
        One such size in a reshape's target can simply be -1 (``minus_one``)."""
        dyn = dyn or (0,) * len(dims)
        moving = [k for k, m in enumerate(dyn) if m]
        if not moving:
            return self.ints(dims)
        if minus_one and len(moving) == 1:
            return self.ints([-1 if k == moving[0] else d for k, d in enumerate(dims)])
        parts = []
        for d, m in zip(dims, dyn):
            if m == 0:
                parts.append(self.ints([d]))
            elif m == 1:
                parts.append(self.batch())
            else:
                parts.append(self.add("Mul", [self.batch(), self.ints([m])])[0])
        return self.add("Concat", parts, axis=0)[0]

    # ----- the graph's values -------------------------------------------------------------------
    def arg(self, node: Function, i: int) -> str:
        """The ONNX name of argument ``i`` of ``node``."""
        e = node.next_functions[i]
        if e is not None:
            src = e[0]
            if isinstance(src, Function):
                return self.values[(src, e[1])]
            return self.leaf(src)
        value = node.inputs[i]
        if isinstance(value, Tensor) and id(value) in self.input_of:
            return self.leaf(value)
        if (node, i) in self.dyn_consts:  # a fill that grows with the batch, or a count
            v = np.asarray(value.data if isinstance(value, Tensor) else value)
            how = self.dyn_consts[(node, i)]
            if how[0] in ("times", "over"):  # k * batch, or k / batch
                dtype = self.onnx.helper.np_dtype_to_tensor_dtype(v.dtype)
                n = self.add("Reshape", [self.add("Cast", [self.batch()], to=dtype)[0],
                                         self.ints(v.shape)])[0]
                k = self.const(np.asarray(how[1], dtype=v.dtype))
                return self.add("Mul", [n, k])[0] if how[0] == "times" else \
                    self.add("Div", [k, n])[0]
            fill = self.const(v.reshape(-1)[:1].reshape(()) if v.size else np.zeros((), v.dtype))
            dims = self.dyn_consts[(node, i)]
            return self.add("Expand", [fill, self.shape_tensor(v.shape, dims, minus_one=False)])[0]
        return self.constant(value)

    def leaf(self, t: Tensor) -> str:
        k = self.input_of.get(id(t))
        if k is not None:
            self.used_inputs.add(k)
            return self.input_names[k]
        return self.constant(t)

    def constant(self, value: Any) -> str:
        key = id(value)
        if key in self.const_names:
            return self.const_names[key]
        arr = np.asarray(value.data if isinstance(value, Tensor) else value)
        name = self.const(arr, name=self.param_names.get(key))
        self.const_names[key] = name
        self.kept.append(value)
        return name

    def value(self, node: Function, i: int) -> Any:
        """Argument ``i`` as a NumPy value when it is a constant, else None."""
        if node.next_functions[i] is not None or (node, i) in self.dyn_consts:
            return None
        v = node.inputs[i]
        if isinstance(v, Tensor):
            return None if id(v) in self.input_of else v.data
        return np.asarray(v)

    def arg_meta(self, node: Function, i: int) -> tuple[tuple, np.dtype]:
        e = node.next_functions[i]
        if e is not None:
            return tuple(e[2]), np.dtype(e[3])
        v = node.inputs[i]
        v = np.asarray(v.data if isinstance(v, Tensor) else v)
        return v.shape, v.dtype

    def cast_arg(self, node: Function, i: int, dtype: np.dtype) -> str:
        """Argument ``i`` in ``dtype`` (constants converted, graph values cast)."""
        v = self.value(node, i)
        if v is not None and v.dtype != dtype:
            return self.const(v.astype(dtype))
        name = self.arg(node, i)
        if self.arg_meta(node, i)[1] != dtype:
            return self.add("Cast", [name], to=self.onnx.helper.np_dtype_to_tensor_dtype(dtype))[0]
        return name

    # ----- the model ----------------------------------------------------------------------------
    def build(self, onnx: Any) -> Any:
        self.onnx = onnx
        self.scope = ""
        order = self.t.order
        skip = self._fuse(order)
        refused: list[str] = []
        failed: set = set()
        for node in order:
            if node in skip:
                continue
            rule = _RULES.get(_key(node))
            self.scope = self._scope(node)
            if rule is None:
                refused.append(f"{node.name}{_where(node)}")
                failed.add(node)
            elif any(e is not None and e[0] in failed for e in node.next_functions):
                failed.add(node)  # (an input could not be exported: that op is reported)
            else:
                try:
                    outs = rule(self, node)
                except _Refused as exc:
                    refused.append(f"{node.name}{_where(node)} ({exc})")
                    failed.add(node)
            if node in failed:
                continue
            for nr, name in enumerate(outs):
                self.values[(node, nr)] = name
            for nr, emit in self.fused.get(node, ()):
                self.values[emit] = outs[nr]
        if refused:
            unique = list(dict.fromkeys(refused))
            raise ValueError("ag.onnx.export: cannot export these ops (nothing was written): "
                             + "; ".join(unique) + ". Supported: " + ", ".join(sorted(
                                 {k.rsplit(".", 1)[1] for k in _RULES})))
        self.scope = ""
        outputs = self._outputs()
        unused = [k for k in range(len(self.t.inputs)) if k not in self.used_inputs]
        if unused:
            raise ValueError(
                f"ag.onnx.export: example input(s) {[self.input_names[k] for k in unused]} do not "
                "reach the outputs through recorded ops, so the model would ignore them (an "
                "integer input used in arithmetic, or an input used only through .data or NumPy, "
                "is not recorded); use integer inputs only as indices (e.g. nn.Embedding)")
        helper = onnx.helper
        graph_inputs = []
        for name, t in zip(self.input_names, self.t.inputs):
            dims = [("batch" if self.batch_axis is not None and k == self.batch_axis else d)
                    for k, d in enumerate(t.shape)]
            graph_inputs.append(helper.make_tensor_value_info(
                name, helper.np_dtype_to_tensor_dtype(t.dtype), dims))
        graph = helper.make_graph(self.nodes, "autograd_engine", graph_inputs, outputs,
                                  self.initializers)
        opset = [helper.make_opsetid("", OPSET)]
        from . import __version__

        model = helper.make_model(graph, opset_imports=opset, producer_name="autograd_engine",
                                  producer_version=__version__)
        model.ir_version = helper.find_min_ir_version_for(opset)
        return model

    def _outputs(self) -> list:
        """The graph outputs: the producing node's output is renamed to the requested name (an
        input, a constant or a value given out twice goes through Identity)."""
        helper = self.onnx.helper
        fixed = set(self.input_names) | {i.name for i in self.initializers}
        renamed: dict[str, str] = {}
        result = []
        for name, t in zip(self.output_names, self.t.outputs):
            if t.grad_fn is not None:
                src = self.values[(t.grad_fn, t.output_nr)]
                dyn = self.dyn.get((t.grad_fn, t.output_nr), (0,) * t.ndim)
            elif id(t) in self.input_of:
                src = self.leaf(t)
                dyn = self.dyn.get(id(t), (0,) * t.ndim)
            else:
                raise ValueError(
                    f"ag.onnx.export: output {name!r} (shape {t.shape}, dtype {t.dtype}) was not "
                    "recorded: integer and boolean results (argmax, comparisons) never are, nor "
                    "values computed under no_grad or through .data/NumPy; return the float "
                    "result (e.g. the scores, and take argmax on the model's output)")
            if src in renamed or src in fixed:
                self.add("Identity", [renamed.get(src, src)], outputs=[name])
            else:
                renamed[src] = name
                for n in self.nodes:
                    for k, o in enumerate(n.output):
                        if o == src:
                            n.output[k] = name
                    for k, o in enumerate(n.input):
                        if o == src:
                            n.input[k] = name
            dims = [d if m == 0 else ("batch" if m == 1 else f"batch*{m}")
                    for d, m in zip(t.shape, dyn)]
            result.append(helper.make_tensor_value_info(
                name, helper.np_dtype_to_tensor_dtype(t.dtype), dims))
        return result

    def _scope(self, node: Function) -> str:
        for m in reversed(node.scope):
            name = self.scope_names.get(id(m))
            if name is not None:
                return f"{name}/"
        return ""

    # ----- conv2d and avg_pool2d: Unfold and its fixed followers become one node -------------
    def _fuse(self, order: list[Function]) -> dict:
        """Find conv2d's and avg_pool2d's patterns; return the nodes they absorb. The Unfold
        node's rule then emits Conv/AveragePool, whose output stands for the last node's."""
        roots = {(t.grad_fn, t.output_nr) for t in self.t.outputs}
        self.fused: dict[Function, list] = {}
        self.patterns: dict[Function, tuple] = {}
        skip: dict = {}

        def only(node: Function, name: str, arg: int | None = 0) -> Function | None:
            uses = self.consumers.get(node, [])
            if (node, 0) in roots or len(uses) != 1:
                return None
            nxt, i, _ = uses[0]
            if nxt.name != name or _key(nxt).split(".")[0] != "autograd_engine" or \
                    (arg is not None and i != arg):
                return None
            return nxt

        for u in order:
            if _key(u) != _ENGINE + "nn_ops.Unfold":
                continue
            r1 = only(u, "Reshape")
            mm = r1 and only(r1, "MatMul", arg=1)
            r2 = mm and only(mm, "Reshape")
            t = r2 and only(r2, "Transpose")
            if t is not None and tuple(vars(t).get("axes") or ()) == (1, 0, 2, 3):
                absorbed = [r1, mm, r2, t]
                e = mm.next_functions[0]
                rw = e[0] if e is not None and isinstance(e[0], Function) else None
                if rw is not None and rw.name == "Reshape" and len(self.consumers[rw]) == 1 and \
                        len(self.arg_meta(rw, 0)[0]) == 4:
                    absorbed.append(rw)
                    weight = (rw, 0)
                else:
                    weight = (mm, 0)
                bias, last = None, t
                a = only(t, "Add", arg=None)  # conv2d's bias: + b.reshape(1, O, 1, 1)
                if a is not None and self.meta[(a, 0)][1] == self.meta[(t, 0)][1]:
                    j = 1 - next(i for n, i, _ in self.consumers[t] if n is a)
                    out_channels = self.meta[(t, 0)][0][1]
                    e = a.next_functions[j]
                    rb = e[0] if e is not None and isinstance(e[0], Function) else None
                    if rb is not None and rb.name == "Reshape" and len(self.consumers[rb]) == 1 \
                            and self.arg_meta(rb, 0)[0] == (out_channels,) \
                            and self.meta[(rb, 0)][0] == (1, out_channels, 1, 1):
                        bias, last = (rb, 0), a
                        absorbed += [a, rb]
                    elif self.value(a, j) is not None and \
                            self.arg_meta(a, j)[0] == (1, out_channels, 1, 1):
                        bias, last = (a, j), a
                        absorbed.append(a)
                self.patterns[u] = ("conv", mm, weight, bias)
                for n in absorbed:
                    skip[n] = u
                self.fused[u] = [(0, (last, 0))]
                continue
            s = only(u, "Sum")
            m = s and only(s, "Mul", arg=None)
            t = m and only(m, "Transpose")
            params = vars(u).get("params", {})
            if t is not None and tuple(vars(s).get("axes") or ()) == (1, 2) and \
                    not vars(s).get("keepdims") and tuple(vars(t).get("axes") or ()) == (1, 0, 2, 3) \
                    and tuple(params.get("dilation", ())) == (1, 1):
                kh, kw = params["kernel"]
                c = [self.value(m, i) for i in (0, 1)]
                scale = next((v for v in c if v is not None and v.size == 1), None)
                if scale is not None and np.isclose(float(scale), 1.0 / (kh * kw)):
                    self.patterns[u] = ("avgpool", t)
                    for n in (s, m, t):
                        skip[n] = u
                    self.fused[u] = [(0, (t, 0))]
        return skip


def _where(node: Function) -> str:
    scope = getattr(node, "scope", ())
    return f" in {type(scope[-1]).__name__}" if scope else ""


# ----- the rules: one function per engine op, returning the names of its outputs ----------------


def _out(ex: _Exporter, node: Function, nr: int = 0) -> tuple[tuple, np.dtype]:
    return ex.meta[(node, nr)]


def _elementwise(op: str) -> Callable:
    def rule(ex: _Exporter, node: Function) -> list[str]:
        dtype = _out(ex, node)[1]
        return ex.add(op, [ex.cast_arg(node, i, dtype) for i in range(len(node.next_functions))])
    return rule


def _unary(op: str, **attrs: Any) -> Callable:
    def rule(ex: _Exporter, node: Function) -> list[str]:
        return ex.add(op, [ex.arg(node, 0)], **attrs)
    return rule


def _params(node: Function) -> dict:
    """The keyword parameters an op stored on its node (``ctx.slope = slope``, ...)."""
    return vars(node)


def _float32_native(op: str, **attrs: tuple[str, float]) -> Callable:
    """The rule of a unary op that onnxruntime implements for float32 only: ``op`` itself on
    float32, with each attribute ``name=(param, default)`` read from the node's attributes; for other
    dtypes, what the decorated function composes from basic ops (given ``x``, the dtype and the
    attributes)."""
    def wrap(compose: Callable[..., list[str]]) -> Callable:
        def rule(ex: _Exporter, node: Function) -> list[str]:
            params = _params(node)
            values = {name: float(params.get(param, default))
                      for name, (param, default) in attrs.items()}
            dtype = _out(ex, node)[1]
            if dtype == np.float32:
                return ex.add(op, [ex.arg(node, 0)], **values)
            return compose(ex, ex.arg(node, 0), dtype, **values)
        return rule
    return wrap


@_float32_native("LeakyRelu", alpha=("slope", 0.01))
def _leaky_relu(ex: _Exporter, x: str, dtype: np.dtype, alpha: float) -> list[str]:
    # max(x, 0) + alpha * min(x, 0)
    zero = ex.const(0, dtype)
    neg = ex.add("Mul", [ex.add("Min", [x, zero])[0], ex.const(alpha, dtype)])[0]
    return ex.add("Add", [ex.add("Max", [x, zero])[0], neg])


@_float32_native("Softplus")
def _softplus(ex: _Exporter, x: str, dtype: np.dtype) -> list[str]:
    # max(x, 0) + log(1 + exp(-|x|)), which never overflows
    tail = ex.add("Exp", [ex.add("Neg", [ex.add("Abs", [x])[0]])[0]])[0]
    tail = ex.add("Log", [ex.add("Add", [tail, ex.const(1, dtype)])[0]])[0]
    return ex.add("Add", [ex.add("Max", [x, ex.const(0, dtype)])[0], tail])


@_float32_native("Elu", alpha=("alpha", 1.0))
def _elu(ex: _Exporter, x: str, dtype: np.dtype, alpha: float) -> list[str]:
    # max(x, 0) + alpha * (exp(min(x, 0)) - 1)
    zero = ex.const(0, dtype)
    em1 = ex.add("Sub", [ex.add("Exp", [ex.add("Min", [x, zero])[0]])[0], ex.const(1, dtype)])[0]
    return ex.add("Add", [ex.add("Max", [x, zero])[0],
                          ex.add("Mul", [em1, ex.const(alpha, dtype)])[0]])


def _gelu(ex: _Exporter, node: Function) -> list[str]:
    return ex.add("Gelu", [ex.arg(node, 0)], approximate=str(_params(node).get("approximate",
                                                                               "none")))


def _silu(ex: _Exporter, node: Function) -> list[str]:
    x = ex.arg(node, 0)
    return ex.add("Mul", [x, ex.add("Sigmoid", [x])[0]])


def _log1p(ex: _Exporter, node: Function) -> list[str]:
    dtype = _out(ex, node)[1]
    return ex.add("Log", [ex.add("Add", [ex.arg(node, 0), ex.const(1, dtype)])[0]])


def _axes(node: Function, ndim: int) -> list[int] | None:
    axes = vars(node).get("axes")
    if axes is None:
        return None
    axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
    return [int(a) % max(ndim, 1) for a in axes]


def _reduce(op: str) -> Callable:
    def rule(ex: _Exporter, node: Function) -> list[str]:
        ndim = len(ex.arg_meta(node, 0)[0])
        axes = _axes(node, ndim)
        x = ex.arg(node, 0)
        if axes is not None and len(axes) == 0:
            return ex.add("Identity", [x])
        keep = int(bool(vars(node).get("keepdims", False)))
        axes = list(range(ndim)) if axes is None else axes
        if ndim == 0:
            return ex.add("Identity", [x])
        return ex.add(op, [x, ex.ints(axes)], keepdims=keep)
    return rule


def _std(ex: _Exporter, node: Function) -> list[str]:
    ndim = len(ex.arg_meta(node, 0)[0])
    axes = _axes(node, ndim) or list(range(ndim))
    dtype = _out(ex, node)[1]
    x = ex.arg(node, 0)
    mean = ex.add("ReduceMean", [x, ex.ints(axes)], keepdims=1)[0]
    dev = ex.add("Sub", [x, mean])[0]
    ss = ex.add("ReduceSumSquare", [dev, ex.ints(axes)],
                keepdims=int(bool(vars(node).get("keepdims", False))))[0]
    var = ex.add("Div", [ss, ex.const(vars(node)["dof"], dtype)])[0]
    return ex.add("Sqrt", [var])


def _softmax(op: str) -> Callable:
    def rule(ex: _Exporter, node: Function) -> list[str]:
        axes = _axes(node, len(ex.arg_meta(node, 0)[0]))
        if axes is None or len(axes) != 1:
            raise _Refused(f"over axes {axes}: ONNX {op} takes one axis")
        return ex.add(op, [ex.arg(node, 0)], axis=axes[0])
    return rule


def _cumsum(ex: _Exporter, node: Function) -> list[str]:
    axis = vars(node).get("axis")
    x = ex.arg(node, 0)
    if axis is None:
        x = ex.add("Reshape", [x, ex.ints([-1])])[0]
        axis = 0
    return ex.add("CumSum", [x, ex.const(np.int64(axis))])


def _reshape(ex: _Exporter, node: Function) -> list[str]:
    shape, _ = _out(ex, node)
    dyn = ex.dyn.get((node, 0))
    return ex.add("Reshape", [ex.arg(node, 0), ex.shape_tensor(shape, dyn)])


def _transpose(ex: _Exporter, node: Function) -> list[str]:
    ndim = len(ex.arg_meta(node, 0)[0])
    axes = vars(node).get("axes")
    perm = list(range(ndim))[::-1] if axes is None else [int(a) % ndim for a in axes]
    return ex.add("Transpose", [ex.arg(node, 0)], perm=perm)


def _broadcast_to(ex: _Exporter, node: Function) -> list[str]:
    shape, _ = _out(ex, node)
    in_shape = ex.arg_meta(node, 0)[0]
    dyn = list(ex.dyn.get((node, 0)) or (0,) * len(shape))
    lead = len(shape) - len(in_shape)
    dims = list(shape)
    for k, d in enumerate(in_shape):  # Expand broadcasts both ways: 1 keeps the input's size
        if d == shape[lead + k] and d != 1:
            dims[lead + k], dyn[lead + k] = 1, 0
    return ex.add("Expand", [ex.arg(node, 0), ex.shape_tensor(dims, dyn, minus_one=False)])


def _concat(ex: _Exporter, node: Function) -> list[str]:
    ndim = len(ex.arg_meta(node, 0)[0])
    dtype = _out(ex, node)[1]
    axis = int(vars(node)["axis"]) % ndim
    return ex.add("Concat", [ex.cast_arg(node, i, dtype) for i in range(len(node.next_functions))],
                  axis=axis)


def _stack(ex: _Exporter, node: Function) -> list[str]:
    ndim = len(ex.arg_meta(node, 0)[0]) + 1
    dtype = _out(ex, node)[1]
    axis = int(vars(node)["axis"]) % ndim
    axes = ex.ints([axis])
    parts = [ex.add("Unsqueeze", [ex.cast_arg(node, i, dtype), axes])[0]
             for i in range(len(node.next_functions))]
    return ex.add("Concat", parts, axis=axis)


def _split(ex: _Exporter, node: Function) -> list[str]:
    """``nn``'s equal split (LSTM gates, time steps), optionally dropping the split axis."""
    in_shape = ex.arg_meta(node, 0)[0]
    axis = int(vars(node)["axis"]) % len(in_shape)
    squeeze = bool(vars(node).get("squeeze"))
    used = [nr for (_, _, nr) in ex.consumers[node]] + [
        t.output_nr for t in ex.t.outputs if t.grad_fn is node]
    piece = 1 if squeeze else ex.meta[(node, used[0])][0][axis]
    n = in_shape[axis] // piece
    outs = ex.add("Split", [ex.arg(node, 0)], n_out=n, axis=axis, num_outputs=n)
    if squeeze:
        axes = ex.ints([axis])
        outs = [ex.add("Squeeze", [o, axes])[0] for o in outs]
    return outs


def _getitem(ex: _Exporter, node: Function) -> list[str]:
    """Basic indexing (ints, slices, None, Ellipsis) as Slice + Gather + Unsqueeze; one integer
    array among slices (an embedding lookup) as Gather."""
    attrs = vars(node)
    shape = ex.arg_meta(node, 0)[0]
    index = attrs["index"]
    index = index if isinstance(index, tuple) else (index,)
    arrays = [k for k, i in enumerate(index)
              if isinstance(i, (np.ndarray, list, Tensor)) and not isinstance(i, bool)]
    if any(isinstance(i, (bool, np.bool_)) for i in index):
        raise _Refused("a boolean index")
    n_real = sum(1 for i in index if i is not None and i is not Ellipsis)
    if sum(1 for i in index if i is Ellipsis) > 1:
        raise _Refused("several Ellipses")
    full: list = []
    for i in index:
        if i is Ellipsis:
            full.extend([slice(None)] * (len(shape) - n_real))
        else:
            full.append(i)
    while sum(1 for i in full if i is not None) < len(shape):
        full.append(slice(None))
    x = ex.arg(node, 0)
    if arrays:
        if len(arrays) > 1 or any(isinstance(i, (int, np.integer)) or i is None for i in full):
            raise _Refused("an integer array index mixed with other integer, array or None indices")
        axis = next(k for k, i in enumerate(full) if not isinstance(i, slice))
        if any(isinstance(i, slice) and i != slice(None) for i in full):
            raise _Refused("an integer array index mixed with slices other than ':'")
        idx = full[axis]
        data = idx.data if isinstance(idx, Tensor) else np.asarray(idx)
        k = ex.input_data.get(id(data))
        if isinstance(idx, Tensor) and id(idx) in ex.input_of:
            k = ex.input_of[id(idx)]
        if k is not None:
            ex.used_inputs.add(k)
            name = ex.input_names[k]
            if ex.t.inputs[k].dtype != np.int64:
                name = ex.add("Cast", [name], to=ex.onnx.TensorProto.INT64)[0]
        else:
            name = ex.const(np.asarray(data, dtype=np.int64))
        return ex.add("Gather", [x, name], axis=axis)
    starts, ends, axes, steps = [], [], [], []
    gathers, unsqueeze = [], []
    in_axis = out_axis = 0
    for i in full:
        if i is None:
            unsqueeze.append(out_axis)
            out_axis += 1
            continue
        if isinstance(i, slice):
            if i != slice(None):
                step = 1 if i.step is None else int(i.step)
                if step > 0:
                    start = 0 if i.start is None else int(i.start)
                    stop = _INT64_MAX if i.stop is None else int(i.stop)
                else:
                    start = _INT64_MAX if i.start is None else int(i.start)
                    stop = _INT64_MIN if i.stop is None else int(i.stop)
                starts.append(start)
                ends.append(stop)
                axes.append(in_axis)
                steps.append(step)
            out_axis += 1
        elif isinstance(i, (int, np.integer)):
            gathers.append((in_axis, int(i)))
        else:
            raise _Refused(f"an index of type {type(i).__name__}")
        in_axis += 1
    if starts:
        x = ex.add("Slice", [x, ex.ints(starts), ex.ints(ends), ex.ints(axes), ex.ints(steps)])[0]
    for axis, i in reversed(gathers):  # from the last axis: earlier axis numbers stay valid
        x = ex.add("Gather", [x, ex.const(np.int64(i))], axis=axis)[0]
    if unsqueeze:
        x = ex.add("Unsqueeze", [x, ex.ints(unsqueeze)])[0]
    if x == ex.arg(node, 0):
        x = ex.add("Identity", [x])[0]
    return [x]


def _pad(ex: _Exporter, node: Function) -> list[str]:
    attrs = vars(node)
    width = attrs.get("pad_width")
    value = np.asarray(attrs.get("constant_values", 0))
    if width is None:
        raise _Refused("its pad widths were not recorded")
    if value.size != 1:
        raise _Refused("a different constant per axis (ONNX Pad takes one value)")
    dtype = _out(ex, node)[1]
    pads = [int(b) for b, _ in width] + [int(a) for _, a in width]
    return ex.add("Pad", [ex.arg(node, 0), ex.ints(pads), ex.const(value.reshape(()), dtype)],
                  mode="constant")


def _flip(ex: _Exporter, node: Function) -> list[str]:
    ndim = len(ex.arg_meta(node, 0)[0])
    axes = vars(node).get("axes")
    axes = list(range(ndim)) if axes is None else [int(a) % ndim for a in np.atleast_1d(axes)]
    n = len(axes)
    return ex.add("Slice", [ex.arg(node, 0), ex.ints([-1] * n), ex.ints([_INT64_MIN] * n),
                            ex.ints(axes), ex.ints([-1] * n)])


def _astype(ex: _Exporter, node: Function) -> list[str]:
    return ex.add("Cast", [ex.arg(node, 0)],
                  to=ex.onnx.helper.np_dtype_to_tensor_dtype(_out(ex, node)[1]))


def _where_op(ex: _Exporter, node: Function) -> list[str]:
    dtype = _out(ex, node)[1]
    cond = ex.value(node, 0)
    if cond is None:  # comparisons are never recorded: a condition is a constant of the trace
        raise _Refused("a condition that grows with the batch, so computed from the input data "
                       "(comparisons are not recorded)")
    return ex.add("Where", [ex.const(np.asarray(cond, dtype=bool)), ex.cast_arg(node, 1, dtype),
                            ex.cast_arg(node, 2, dtype)])


def _clip(ex: _Exporter, node: Function) -> list[str]:
    attrs = vars(node)
    if "a_min" not in attrs:
        raise _Refused("its bounds were not recorded")
    dtype = _out(ex, node)[1]
    x = ex.arg(node, 0)
    if attrs["a_min"] is not None:
        x = ex.add("Max", [x, ex.const(np.asarray(attrs["a_min"]), dtype)])[0]
    if attrs["a_max"] is not None:
        x = ex.add("Min", [x, ex.const(np.asarray(attrs["a_max"]), dtype)])[0]
    return [x]


def _matmul(ex: _Exporter, node: Function) -> list[str]:
    dtype = _out(ex, node)[1]
    return ex.add("MatMul", [ex.cast_arg(node, 0, dtype), ex.cast_arg(node, 1, dtype)])


def _linear(ex: _Exporter, node: Function) -> list[str]:
    """``nn``'s fused ``x @ w.T + b``: Gemm for a matrix, else MatMul (+ Add)."""
    x_shape = ex.arg_meta(node, 0)[0]
    ins = [ex.arg(node, i) for i in range(len(node.next_functions))]
    if len(x_shape) == 2:
        return ex.add("Gemm", ins, transB=1)
    wt = ex.add("Transpose", [ins[1]], perm=[1, 0])[0]
    y = ex.add("MatMul", [ins[0], wt])
    return ex.add("Add", [y[0], ins[2]]) if len(ins) > 2 else y


def _einsum(ex: _Exporter, node: Function) -> list[str]:
    attrs = vars(node)
    equation = ",".join(attrs["terms"]) + "->" + attrs["out"]
    dtype = _out(ex, node)[1]
    return ex.add("Einsum", [ex.cast_arg(node, i, dtype) for i in range(len(node.next_functions))],
                  equation=equation)


def _max_pool(ex: _Exporter, node: Function) -> list[str]:
    where = vars(node)["where"]
    (ph, pw) = where["padding"]
    return ex.add("MaxPool", [ex.arg(node, 0)], kernel_shape=list(where["kernel"]),
                  strides=list(where["stride"]), pads=[ph, pw, ph, pw])


def _unfold(ex: _Exporter, node: Function) -> list[str]:
    pattern = ex.patterns.get(node)
    if pattern is None:
        raise _Refused("im2col outside conv2d and avg_pool2d")
    params = vars(node)["params"]
    (kh, kw), (ph, pw) = params["kernel"], params["padding"]
    x = ex.arg(node, 0)
    if pattern[0] == "avgpool":
        return ex.add("AveragePool", [x], kernel_shape=[kh, kw], strides=list(params["stride"]),
                      pads=[ph, pw, ph, pw], count_include_pad=1)
    _, mm, (wnode, wi), bias = pattern
    g, og, k = ex.arg_meta(mm, 0)[0]
    in_channels = ex.arg_meta(node, 0)[0][1]
    w_shape = (g * og, in_channels // g, kh, kw)
    w = ex.arg(wnode, wi)
    if ex.arg_meta(wnode, wi)[0] != w_shape:
        v = ex.value(wnode, wi)  # a constant weight (not a parameter): reshape it here
        w = ex.const(v.reshape(w_shape)) if v is not None else \
            ex.add("Reshape", [w, ex.ints(w_shape)])[0]
    inputs = [x, w]
    if bias is not None:
        bnode, bi = bias
        v = ex.value(bnode, bi)
        dtype = ex.arg_meta(mm, 0)[1]
        inputs.append(ex.arg(bnode, bi) if v is None else ex.const(v.reshape(-1).astype(dtype)))
    return ex.add("Conv", inputs, kernel_shape=[kh, kw], strides=list(params["stride"]),
                  pads=[ph, pw, ph, pw], dilations=list(params["dilation"]), group=int(g))


_RULES: dict[str, Callable[[_Exporter, Function], list[str]]] = {
    **{_ENGINE + "elementwise." + name: _elementwise(op) for name, op in [
        ("Add", "Add"), ("Sub", "Sub"), ("Mul", "Mul"), ("Div", "Div"), ("Pow", "Pow"),
        ("Maximum", "Max"), ("Minimum", "Min")]},
    **{_ENGINE + "elementwise." + name: _unary(op) for name, op in [
        ("Neg", "Neg"), ("Abs", "Abs"), ("Exp", "Exp"), ("Log", "Log"), ("Sqrt", "Sqrt"),
        ("Sin", "Sin"), ("Cos", "Cos"), ("Tanh", "Tanh"), ("Sigmoid", "Sigmoid"),
        ("Relu", "Relu"), ("Erf", "Erf")]},
    _ENGINE + "elementwise.Softplus": _softplus,
    _ENGINE + "elementwise.LeakyRelu": _leaky_relu,
    _ENGINE + "elementwise.Elu": _elu,
    _ENGINE + "elementwise.Gelu": _gelu,
    _ENGINE + "elementwise.Silu": _silu,
    _ENGINE + "elementwise.Log1p": _log1p,
    _ENGINE + "elementwise.AsType": _astype,
    _ENGINE + "elementwise.Where": _where_op,
    _ENGINE + "elementwise.Clip": _clip,
    _ENGINE + "reduce.Sum": _reduce("ReduceSum"),
    _ENGINE + "reduce.Max": _reduce("ReduceMax"),
    _ENGINE + "reduce.Min": _reduce("ReduceMin"),
    _ENGINE + "reduce.Prod": _reduce("ReduceProd"),
    _ENGINE + "reduce.LogSumExp": _reduce("ReduceLogSumExp"),
    _ENGINE + "reduce.Std": _std,
    _ENGINE + "reduce.Softmax": _softmax("Softmax"),
    _ENGINE + "reduce.LogSoftmax": _softmax("LogSoftmax"),
    _ENGINE + "reduce.Cumsum": _cumsum,
    _ENGINE + "shape.Reshape": _reshape,
    _ENGINE + "shape.Transpose": _transpose,
    _ENGINE + "shape.BroadcastTo": _broadcast_to,
    _ENGINE + "shape.GetItem": _getitem,
    _ENGINE + "join.Concatenate": _concat,
    _ENGINE + "join.Stack": _stack,
    _ENGINE + "join.Pad": _pad,
    _ENGINE + "join.Flip": _flip,
    _ENGINE + "linalg.MatMul": _matmul,
    _ENGINE + "linalg.Einsum": _einsum,
    _ENGINE + "nn_ops.MaxPool2d": _max_pool,
    _ENGINE + "nn_ops.Unfold": _unfold,
    _NN + "Linear": _linear,
    _NN + "Split": _split,
}
