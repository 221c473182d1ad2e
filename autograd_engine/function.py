"""``Function``: the one mechanism every op goes through, built-in or user-defined.

A subclass declares ``forward(ctx, *args, **params)``, which runs on NumPy arrays, and
``backward(ctx, *grad_outputs)``, which runs on Tensors and returns one gradient per positional
argument (None where there is none). Because ``backward`` is written in Tensor ops, recording it
(``create_graph=True``) gives higher-order gradients for free; rules that declare
``backward_on_arrays`` (see below) also run on plain arrays when no graph is built.

``Function.apply`` unwraps Tensor arguments to arrays, runs ``forward`` and, only when grad mode is on
and some input requires grad, records the call: the instance of the subclass *is* the graph node and
the ``ctx``. It keeps an edge per input (``node.next_functions``: the producer node or leaf, the
output index, shape and dtype), what ``forward`` saved, and the active ``scope``; intermediate
input Tensors themselves are held only weakly (0-d ones by value, rebuilt on demand), so arrays
backward does not need are freed as soon as the user drops them, and large scalar graphs do not keep
a Tensor per op for the cyclic collector to scan. Nodes never reference their outputs, so graphs have
no reference cycles and die by reference counting as soon as the last output is dropped.

A node is a ``list`` underneath: its items are its n edges followed by its n arguments (the
layout :class:`Function` describes), so that a node is one object for Python's cyclic garbage
collector instead of two (an object and a tuple of edges). The collector scans every live node
again and again while a graph grows, so on graphs of many scalar ops every tracked object per node
costs collector time (``python3 -m benchmarks.profile scalar_graph --gc``; figures in
``benchmarks/README.md``). Only this module reads that layout: the engine goes through
:func:`edges` and :func:`edges_with`, everything else through ``next_functions`` and ``inputs``;
the list methods a node would inherit are hidden. Equality and hashing are by
identity, as for any object.

Undoing broadcasting and casting gradients to each input's shape and dtype happens once, in the
engine, after every ``backward``: a rule may return a gradient of the broadcast shape.

A ``backward`` written only with operators, array methods (``.sum``, ``.reshape``, ``.T``) and NumPy
functions works on NumPy arrays as well as on Tensors (Tensors dispatch NumPy functions to the
engine). A Function that sets ``backward_on_arrays = True`` declares this, and the engine then
passes it plain arrays (and ``saved_tensors`` gives arrays) whenever it is not building a graph of
the backward pass, i.e. without ``create_graph``: the same rule, at the speed of NumPy. With
``create_graph=True`` it gets Tensors, so gradients of any order still flow. Every built-in op is
written this way.

Example: a straight-through estimator for rounding.

>>> import numpy as np
>>> import autograd_engine as ag
>>> class RoundSTE(ag.Function):
...     @staticmethod
...     def forward(ctx, x):
...         return np.round(x)
...     @staticmethod
...     def backward(ctx, grad):
...         return grad
>>> x = ag.Tensor([0.4, 1.6], requires_grad=True)
>>> RoundSTE.apply(x).sum().backward()
>>> x.grad
Tensor([1., 1.])
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from operator import is_ as _is
from typing import Any
from weakref import ref as _weakref

import numpy as np

from .grad_mode import STATE
from .tensor import Tensor, _HookHandle
from .views import link_view, refresh_view

_ARRAY_TYPES = (np.ndarray, np.generic)
#: ``output_nr`` in an edge's metadata when the producer is a leaf Tensor, not a node.
LEAF = -1


class Saved(enum.Enum):
    """What a node's ``_saved`` holds when it is not None (nothing saved) or a tuple of the items
    ``forward`` saved. The shorthands cost no tuple per node, which matters on graphs of many
    small ops (see ``_METAS``); only this module reads or writes ``_saved``."""

    OUTPUT = "its output"  # forward saved just its output, which the node holds in ``_out``
    INPUTS = "its inputs"  # exactly its arguments, which the node holds (some as Tensors)
    INPUT_VALUES = "its input values"  # exactly its arguments, all held by value (0-d)
    FREED = "freed"  # released by a backward without retain_graph


# (module globals: faster to read in the hot paths than the enum's attributes)
_OUTPUT, _INPUTS, _INPUT_VALUES, _FREED = Saved.OUTPUT, Saved.INPUTS, Saved.INPUT_VALUES, Saved.FREED


class _Overwritten:
    """Stands in a node's saved items for an output of the node that was later modified in place
    (see ``Function._output_written``): ``saved_tensors`` raises when backward needs it."""

    __slots__ = ("version", "name", "shape")

    def __init__(self, version: int, name: str | None, shape: tuple) -> None:
        self.version, self.name, self.shape = version, name, shape


class _NeverNeeded(tuple):
    """``needs_input_grad`` when nothing is recorded: False at every index."""

    def __getitem__(self, index: Any) -> bool:  # type: ignore[override]
        return False


class _NoGradContext:
    """The ``ctx`` handed to ``forward`` when nothing is recorded: it accepts and forgets."""

    __slots__ = ()
    needs_input_grad = _NeverNeeded()

    def save_for_backward(self, *items: Any) -> None:
        pass

    def mark_non_differentiable(self, *outputs: Any) -> None:
        pass

    def __setattr__(self, name: str, value: Any) -> None:
        pass


#: The ``ctx`` of an op that is not recorded (``apply_any`` on arrays, ``ag.compile``'s replay).
NO_GRAD_CTX = _NoGradContext()


class _NotAList:
    """A list method a node hides (a node is a ``list`` underneath only for the collector's sake):
    looking it up raises AttributeError, naming what to read instead."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        raise AttributeError(
            f"a graph node has no {self.name!r}: it is not a list; read its inputs with "
            "node.next_functions or node.inputs"
        )


