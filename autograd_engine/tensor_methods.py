"""Every method and operator the engine adds to :class:`Tensor`, attached in one place.

``Tensor``'s class body (``tensor.py``) holds its state and the autograd methods (``backward``,
``detach``, ``register_hook``, ...). The rest is attached by :func:`attach`, once, when
``autograd_engine`` is imported:

- the registered ops' methods and operators (``x.exp()``, ``x + y``, ``x[i]``), named in each op's
  ``@register(..., method=..., operators=...)`` beside its rule (``REGISTRY[name].methods`` and
  ``.operators``): a new op needs no line here;
- ``EXTRA``, below: what is not a registered op (comparisons, ``astype``, ``all``/``argmax``, the
  in-place operators, NumPy's protocols and PyTorch's spellings).

A name given twice (by two ops, or by an op and ``EXTRA``) is an error, not a silent override.

>>> import autograd_engine as ag
>>> ag.REGISTRY["add"].operators["__radd__"](ag.Tensor([1.0]), 2.0)  # what 2.0 + x calls
Tensor([3.])
>>> sorted(ag.REGISTRY["exp"].methods)
['exp']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import inplace, interop
from . import pytorch_names as pt
from .ops import REGISTRY, nograd
from .ops.elementwise import astype
from .pytorch_names import pytorch_keywords
from .tensor import Tensor

#: Tensor methods and operators that are not registered ops, by where they are defined.
EXTRA: dict[str, Any] = {
    # no gradient (ops/nograd.py): comparisons give bool Tensors, argmax/argmin int64 ones
    **nograd.COMPARISONS,
    "all": pytorch_keywords(nograd.all_),
    "any": pytorch_keywords(nograd.any_),
    "argmax": pytorch_keywords(nograd.argmax),
    "argmin": pytorch_keywords(nograd.argmin),
    # conversion (ops/elementwise.py; its argument is a dtype, so it is not swept)
    "astype": astype,
    "__pos__": lambda self: self,
    # in place: x += y, ..., x[i] = v (inplace.py)
    "__iadd__": inplace._binary_inplace("+=", np.add, "add", "__iadd__"),
    "__isub__": inplace._binary_inplace("-=", np.subtract, "subtract", "__isub__"),
    "__imul__": inplace._binary_inplace("*=", np.multiply, "multiply", "__imul__"),
    "__itruediv__": inplace._binary_inplace("/=", np.true_divide, "divide", "__itruediv__"),
    "__ipow__": inplace._binary_inplace("**=", np.power, "power", "__ipow__"),
    "__setitem__": inplace._setitem,
    # NumPy functions and ufuncs on Tensors (interop.py)
    "__array_ufunc__": interop._array_ufunc,
    "__array_function__": interop._array_function,
    # PyTorch's spellings where they do not clash with NumPy's (pytorch_names.py)
    **{name: pt._cast(dtype, name) for name, dtype in (
        ("float", np.float32), ("double", np.float64), ("long", np.int64), ("int", np.int32),
        ("bool", np.bool_))},
    "clone": pt._clone,
    "view": pt._view,
    "unsqueeze": pt._unsqueeze,
    "permute": pt._permute,
    "numel": pt._numel,
    "flatten": pt.flatten,
    "clamp": pt.clamp,
    "t": pt._t,
    "pow": pt._pow,
    "dim": pt._dim,
    "contiguous": pt._same,
    "cpu": pt._same,
    "to": pt._to,
    "device": property(pt._device),
    "size": property(pt._size),
    "__format__": pt._format,
}


def attach() -> None:
    """Set every registered op's methods and operators, and ``EXTRA``, on :class:`Tensor`
    (``import autograd_engine`` calls it once; calling it again changes nothing).

    >>> import autograd_engine as ag
    >>> attach()
    >>> ag.Tensor([1.0, 4.0]).sqrt()
    Tensor([1., 2.])
    """
    names: dict[str, Any] = {}
    origin: dict[str, str] = {}
    tables = [(f"op {spec.name!r}", table) for spec in REGISTRY.values()
              for table in (spec.methods, spec.operators)]
    for where, table in [*tables, ("EXTRA", EXTRA)]:
        for name, value in table.items():
            if name in names:
                raise RuntimeError(f"tensor_methods: Tensor.{name} is given by {origin[name]} "
                                   f"and by {where}; give it once")
            names[name], origin[name] = value, where
    for name, value in names.items():
        setattr(Tensor, name, value)
