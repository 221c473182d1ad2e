"""``nn.fit``: a small training loop with a progress bar and a per-epoch history."""

from __future__ import annotations

import copy
import math
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import autograd_engine as ag

from .module import Module
from .optim.optimizer import Optimizer

__all__ = ["History", "accuracy", "fit"]


def accuracy(output: Any, target: Any) -> float:
    """Fraction of correct predictions: argmax over axis 1 for ``(N, C)`` scores, ``output > 0``
    for one logit per sample (binary).

    >>> import numpy as np
    >>> import nn
    >>> nn.accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1]))
    0.5
    """
    out = np.asarray(output.data if isinstance(output, ag.Tensor) else output)
    tgt = np.asarray(target.data if isinstance(target, ag.Tensor) else target)
    if out.ndim >= 2 and out.shape[1] > 1:
        pred = out.argmax(axis=1)
    else:
        if out.size != tgt.size:
            raise ValueError(f"accuracy: output of shape {out.shape} and target of shape "
                             f"{tgt.shape} hold different numbers of samples")
        pred = (out.reshape(tgt.shape) > 0).astype(tgt.dtype)
    if pred.shape != tgt.shape:
        raise ValueError(f"accuracy: predictions of shape {pred.shape} (argmax over axis 1 of the "
                         f"output of shape {out.shape}) do not match target of shape {tgt.shape}")
    return float(np.mean(pred == tgt))


_BUILTIN_METRICS: dict[str, Callable[[Any, Any], float]] = {"accuracy": accuracy, "acc": accuracy}


class History(dict):
    """What :func:`fit` returns: a dict of per-epoch lists (``loss``, ``val_loss``, metrics,
    ``lr``) plus ``stopped_early`` (None, or the reason training stopped).

    >>> import nn
    >>> h = nn.History(loss=[1.0, 0.5])
    >>> h["loss"][-1], h.stopped_early
    (0.5, None)
    """

    stopped_early: str | None = None


def _metric_fns(metrics: Any) -> dict[str, Callable]:
    if metrics is None:
        return {}
    if isinstance(metrics, (str,)) or callable(metrics):
        metrics = [metrics]
    if isinstance(metrics, dict):
        return dict(metrics)
    fns = {}
    for m in metrics:
        if isinstance(m, str):
            if m not in _BUILTIN_METRICS:
                raise ValueError(f"fit: unknown metric {m!r}; use 'accuracy' or pass a function "
                                 "f(output, target) -> float")
            fns["accuracy" if m == "acc" else m] = _BUILTIN_METRICS[m]
        elif callable(m):
            fns[getattr(m, "__name__", "metric")] = m
        else:
            raise TypeError(f"fit: metrics must be names or callables, got {m!r}")
    return fns


def _split(batch: Any) -> tuple[Any, Any]:
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    raise ValueError("fit: each batch must be a pair (inputs, targets); build the loader as "
                     "nn.data.DataLoader(X, y, ...)")


