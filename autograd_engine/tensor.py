"""The Tensor: a NumPy array plus the autograd bookkeeping around it.

A Tensor holds its value in ``data`` (an ``np.ndarray``; a 0-d tensor is a scalar) and, when it was
produced by a recorded op, the node that made it in ``grad_fn``. Operators and most methods are thin
calls into the ops in :mod:`autograd_engine.ops`, which all go through :class:`Function.apply`.

Dtypes: Python floats, ints and lists of them become the default float dtype (float64, NumPy's);
NumPy arrays keep their dtype (float32 stays float32). Integer and bool tensors are allowed but cannot
require gradients.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .function import Function

DEFAULT_DTYPE = np.dtype(np.float64)
_new = object.__new__


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Convert user data to a fresh array, following the project's dtype rules."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.array(data, dtype=dtype)
    if isinstance(data, (np.ndarray, np.generic)):
        if data.dtype.kind not in "biufc":
            raise TypeError(
                f"Tensor: cannot make a numeric tensor from an array of dtype {data.dtype}; "
                "convert it first, e.g. np.asarray(a, dtype=np.float64)"
            )
        return np.array(data)
    try:
        arr = np.array(data)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(
            f"Tensor: cannot make an array of this {type(data).__name__} ({exc}); nested lists "
            "must be rectangular, every row of the same length"
        ) from None
    if arr.dtype.kind in "iuf":  # Python ints and floats: the default float dtype
        arr = arr.astype(DEFAULT_DTYPE, copy=False)
    elif arr.dtype.kind not in "bc":
        raise TypeError(
            f"Tensor: cannot make a numeric tensor from {type(data).__name__} data "
            f"(NumPy sees dtype {arr.dtype}); pass numbers, nested lists of numbers or an array"
        )
    return arr


def _check_grad_dtype(dtype: np.dtype, where: str) -> None:
    if dtype.kind != "f":
        raise TypeError(
            f"{where}: only floating-point tensors can require gradients, got dtype {dtype}; "
            f"convert first, e.g. Tensor(data, dtype=np.float64) or t.astype(np.float32)"
        )


class Tensor:
    """An N-d array that records the operations applied to it for reverse-mode autodiff.

    >>> import autograd_engine as ag
    >>> w = ag.Tensor([1.0, -2.0], requires_grad=True, name="w")
    >>> loss = (w * w).sum()
    >>> loss, loss.grad_fn.next_functions[0][0].name
    (Tensor(5., grad_fn=<Sum>), 'Mul')
    >>> loss.backward()
    >>> w.grad
    Tensor([ 2., -4.])
    """

    # Hot attributes live in slots; rarely set ones are class-level defaults that an instance
    # overrides in its (lazily created) __dict__, so making a Tensor costs three stores.
    __slots__ = ("_data", "_grad_fn", "_requires_grad", "__dict__", "__weakref__")
    _grad: Tensor | None = None
    _output_nr: int = 0
    # The version counter: a one-item list ``[n]`` shared by every Tensor that sees the same memory
    # (a base, its views and its ``detach()``-ed aliases), made on first need; None reads as 0.
    # Every in-place write bumps it; a node that saved one of these Tensors compares it at backward.
    _vc: list | None = None
    # A view (an op's output that shares its input's memory) knows its base, the Tensor that owns
    # the memory, and the steps that make it from the base, so that an in-place write through it
    # can rebase the base's history (see autograd_engine.inplace).
    _base: Tensor | None = None
    _view_steps: tuple = ()
    _view_version: int = 0  # the counter's value when this view's history was last made
    _name: str | None = None
    _hooks: list | None = None
    _retains_grad: bool = False
    # Make `ndarray <op> Tensor` defer to our reflected operators instead of converting us.
    __array_priority__ = 1000

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> None:
        arr = _as_array(data, dtype)
        if requires_grad:
            _check_grad_dtype(arr.dtype, "Tensor")
        self._data = arr
        self._grad_fn = None
        self._requires_grad = bool(requires_grad)
        if name is not None:
            self._name = name

    # ----- construction without conversion (the hot path of every op) -----
    @classmethod
    def _make(cls, data: Any, grad_fn: Function | None = None, output_nr: int = 0) -> Tensor:
        t = _new(cls)
        t._data = data
        t._grad_fn = grad_fn
        t._requires_grad = grad_fn is not None
        if output_nr:
            t._output_nr = output_nr
        return t

    # ----- attributes -----
    @property
    def data(self) -> np.ndarray:
        """The value as an ``np.ndarray`` (0-d for scalars). Mutating it bypasses autograd."""
        d = self._data
        if type(d) is not np.ndarray:  # ops keep 0-d results as NumPy scalars for speed
            d = self._data = np.asarray(d)
        return d

    @data.setter
    def data(self, value: Any) -> None:
        self._data = _as_array(value, None if isinstance(value, (np.ndarray, np.generic)) else
                               self._data.dtype)

    @property
    def grad(self) -> Tensor | None:
        """Accumulated gradient (leaves and ``retain_grad`` tensors), same shape and dtype."""
        g = self._grad
        if g is None and self._grad_fn is not None:  # a non-leaf's gradient is kept at its node
            return self._grad_fn._retained_grad(self._output_nr)
        return g

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is not None:
            value = value if isinstance(value, Tensor) else Tensor(value, dtype=self.dtype)
            if value.shape != self.shape:
                raise ValueError(
                    f"grad: assigned gradient has shape {value.shape} but the tensor has shape "
                    f"{self.shape}; assign an array of the tensor's shape or None"
                )
        fn = self._grad_fn
        if fn is not None and fn._retains(self._output_nr):  # a retained output: its node holds it
            fn._set_retained_grad(self._output_nr, value)
            value = None
        self._grad = value

    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow to this tensor."""
        if self._base is not None:
            _refresh(self)
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf in place and return self.

        >>> import autograd_engine as ag
        >>> ag.Tensor([1.0]).requires_grad_().requires_grad
        True
        """
        if self._grad_fn is not None and not flag:
            raise RuntimeError(
                "requires_grad_: can only change requires_grad of leaf tensors; this tensor was "
                f"made by {self._grad_fn.name}. Use .detach() to get a tensor without history"
            )
        if flag:
            _check_grad_dtype(self._data.dtype, "requires_grad_")
        self._requires_grad = bool(flag)
        return self

    @property
    def _version(self) -> int:
        """How many times this tensor's memory was modified in place (shared with its views and
        detached aliases), as PyTorch's ``Tensor._version``."""
        vc = self._vc
        return 0 if vc is None else vc[0]

    @property
    def grad_fn(self) -> Function | None:
        """The node (a :class:`Function` instance) that produced this tensor, or None for leaves."""
        if self._base is not None:
            _refresh(self)
        return self._grad_fn

    @property
    def output_nr(self) -> int:
        """Which output of ``grad_fn`` this tensor is (0 for single-output ops and leaves)."""
        return self._output_nr

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (user-created, or made under no_grad)."""
        return self.grad_fn is None

    @property
    def name(self) -> str | None:
        """Optional label, shown by ``repr`` and ``viz``."""
        return self._name

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = value
        if self._grad_fn is not None:  # graphs keep 0-d intermediates by value: name the output
            self._grad_fn._name_output(self._output_nr, value)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    # size (NumPy's element count; calling it, as PyTorch's x.size(0), explains) is attached by
    # pytorch_names, with PyTorch's other method names.

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed (``np.ndarray.T``)."""
        return self.transpose()

    # ----- conversion -----
    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        data = self.data
        if dtype is not None and np.dtype(dtype) != data.dtype:
            return data.astype(dtype)
        return data.copy() if copy else data

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied).

        >>> import autograd_engine as ag
        >>> ag.Tensor([1.0, 2.0]).numpy()
        array([1., 2.])
        """
        return self.data

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number.

        >>> import autograd_engine as ag
        >>> ag.Tensor(3.0).item()
        3.0
        """
        if self._data.size != 1:
            raise ValueError(
                f"item: only one-element tensors convert to a Python number, this one has shape "
                f"{self.shape}; index it first or use .tolist()"
            )
        return self._data.item()

    def tolist(self) -> Any:
        """Nested Python lists (a number for 0-d), like ``np.ndarray.tolist``.

        >>> import autograd_engine as ag
        >>> ag.Tensor([[1.0, 2.0]]).tolist()
        [[1.0, 2.0]]
        """
        return self._data.tolist()

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's memory and version counter, cut from the graph: an
        in-place change of either is seen by the other, and by backward (as in PyTorch).

        >>> import autograd_engine as ag
        >>> x = ag.Tensor([1.0], requires_grad=True)
        >>> y = x * 2
        >>> d = y.detach()
        >>> d.requires_grad
        False
        >>> d += 1
        >>> y
        Tensor([3.], grad_fn=<Mul>)
        """
        if type(self._data) is not np.ndarray:  # a 0-d value kept as a NumPy scalar: an array
            self._data = np.asarray(self._data)  # both tensors can share from now on
        t = Tensor._make(self._data)
        t._vc = _counter(self)
        if self._name is not None:
            t._name = self._name
        return t

    # ----- autograd entry points -----
    def backward(
        self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` is required unless self has one element; ``retain_graph`` (default
        ``create_graph``) keeps saved tensors for another backward; ``create_graph`` records the
        backward pass so gradients can be differentiated again.

        >>> import autograd_engine as ag
        >>> x = ag.Tensor(3.0, requires_grad=True)
        >>> (x * x).backward()
        >>> x.grad
        Tensor(6.)
        """
        if self._base is not None:
            _refresh(self)
        _engine().backward(self, gradient, retain_graph, create_graph)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it).

        >>> import autograd_engine as ag
        >>> x = ag.Tensor(2.0, requires_grad=True)
        >>> y = x * 3
        >>> y.retain_grad()
        >>> (y * y).backward()
        >>> y.grad
        Tensor(12.)
        """
        if not self._requires_grad:
            raise RuntimeError(
                "retain_grad: this tensor does not require grad, so it will never get one; "
                "create its inputs with requires_grad=True"
            )
        if self._grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        self._grad_fn._retain_grad(self._output_nr)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> _HookHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned Tensor replaces it.

        Returns a handle whose ``remove()`` unregisters the hook.

        >>> import autograd_engine as ag
        >>> x = ag.Tensor(1.0, requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 10)
        >>> (x * 2).backward()
        >>> x.grad
        Tensor(20.)
        >>> h.remove()
        """
        if not self._requires_grad:
            raise RuntimeError(
                "register_hook: cannot register a hook on a tensor that does not require grad; "
                "create it with requires_grad=True"
            )
        if self._grad_fn is not None:
            return self._grad_fn._add_hook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    # ----- Python protocol -----
    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extras = []
        if self._data.dtype not in (DEFAULT_DTYPE, np.bool_):
            extras.append(f"dtype={self._data.dtype}")
        if self._grad_fn is not None:
            extras.append(f"grad_fn=<{self._grad_fn.name}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        if self._name is not None:
            extras.append(f"name={self._name!r}")
        return "Tensor(" + ", ".join([body, *extras]) + ")"

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor: it has no first axis; use .item()")
        return len(self._data)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError(
                f"only one-element integer tensors can be used as an index, got dtype "
                f"{self.dtype} and shape {self.shape}"
            )
        return int(self._data)

    # Elementwise comparison makes Tensor unhashable by default; hash by identity like PyTorch.
    __hash__ = object.__hash__

    # Operators, reflected operators, comparisons and methods are attached by autograd_engine.ops.


def _refresh(t: Tensor) -> None:
    """Make view ``t``'s history current if its base was written to since it was made."""
    if t._view_version != t._vc[0]:
        from .views import refresh_view

        refresh_view(t)


def _counter(t: Tensor) -> list:
    """``t``'s version counter, made (at 0) if it has none yet."""
    vc = t._vc
    if vc is None:
        vc = t._vc = [0]
    return vc


class _HookHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        try:
            self._hooks.remove(self._hook)
        except ValueError:
            pass


@functools.cache
def _engine() -> Any:
    """The engine module, imported on first use (it imports this module)."""
    from . import engine

    return engine
