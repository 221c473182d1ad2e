"""``plot_grad_flow``: mean and max ``|grad|`` per parameter, the classic vanishing-gradient chart."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd_engine import Tensor


def _named(model_or_named_parameters: Any) -> list[tuple[str, Tensor]]:
    src = model_or_named_parameters
    if hasattr(src, "named_parameters"):
        src = src.named_parameters()
    if isinstance(src, dict):
        src = src.items()
    out = []
    for i, item in enumerate(src):
        if isinstance(item, Tensor):
            out.append((item.name or f"param {i}", item))
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Tensor):
            out.append((str(item[0]), item[1]))
        else:
            raise TypeError(
                "plot_grad_flow: pass a module, model.named_parameters(), a dict name -> Tensor or "
                f"a list of Tensors; got an item of type {type(item).__name__}"
            )
    return out


def grad_flow_stats(model_or_named_parameters: Any, include_bias: bool = True) -> list[dict]:
    """Per-parameter gradient statistics behind :func:`plot_grad_flow`.

    One dict per parameter that requires grad: ``name``, ``mean`` and ``max`` of ``|grad|``
    (None when it has no gradient yet).

    >>> import autograd_engine as ag, viz
    >>> w = ag.Tensor([1.0, -2.0], requires_grad=True, name="w")
    >>> (w * w).sum().backward()
    >>> viz.grad_flow_stats([w])
    [{'name': 'w', 'mean': 3.0, 'max': 4.0}]
    """
    rows = []
    for name, p in _named(model_or_named_parameters):
        if not p.requires_grad or (not include_bias and "bias" in name):
            continue
        g = p.grad
        if g is None or g.size == 0:
            rows.append({"name": name, "mean": None, "max": None})
            continue
        a = np.abs(np.asarray(g.data, dtype=np.float64))
        rows.append({"name": name, "mean": float(a.mean()), "max": float(a.max())})
    return rows


def plot_grad_flow(
    model_or_named_parameters: Any,
    *,
    ax: Any = None,
    log: bool = True,
    include_bias: bool = True,
    title: str | None = "Gradient flow",
) -> Any:
    """Bar chart of max and mean ``|grad|`` per parameter, in forward order; returns the Figure.

    Call it after ``backward``. Layers whose bars shrink towards the input are where gradients
    vanish; a log y-axis (default) keeps tiny gradients visible. Parameters with a gradient of
    exactly zero are marked with a red ``0``, those with no gradient with a grey ``x``. Uses
    matplotlib's object API only (no pyplot state, fine under the Agg backend); pass ``ax=`` to
    draw into existing axes.

    >>> import autograd_engine as ag, viz
    >>> w1 = ag.Tensor([[0.5, -1.0]], requires_grad=True, name="w1")
    >>> w2 = ag.Tensor([[2.0]], requires_grad=True, name="w2")
    >>> ((ag.Tensor([[1.0, 2.0]]) @ w1.T).sigmoid() @ w2).sum().backward()
    >>> fig = viz.plot_grad_flow([("w1", w1), ("w2", w2)])
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['w1', 'w2']
    """
    from matplotlib.figure import Figure  # lazy: importing viz must stay cheap
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    rows = grad_flow_stats(model_or_named_parameters, include_bias=include_bias)
    if ax is None:
        fig = Figure(figsize=(max(4.0, 0.45 * len(rows) + 1.5), 4.0), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    x = np.arange(len(rows))
    maxes = np.array([r["max"] if r["max"] else np.nan for r in rows], dtype=np.float64)
    means = np.array([r["mean"] if r["mean"] else np.nan for r in rows], dtype=np.float64)
    ax.bar(x, maxes, width=0.8, color="#74c0fc", alpha=0.6, label="max |grad|")
    ax.bar(x, means, width=0.45, color="#1c7ed6", label="mean |grad|")
    if log:
        ax.set_yscale("log")
    finite = maxes[np.isfinite(maxes)]
    bottom = (float(np.nanmin(means[np.isfinite(means)])) / 10 if np.isfinite(means).any() else 1e-8)
    if log and finite.size:
        ax.set_ylim(bottom=bottom, top=float(finite.max()) * 3)
    marker_y = bottom * 1.5 if log else 0.0
    for i, r in enumerate(rows):
        if r["mean"] is None:
            ax.plot(i, marker_y, marker="x", color="#868e96", markersize=8)
        elif r["max"] == 0:
            ax.text(i, marker_y, "0", color="#e03131", ha="center", va="bottom", fontweight="bold")
        elif not math.isfinite(r["max"]):
            ax.text(i, marker_y, "nan", color="#e03131", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, [r["name"] for r in rows], rotation=60 if len(rows) > 4 else 0,
                  ha="right" if len(rows) > 4 else "center", fontsize=8)
    ax.set_xlim(-0.75, len(rows) - 0.25)
    ax.set_xlabel("parameter (forward order)")
    ax.set_ylabel("|grad|" + (" (log scale)" if log else ""))
    if title:
        ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3, which="major")
    handles = [Patch(color="#74c0fc", alpha=0.6, label="max |grad|"),
               Patch(color="#1c7ed6", label="mean |grad|"),
               Line2D([], [], marker="x", color="#868e96", linestyle="", label="no grad"),
               Line2D([], [], marker="$0$", color="#e03131", linestyle="", label="zero grad")]
    ax.legend(handles=handles, fontsize=8, loc="upper left")
    return fig