def _in_notebook() -> bool:
    """Whether we run in a Jupyter kernel (where tqdm.auto draws widgets)."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return type(shell).__name__ == "ZMQInteractiveShell"


class _Progress:
    """``fit``'s progress report, written to ``sys.stderr`` as tqdm does.

    On a terminal (or in Jupyter): an epoch bar and a batch bar that advances once per batch, with
    the running loss as a postfix that is drawn with the advance, not by a redraw of its own. When
    stderr is a file or a pipe (logs, CI), where every redraw of a bar would become a line: one
    line per epoch instead. ``enabled=False`` prints nothing.
    """

    def __init__(self, enabled: bool, epochs: int, loader: Iterable) -> None:
        self.epochs, self.epoch_bar, self.batch_bar = epochs, None, None
        self.stream = sys.stderr
        self.mode = None
        if enabled and epochs > 0:
            is_tty = getattr(self.stream, "isatty", None)
            self.mode = "bars" if _in_notebook() or (is_tty is not None and is_tty()) else "lines"
        if self.mode == "bars":
            try:
                from tqdm.auto import tqdm  # notebook widgets in Jupyter, text bars elsewhere
            except ImportError:  # pragma: no cover - tqdm is a test/notebook/demo dependency
                self.mode = "lines"
            else:
                self.tqdm = tqdm
                self.epoch_bar = tqdm(total=epochs, desc="fit", unit="epoch")
        self.batches = len(loader) if hasattr(loader, "__len__") else None  # type: ignore[arg-type]

    def start_epoch(self, epoch: int) -> None:
        self.started = time.perf_counter()
        if self.mode == "bars":
            self.batch_bar = self.tqdm(total=self.batches, desc=f"epoch {epoch + 1}/{self.epochs}",
                                       leave=False, unit="batch")

    def batch_done(self, loss: float) -> None:
        if self.batch_bar is not None:
            self.batch_bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            self.batch_bar.update(1)

    def end_epoch(self, epoch: int, history: dict) -> None:
        summary = {k: v[-1] for k, v in history.items() if v and k != "lr"}
        if self.epoch_bar is not None:
            self.epoch_bar.set_postfix({k: f"{v:.4f}" for k, v in summary.items()}, refresh=False)
            self.epoch_bar.update(1)
        elif self.mode == "lines":
            values = ", ".join(f"{k} {v:.4f}" for k, v in summary.items())
            print(f"epoch {epoch + 1}/{self.epochs}: {values} "
                  f"({time.perf_counter() - self.started:.1f} s)", file=self.stream, flush=True)

    def end_batches(self) -> None:
        if self.batch_bar is not None:
            self.batch_bar.close()
            self.batch_bar = None

    def close(self) -> None:
        self.end_batches()
        if self.epoch_bar is not None:
            self.epoch_bar.close()


def _evaluate(model: Module, loss_fn: Callable, loader: Iterable, fns: dict) -> dict[str, float]:
    model.eval()
    total, count = 0.0, 0
    sums = dict.fromkeys(fns, 0.0)
    with ag.no_grad():
        for batch in loader:
            x, y = _split(batch)
            out = model(x)
            n = len(x)
            total += float(loss_fn(out, y).item()) * n
            count += n
            for name, fn in fns.items():
                sums[name] += float(fn(out, y)) * n
    if count == 0:
        return {}
    result = {"val_loss": total / count}
    result.update({f"val_{k}": v / count for k, v in sums.items()})
    return result


def fit(model: Module, loss_fn: Callable, optimizer: Optimizer, train_loader: Iterable,
        epochs: int = 1, val_loader: Iterable | None = None, metrics: Any = None,
        scheduler: Any = None, clip_grad_norm: float | None = None, progress: bool = True,
        rule: Any = None) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader`` (batches ``(x, y)``).

    Each batch: ``zero_grad``, ``loss_fn(model(x), y).backward()``, optional gradient clipping,
    ``optimizer.step()``; ``scheduler.step()`` after every epoch. ``metrics`` is a list of names
    (``"accuracy"``) or callables ``f(output, target) -> float``, or a dict name -> callable;
    they are averaged over each epoch's training batches and, if ``val_loader`` is given,
    evaluated on it in eval mode without gradients (as ``val_<name>``, with ``val_loss``).

    ``rule`` (an :mod:`nn.rules` learning rule; default ``None``, plain backprop like
    ``nn.rules.Backprop()``) replaces ``loss.backward()``: after ``zero_grad``,
    ``rule.step(model, loss_fn, x, y)`` fills the gradients and returns the loss; training
    metrics then come from a separate forward pass without gradients.

    Shows tqdm progress bars on a terminal (``tqdm.auto``: widgets in notebooks), advancing per
    batch with the running loss; when stderr is a file or a pipe it prints one line per epoch
    instead; ``progress=False`` prints nothing.
    Arguments are checked before training starts. A ``fit`` that raises (a bad batch, a loss
    that fails, ...) changes nothing: parameters, buffers, gradients, the optimizer's state and
    the scheduler's are put back as they were before the call, so it can be fixed and re-run.
    A ``KeyboardInterrupt`` (stopping by hand) keeps the training done so far.
    Stops early, with a ``RuntimeWarning`` saying where, if the loss becomes NaN or infinite;
    the returned :class:`History` then has ``stopped_early`` set. Returns the per-epoch history
    (lists keyed ``loss``, metric names, ``val_loss``, ``val_<metric>``, ``lr``).

    >>> import numpy as np
    >>> import autograd_engine as ag
    >>> import nn
    >>> ag.manual_seed(0)
    >>> X = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> model = nn.MLP([2, 8, 2])
    >>> hist = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.Adam(model.parameters(), lr=0.05),
    ...               nn.data.DataLoader(X, y, batch_size=16, shuffle=True, seed=0), epochs=5,
    ...               metrics=["accuracy"], progress=False)
    >>> sorted(hist), len(hist["loss"])
    (['accuracy', 'loss', 'lr'], 5)
    >>> hist["loss"][-1] < hist["loss"][0]
    True
    """
    _check_fit_arguments(model, loss_fn, optimizer, train_loader, epochs, val_loader, scheduler,
                         clip_grad_norm)
    if rule is not None and not callable(getattr(rule, "step", None)):
        raise TypeError(f"fit: rule must be a learning rule with step(model, loss_fn, x, y), such "
                        f"as nn.rules.FeedbackAlignment(); got {type(rule).__name__}")
    fns = _metric_fns(metrics)
    snapshot = _Snapshot(model, optimizer, scheduler)
    try:
        return _fit(model, loss_fn, optimizer, train_loader, epochs, val_loader, fns, scheduler,
                    clip_grad_norm, progress, rule)
    except Exception as exc:
        try:
            snapshot.restore()
        except Exception as failed:  # say so, but report the error that stopped training
            if hasattr(exc, "add_note"):  # Python 3.11+
                exc.add_note(f"fit: putting the state back failed too: {failed!r}")
        raise


