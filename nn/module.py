"""``Module``, the base of every layer, and the containers ``Sequential`` and ``ModuleList``.

Assigning a :class:`Parameter`, a :class:`Module` or (through :meth:`Module.register_buffer`) a
buffer as an attribute registers it, in definition order, exactly like ``torch.nn.Module``; that
order is the order of ``parameters()`` and of the ``state_dict`` keys.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np

import autograd_engine as ag
from autograd_engine.pytorch_names import parse_to

from .parameter import Parameter, zero_grads


def _to_array(value: Any) -> np.ndarray:
    """An ``np.ndarray`` from an array, a Tensor, or anything with ``.detach().cpu().numpy()``."""
    if isinstance(value, ag.Tensor):
        return value.data
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value)
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # e.g. a torch.Tensor
        value = value.detach()
        if hasattr(value, "cpu"):
            value = value.cpu()
        return np.asarray(value.numpy())
    return np.asarray(value)


class _IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``remove()`` unregisters the hook (also on
    leaving a ``with`` block).

    >>> import autograd_engine as ag
    >>> import nn
    >>> m = nn.Tanh()
    >>> with m.register_forward_hook(lambda mod, args, out: out * 0):
    ...     m(ag.Tensor([1.0]))
    Tensor([0.])
    >>> m(ag.Tensor([0.0]))
    Tensor([0.])
    """

    _ids = itertools.count()

    def __init__(self, hooks: dict) -> None:
        self._hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class Module:
    """Base class of all layers and models: subclass it, assign layers and parameters in
    ``__init__`` and write ``forward``; call the module to run it.

    ``__call__`` runs the forward pre-hooks, ``forward`` and the forward hooks inside
    ``ag.scope(self)``, so every recorded op knows which module made it (``node.scope``).

    >>> import autograd_engine as ag
    >>> import nn
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1 = nn.Linear(4, 8)
    ...         self.act = nn.ReLU()
    ...         self.fc2 = nn.Linear(8, 2)
    ...     def forward(self, x):
    ...         return self.fc2(self.act(self.fc1(x)))
    >>> net = Net()
    >>> net
    Net(
      (fc1): Linear(in_features=4, out_features=8, bias=True)
      (act): ReLU()
      (fc2): Linear(in_features=8, out_features=2, bias=True)
    )
    >>> [name for name, _ in net.named_parameters()]
    ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    >>> net(ag.ones(3, 4, dtype="float32")).shape
    (3, 2)
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    # ----- running -----
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"{type(self).__name__} has no forward(): subclasses of nn.Module must define "
            "forward(self, ...) describing the computation"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}.__init__ did not call super().__init__(); call it first"
            )
        with ag.scope(self):
            for hook in list(self._forward_pre_hooks.values()):
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
            out = self.forward(*args, **kwargs)
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, out)
                if result is not None:
                    out = result
        return out

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, args)`` before ``forward``; a returned value replaces ``args``
        (a non-tuple is wrapped in a 1-tuple). Returns a handle with ``remove()``.

        >>> import autograd_engine as ag
        >>> import nn
        >>> m = nn.ReLU()
        >>> h = m.register_forward_pre_hook(lambda mod, args: (args[0] - 1,))
        >>> m(ag.Tensor([0.5, 3.0]))
        Tensor([0., 2.])
        >>> h.remove()
        """
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after ``forward``; a returned value replaces the
        output. Returns a handle with ``remove()``.

        >>> import autograd_engine as ag
        >>> import nn
        >>> m = nn.ReLU()
        >>> seen = []
        >>> h = m.register_forward_hook(lambda mod, args, out: seen.append(out.shape))
        >>> _ = m(ag.ones(2, 3))
        >>> seen
        [(2, 3)]
        >>> h.remove()
        """
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ----- registration -----
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(
                    f"cannot assign {type(value).__name__} '{name}' before Module.__init__() "
                    "call; call super().__init__() first in your __init__"
                )
            object.__setattr__(self, name, value)
            return
        params, buffers, modules = d["_parameters"], d["_buffers"], d["_modules"]
        if isinstance(value, Parameter):
            self._remove_from(name, d, buffers, modules)
            params[name] = value
        elif isinstance(value, Module):
            self._remove_from(name, d, params, buffers)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter '{name}' "
                    "(nn.Parameter or None expected); wrap it: nn.Parameter(value)"
                )
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as child module '{name}' "
                    "(nn.Module or None expected)"
                )
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, ag.Tensor):
                value = ag.Tensor(np.asarray(value))
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name: str, d: dict, *dicts: dict) -> None:
        d.pop(name, None)
        for other in dicts:
            other.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for key in ("_parameters", "_buffers", "_modules"):
            store = self.__dict__[key]
            if name in store:
                del store[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Register a non-learnable state tensor (e.g. ``running_mean``), saved in the
        ``state_dict`` unless ``persistent=False``. ``None`` registers an empty slot.

        >>> import numpy as np
        >>> import nn
        >>> m = nn.Module()
        >>> m.register_buffer("count", np.zeros(3))
        >>> list(m.state_dict())
        ['count']
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"register_buffer: buffer name must be a non-empty string without '.', "
                           f"got {name!r}")
        if name in self.__dict__ or name in self._parameters or name in self._modules:
            raise KeyError(f"register_buffer: attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, ag.Tensor):
            tensor = ag.Tensor(np.asarray(tensor))
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or an empty slot for None) under ``name``, like assigning it.

        >>> import nn
        >>> m = nn.Module()
        >>> m.register_parameter("bias", None)
        >>> list(m.parameters())
        []
        """
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: expected nn.Parameter or None, got "
                            f"{type(param).__name__}")
        self._parameters[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        """Register a child module under ``name`` (like assigning it as an attribute).

        >>> import nn
        >>> m = nn.Module()
        >>> m.add_module("fc", nn.Linear(2, 2))
        >>> [n for n, _ in m.named_children()]
        ['fc']
        """
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    # ----- traversal -----
    def named_modules(self, memo: set | None = None, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for this module and every descendant, each once, depth first.

        >>> import nn
        >>> [n for n, _ in nn.Sequential(nn.Linear(2, 2), nn.ReLU()).named_modules()]
        ['', '0', '1']
        """
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        """This module and all descendants (see ``named_modules``)."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for the direct children.

        >>> import nn
        >>> [n for n, _ in nn.Sequential(nn.Linear(2, 2), nn.ReLU()).named_children()]
        ['0', '1']
        """
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        """The direct child modules.

        >>> import nn
        >>> [type(c).__name__ for c in nn.Sequential(nn.Linear(2, 2), nn.Tanh()).children()]
        ['Linear', 'Tanh']
        """
        for _, child in self.named_children():
            yield child

    def _named_members(self, attr: str, prefix: str, recurse: bool) -> Iterator[tuple[str, Any]]:
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, value in getattr(mod, attr).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs in registration order; shared ones appear once.

        >>> import nn
        >>> [(n, p.shape) for n, p in nn.Linear(3, 2).named_parameters()]
        [('weight', (2, 3)), ('bias', (2,))]
        """
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters in registration order (what optimizers take).

        >>> import nn
        >>> sum(p.size for p in nn.Linear(3, 2).parameters())
        8
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, ag.Tensor]]:
        """``(dotted name, buffer)`` pairs in registration order.

        >>> import nn
        >>> [n for n, _ in nn.Sequential(nn.BatchNorm1d(2)).named_buffers()]
        ['0.running_mean', '0.running_var', '0.num_batches_tracked']
        """
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[ag.Tensor]:
        """The buffers (e.g. BatchNorm's running statistics).

        >>> import nn
        >>> len(list(nn.BatchNorm2d(3).buffers()))
        3
        """
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first) and on self; returns self.

        >>> import nn
        >>> def init_weights(m):
        ...     if isinstance(m, nn.Linear):
        ...         nn.init.zeros_(m.weight)
        >>> model = nn.MLP([2, 4, 1]).apply(init_weights)
        >>> float(abs(model[0].weight.data).sum())
        0.0
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----- modes and gradients -----
    def train(self, mode: bool = True) -> Module:
        """Set training mode (affects Dropout, BatchNorm) here and below; returns self.

        >>> import nn
        >>> nn.Dropout().train().training
        True
        """
        if not isinstance(mode, bool):
            raise ValueError("train: mode is expected to be a boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (same as ``train(False)``); returns self.

        >>> import nn
        >>> nn.Dropout().eval().training
        False
        """
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter (freeze with False); returns self.

        >>> import nn
        >>> any(p.requires_grad for p in nn.Linear(2, 2).requires_grad_(False).parameters())
        False
        """
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"requires_grad_: requires_grad must be a bool, got {requires_grad!r}")
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # ----- dtype and device -----
    def to(self, *args: Any, **kwargs: Any) -> Module:
        """PyTorch's ``to``: ``model.to("cpu")`` changes nothing (the engine runs on the CPU
        only; other devices are refused with an explanation), ``model.to(ag.float64)`` converts
        every floating-point parameter, gradient and buffer in place (the Parameter objects stay
        the same, so an optimizer made earlier keeps working). Returns self.

        >>> import autograd_engine as ag
        >>> import nn
        >>> lin = nn.Linear(2, 1).to("cpu").to(ag.float64)
        >>> lin.weight.dtype, lin(ag.ones(1, 2)).dtype
        (dtype('float64'), dtype('float64'))
        """
        dtype, _ = parse_to(*args, **kwargs)
        if dtype is None:
            return self
        if dtype.kind not in "fc":
            raise TypeError(f"{type(self).__name__}.to: modules convert only to floating-point "
                            f"dtypes, got {dtype}; convert inputs instead, e.g. x.long()")
        tensors = [*self.parameters(), *self.buffers()]
        for t in tensors:
            if t.dtype.kind == "f":
                t.data = t.data.astype(dtype)
                if t.grad is not None:
                    t.grad = t.grad.data.astype(dtype)
        return self

    def float(self) -> Module:
        """Floating-point parameters and buffers to float32 (``to(np.float32)``); returns self.

        >>> import nn
        >>> nn.Linear(2, 1).double().float().weight.dtype
        dtype('float32')
        """
        return self.to(np.float32)

    def double(self) -> Module:
        """Floating-point parameters and buffers to float64 (``to(np.float64)``); returns self.

        >>> import nn
        >>> nn.Linear(2, 1).double().bias.dtype
        dtype('float64')
        """
        return self.to(np.float64)

    def cpu(self) -> Module:
        """Self: parameters always live in main memory here."""
        return self

    @ag.replayed  # inside ag.compile: called again at every replay, not traced into
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the parameters' gradients: to None (default), or to zeros in place.

        >>> import autograd_engine as ag
        >>> import nn
        >>> lin = nn.Linear(2, 1)
        >>> lin(ag.ones(1, 2, dtype="float32")).sum().backward()
        >>> lin.zero_grad()
        >>> lin.weight.grad is None
        True
        """
        zero_grads(self.parameters(), set_to_none)

    # ----- state -----
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Parameters and persistent buffers by dotted name, in PyTorch's key order.

        Values are copies of the arrays (``np.ndarray``), so the result is a snapshot that later
        training does not change; ``keep_vars=True`` returns the Parameter/buffer Tensors instead.

        >>> import nn
        >>> list(nn.BatchNorm1d(3).state_dict())
        ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
        """
        out: OrderedDict = OrderedDict()
        self._save_to(out, prefix, keep_vars)
        return out

    def _save_to(self, out: OrderedDict, prefix: str, keep_vars: bool) -> None:
        for name, p in self._parameters.items():
            if p is not None:
                out[prefix + name] = p if keep_vars else p.data.copy()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                out[prefix + name] = b if keep_vars else b.data.copy()
        for name, child in self._modules.items():
            if child is not None:
                child._save_to(out, prefix + name + ".", keep_vars)

    def _state_targets(self) -> OrderedDict:
        return self.state_dict(keep_vars=True)

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> _IncompatibleKeys:
        """Copy values from ``state_dict`` into the existing parameters and buffers, in place,
        cast to their dtypes (arrays, Tensors and ``torch.Tensor`` values are accepted).

        Raises ``TypeError`` naming every value that is not a real numeric or bool array (strings,
        objects, complex values for a real parameter) and ``RuntimeError`` listing shape-mismatched
        keys (always) and missing/unexpected keys (when ``strict``). Every value is checked before
        anything is copied, so nothing is modified when it raises. Returns
        ``(missing_keys, unexpected_keys)``.

        >>> import nn
        >>> a, b = nn.Linear(3, 2), nn.Linear(3, 2)
        >>> b.load_state_dict(a.state_dict())
        _IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> bool((a.weight.data == b.weight.data).all())
        True
        """
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"load_state_dict: expected a mapping of names to arrays, got "
                            f"{type(state_dict).__name__}")
        targets = self._state_targets()
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict.keys() if k not in targets]
        mismatched = []
        bad_dtypes = []
        arrays = {}
        for key, target in targets.items():
            if key not in state_dict:
                continue
            arr = _to_array(state_dict[key])
            kind = arr.dtype.kind
            if kind not in "biuf" and not (kind == "c" and target.dtype.kind == "c"):
                fix = ("pass value.real if the imaginary part is meant to be dropped" if kind == "c"
                       else "convert it with np.asarray(value, dtype=np.float64) if it holds numbers")
                bad_dtypes.append(f"'{key}' has dtype {arr.dtype} and shape {arr.shape}; only real "
                                  f"numeric or bool arrays can be cast to {target.dtype}: {fix}")
            elif arr.shape != target.shape:
                mismatched.append(f"size mismatch for {key}: copying a param with shape "
                                  f"{arr.shape} from checkpoint, the shape in current model is "
                                  f"{target.shape}.")
            arrays[key] = arr
        if bad_dtypes:
            raise TypeError("load_state_dict: nothing was loaded:\n\t" + "\n\t".join(bad_dtypes))
        errors = []
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected)
                          + ".")
        if strict and missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        errors.extend(mismatched)
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        for key, arr in arrays.items():
            target = targets[key]
            target.data[...] = arr.astype(target.dtype, copy=False)
            ag.increment_version(target)
        return _IncompatibleKeys(missing, unexpected)

    # ----- repr -----
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr``; layers override it."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, child in self._modules.items():
            text = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {text}")
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