class Function(list):
    """Base class of every differentiable operation (see the module docstring).

    Subclasses implement the static methods ``forward`` and ``backward`` and are called with
    ``MyFunction.apply(*args, **params)``. Positional Tensor arguments are differentiable inputs;
    other positional arguments (numbers, arrays) are constants; keyword arguments are parameters
    passed through to ``forward`` unchanged.

    Inside ``forward``, ``ctx.save_for_backward(...)`` keeps arrays for ``backward``, where
    ``ctx.saved_tensors`` gives them back as Tensors: an input's array comes back as that input
    Tensor, the output's array as the output (so that gradients of gradients flow through them), and
    any other array as a constant. Other state can be stored as attributes (``ctx.axis = axis``);
    ``forward`` must not read them back, because without recording ``ctx`` forgets everything.
    ``ctx.needs_input_grad[i]`` tells whether input ``i`` needs a gradient. Set the class attribute
    ``backward_on_arrays = True`` when ``backward`` uses only operators, array methods and NumPy
    functions: without ``create_graph`` it then receives (and ``saved_tensors`` returns) NumPy
    arrays, which spares wrapping every array in a Tensor; :func:`apply_any` calls another
    Function from such a rule.

    >>> import autograd_engine as ag
    >>> class Cube(ag.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors  # the input Tensor: the rule is differentiable again
    ...         return grad * 3 * x * x
    >>> x = ag.Tensor(2.0, requires_grad=True)
    >>> (g,) = ag.grad(Cube.apply(x), x, create_graph=True)
    >>> g, ag.grad(g, x)[0]
    (Tensor(12., grad_fn=<Mul>), Tensor(12.))

    **The node's layout** is private to this module. For n positional arguments, the node's
    list items are n edges (the producer of each argument: the node that made it, the leaf
    Tensor itself, or None when it gets no gradient), then the n arguments (n-d intermediates
    held weakly; 0-d inputs by value, a NumPy scalar; leaves and constants as they are).
    ``_meta`` holds, per argument, None or ``(output_nr, shape, dtype)`` of the input
    (``output_nr`` is :data:`LEAF` for a leaf); nodes with equal metadata share one tuple.
    ``_saved`` is None, a tuple of what ``forward`` saved, or a :class:`Saved` shorthand; ``_out``
    the output(s), kept only when ``forward`` saved one.

    **What the engine uses**: :func:`edges` and :func:`edges_with` (each input's producer and
    metadata), ``backward``, ``backward_on_arrays``, ``needs_input_grad``, ``_n_outputs``,
    ``_plain`` (one output, no hooks, no retained gradient: backward can be called directly),
    ``_run_output_hooks()``, ``_fill_missing()``. Tensors use
    ``_retained_grad``/``_set_retained_grad``/``_retain_grad``/``_add_hook``/``_name_output``;
    in-place ops ``_output_written`` and ``_forget_retained``.
    """

    # Attributes every node sets live in slots (no per-node __dict__ unless an op stores extra
    # state such as ``ctx.axes``); rarely set ones are class-level defaults.
    __slots__ = ("_meta", "needs_input_grad", "_saved", "_out", "__dict__")
    # A node compares, hashes and tests true as an object, not as the list it also is.
    __hash__ = object.__hash__
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __lt__ = __le__ = __gt__ = __ge__ = object.__lt__  # (NotImplemented: ordering is a TypeError)

    def __bool__(self) -> bool:
        return True

    #: Whether ``backward`` also runs on NumPy arrays (see the module docstring).
    backward_on_arrays: bool = False
    _saved_versions: tuple | None = None  # None: every saved input was at version 0
    #: Per item of ``save_for_backward``: the input whose gradient is the only one that needs it
    #: (None: always needed). ``Mul`` saves ``(x, y)`` with ``saved_for = (1, 0)``: ``x`` serves
    #: only ``y``'s gradient. A saved item whose input needs no gradient is not checked for
    #: in-place changes at backward (PyTorch would not have saved it), and backward must not use it.
    saved_for: tuple = ()
    _n_outputs: int = 1
    _plain: bool = True  # False once the node has hooks, retained outputs or several outputs
    _out_meta: tuple = ()
    _hooks: dict | None = None
    _retained: dict | None = None
    _non_differentiable: tuple = ()
    scope: tuple = ()

    #: Set True on a subclass whose ``forward`` is written on Tensors, as in PyTorch
    #: (``x.exp()``): it then receives its array arguments as Tensors cut from the graph and runs
    #: with grad mode off, and may save and return Tensors. Built-in ops leave it False and get
    #: arrays, with no Tensor to wrap around each.
    forward_on_tensors: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("forward_on_tensors") and "forward" in cls.__dict__:
            cls.forward = staticmethod(_on_tensors(cls.__dict__["forward"].__func__))

    @staticmethod
    def forward(ctx: Any, *args: Any, **params: Any) -> Any:
        raise TypeError(
            "Function.forward: the base class has no forward; call .apply on a subclass that "
            "defines @staticmethod forward(ctx, *arrays) returning an array"
        )

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Tensor) -> Any:
        raise TypeError(
            f"{ctx.name}.backward is not defined; define @staticmethod backward(ctx, grad) "
            "returning one gradient per positional input of forward (None for none)"
        )

    @classmethod
    def apply(cls, *args: Any, **params: Any) -> Any:
        """Run the op on ``args``: record it as a graph node when grad mode is on and an argument
        requires grad (:func:`_record`), else just run it (:func:`_run_untracked`). Under
        forward-mode AD (``func.jvp``) the active level runs it with tangents.
        """
        flags = STATE.flags  # this thread's grad mode, scope, anomaly detection and jvp levels
        if flags.forward:  # (a tuple of forward_ad.Level objects, whose apply does the work)
            return flags.forward[0].apply(cls, args, params)
        if flags.enabled:
            if args:  # the usual recorded op, first: its first argument requires grad
                a = args[0]
                if a.__class__ is Tensor and a._requires_grad:
                    return _record(cls, args, params, flags)
            for a in args:
                if isinstance(a, Tensor):
                    vc = a._vc
                    if vc is not None and a._base is not None and a._view_version != vc[0]:
                        refresh_view(a)  # a view whose base was written through since: it
                        # has a new history, and may require grad now
                    if a._requires_grad:
                        return _record(cls, args, params, flags)
            return _run_untracked(cls, args, params, True)
        return _run_untracked(cls, args, params, False)

    # ----- used by _record, once forward has run -----
    def _resolve_saved(self, saved: tuple, args: tuple, arrays: list, out: Any) -> tuple:
        """What ``forward`` saved, with each input's array replaced by the input Tensor (so that a
        recorded backward differentiates through it); an output's array is noted in ``_out``
        (``out`` is the output, or the tuple of outputs)."""
        result = list(saved)
        bumped = False
        for k, item in enumerate(saved):
            if item is None:
                continue
            if isinstance(item, Tensor):
                vc = item._vc
                if vc is not None and vc[0]:
                    bumped = True
                continue
            for a, d in zip(args, arrays):
                if d is item and isinstance(a, Tensor):
                    result[k] = a  # an input comes back as the input Tensor itself
                    vc = a._vc
                    if vc is not None and vc[0]:
                        bumped = True
                    break
            else:
                for o in (out if type(out) is tuple else (out,)):
                    if item is o:  # kept only when saved: else it pins a dead array
                        self._out = out
                        break
        if bumped:  # modified in place before: backward compares with these versions
            self._saved_versions = tuple(
                [r._version if isinstance(r, Tensor) else 0 for r in result]
            )
        return tuple(result)

    def _wrap_outputs(self, out: tuple, args: tuple, arrays: list, params: dict) -> tuple:
        """The Tensors of a multi-output node (``forward`` returned a tuple)."""
        out = tuple([to_array(o) for o in out])
        self._n_outputs = len(out)
        self._plain = False
        self._out_meta = tuple([(o.shape, o.dtype) for o in out])
        if self._saved is not None:
            self._saved = self._resolve_saved(self._saved, args, arrays, out)
        outs = tuple([self._wrap_output(o, i) for i, o in enumerate(out)])
        for i, t in enumerate(outs):
            if t._data.base is not None:
                link_view(t, type(self), args, arrays, params, i, True, True)
        return outs

    # ----- the graph, as tools read it -----
    @property
    def inputs(self) -> tuple:
        """The positional arguments: Tensors and constants. An intermediate (non-leaf) Tensor
        with more than zero dimensions is held weakly and reads as None once nothing else
        references it; a 0-d one is kept by value and comes back as a Tensor of its producer's
        output (the same object on every call). A 0-d leaf is kept by value too (its value when
        the op ran, which backward uses) and comes back as the leaf. The graph itself is
        ``next_functions``."""
        n = len(self._meta)
        result = []
        for a, fn, m in zip(self[n:], self, self._meta):
            if type(a) is _weakref:
                a = a()
            elif m is not None and not isinstance(a, Tensor):  # kept by value: 0-d
                a = fn if m[0] < 0 else fn._output_tensor(m[0], a)
            result.append(a)
        return tuple(result)

    def _output_tensor(self, output_nr: int, value: Any) -> Tensor:
        """A Tensor standing for output ``output_nr`` (of value ``value``): the same object while
        anyone holds it, held weakly (a strong one would make a reference cycle with this node).
        Its ``.grad`` (like that of any Tensor of a retained output) is the node's retained
        gradient, and it carries the output's name."""
        made = self.__dict__.setdefault("_rebuilt", {})
        ref = made.get(output_nr)
        t = ref() if ref is not None else None
        if t is None:
            t = Tensor._make(value, self, output_nr)
            made[output_nr] = _weakref(t)
            name = self.__dict__.get("_output_names", {}).get(output_nr)
            if name is not None:
                t._name = name
        return t

    def _name_output(self, output_nr: int, name: str | None) -> None:
        """Remember a user-given name of an output, for Tensors rebuilt by ``_output_tensor``."""
        self.__dict__.setdefault("_output_names", {})[output_nr] = name
        ref = self.__dict__.get("_rebuilt", {}).get(output_nr)
        t = ref() if ref is not None else None
        if t is not None:
            t._name = name

    @property
    def next_functions(self) -> tuple:
        """Per positional argument: None if it gets no gradient, else ``(producer, output_nr,
        shape, dtype)``, where ``producer`` is the node that made the input, or the leaf Tensor
        itself (with ``output_nr`` 0)."""
        return tuple([
            None if m is None else (n, 0, m[1], m[2]) if m[0] < 0 else (n, *m)
            for n, m in zip(self, self._meta)
        ])

    # ----- used by forward -----
    def save_for_backward(self, *items: Any) -> None:
        """Keep arrays (or Tensors) for ``backward``; read them back with ``saved_tensors``."""
        self._saved = items  # apply matches them with the inputs and the output after forward

    def mark_non_differentiable(self, *outputs: Any) -> None:
        """Declare outputs (arrays returned by ``forward``) that get no gradient, e.g. indices."""
        self._non_differentiable = outputs

    # ----- what forward saved (this class is the only reader and writer of ``_saved``) -----
    @property
    def saved_tensors(self) -> tuple:
        """What ``forward`` saved: as Tensors connected to the graph (an input as the input Tensor,
        an output as the output, anything else as a constant), or as the arrays themselves when a
        ``backward_on_arrays`` rule runs without a graph of the backward pass. Raises if backward
        needs a saved tensor that was modified in place since, or after the graph was freed."""
        saved = self._saved
        if saved is None:
            return ()
        if saved is _FREED:
            raise RuntimeError(
                f"{self.name}: trying to backward through the graph a second time: its saved "
                "tensors were freed after the first backward. Pass retain_graph=True to the "
                "first backward() (or ag.grad) if you need to backward twice"
            )
        if not self.backward_on_arrays or STATE.flags.enabled:
            return self._saved_as_tensors(saved)
        # The arrays themselves (this runs once per backward of most ops, hence inline)
        if saved is _OUTPUT:
            return (self._out,)
        if saved is _INPUT_VALUES:
            return tuple(self[len(self._meta):])
        if saved is _INPUTS:
            saved = self[len(self._meta):]
        result = []
        for item in saved:
            if isinstance(item, Tensor):
                vc = item._vc
                if vc is not None and vc[0]:  # written to at some point: since it was saved?
                    self._check_version(_position(item, saved), item)
                d = item._data
                if item._grad_fn is None and item._requires_grad and type(d) is np.ndarray \
                        and not d.ndim:
                    d = d[()]  # a 0-d leaf that gets a gradient: as forward got it (_record)
                item = d
            elif type(item) is _Overwritten:
                self._check_version(_position(item, saved), item)
            result.append(item)
        return tuple(result)

    def _saved_as_tensors(self, saved: Any) -> tuple:
        """``saved_tensors`` for a rule that runs on Tensors (a recorded backward pass)."""
        if saved is _OUTPUT:
            saved = (self._out,)
        elif saved is _INPUTS or saved is _INPUT_VALUES:
            saved = self.inputs  # 0-d intermediates kept by value, as connected Tensors
        outs = self._out if self._n_outputs > 1 else (self._out,)
        result = []
        for k, item in enumerate(saved):
            if isinstance(item, Tensor) or type(item) is _Overwritten:
                self._check_version(k, item)
            elif type(item) is np.ndarray or isinstance(item, np.generic):
                for i, o in enumerate(outs):
                    if item is o:
                        item = Tensor._make(o, self, i)
                        break
                else:
                    item = Tensor._make(item)
            result.append(item)
        return tuple(result)

    def _check_version(self, k: int, item: Any) -> None:
        """Raise if saved item ``k`` (a Tensor, or an overwritten output) was modified in place
        after it was saved and this backward needs it (see ``saved_for``)."""
        versions = self._saved_versions
        expected = versions[k] if versions else 0
        version = item.version if type(item) is _Overwritten else item._version
        if version == expected:
            return
        used_for = self.saved_for
        if k >= len(used_for) or used_for[k] is None or self.needs_input_grad[used_for[k]]:
            name = f" {item.name!r}" if item.name else ""
            raise RuntimeError(
                f"{self.name}: a tensor{name} of shape {item.shape} that {self.name} saved for "
                f"backward was modified in place afterwards (version {expected} -> {version}). "
                "Use an out-of-place op (x = x + 1 instead of x += 1) or modify a copy"
            )

    def _output_written(self, output_nr: int, version: int, name: str | None) -> None:
        """Output ``output_nr`` was modified in place (to ``version``): if ``forward`` saved it,
        backward must refuse to use the new values (``saved_tensors`` raises, naming it)."""
        saved = self._saved
        if saved is None or saved is _FREED or output_nr >= self._n_outputs:
            return
        mine = self._out[output_nr] if self._n_outputs > 1 else self._out
        if mine is None:  # it saved no output
            return
        if saved is _OUTPUT:
            saved = (mine,)
        elif saved is _INPUTS or saved is _INPUT_VALUES or type(saved) is not tuple:
            return  # it saved only its inputs
        if any(item is mine for item in saved):
            stale = _Overwritten(max(version, 1), name, np.shape(mine))
            self._saved = tuple([stale if item is mine else item for item in saved])

    @property
    def is_freed(self) -> bool:
        """Whether backward already released what this node saved (see ``retain_graph``)."""
        return self._saved is _FREED

    @property
    def name(self) -> str:
        """The op's name, for messages and ``viz`` (the class name)."""
        return type(self).__name__

    # ----- hooks on non-leaf outputs (run by the engine when their gradient is final) -----
    def register_hook(self, hook: Callable[[Tensor], Tensor | None], output_nr: int = 0) -> _HookHandle:
        """Call ``hook(grad)`` with the gradient of output ``output_nr`` once it is final, like
        ``Tensor.register_hook`` on that output (which may no longer exist as a Tensor).

        >>> import autograd_engine as ag
        >>> x = ag.Tensor(1.0, requires_grad=True)
        >>> seen = []
        >>> h = (x * 3).tanh()
        >>> _ = h.grad_fn.next_functions[0][0].register_hook(seen.append)  # the Mul node
        >>> h.backward()
        >>> round(seen[0].item(), 6)
        0.009866
        """
        return self._add_hook(output_nr, hook)

    def _add_hook(self, output_nr: int, hook: Callable) -> _HookHandle:
        if self._hooks is None:
            self._hooks = {}
            self._plain = False
        hooks = self._hooks.setdefault(output_nr, [])
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def _retain_grad(self, output_nr: int) -> None:
        """Keep the gradient of output ``output_nr`` at backward; every Tensor standing for that
        output reads it as ``.grad`` (graphs keep 0-d intermediates by value, so there may be
        several such Tensor objects)."""
        if self._retained is None:
            self._retained = {}
            self._plain = False
        self._retained.setdefault(output_nr, None)

    def _retains(self, output_nr: int) -> bool:
        """Whether output ``output_nr``'s gradient is retained (``retain_grad``)."""
        return self._retained is not None and output_nr in self._retained

    def _retained_grad(self, output_nr: int) -> Tensor | None:
        """The retained gradient of output ``output_nr`` (None if none)."""
        return None if self._retained is None else self._retained.get(output_nr)

    def _set_retained_grad(self, output_nr: int, grad: Tensor | None) -> None:
        """Assign ``.grad`` of a retained output (``t.grad = ...`` on a Tensor standing for it)."""
        self._retained[output_nr] = grad

    def _forget_retained(self, output_nr: int) -> None:
        """Stop retaining output ``output_nr``'s gradient (its Tensor moved to a new history)."""
        if self._retained is not None:
            self._retained.pop(output_nr, None)

    def _run_output_hooks(self, grads: list, as_arrays: bool) -> list:
        """Run the hooks on this node's outputs and keep retained gradients, now that the outputs'
        gradients (``grads``, one per output, None where none arrived) are final; returns the
        gradients the hooks left."""
        if as_arrays:  # hooks see Tensors
            wrapped = [None if g is None else Tensor._make(g) for g in grads]
            return [None if g is None else g._data for g in self._run_output_hooks(wrapped, False)]
        for output_nr, hooks in (self._hooks or {}).items():
            g = grads[output_nr]
            if g is None:
                continue
            for hook in list(hooks):
                r = hook(g)
                if r is not None:
                    g = hook_result(r, g, self.name)
            grads[output_nr] = g
        retained = self._retained or {}
        for output_nr, old in list(retained.items()):
            g = grads[output_nr]
            if g is not None:
                kept = Tensor._make(np.array(g._data)) if not g._requires_grad else g
                retained[output_nr] = kept if old is None else old + kept
        return grads

    def _fill_missing(self, grads: list, as_arrays: bool) -> list:
        """``grads`` (one per output) with zeros for outputs no gradient reached, as a rule that
        takes one gradient per output expects."""
        if not any(g is None for g in grads):  # (not `None in grads`: that calls Tensor.__eq__)
            return grads
        return [
            (np.zeros(shape, dtype) if as_arrays else Tensor._make(np.zeros(shape, dtype)))
            if g is None else g
            for g, (shape, dtype) in zip(grads, self._out_meta)
        ]

    def _wrap_output(self, data: Any, output_nr: int) -> Tensor:
        if data.dtype.kind != "f" or any(data is o for o in self._non_differentiable):
            if data.dtype.kind == "O":
                raise TypeError(
                    f"{self.name}: the result has dtype object (an input was an object array or "
                    "a non-numeric Python object), so no gradient can flow through it; pass "
                    "numbers, numeric arrays or Tensors (e.g. np.asarray(a, dtype=np.float64))"
                )
            return Tensor._make(data)  # never part of the graph
        return Tensor._make(data, self, output_nr)

    @classmethod
    def _forward_error(cls, exc: Exception, arrays: list, params: dict) -> Exception:
        """Re-raise an error from NumPy naming the op, the input shapes and a fix."""
        shapes = ", ".join(
            str(a.shape) if isinstance(a, _ARRAY_TYPES) else type(a).__name__ for a in arrays
        )
        hint = cls.error_hint(arrays, params)
        msg = f"{cls.__name__}: {exc} (input shapes: {shapes})"
        if hint:
            msg += f"; {hint}"
        try:
            return type(exc)(msg)
        except TypeError:  # NumPy's own subclasses (e.g. UFuncTypeError) take other arguments
            base = next(b for b in (IndexError, ValueError, TypeError) if isinstance(exc, b))
            return base(msg)

    @classmethod
    def error_hint(cls, arrays: list, params: dict) -> str:
        """A fix to suggest when ``forward`` fails; ops override this."""
        return ""

    def __repr__(self) -> str:
        return f"<{self.name}>"



