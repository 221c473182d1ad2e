"""``checkpoint_sequential``: gradient checkpointing over the modules of a ``Sequential``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_engine as ag

__all__ = ["checkpoint_sequential"]


def checkpoint_sequential(modules: Iterable, segments: int, x: ag.Tensor,
                          preserve_rng_state: bool = True) -> ag.Tensor:
    """Run ``modules`` (a ``Sequential`` or a list of callables) in order on ``x``, split into
    ``segments`` consecutive segments, each but the last under :func:`autograd_engine.checkpoint`,
    as PyTorch's ``checkpoint_sequential``: only the segments' inputs are kept for backward, and
    each segment runs again when backward reaches it. ``segments`` about the square root of the
    number of modules minimises memory; the last segment holds the remainder and is not
    checkpointed (backward needs it first).

    >>> import numpy as np
    >>> import autograd_engine as ag
    >>> import nn
    >>> ag.manual_seed(0)
    >>> net = nn.Sequential(*[nn.Linear(4, 4, dtype=np.float64) for _ in range(4)])
    >>> x = ag.randn(2, 4)
    >>> y = nn.checkpoint_sequential(net, 2, x)
    >>> bool(np.array_equal(y.data, net(x).data))
    True
    >>> y.sum().backward()
    >>> net[0].weight.grad.shape
    (4, 4)
    """
    layers = list(modules)
    if not layers:
        raise ValueError("checkpoint_sequential: modules is empty; pass at least one module")
    if isinstance(segments, bool) or not isinstance(segments, (int, np.integer)) or not (
            1 <= segments <= len(layers)):
        raise ValueError(
            f"checkpoint_sequential: segments must be an int from 1 to the number of modules "
            f"({len(layers)}), got {segments!r}"
        )
    size = len(layers) // int(segments)

    def run(part: list) -> Any:
        def forward(h: ag.Tensor) -> ag.Tensor:
            for layer in part:
                h = layer(h)
            return h

        return forward

    end = 0
    for start in range(0, size * (int(segments) - 1), size):
        end = start + size
        x = ag.checkpoint(run(layers[start:end]), x, preserve_rng_state=preserve_rng_state)
    return run(layers[end:])(x)
