"""viz: pictures of autograd graphs (Graphviz) and of gradient flow (matplotlib).

- :func:`to_dot` returns DOT text and needs no Graphviz program;
- :func:`draw_graph` returns a ``graphviz.Digraph`` (shown as SVG in a notebook);
- :func:`render` writes an SVG, PNG or PDF file;
- :func:`retain_grads` keeps every intermediate's gradient so the picture can show it;
- :func:`step_through` returns a player (HTML, or text with ``print``) that steps through one
  backward or forward pass node by node;
- :func:`plot_grad_flow` charts mean/max ``|grad|`` per parameter.

Importing viz is cheap: ``graphviz`` and ``matplotlib`` are imported only when used.

>>> import autograd_engine as ag, viz
>>> x = ag.Tensor(1.5, requires_grad=True, name="x")
>>> y = (x * 2).tanh()
>>> "Tanh" in viz.to_dot(y)
True
"""

from __future__ import annotations

from .grad_flow import grad_flow_stats, plot_grad_flow
from .graph import GraphvizNotFoundError, draw_graph, render, retain_grads, to_dot
from .step import Player, Step, step_through

__all__ = [
    "GraphvizNotFoundError", "draw_graph", "grad_flow_stats", "plot_grad_flow", "render",
    "retain_grads", "to_dot", "Player", "Step", "step_through",
]