# A node offers none of the list's methods either: it is read through its named interface.
for _name in ("append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse",
              "index", "count", "copy"):
    setattr(Function, _name, _NotAList(_name))
del _name


class Op(Function):
    """The base of the built-in ops: a :class:`Function` whose ``backward`` is written with
    operators, array methods, NumPy functions and ``stop_gradient`` only, so that it also runs on
    plain arrays whenever no graph of the backward pass is built (``backward_on_arrays``). A user
    op subclasses ``ag.Function`` and may declare the same.

    >>> import numpy as np
    >>> import autograd_engine as ag
    >>> from autograd_engine.function import Op
    >>> class Square(Op):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad):  # arrays without create_graph, Tensors with it
    ...         (x,) = ctx.saved_tensors
    ...         return grad * 2 * x
    >>> x = ag.Tensor(3.0, requires_grad=True)
    >>> Square.backward_on_arrays, ag.grad(Square.apply(x), x)[0]
    (True, Tensor(6.))
    """

    backward_on_arrays = True


_new = object.__new__
_new_node = list.__new__  # a node (a list subclass) without its items yet
_extend = list.extend  # (not ctx.extend: a node hides the list's methods)

# Nodes with equal input metadata share one ``_meta`` tuple and one ``needs_input_grad``: the
# table maps a node's metadata to the pair. Every new container counts towards the cyclic garbage
# collector's next collection, and graphs of many small ops otherwise spend more time in the
# collector than in the engine (see ``python3 -m benchmarks.profile deep_chain --gc``).
_METAS: dict[tuple, tuple[tuple, tuple]] = {}
_SHARED_MAX = 4096  # distinct entries kept; a workload with ever-new shapes just starts over


