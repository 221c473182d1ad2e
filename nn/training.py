"""``nn.fit``: a small training loop with a progress bar and a per-epoch history."""

from __future__ import annotations

import math
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
        pred = (out.reshape(tgt.shape) > 0).astype(tgt.dtype)
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


def _progress(iterable: Iterable | None, enabled: bool, **kwargs: Any) -> Any:
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm  # notebook widgets in Jupyter, text bar elsewhere
    except ImportError:  # pragma: no cover - tqdm is a test/notebook dependency
        return None
    return tqdm(iterable, **kwargs)


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

    Shows a tqdm progress bar (``tqdm.auto``: a widget in notebooks) unless ``progress=False``.
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
    if epochs < 0:
        raise ValueError(f"fit: epochs must be non-negative, got {epochs}")
    if rule is not None and not callable(getattr(rule, "step", None)):
        raise TypeError(f"fit: rule must be a learning rule with step(model, loss_fn, x, y), such "
                        f"as nn.rules.FeedbackAlignment(); got {type(rule).__name__}")
    fns = _metric_fns(metrics)
    history = History()
    history["loss"] = []
    for name in fns:
        history[name] = []
    if val_loader is not None:
        history["val_loss"] = []
        for name in fns:
            history[f"val_{name}"] = []
    history["lr"] = []

    epoch_bar = _progress(None, progress and epochs > 0, total=epochs, desc="fit", unit="epoch")
    try:
        for epoch in range(epochs):
            model.train()
            total, count = 0.0, 0
            sums = dict.fromkeys(fns, 0.0)
            batch_bar = _progress(train_loader, progress, desc=f"epoch {epoch + 1}/{epochs}",
                                  leave=False, unit="batch")
            batches = batch_bar if batch_bar is not None else train_loader
            try:
                for b, batch in enumerate(batches):
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
                        warnings.warn("fit: " + history.stopped_early, RuntimeWarning, stacklevel=2)
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
                    if batch_bar is not None:
                        batch_bar.set_postfix(loss=f"{total / count:.4f}")
            finally:
                if batch_bar is not None:
                    batch_bar.close()
            history["lr"].append(optimizer.param_groups[0]["lr"])
            history["loss"].append(total / max(count, 1))
            for name in fns:
                history[name].append(sums[name] / max(count, 1))
            if val_loader is not None:
                for k, v in _evaluate(model, loss_fn, val_loader, fns).items():
                    history[k].append(v)
            if scheduler is not None:
                scheduler.step()
            if epoch_bar is not None:
                epoch_bar.update(1)
                epoch_bar.set_postfix({k: f"{v[-1]:.4f}" for k, v in history.items()
                                       if v and k != "lr"})
    finally:
        if epoch_bar is not None:
            epoch_bar.close()
        model.train()
    return history
