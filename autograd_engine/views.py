"""Views: Tensors that share memory with another Tensor, and one version counter with it.

An op whose output array views an input's memory (``reshape``, ``transpose``, basic indexing,
``split``, ...; NumPy decides, the engine only looks at ``out.base``) makes a *view*: a Tensor that
knows its *base* (the Tensor that owns the memory; a view of a view has the same base) and the
steps that make it from the base. As in PyTorch, the base, all its views and all their
``detach()``-ed aliases share one version counter (``Tensor._version``), so a write through any
of them makes every node that saved one of them refuse to backward.

The steps let :mod:`autograd_engine.inplace` write through a view while recording: the base's
history is rebased onto the write, and a view whose base was written to (through itself or
through another view) gets its history made again from the base's current history the next time
an op uses it (``refresh_view``), so its gradient follows the values it now holds. A view made
under ``no_grad`` records no steps: like PyTorch's, it never gets a history.

>>> import autograd_engine as ag
>>> y = ag.Tensor([1.0, 2.0, 3.0])
>>> v = y[1:]
>>> v._base is y, v._version == y._version
(True, True)
>>> v *= 10
>>> y
Tensor([ 1., 20., 30.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .grad_mode import STATE
from .tensor import Tensor


def link_view(t: Tensor, cls: type, args: tuple, arrays: list, params: dict, output_nr: int,
              grad_mode: bool, multi: bool = False) -> None:
    """Make ``t`` (output ``output_nr`` of ``cls`` applied to ``args``; ``multi``: one of several
    outputs) a view of the input whose memory its array shares, if there is one. ``arrays`` are
    the inputs' arrays, as forward got them; ``grad_mode`` says whether the view may get a
    history (made outside ``no_grad``)."""
    owner = t._data.base
    i = 0
    for d in arrays:
        if type(d) is np.ndarray and (d is owner or d.base is owner):
            a = args[i]
            if isinstance(a, Tensor):
                break
        i += 1
    else:
        return  # a view of a temporary, or of a constant array: nothing to share
    base = a._base
    if base is None:
        base = a
    vc = base._vc
    if vc is None:
        vc = base._vc = [0]
    t._vc = vc
    t._base = base
    t._view_version = vc[0]
    steps = a._view_steps
    # (args keeps the input itself at position i: replay_view puts the base's value there)
    t._view_steps = None if steps is None or not grad_mode else (
        steps + ((cls, args, params, output_nr, i, multi),))


def mark_multi_output(views: list) -> list:
    """Mark tensors made by one call as several views of one input (as PyTorch's ``split``
    returns them), which PyTorch refuses to write in place while recording; returns ``views``."""
    for k, t in enumerate(views):
        steps = t._view_steps
        if t._base is not None and steps:
            cls, args, params, _, i, _ = steps[-1]
            t._view_steps = steps[:-1] + ((cls, args, params, k, i, True),)
    return views


def replay_view(base: Any, steps: tuple) -> Any:
    """Apply a view's steps to ``base``: a Tensor (the steps are recorded when grad mode is on)
    or an array (nothing recorded)."""
    from .function import apply_any  # (function.py imports this module)

    x = base
    for cls, recorded_args, params, output_nr, i, _ in steps:
        args = list(recorded_args)
        args[i] = x
        out = apply_any(cls, *args, **params)
        x = out[output_nr] if type(out) is tuple else out
    return x


def refresh_view(v: Tensor) -> None:
    """Give view ``v`` the history of its steps applied to its base's current history (after a
    write through the base or another view changed its values behind its back)."""
    v._view_version = v._vc[0]
    steps = v._view_steps
    if steps is None or not STATE.flags.enabled:
        return
    fresh = replay_view(v._base, steps)
    v._grad_fn = fresh._grad_fn
    v._output_nr = fresh._output_nr
    v._requires_grad = fresh._requires_grad
    if v._retains_grad and v._grad_fn is not None:  # retain_grad() follows the view's history
        v._grad_fn._retain_grad(v._output_nr)


def view_positions(v: Tensor) -> np.ndarray:
    """For each element of view ``v``, its flat position in its base (whatever the strides: the
    steps are replayed on ``arange``)."""
    base = v._base
    positions = np.arange(base._data.size).reshape(base._data.shape)
    return np.asarray(replay_view(positions, v._view_steps))