def _share_meta(meta: tuple) -> tuple[tuple, tuple]:
    """Add ``meta`` to ``_METAS``; return it with its ``needs_input_grad``."""
    if len(_METAS) >= _SHARED_MAX:
        _METAS.clear()
    shared = _METAS[meta] = (meta, tuple([m is not None for m in meta]))
    return shared



# ----- the two paths of Function.apply ------------------------------------------------------------
def _run_untracked(cls: type[Function], args: tuple, params: dict, grad_mode: bool) -> Any:
    """Run ``cls`` on ``args`` without recording anything: unwrap, forward, wrap (an output that
    views an input's memory becomes a view of it, see :mod:`autograd_engine.views`; ``grad_mode``
    says whether such a view may get a history)."""
    arrays = []
    for a in args:
        arrays.append(a._data if isinstance(a, Tensor) else
                      _list_to_array(cls, a) if type(a) is list else a)
    try:  # (run_forward, inlined here: this runs every op under no_grad)
        n = len(arrays)  # (a fixed-arity call is cheaper for the interpreter than `*arrays`)
        if n == 2 and not params:
            out = cls.forward(NO_GRAD_CTX, arrays[0], arrays[1])
        elif n == 1 and not params:
            out = cls.forward(NO_GRAD_CTX, arrays[0])
        else:
            out = cls.forward(NO_GRAD_CTX, *arrays, **params)
    except Exception as exc:
        _raise_forward_error(cls, exc, arrays, params)
    if type(out) is tuple:
        outs = tuple([Tensor._make(to_array(o)) for o in out])
        for i, t in enumerate(outs):
            if t._data.base is not None:
                link_view(t, cls, args, arrays, params, i, grad_mode, True)
        return outs
    if type(out) is not np.ndarray and not isinstance(out, np.generic):
        out = to_array(out)
    t = _new(Tensor)  # (Tensor._make, inlined)
    t._data = out
    t._grad_fn = None
    t._requires_grad = False
    if type(out) is np.ndarray and out.base is not None:  # a view of an input?
        link_view(t, cls, args, arrays, params, 0, grad_mode)
    return t


