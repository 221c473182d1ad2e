"""The ``Optimizer`` base class: parameter groups, per-parameter state, (de)serialisation."""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import autograd_engine as ag

from ..parameter import zero_grads


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()
_REAL = (numbers.Real, np.floating, np.integer)


class Optimizer:
    """Base class of the optimizers, shaped like ``torch.optim.Optimizer``.

    ``params`` is an iterable of Tensors or of dicts (parameter groups) with a ``"params"`` entry
    and per-group options overriding ``defaults``. ``step()`` updates every parameter whose
    ``grad`` is not None, in place (``p.data`` keeps its identity), under ``ag.no_grad()``.
    ``state`` maps each parameter to its state dict (momentum buffers, step counts, ...).
    Subclasses implement ``_update(p, g, state, group)`` on the NumPy arrays.

    >>> import numpy as np
    >>> import nn
    >>> class SignSGD(nn.optim.Optimizer):
    ...     def __init__(self, params, lr=0.01):
    ...         super().__init__(params, {"lr": lr})
    ...     def _update(self, p, g, state, group):
    ...         p -= group["lr"] * np.sign(g)
    >>> w = nn.Parameter(np.array([1.0, -1.0]))
    >>> w.grad = np.array([3.0, -0.5])
    >>> SignSGD([w], lr=0.5).step()
    >>> w.data
    array([ 0.5, -0.5])
    """

    def __init__(self, params: Iterable, defaults: dict) -> None:
        self.defaults = defaults
        self.state: dict = {}
        self.param_groups: list[dict] = []
        if isinstance(params, ag.Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a single Tensor; wrap it in a list")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (missing ones taken from defaults).

        >>> import nn
        >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
        >>> opt = nn.optim.SGD(a.parameters(), lr=0.1)
        >>> opt.add_param_group({"params": b.parameters(), "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        if "params" not in group:
            raise KeyError(f"add_param_group: a parameter group must have a 'params' entry (the "
                           f"tensors to optimize), got keys {sorted(group)}")
        params = group["params"]
        params = [params] if isinstance(params, ag.Tensor) else list(params)
        for p in params:
            if not isinstance(p, ag.Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter group contains the same parameter more than once")
        self.param_groups.append(group)

    @ag.replayed  # inside ag.compile: called again at every replay, not traced into
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients: to None (default) or to zeros in place.

        >>> import autograd_engine as ag
        >>> import nn
        >>> w = nn.Parameter(ag.Tensor([1.0]))
        >>> opt = nn.optim.SGD([w], lr=0.1)
        >>> (w * 2).sum().backward(); opt.zero_grad(); w.grad is None
        True
        """
        zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    @ag.replayed  # inside ag.compile: the array update runs again on the compiled gradients
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; ``closure`` (optional)
        re-evaluates the model and returns the loss, which ``step`` returns."""
        loss = None
        if closure is not None:
            with ag.enable_grad():
                loss = closure()
        self._check_step()
        with ag.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad.data
                    if g.dtype != p.data.dtype:
                        g = g.astype(p.data.dtype)
                    state = self.state.setdefault(p, {})
                    self._update(p.data, g, state, group)
                    # The update wrote p's memory behind the engine's back: say so, so that a
                    # graph recorded before the step refuses to backward (as in PyTorch)
                    ag.increment_version(p)
        return loss

    def _check_step(self) -> None:
        """Check every gradient and option that ``step`` uses before it writes anything, so that
        a step that raises leaves every parameter and all state as they were."""
        name = type(self).__name__
        for gi, group in enumerate(self.param_groups):
            for key, default in self.defaults.items():
                value = group.get(key)
                if (isinstance(default, (int, float)) and not isinstance(default, bool)
                        and (isinstance(value, bool) or not isinstance(value, _REAL))):
                    raise TypeError(f"{name}.step: param_groups[{gi}][{key!r}] must be a number, "
                                    f"got {value!r}; nothing was updated")
            for i, p in enumerate(group["params"]):
                if p.grad is None:
                    continue
                g = p.grad.data
                if g.shape != p.data.shape:
                    raise RuntimeError(
                        f"{name}.step: parameter {i} of param group {gi} has shape {p.data.shape} "
                        f"but its gradient has shape {g.shape}; nothing was updated. A gradient "
                        f"must have its parameter's shape: set p.grad = None after changing p.data")
                if g.dtype.kind not in "biuf" and not (g.dtype.kind == "c" == p.dtype.kind):
                    raise TypeError(
                        f"{name}.step: parameter {i} of param group {gi} ({p.dtype}) has a "
                        f"gradient of dtype {g.dtype}; nothing was updated. Gradients must be "
                        "real numbers")

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        raise TypeError(f"{type(self).__name__} does not define an update rule")

    # ----- (de)serialisation in torch.optim's layout -----
    def state_dict(self) -> dict:
        """``{"state": {index: {name: value}}, "param_groups": [{option: value, "params": [index,
        ...]}]}`` with parameters numbered in group order, as in PyTorch. Arrays are copies.

        >>> import nn
        >>> opt = nn.optim.Adam(nn.Linear(2, 1).parameters(), lr=0.01)
        >>> sd = opt.state_dict()
        >>> sd["param_groups"][0]["params"], sd["param_groups"][0]["lr"]
        ([0, 1], 0.01)
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state and self.state[p]:
                    state[index[id(p)]] = {
                        k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.state[p].items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore options and state saved by :meth:`state_dict` (group sizes must match).

        Everything is checked before anything is replaced, so a call that raises changes nothing.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"load_state_dict: state_dict must be a dict with 'state' and "
                            f"'param_groups' (as returned by optimizer.state_dict()), got "
                            f"{type(state_dict).__name__}")
        if "param_groups" not in state_dict:
            raise ValueError("load_state_dict: expected a dict with 'state' and 'param_groups' "
                             "(as returned by optimizer.state_dict())")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"load_state_dict: loaded state dict has {len(saved_groups)} "
                             f"parameter groups, the optimizer has {len(self.param_groups)}")
        for i, (mine, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if not isinstance(saved, dict) or "params" not in saved:
                raise ValueError(f"load_state_dict: param_groups[{i}] must be a dict with a "
                                 f"'params' list, got {saved!r}")
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError(f"load_state_dict: loaded state dict contains a parameter group "
                                 f"{i} of size "
                                 f"{len(saved['params'])} that doesn't match the size of the "
                                 f"optimizer's group ({len(mine['params'])})")
        id_map = {}
        for mine, saved in zip(self.param_groups, saved_groups):
            for p, idx in zip(mine["params"], saved["params"]):
                id_map[int(idx)] = p
        new_state: dict = {}
        for idx, st in state_dict.get("state", {}).items():
            p = id_map.get(int(idx))
            if p is None:
                continue
            entry = {}
            for k, v in st.items():
                if isinstance(v, ag.Tensor):
                    v = v.data
                if isinstance(v, np.ndarray) and v.ndim == 0:
                    v = v.item()
                if isinstance(v, np.ndarray):
                    if v.shape != p.shape:
                        raise ValueError(f"load_state_dict: state '{k}' of parameter {idx} has "
                                         f"shape {v.shape}, the parameter has shape {p.shape}")
                    v = v.astype(p.dtype, copy=True)
                entry[k] = v
            new_state[p] = entry
        for mine, saved in zip(self.param_groups, saved_groups):
            for k, v in saved.items():
                if k != "params":
                    mine[k] = copy.deepcopy(v)
        self.state = new_state

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        lines.append(")")
        return "\n".join(lines)
