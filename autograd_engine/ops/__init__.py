"""All built-in ops, one module per family (see CONTRIBUTING.md, "Where an op lives").

Importing the families registers their ops; every registered op is then ``ops.<name>`` (and
``ag.<name>`` unless registered with ``export=False``), so adding an op needs no line here.
Tensor methods and operators are attached by :mod:`autograd_engine.tensor_methods`.
"""

from __future__ import annotations

from . import elementwise, join, linalg, nn_ops, nograd, reduce, shape
from .elementwise import astype  # (not a registered op: its argument is a dtype)
from .registry import REGISTRY, Domain, OpSpec, register

#: The public functions of the registered ops, by name (``ag.<name>``).
EXPORTS = {name: spec.fn for name, spec in REGISTRY.items() if spec.export}

globals().update({name: spec.fn for name, spec in REGISTRY.items()})

__all__ = [
    "REGISTRY", "EXPORTS", "Domain", "OpSpec", "register", "astype",
    "elementwise", "join", "linalg", "nn_ops", "nograd", "reduce", "shape",
    *REGISTRY,
]