def _record(cls: type[Function], args: tuple, params: dict, flags: Any) -> Any:
    """Run ``cls`` on ``args`` (grad mode is on and an argument requires grad) and record the call
    as a new node (see :class:`Function` for the layout), which is the ``ctx`` forward gets and
    the ``grad_fn`` of its outputs.

    The hottest code in the engine, hence plain loops (a helper call or a list comprehension is a
    separate frame). One pass over the arguments unwraps them and builds the edges; forward runs;
    what it saved is matched against the inputs and the output; the output is wrapped. Holding
    edges rather than input Tensors lets every intermediate array that backward does not need die
    with its last user reference, as in PyTorch.
    """
    arrays = []
    edges = []  # per argument: its producer (node or leaf) or None
    meta = []
    kept = []  # the arguments: n-d intermediates weakly, 0-d ones and 0-d leaves by value
    # What kept holds (weakly held intermediates, Tensors); whether an argument was written to
    # before (its version is then noted with what is saved).
    weak = held = bumped = False
    for a in args:
        if isinstance(a, Tensor):
            vc = a._vc
            if vc is not None:  # shares memory with other tensors, or was written to
                if a._base is not None and a._view_version != vc[0]:
                    refresh_view(a)  # a view whose base was written through since
                if vc[0]:  # modified in place before: saving it records versions
                    bumped = True
            d = a._data
            if a._requires_grad:
                fn = a._grad_fn
                if fn is None:
                    edges.append(a)
                    if d.ndim:
                        meta.append((LEAF, d.shape, d.dtype))
                        held = True
                    else:  # a 0-d leaf: its edge holds it; forward gets a NumPy scalar
                        # (NumPy's scalar paths cost far less than its 0-d array paths)
                        if type(d) is np.ndarray:
                            d = d[()]
                        meta.append((LEAF, (), d.dtype))
                        if vc is None:  # kept by value: nothing can write to it
                            a = d
                        else:  # it has aliases or was written to: backward checks it
                            held = True
                elif d.ndim:
                    edges.append(fn)
                    meta.append((a._output_nr, d.shape, d.dtype))
                    a = _weakref(a)
                    weak = True
                else:  # a 0-d intermediate: its value is kept, its Tensor may die
                    edges.append(fn)
                    meta.append((a._output_nr, (), d.dtype))
                    if vc is None:
                        a = d
                    else:  # it has aliases or was written to: backward checks it
                        held = True
                arrays.append(d)
                kept.append(a)
                continue
            arrays.append(d)
            held = True
        else:
            if type(a) is list:  # (rare) forward gets arrays, and saves arrays, not lists
                return _record(cls, _lists_to_arrays(cls, args), params, flags)
            arrays.append(a)
        edges.append(None)
        meta.append(None)
        kept.append(a)

    ctx = _new_node(cls)  # the node is the ctx; its items: the edges, then the arguments
    edges += kept
    _extend(ctx, edges)
    meta = tuple(meta)
    ctx._meta, ctx.needs_input_grad = _METAS.get(meta) or _share_meta(meta)
    ctx._saved = ctx._out = None
    if flags.scope:
        ctx.scope = flags.scope
    try:  # (run_forward, inlined here: one call less on every recorded op)
        n = len(arrays)  # (a fixed-arity call is cheaper for the interpreter than `*arrays`)
        if n == 2 and not params:
            out = cls.forward(ctx, arrays[0], arrays[1])
        elif n == 1 and not params:
            out = cls.forward(ctx, arrays[0])
        else:
            out = cls.forward(ctx, *arrays, **params)
    except Exception as exc:
        _raise_forward_error(cls, exc, arrays, params)
    if flags.anomaly:
        from .anomaly import check_forward

        check_forward(ctx, out)
    if type(out) is not np.ndarray:
        if type(out) is tuple:
            return ctx._wrap_outputs(out, args, arrays, params)
        if not isinstance(out, np.generic):
            out = to_array(out)

    saved = ctx._saved
    if saved is not None:  # as forward gave it: match its items with the inputs and output
        if len(saved) == 1 and saved[0] is out:  # tanh, exp, relu...: no tuple of one per node
            ctx._out = out
            ctx._saved = _OUTPUT
        # (the ends first: most ops have one or two inputs, for which map is overhead)
        elif (len(saved) == n and saved[0] is arrays[0] and saved[-1] is arrays[-1]
              and (n < 3 or all(map(_is, saved, arrays)))):
            # exactly its inputs, in order (Mul, MatMul, ...): the node holds them. (Some weakly:
            # then the saved items are the arguments themselves; some as Tensors, whose versions
            # backward checks; else as values, which backward can use as they are.)
            ctx._saved = args if weak else _INPUTS if held else _INPUT_VALUES
            if bumped:
                ctx._saved_versions = tuple(
                    [a._version if isinstance(a, Tensor) else 0 for a in args]
                )
        else:
            ctx._saved = ctx._resolve_saved(saved, args, arrays, out)

    if out.dtype.kind != "f" or ctx._non_differentiable:
        t = ctx._wrap_output(out, 0)
    else:
        t = _new(Tensor)
        t._data = out
        t._grad_fn = ctx
        t._requires_grad = True
    if type(out) is np.ndarray and out.base is not None:  # a view of an input?
        link_view(t, cls, args, arrays, params, 0, True)
    return t