def _check_fit_arguments(model: Any, loss_fn: Any, optimizer: Any, train_loader: Any, epochs: Any,
                         val_loader: Any, scheduler: Any, clip_grad_norm: Any) -> None:
    """Refuse bad arguments before training starts (so nothing has changed)."""
    if not isinstance(model, Module):
        raise TypeError(f"fit: model must be an nn.Module, got {type(model).__name__}; wrap a "
                        "function in a Module subclass whose forward calls it")
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be callable (e.g. nn.CrossEntropyLoss()), got "
                        f"{loss_fn!r}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit: optimizer must be an nn.optim optimizer (e.g. "
                        f"nn.optim.Adam(model.parameters())), got {type(optimizer).__name__}")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)):
        raise TypeError(f"fit: epochs must be an int, got {epochs!r}")
    if epochs < 0:
        raise ValueError(f"fit: epochs must be non-negative, got {epochs}")
    for name, loader in (("train_loader", train_loader), ("val_loader", val_loader)):
        if loader is not None and not isinstance(loader, Iterable):
            raise TypeError(f"fit: {name} must be an iterable of (inputs, targets) batches, such "
                            f"as nn.data.DataLoader(X, y), got {type(loader).__name__}")
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"fit: scheduler must have a step() method, got {type(scheduler).__name__}")
    if clip_grad_norm is not None:
        if isinstance(clip_grad_norm, bool) or not isinstance(clip_grad_norm, (int, float)):
            raise TypeError(f"fit: clip_grad_norm must be a number or None, got {clip_grad_norm!r}")
        if not clip_grad_norm > 0:
            raise ValueError(f"fit: clip_grad_norm must be positive, got {clip_grad_norm}")


class _Snapshot:
    """The state ``fit`` changes (parameters, buffers, gradients, optimizer and scheduler state),
    copied before training so that a ``fit`` that raises can put everything back."""

    def __init__(self, model: Module, optimizer: Optimizer, scheduler: Any) -> None:
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.module_state = model.state_dict()  # copies
        self.optimizer_state = optimizer.state_dict()  # copies
        self.grads = [(p, p.grad) for p in model.parameters()]
        self.scheduler_state = (copy.deepcopy(scheduler.state_dict())
                                if hasattr(scheduler, "state_dict") else None)

    def restore(self) -> None:
        self.model.load_state_dict(self.module_state)
        self.optimizer.load_state_dict(self.optimizer_state)
        for p, g in self.grads:
            p.grad = g
        if self.scheduler_state is not None:
            self.scheduler.load_state_dict(self.scheduler_state)


def _fit(model: Module, loss_fn: Callable, optimizer: Optimizer, train_loader: Iterable,
         epochs: int, val_loader: Iterable | None, fns: dict, scheduler: Any,
         clip_grad_norm: float | None, progress: bool, rule: Any) -> History:
    history = History()
    history["loss"] = []
    for name in fns:
        history[name] = []
    if val_loader is not None:
        history["val_loss"] = []
        for name in fns:
            history[f"val_{name}"] = []
    history["lr"] = []

    report = _Progress(progress, epochs, train_loader)
    try:
        for epoch in range(epochs):
            model.train()
            total, count = 0.0, 0
            sums = dict.fromkeys(fns, 0.0)
            report.start_epoch(epoch)
            try:
                for b, batch in enumerate(train_loader):
                    x, y = _split(batch)
                    if rule is None:
                        out = model(x)
                        loss = loss_fn(out, y)
                    else:  # the rule fills .grad itself (nn.rules)
                        if fns:
                            with ag.no_grad():
                                out = model(x)
                        optimizer.zero_grad()
                        loss = rule.step(model, loss_fn, x, y)
                    value = float(loss.item())
                    if not math.isfinite(value):
                        history.stopped_early = (
                            f"loss became {value} at epoch {epoch + 1}, batch {b + 1}; training "
                            "stopped early. Try a lower learning rate, gradient clipping "
                            "(clip_grad_norm=...), or check the data for NaN/inf")
                        warnings.warn("fit: " + history.stopped_early, RuntimeWarning, stacklevel=3)
                        return history
                    if rule is None:
                        optimizer.zero_grad()
                        loss.backward()
                    if clip_grad_norm is not None:
                        from .utils import clip_grad_norm_

                        clip_grad_norm_(model.parameters(), clip_grad_norm)
                    optimizer.step()
                    n = len(x)
                    total += value * n
                    count += n
                    for name, fn in fns.items():
                        sums[name] += float(fn(out, y)) * n
                    report.batch_done(total / count)
            finally:
                report.end_batches()
            history["lr"].append(optimizer.param_groups[0]["lr"])
            history["loss"].append(total / max(count, 1))
            for name in fns:
                history[name].append(sums[name] / max(count, 1))
            if val_loader is not None:
                for k, v in _evaluate(model, loss_fn, val_loader, fns).items():
                    history[k].append(v)
            if scheduler is not None:
                scheduler.step()
            report.end_epoch(epoch, history)
    finally:
        report.close()
        model.train()
    return history