class Sequential(Module):
    """Run modules one after another, each on the previous one's output.

    Children are named ``"0"``, ``"1"``, ... (or by the keys of an ``OrderedDict``), so state_dict
    keys match ``torch.nn.Sequential``'s.

    >>> import autograd_engine as ag
    >>> import nn
    >>> model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    >>> model(ag.ones(5, 2, dtype="float32")).shape
    (5, 1)
    >>> len(model), type(model[-1]).__name__, len(model[:2])
    (3, 'Linear', 2)
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                if not isinstance(m, Module):
                    fix = (": pass the modules as separate arguments, nn.Sequential(*modules)"
                           if isinstance(m, (list, tuple)) else "")
                    raise TypeError(f"Sequential: argument {i} is a {type(m).__name__}, not a "
                                    f"Module subclass{fix}")
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def _index(self, idx: int) -> str:
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for {type(self).__name__} of length {n}")
        return list(self._modules)[idx % n]

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(self._index(idx), module)

    def __delitem__(self, idx: int | slice) -> None:
        keys = list(self._modules)
        for k in (keys[idx] if isinstance(idx, slice) else [self._index(idx)]):
            del self._modules[k]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        """Add a module at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules that registers them (named ``"0"``, ``"1"``, ...); it has no forward.

    >>> import nn
    >>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    >>> layers.append(nn.ReLU())
    ModuleList(
      (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)
      (3): ReLU()
    )
    >>> len(list(layers.parameters()))
    6
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _index(self, idx: int) -> str:
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for ModuleList of length {n}")
        return str(idx % n)

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(self._index(idx), module)

    def __delitem__(self, idx: int | slice) -> None:
        mods = list(self._modules.values())
        del mods[idx]
        self._modules.clear()
        for i, m in enumerate(mods):
            self.add_module(str(i), m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        """Add a module at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add modules at the end; returns self."""
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert a module before ``index``."""
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(mods):
            self.add_module(str(i), m)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("ModuleList is a container and has no forward(); iterate over it instead")

    def __repr__(self) -> str:
        # Collapse runs of identical reprs like PyTorch: "(0-2): 3 x Linear(...)".
        items = [(k, repr(m)) for k, m in self._modules.items()]
        if not items:
            return "ModuleList()"
        lines = []
        i = 0
        while i < len(items):
            j = i
            while j + 1 < len(items) and items[j + 1][1] == items[i][1]:
                j += 1
            text = items[i][1].replace("\n", "\n  ")
            if j > i:
                lines.append(f"({items[i][0]}-{items[j][0]}): {j - i + 1} x {text}")
            else:
                lines.append(f"({items[i][0]}): {text}")
            i = j + 1
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"