def run_forward(cls: type[Function], ctx: Any, arrays: list, params: dict) -> Any:
    """``cls.forward(ctx, *arrays, **params)``; an error NumPy raises inside is raised again
    naming the op, the input shapes and a fix (``Function.error_hint``).

    >>> import numpy as np
    >>> from autograd_engine.ops.elementwise import Add
    >>> run_forward(Add, NO_GRAD_CTX, [np.ones(2), np.ones(3)], {})
    Traceback (most recent call last):
    ...
    ValueError: Add: operands could not be broadcast together ... reshape an input ...
    """
    try:
        n = len(arrays)  # (a fixed-arity call is cheaper for the interpreter than `*arrays`)
        if n == 2 and not params:
            return cls.forward(ctx, arrays[0], arrays[1])
        if n == 1 and not params:
            return cls.forward(ctx, arrays[0])
        return cls.forward(ctx, *arrays, **params)
    except Exception as exc:
        _raise_forward_error(cls, exc, arrays, params)


def _raise_forward_error(cls: type[Function], exc: Exception, arrays: list, params: dict) -> None:
    """Raise ``exc`` (from ``cls.forward``) again, naming the op, the input shapes and a fix when
    it is NumPy's (``Function.error_hint``), or a Tensor method called on an array."""
    if isinstance(exc, (ValueError, TypeError, IndexError)):
        raise cls._forward_error(exc, arrays, params) from exc
    if isinstance(exc, AttributeError):  # x.exp() on an array: say what to write instead
        hint = _tensor_method_error(cls, exc)
        if hint is not exc:
            raise hint from exc
    raise exc


