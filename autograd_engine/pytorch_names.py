"""PyTorch's names, where they do not clash with NumPy's.

The engine speaks NumPy (``axis=``, ``keepdims=``, ``astype``, ``size`` as the element count); this
module makes a PyTorch habit work as well, in one place:

- :func:`pytorch_keywords` lets every op that takes ``axis``/``keepdims`` also take ``dim``/
  ``keepdim`` (``dims`` for ``flip``, ``dim0``/``dim1`` for ``swapaxes``, ``correction``/
  ``unbiased`` for ``var``/``std``). ``ops.register`` applies it to every registered op, function
  and Tensor method alike. A call spelled with a PyTorch keyword gets PyTorch's result where the
  two libraries differ: ``max``/``min`` return ``(values, indices)``, ``var``/``std`` default to
  the unbiased estimate and ``split`` takes piece sizes (see ``_PYTORCH_CALLS``).
- Tensor methods: ``float``, ``double``, ``long``, ``int``, ``bool``, ``view``, ``clone``,
  ``unsqueeze``, ``permute``, ``flatten``, ``clamp``, ``t``, ``pow``, ``numel``, ``dim``,
  ``contiguous``, ``cpu``, ``to``, ``device``,
  and ``format(t, ".4f")`` on one-element tensors. ``size`` keeps NumPy's meaning (an ``int``),
  and calling it, PyTorch's ``x.size(0)``, raises an error that says to use ``x.shape[0]``.
- Module level (exported by ``autograd_engine``): ``from_numpy``, ``cat``, ``flatten``,
  ``clamp``, ``argmax``, ``argmin`` and ``inference_mode``. The dtype names (``ag.float32``,
  ``float64``, ``int32``, ``int64``, ``bool``, and ``float``, ``double``, ``int``, ``long``) are
  NumPy's types, set in ``autograd_engine/__init__.py``.
- ``parse_to`` reads the arguments of ``to`` for Tensors and ``nn.Module``.

>>> import autograd_engine as ag
>>> x = ag.tensor([[1, 5], [3, 2]]).float()
>>> x.sum(dim=1, keepdim=True).shape, x.argmax(dim=1)
((2, 1), Tensor([1, 0], dtype=int64))
>>> f"{x.mean():.2f}", x.view(-1).numel(), x.device
('2.75', 4, 'cpu')
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .grad_mode import STATE
from .tensor import Tensor

# ----- dim= and keepdim=: one decorator for every op that takes axis= ------------------------------

# PyTorch keyword -> the NumPy keyword it stands for. A function gets the entries whose NumPy
# keyword it has (so ``dim0`` only means something to ``swapaxes``).
_KEYWORDS = {"dim": "axis", "dims": "axis", "keepdim": "keepdims", "dim0": "axis1", "dim1": "axis2",
             "correction": "ddof", "unbiased": "ddof"}


class ValuesIndices(NamedTuple):
    """What ``max``/``min`` return when called with ``dim=`` (PyTorch's ``torch.return_types``)."""

    values: Tensor
    indices: Tensor


def _data(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _with_indices(arg: Callable) -> Callable:
    """``max``/``min`` spelled the PyTorch way: ``(values, indices)`` along one int ``dim``."""

    def call(fn: Callable, name: str, args: dict[str, Any]) -> Any:
        axis = args.get("axis")
        if axis is None:  # x.max(keepdim=...) without a dim: the whole-tensor value, as in PyTorch
            return fn(**args)
        if not isinstance(axis, (int, np.integer)):
            raise TypeError(
                f"{name}: with dim= (PyTorch's spelling) {name} returns (values, indices) along "
                f"one int dim, got dim={axis!r}; for several axes use NumPy's spelling, "
                f"{name}(x, axis={tuple(axis) if isinstance(axis, list) else axis!r})"
            )
        values = fn(**args)
        indices = arg(_data(args["x"]), axis=axis, keepdims=bool(args.get("keepdims", False)))
        return ValuesIndices(values, Tensor(indices))

    return call


def _unbiased(fn: Callable, name: str, args: dict[str, Any]) -> Any:
    """``var``/``std`` spelled the PyTorch way: ``correction=1`` (unbiased) unless told otherwise."""
    args.setdefault("ddof", 1)
    return fn(**args)


def _split_sizes(fn: Callable, name: str, args: dict[str, Any]) -> Any:
    """``split`` spelled the PyTorch way: an int is the size of each piece (the last may be
    smaller), a list gives the sizes of the pieces; NumPy's takes a count or split indices."""
    sizes, axis = args["indices_or_sections"], args.get("axis", 0)
    shape = np.shape(_data(args["x"]))
    if not isinstance(axis, (int, np.integer)) or not -len(shape) <= axis < len(shape):
        return fn(**args)  # split's own error names the bad axis
    n = shape[axis]
    if isinstance(sizes, (int, np.integer)):
        if sizes < 1:
            raise ValueError(f"split: with dim= (PyTorch's spelling) an int is the size of each "
                             f"piece and must be positive, got {sizes}")
        args["indices_or_sections"] = list(range(int(sizes), n, int(sizes)))
    else:
        sizes = [int(s) for s in sizes]
        if sum(sizes) != n or min(sizes, default=0) < 0:
            raise ValueError(
                f"split: with dim= (PyTorch's spelling) a list gives the sizes of the pieces, "
                f"which must be non-negative and add up to {n} (the length of axis {axis} of shape "
                f"{shape}), got {sizes}; NumPy's spelling, split(x, indices, axis=...), takes "
                "the indices to split at"
            )
        args["indices_or_sections"] = np.cumsum(sizes)[:-1].tolist()
    return fn(**args)


# Ops whose result differs between the two spellings. Everything else maps keywords and nothing more.
_PYTORCH_CALLS: dict[str, Callable[[Callable, str, dict], Any]] = {
    "max": _with_indices(np.argmax),
    "min": _with_indices(np.argmin),
    "var": _unbiased,
    "std": _unbiased,
    "split": _split_sizes,
}


def pytorch_keywords(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Let ``fn`` (a function or Tensor method taking ``axis``/``keepdims``) also take PyTorch's
    ``dim``/``keepdim``; ``fn`` itself is returned when it has neither. Giving both spellings of
    one argument is a ``TypeError``.

    >>> import numpy as np
    >>> def total(x, axis=None, keepdims=False):
    ...     return np.sum(x, axis=axis, keepdims=keepdims)
    >>> total = pytorch_keywords(total)
    >>> total(np.ones((2, 3)), dim=1, keepdim=True).shape
    (2, 1)
    >>> total(np.ones((2, 3)), 1, dim=1)
    Traceback (most recent call last):
    ...
    TypeError: total: got both axis (NumPy's name) and dim (PyTorch's name) ...; pass one of them
    """
    sig = inspect.signature(fn)
    params = list(sig.parameters)
    name = fn.__name__.strip("_")
    mapping = {torch: numpy for torch, numpy in _KEYWORDS.items()
               if numpy in params and (torch != "dims" or name == "flip")}  # torch.flip(x, dims)
    if not mapping or hasattr(fn, "__pytorch_keywords__"):
        return fn
    special = _PYTORCH_CALLS.get(name)
    if special is not None:  # the hooks read the tensor as args["x"]
        assert params[0] == "x", f"pytorch_keywords: {name} must take the tensor as 'x'"

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not kwargs or kwargs.keys().isdisjoint(mapping):  # NumPy's spelling: no extra work
            return fn(*args, **kwargs)
        numpy_kwargs: dict[str, Any] = {}
        given: dict[str, str] = {}  # NumPy keyword -> how the caller spelled it
        for key, value in kwargs.items():
            target = mapping.get(key, key)
            if key == "unbiased":
                value = int(bool(value))
            earlier = given.get(target)
            if earlier is None and target in params and params.index(target) < len(args):
                earlier = target  # passed by position
            if earlier is not None:
                a, b = sorted((earlier, key), key=lambda k: k in mapping)  # NumPy's name first
                raise TypeError(
                    f"{name}: got both {a} ({'PyTorch' if a in mapping else 'NumPy'}'s name) and "
                    f"{b} ({'PyTorch' if b in mapping else 'NumPy'}'s name) for the same argument; "
                    "pass one of them"
                )
            given[target] = key
            numpy_kwargs[target] = value
        if special is None:
            return fn(*args, **numpy_kwargs)
        try:
            bound = sig.bind(*args, **numpy_kwargs)
        except TypeError as exc:
            raise TypeError(f"{name}: {exc}") from None
        return special(fn, name, dict(bound.arguments))

    wrapper.__pytorch_keywords__ = tuple(mapping)  # type: ignore[attr-defined]
    return wrapper


# ----- Tensor methods -----------------------------------------------------------------------------


def _clone(self: Tensor) -> Tensor:
    """A copy with its own memory that stays in the graph (gradients flow back to ``self``).

    >>> import autograd_engine as ag
    >>> x = ag.Tensor([1.0, 2.0], requires_grad=True)
    >>> y = x.clone()
    >>> y.sum().backward(); x.grad
    Tensor([1., 1.])
    """
    from .ops.shape import Clone

    return Clone.apply(self)


def _cast(dtype: Any, torch_name: str) -> Callable[[Tensor], Tensor]:
    def method(self: Tensor) -> Tensor:
        return self.astype(dtype)

    method.__name__ = torch_name
    method.__doc__ = (f"``self.astype(np.{np.dtype(dtype).name})`` (PyTorch's ``.{torch_name}()``; "
                      "differentiable between float dtypes).")
    return method


def _view(self: Tensor, *shape: Any) -> Tensor:
    """``reshape`` under PyTorch's name: ``x.view(-1, 64)`` or ``x.view((2, -1))``.

    The result shares memory with ``self`` whenever NumPy can express it as a view (PyTorch's
    ``view`` instead refuses when it cannot).

    >>> import autograd_engine as ag
    >>> ag.zeros(2, 3, 4).view(-1, 12).shape
    (2, 12)
    """
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
        raise TypeError(
            f"view: reinterpreting the bytes as another dtype ({shape[0]!r}) is not supported; "
            "view takes a shape, e.g. x.view(-1, 64); convert values with x.astype(dtype)"
        )
    return self.reshape(*shape)


def _unsqueeze(self: Tensor, dim: int) -> Tensor:
    """Insert a size-1 axis at ``dim`` (NumPy's ``expand_dims``).

    >>> import autograd_engine as ag
    >>> ag.zeros(3).unsqueeze(0).shape
    (1, 3)
    """
    return self.expand_dims(dim)


def _permute(self: Tensor, *dims: Any) -> Tensor:
    """Reorder the axes: ``x.permute(2, 0, 1)`` or ``x.permute((2, 0, 1))`` (NumPy's ``transpose``).

    >>> import autograd_engine as ag
    >>> ag.zeros(2, 3, 4).permute(2, 0, 1).shape
    (4, 2, 3)
    """
    if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)):
        dims = tuple(dims[0])
    if len(dims) != self.ndim:
        raise ValueError(
            f"permute: got {len(dims)} dims {tuple(dims)} for a tensor of shape {self.shape}; "
            f"name each of its {self.ndim} axes once, e.g. x.permute{tuple(reversed(range(self.ndim)))}"
        )
    return self.transpose(tuple(dims))


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge the axes ``start_dim`` to ``end_dim`` into one (PyTorch's ``flatten``; with no
    arguments NumPy's ``flatten`` too): ``ag.flatten(x, 1)`` keeps the batch axis. A 0-d input
    becomes one element.

    >>> import autograd_engine as ag
    >>> x = ag.zeros(2, 3, 4)
    >>> ag.flatten(x, 1).shape, x.flatten().shape, x.flatten(0, 1).shape
    ((2, 12), (24,), (6, 4))
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    if isinstance(start_dim, str):  # NumPy's flatten(order): only row-major order here
        if start_dim != "C":
            raise ValueError(f"flatten: only order 'C' (row-major) is supported, got {start_dim!r}")
        start_dim = 0
    shape = x.shape
    if not shape:
        return x.reshape(1)
    n = len(shape)
    for name, d in (("start_dim", start_dim), ("end_dim", end_dim)):
        if not isinstance(d, (int, np.integer)) or not -n <= d < n:
            raise ValueError(f"flatten: {name}={d!r} is out of range for a tensor of shape {shape}; "
                             f"use an int in [{-n}, {n - 1}]")
    start, end = start_dim % n, end_dim % n
    if start > end:
        raise ValueError(f"flatten: start_dim ({start_dim}) comes after end_dim ({end_dim}) for a "
                         f"tensor of shape {shape}")
    return x.reshape(shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:])


def clamp(x: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's names
    """PyTorch's name for ``clip``: limit ``x`` to ``[min, max]`` (None leaves a side open).
    Gradient: ``grad`` where ``min <= x <= max``, else 0.

    >>> import autograd_engine as ag
    >>> ag.tensor([-2.0, 0.5, 2.0]).clamp(min=0)
    Tensor([0. , 0.5, 2. ])
    """
    return (x if isinstance(x, Tensor) else Tensor(x)).clip(min, max)


def _t(self: Tensor) -> Tensor:
    """The transpose of a tensor of at most 2 dimensions (PyTorch's ``t``; ``x.T`` reverses any).

    >>> import autograd_engine as ag
    >>> ag.zeros(2, 3).t().shape
    (3, 2)
    """
    if self.ndim > 2:
        raise ValueError(f"t: expects a tensor of at most 2 dimensions, got shape {self.shape}; "
                         "use swapaxes(a, b) to exchange two axes, or .T to reverse them all")
    return self.T


def _pow(self: Tensor, exponent: Any) -> Tensor:
    """``self ** exponent`` (PyTorch's ``pow``; NumPy's ``ag.power``).

    >>> import autograd_engine as ag
    >>> ag.tensor([2.0, 3.0]).pow(2)
    Tensor([4., 9.])
    """
    return self**exponent


def _numel(self: Tensor) -> int:
    """Number of elements (the same as NumPy's ``size``).

    >>> import autograd_engine as ag
    >>> ag.zeros(2, 3).numel()
    6
    """
    return int(np.prod(self.shape, dtype=np.int64))


def _dim(self: Tensor) -> int:
    """Number of axes (NumPy's ``ndim``).

    >>> import autograd_engine as ag
    >>> ag.zeros(2, 3).dim()
    2
    """
    return self.ndim


def _same(self: Tensor) -> Tensor:
    """``self``: tensors always live in (contiguous enough) CPU memory here."""
    return self


def _device(self: Tensor) -> str:
    """``"cpu"``, always: the engine runs on NumPy arrays in main memory."""
    return "cpu"


class _ElementCount(int):
    """What ``Tensor.size`` is: NumPy's element count, an ``int``. Calling it, as PyTorch's
    ``x.size(0)``, raises an error that says what to write instead."""

    def __call__(self, dim: Any = None) -> Any:
        shape = self.__dict__.get("shape")
        if dim is None:
            fix = f"x.shape ({shape}) for the shape, or x.numel() for the element count"
        else:
            length = ""
            if isinstance(dim, (int, np.integer)) and shape is not None and -len(shape) <= dim < len(shape):
                length = f" (= {shape[dim]})"
            fix = f"x.shape[{dim}]{length} for the length of axis {dim}"
        raise TypeError(
            f"Tensor.size is NumPy's element count (an int: {int(self)}), not PyTorch's size() "
            f"method; use {fix}"
        )


def _size(self: Tensor) -> int:
    """Number of elements (NumPy's ``size``, an ``int``). PyTorch's ``x.size(0)`` is ``x.shape[0]``.

    >>> import autograd_engine as ag
    >>> x = ag.zeros(2, 3)
    >>> x.size, x.shape[0]
    (6, 2)
    """
    count = _ElementCount(self.data.size)
    count.shape = self.shape  # for the error message, should it be called
    return count


def parse_to(*args: Any, **kwargs: Any) -> tuple[np.dtype | None, bool]:
    """The arguments of ``Tensor.to``/``Module.to`` as ``(dtype or None, copy)``; a device other
    than the CPU is refused. Accepts ``to("cpu")``, ``to(np.float32)``, ``to("cpu", "float32")``,
    ``to(other_tensor)`` (its dtype), ``to(device=..., dtype=..., non_blocking=..., copy=...)``.

    >>> import numpy as np
    >>> parse_to("cpu", dtype=np.float32)
    (dtype('float32'), False)
    >>> parse_to("cuda")
    Traceback (most recent call last):
    ...
    RuntimeError: to: autograd_engine runs on the CPU only (...), so there is no 'cuda' device; ...
    """
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise TypeError(f"to: unexpected keyword argument(s) {sorted(unknown)}; to takes a device "
                        "('cpu'), a dtype, device=, dtype=, non_blocking= and copy=")
    dtype: np.dtype | None = None
    items = list(args) + [kwargs[k] for k in ("device", "dtype") if kwargs.get(k) is not None]
    for a in items:
        if isinstance(a, Tensor):
            dtype = a.dtype
            continue
        text = str(a) if isinstance(a, str) or type(a).__name__ == "device" else None
        if text is not None and text.split(":")[0] in _DEVICES:
            if text not in ("cpu", "cpu:0"):
                raise RuntimeError(
                    f"to: autograd_engine runs on the CPU only (on NumPy arrays), so there is no "
                    f"{text!r} device; use 'cpu' or leave the call out (for GPUs, use PyTorch itself)"
                )
            continue
        try:
            dtype = np.dtype(a)
        except TypeError:
            raise TypeError(
                f"to: {a!r} is neither a device ('cpu') nor a dtype (ag.float32, np.float64, "
                "'int64', ...)"
            ) from None
    return dtype, bool(kwargs.get("copy", False))


_DEVICES = {"cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "ipu", "mkldnn", "opengl", "opencl",
            "vulkan", "ve", "lazy", "mtia", "hpu", "privateuseone"}


def _to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """PyTorch's ``to``: ``x.to("cpu")`` is ``x``; ``x.to(ag.float32)`` converts (differentiably,
    as ``astype``); any other device is refused with an explanation.

    >>> import autograd_engine as ag
    >>> x = ag.tensor([1, 2])
    >>> x.to("cpu") is x, x.to(ag.float32).dtype
    (True, dtype('float32'))
    """
    dtype, copy = parse_to(*args, **kwargs)
    out = self if dtype is None else self.astype(dtype)
    return out.clone() if copy and out is self else out


def _format(self: Tensor, spec: str) -> str:
    """``f"{t:.4f}"`` formats the number in a one-element tensor; an empty spec is ``str(t)``.

    >>> import autograd_engine as ag
    >>> f"{ag.tensor(2.0) / 3:.4f}"
    '0.6667'
    """
    if not spec:
        return str(self)
    if self.data.size != 1:
        raise TypeError(
            f"format: only one-element tensors take a format spec ({spec!r}); this one has shape "
            f"{self.shape}: format its elements, e.g. [f'{{v:{spec}}}' for v in x.tolist()]"
        )
    return format(self.item(), spec)


# ----- module-level names -------------------------------------------------------------------------
# (the dtype names, ag.float32 and so on, are set in autograd_engine/__init__.py: here they would
# shadow the builtins int, float and bool for this module's own code)


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor sharing ``array``'s memory and dtype (writes to one show in the other), as
    ``torch.from_numpy``; ``Tensor(array)`` copies instead.

    >>> import numpy as np
    >>> import autograd_engine as ag
    >>> a = np.zeros(3, dtype=np.float32)
    >>> t = ag.from_numpy(a)
    >>> a[0] = 5
    >>> t
    Tensor([5., 0., 0.], dtype=float32)
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an np.ndarray, got {type(array).__name__}; use "
                        "ag.tensor(data) for other data")
    if array.dtype.kind not in "biufc":
        raise TypeError(f"from_numpy: cannot share an array of dtype {array.dtype}; only numeric "
                        "and bool arrays make tensors")
    return Tensor._make(array)


class inference_mode:
    """PyTorch's ``inference_mode``, here the same as ``no_grad``: a context manager and a
    decorator (``@ag.inference_mode`` or ``@ag.inference_mode()``); ``inference_mode(False)``
    leaves grad mode as it is.

    >>> import autograd_engine as ag
    >>> x = ag.tensor([1.0], requires_grad=True)
    >>> with ag.inference_mode():
    ...     (x * 2).requires_grad
    False
    >>> @ag.inference_mode
    ... def predict(x):
    ...     return x * 2
    >>> predict(x).requires_grad
    False
    """

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):  # used bare as a decorator: @ag.inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: Any = True) -> None:
        self._inference = bool(mode)

    def __enter__(self) -> None:
        flags = STATE.flags
        self._prev = flags.enabled
        if self._inference:
            flags.enabled = False

    def __exit__(self, *exc: object) -> None:
        STATE.flags.enabled = self._prev

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        inference = self._inference

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(inference):
                return fn(*args, **kwargs)

        return wrapper


def cat(tensors: Any, dim: int = 0) -> Tensor:
    """PyTorch's name for ``concatenate``: ``ag.cat([a, b], dim=1)``.

    >>> import autograd_engine as ag
    >>> ag.cat([ag.zeros(2, 1), ag.ones(2, 2)], dim=1).shape
    (2, 3)
    """
    from .ops import concatenate

    return concatenate(tensors, axis=dim)


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the largest element (along ``axis``), as an int64 Tensor (``np.argmax``,
    ``torch.argmax(x, dim=1)``).

    >>> import autograd_engine as ag
    >>> ag.argmax(ag.tensor([[1, 3], [4, 2]]), dim=1)
    Tensor([1, 0], dtype=int64)
    """
    return (x if isinstance(x, Tensor) else Tensor(x)).argmax(axis=axis, keepdims=keepdims)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the smallest element (along ``axis``), as an int64 Tensor (``np.argmin``).

    >>> import autograd_engine as ag
    >>> ag.argmin(ag.tensor([[1, 3], [4, 2]]), dim=1)
    Tensor([0, 1], dtype=int64)
    """
    return (x if isinstance(x, Tensor) else Tensor(x)).argmin(axis=axis, keepdims=keepdims)


argmax = pytorch_keywords(argmax)
argmin = pytorch_keywords(argmin)