# ----- what the engine reads of a node ------------------------------------------------------------
def edges(node: Function) -> zip:
    """Each input's edge as ``(producer, meta)``: the node that made the input, the leaf Tensor
    (``meta[0]`` is :data:`LEAF`) or None (no gradient, and ``meta`` is None), with the input's
    ``meta = (output_nr, shape, dtype)``.

    >>> import autograd_engine as ag
    >>> x = ag.Tensor([1.0, 2.0], requires_grad=True)
    >>> [(p is x, m[0] == LEAF) if p is not None else None for p, m in edges((x * 3).grad_fn)]
    [(True, True), None]
    """
    return zip(node, node._meta)  # (the items after the edges are the arguments: zip stops)


def edges_with(node: Function, grads: Any, release: bool) -> zip:
    """:func:`edges` with each input's gradient alongside: ``(producer, meta, grad)``, for the
    engine once it has run ``node``'s backward. With ``release`` (backward without
    ``retain_graph``) the node first frees what forward saved, as soon as it is no longer needed.

    >>> import autograd_engine as ag
    >>> x = ag.Tensor([1.0, 2.0], requires_grad=True)
    >>> node = x.exp().grad_fn
    >>> [g for _, _, g in edges_with(node, ("g",), True)], node.is_freed
    (['g'], True)
    """
    if release and node._saved is not None:
        node._saved = _FREED
        node._out = None
    return zip(node, node._meta, grads)



def _position(item: Any, items: Any) -> int:
    """The index of ``item`` (by identity) in ``items``."""
    return next(k for k, x in enumerate(items) if x is item)


def hook_result(r: Any, g: Tensor, where: str) -> Tensor:
    """What a hook returned, as the gradient that replaces ``g`` (same shape, or an error).

    >>> import autograd_engine as ag
    >>> hook_result([2.0, 4.0], ag.Tensor([1.0, 1.0]), "hook")
    Tensor([2., 4.])
    """
    r = r if isinstance(r, Tensor) else Tensor._make(np.asarray(r, dtype=g.dtype))
    if r.shape != g.shape:
        raise RuntimeError(
            f"{where}: a hook returned a gradient of shape {r.shape} for a tensor of shape "
            f"{g.shape}; hooks must return a gradient of the same shape (or None)"
        )
    return r


def apply_any(fn: type[Function], *args: Any, **params: Any) -> Any:
    """``fn.apply(*args, **params)`` when an argument is a Tensor, else ``fn``'s forward run directly
    on the arrays (nothing recorded, an array back). A ``backward_on_arrays`` rule calls other
    Functions (say, its own backward op) this way, so that it works on arrays and on Tensors.

    >>> import numpy as np
    >>> import autograd_engine as ag
    >>> class Double(ag.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         return 2 * x
    >>> ag.apply_any(Double, np.ones(2)), ag.apply_any(Double, ag.Tensor([1.0]))
    (array([2., 2.]), Tensor([2.]))
    """
    for a in args:
        if isinstance(a, Tensor):
            return fn.apply(*args, **params)
    if params:
        return fn.forward(NO_GRAD_CTX, *args, **params)
    if len(args) == 2:  # a fixed-arity call is cheaper for the interpreter than `*args`
        return fn.forward(NO_GRAD_CTX, args[0], args[1])
    return fn.forward(NO_GRAD_CTX, *args)  # (an empty ** costs as much as the loop)


def _on_tensors(forward: Callable) -> Callable:
    """``forward`` (written on Tensors) as a forward on arrays: arguments wrapped in Tensors cut
    from the graph, run with grad mode off, what it saves and returns unwrapped to arrays (so that
    ``apply`` recognises the inputs and outputs among the saved items, as for any op)."""

    def on_arrays(ctx: Any, *arrays: Any, **params: Any) -> Any:
        args = [Tensor._make(a) if isinstance(a, _ARRAY_TYPES) else a for a in arrays]
        flags = STATE.flags
        enabled, flags.enabled = flags.enabled, False
        try:
            out = forward(ctx, *args, **params)
        finally:
            flags.enabled = enabled
        if ctx is not NO_GRAD_CTX:
            if ctx._saved is not None:
                ctx._saved = tuple([_unwrap(item, args, arrays) for item in ctx._saved])
            if ctx._non_differentiable:
                ctx._non_differentiable = tuple([to_array(o) for o in ctx._non_differentiable])
        if type(out) is tuple or type(out) is list:
            return tuple([to_array(o) for o in out])
        return to_array(out)

    on_arrays.__wrapped__ = forward  # type: ignore[attr-defined]
    return on_arrays


def _unwrap(item: Any, args: list, arrays: tuple) -> Any:
    """A saved item of a forward on Tensors: an argument's wrapper becomes the argument's array,
    any other Tensor (an output, say) its array."""
    if isinstance(item, Tensor):
        for a, d in zip(args, arrays):
            if a is item:
                return d
        return item._data
    return item


def _tensor_method_error(cls: type, exc: AttributeError) -> AttributeError:
    """Explain a Tensor method called on the arrays a forward receives."""
    text = str(exc)
    if "numpy" not in text:
        return exc
    method = text.rsplit("attribute ", 1)[-1].strip("'\"")
    return AttributeError(
        f"{cls.__name__}.forward: {text}. forward receives NumPy arrays, not Tensors: write it "
        f"with NumPy (np.{method}(x) instead of x.{method}()), or set forward_on_tensors = True on "
        f"{cls.__name__} to receive Tensors as in PyTorch's autograd.Function"
    )


def _lists_to_arrays(cls: type, args: tuple) -> tuple:
    """``args`` with every list argument made an array."""
    return tuple([_list_to_array(cls, a) if type(a) is list else a for a in args])


def _list_to_array(cls: type, a: list) -> np.ndarray:
    try:
        return np.asarray(a)
    except ValueError as exc:  # a ragged nested list
        raise ValueError(
            f"{cls.__name__}: a list argument is not a rectangular array of numbers ({exc}); "
            "pass equal-length nested lists or a NumPy array"
        ) from exc


def to_array(out: Any) -> Any:
    """Accept what ``forward`` returned: an array, a NumPy scalar, a Python number or a Tensor.

    >>> import autograd_engine as ag
    >>> to_array(3.0), to_array(ag.Tensor([1.0]))
    (array(3.), array([1.]))
    """
    if type(out) is np.ndarray or isinstance(out, np.generic):
        return out
    if isinstance(out, Tensor):
        return out._data
    return np.asarray(out)
