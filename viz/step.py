"""``step_through``: watch backprop (or the forward pass) on your own graph, one node at a time.

The player is self-contained HTML: one SVG of the graph, laid out once by Graphviz's ``dot`` (so
nothing moves between steps), the steps as JSON, and a small inline script that turns each step
into a frame (highlights the running node, colours finished ones, writes the numbers). It needs
no Jupyter extension and no network; ``.save("backprop.html")`` writes the same page to a file,
and ``print(player)`` lists the steps as chain-rule lines.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
from collections import deque
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np

from autograd_engine import Tensor

from ._dot import Emitter, Options, num
from ._graph import flatten_roots
from ._record import GraphFreedError, record_backward

MODES = ("backward", "forward")
_SYMBOLS = {"Add": "+", "Sub": "-", "Mul": "\u00b7", "Div": "/", "Pow": "^", "MatMul": "@"}
_uid = count()


def fmt(x: float) -> str:
    """A number for the chain-rule lines: 4 significant digits, no trailing zeros."""
    x = float(x)
    if x == 0:
        return "0"
    return f"{x:.4g}"


def _norm(a: np.ndarray) -> str:
    a = np.asarray(a, dtype=np.float64)
    return fmt(float(np.sqrt(np.sum(a * a))))


def _shape(shape: tuple) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


@dataclass
class Step:
    """One frame of the player: the node that runs and what it computes.

    ``op`` is the op's name (``"Mul"``), ``node`` the graph node (``None`` for step 0, the seed),
    ``lines`` the chain-rule text of the step, ``values`` the numbers it produces by value label:
    in backward mode each input's gradient so far (``d root/d input``), in forward mode the output.
    ``local`` maps input position to the local derivative ``d out/d input`` (backward mode, scalar
    nodes), as the op's own gradient rule computes it.

    >>> import autograd_engine as ag, viz
    >>> x = ag.Tensor(2.0, requires_grad=True, name="x")
    >>> step = viz.step_through(x * x).steps[1]
    >>> step.op, step.index
    ('Mul', 1)
    """

    index: int
    op: str | None
    node: Any
    lines: list[str]
    values: dict[str, float] = field(default_factory=dict)
    local: dict[int, float] = field(default_factory=dict)


class Player:
    """What :func:`step_through` returns: shows itself in Jupyter, saves to HTML, prints as text.

    >>> import autograd_engine as ag, viz
    >>> x = ag.Tensor(2.0, requires_grad=True, name="x")
    >>> player = viz.step_through((x * x).tanh())
    >>> len(player.steps), player.mode
    (3, 'backward')
    """

    def __init__(self, mode: str, steps: list[Step], dot_source: str, frames: list[dict],
                 blanks: dict[str, str], title: str) -> None:
        self.mode = mode
        self.steps = steps
        self.dot_source = dot_source
        self._frames = frames
        self._blanks = blanks
        self._title = title
        self._svg: str | None = None

    def __len__(self) -> int:
        return len(self.steps)

    def __str__(self) -> str:
        out = [self._title]
        for s in self.steps:
            out.append(f"step {s.index}" + (f": {s.op}" if s.op else ""))
            out.extend("  " + ln for ln in s.lines)
        return "\n".join(out)

    def __repr__(self) -> str:
        return f"<viz.Player {self.mode}, {len(self.steps)} steps>"

    def svg(self) -> str:
        """The graph as SVG text (rendered once by Graphviz's ``dot``, then cached)."""
        if self._svg is None:
            from .graph import _dot_binary

            proc = subprocess.run([_dot_binary(), "-Tsvg"], input=self.dot_source.encode("utf-8"),
                                  capture_output=True)
            if proc.returncode != 0:
                raise RuntimeError(f"viz.step_through: dot failed: {proc.stderr.decode()[:500]}")
            svg = proc.stdout.decode("utf-8")
            svg = svg[svg.index("<svg"):]
            # Smaller pages: no comments, no tooltip links (the panel says more), no indentation.
            svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
            svg = re.sub(r'<g id="a_[^"]*"><a xlink:title="[^"]*">\n?', "", svg)
            svg = re.sub(r"</a>\n?</g>\n?", "", svg)
            svg = re.sub(r"\n\s*", "\n", svg)
            svg = re.sub(r' font-family="Helvetica,sans-Serif"', "", svg)
            self._svg = svg.replace("<svg ", '<svg font-family="Helvetica,sans-Serif" ', 1)
        return self._svg

    def html(self) -> str:
        """The player as an HTML fragment (what Jupyter shows)."""
        from .graph import GraphvizNotFoundError

        try:
            graph = self.svg()
        except GraphvizNotFoundError as exc:  # still a player, over the text, with the fix
            graph = f"<pre>{html.escape(str(exc))}</pre>"
        uid = f"ae-player-{os.getpid()}-{next(_uid)}"
        data = {"mode": self.mode, "frames": self._frames, "blanks": self._blanks}
        payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
        text = html.escape(str(self))
        return (
            f'<div class="ae-player" id="{uid}">{_CSS.replace("ROOT", "#" + uid)}'
            '<div class="ae-controls">'
            '<button type="button" data-act="first" title="first step">\u00ab first</button>'
            '<button type="button" data-act="prev" title="previous step">\u25c0 prev</button>'
            '<button type="button" data-act="play" title="play / pause">\u25b6 play</button>'
            '<button type="button" data-act="next" title="next step">next \u25b6</button>'
            '<button type="button" data-act="last" title="last step">last \u00bb</button>'
            f'<input type="range" class="ae-slider" min="0" max="{len(self.steps) - 1}" value="0" '
            'aria-label="step">'
            f'<span class="ae-count">step 0 / {len(self.steps) - 1}</span></div>'
            f'<div class="ae-panel">{html.escape(chr(10).join(self.steps[0].lines))}</div>'
            f'<div class="ae-graph">{graph}</div>'
            f'<details class="ae-text"><summary>all steps as text</summary><pre>{text}</pre></details>'
            f'<script type="application/json" class="ae-data">{payload}</script>'
            f'<script>{_JS.replace("UID", uid)}</script></div>'
        )

    def _repr_html_(self) -> str:
        return self.html()

    def save(self, path: str | os.PathLike) -> Path:
        """Write the player as a stand-alone HTML page; return the path."""
        path = Path(path)
        title = html.escape(self._title)
        path.write_text(
            f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            '<body style="font-family: Helvetica, Arial, sans-serif; margin: 16px; max-width: 1100px">'
            f"<h3>{title}</h3>{self.html()}</body></html>\n",
            encoding="utf-8",
        )
        return path


# ----------------------------------------------------------------------------------------------


def step_through(
    root: Tensor,
    mode: str = "backward",
    *,
    params: Any = None,
    model: Any = None,
    rankdir: str = "auto",
    collapse: Any = "auto",
    max_nodes: int | None = 150,
    title: str | None = None,
) -> Player:
    """Record one backward (or forward) pass of ``root`` and return a player that steps through it.

    Each step is one node of the graph, in the order the engine runs them: in ``"backward"`` mode
    the node's incoming gradient ``d root/d out``, its local derivative ``d out/d in`` for each
    input and the product sent to that input (summed when an input is used more than once); in
    ``"forward"`` mode the inputs and the value the node computes. Scalar graphs show every number
    (micrograd style), tensor graphs shapes and norms. The running node is highlighted and finished
    nodes are coloured.

    The pass runs through the engine (``ag.grad`` with ``retain_graph=True``) with temporary
    hooks, so the numbers are the engine's; no ``.grad`` changes and the graph is left as it was.
    Call it before ``root.backward()`` (or after ``backward(retain_graph=True)``): a plain
    ``backward`` frees what the ops saved.

    ``root`` must have one element (a loss). ``params``, ``model``, ``rankdir``, ``collapse``,
    ``max_nodes`` and ``title`` are as in :func:`viz.draw_graph`; big graphs are collapsed (nodes
    inside a collapsed box highlight the box).

    >>> import autograd_engine as ag, viz
    >>> x = ag.Tensor(2.0, requires_grad=True, name="x")
    >>> w = ag.Tensor(-3.0, requires_grad=True, name="w")
    >>> n = x * w
    >>> n.name = "n"
    >>> o = n.tanh()
    >>> o.name = "o"
    >>> player = viz.step_through(o)
    >>> print(str(player).splitlines()[-1])
      d o/d w = d o/d n · d n/d w = 2.458e-05 · 2 = 4.915e-05
    >>> x.grad is None  # the user's gradients are untouched
    True
    """
    if mode not in MODES:
        raise ValueError(f"viz.step_through: mode must be 'backward' or 'forward', got {mode!r}")
    roots = flatten_roots([root])
    if len(roots) != 1:
        raise TypeError(f"viz.step_through: give one root Tensor (the loss), got {len(roots)}")
    root = roots[0]
    if root.grad_fn is None or not root.requires_grad:
        raise ValueError(
            "viz.step_through: root has no graph (it is a leaf or does not require grad); pass the "
            "result of a computation on tensors with requires_grad=True, e.g. the loss"
        )
    if mode == "backward" and root.size != 1:
        raise ValueError(
            f"viz.step_through: backward needs a one-element root (a loss), got shape {root.shape}; "
            "reduce it first, e.g. viz.step_through(y.sum())"
        )
    opts = Options(params=params, model=model, rankdir=rankdir, collapse=collapse,
                   max_nodes=max_nodes, title=title, show_grad=False if mode == "forward" else None)
    opts.check()
    em = Emitter([root], opts)
    g = em.g
    labels = _labels(g)
    if mode == "backward":
        try:
            rec = record_backward(g, root)
        except GraphFreedError as exc:
            raise RuntimeError(f"viz.step_through: {exc}") from None
        em.grads = {vid: Tensor(a) for vid, a in rec.grads.items()}
        steps, frames, blanks = _backward_steps(g, rec, labels, em)
    else:
        steps, frames, blanks = _forward_steps(g, labels, em)
    em.names = {v.id: labels[v.id] for v in g.values if v.name is None}
    dot_source = "digraph autograd {\n" + "".join(em.lines()) + "}\n"
    what = "backward pass" if mode == "backward" else "forward pass"
    head = title or f"{what} of {labels[next(v.id for v in g.values if v.tensor is root)]}"
    return Player(mode, steps, dot_source, frames, blanks, f"{head}: {len(steps) - 1} steps")


# ----------------------------------------------------------------------------------------------
# labels, order


def _in_edges(g: Any) -> tuple[dict, dict, dict]:
    inputs: dict[str, dict[int, str]] = {}  # op id -> pos -> value/const id
    producer: dict[str, str] = {}
    consumers: dict[str, list[tuple[str, int]]] = {}
    for s, d, pos in g.edges:
        if pos is None:
            producer[d] = s
        else:
            inputs.setdefault(d, {})[pos] = s
            consumers.setdefault(s, []).append((d, pos))
    return inputs, producer, consumers


def _forward_order(g: Any) -> list[str]:
    """Op ids, inputs before the ops that use them (Kahn's algorithm, iterative)."""
    inputs, producer, consumers = _in_edges(g)
    outs: dict[str, list[str]] = {}
    for vid, op in producer.items():
        outs.setdefault(op, []).append(vid)
    waiting = {op.id: sum(1 for s in inputs.get(op.id, {}).values() if s in producer) for op in g.ops}
    # a multi-output op counts each output separately: count edges, not producers
    ready = deque(sorted((o for o, n in waiting.items() if n == 0), key=lambda o: int(o[1:])))
    order = []
    while ready:
        op = ready.popleft()
        order.append(op)
        for vid in outs.get(op, ()):
            for d, _ in consumers.get(vid, ()):
                if d.startswith("f"):
                    waiting[d] -= 1
                    if waiting[d] == 0:
                        ready.append(d)
    return order


def _labels(g: Any) -> dict[str, str]:
    """A short name per value: its own name, a small expression (``x1·w1``) or ``t7``."""
    inputs, producer, _ = _in_edges(g)
    ops = {o.id: o for o in g.ops}
    labels: dict[str, str] = {}
    for v in g.values:
        if v.name is not None:
            labels[v.id] = str(v.name)
    for c in g.consts:
        val = c.value
        labels[c.id] = fmt(val) if isinstance(val, (int, float, np.number)) else "c"
    n_unnamed = 0
    outs_of: dict[str, list[str]] = {}
    for vid, o in producer.items():
        outs_of.setdefault(o, []).append(vid)
    for op_id in _forward_order(g):
        outs = [vid for vid in outs_of.get(op_id, ()) if vid not in labels]
        if not outs:
            continue
        name = ops[op_id].fn.name
        args = [labels.get(s, "?") for _, s in sorted(inputs.get(op_id, {}).items())]
        expr = None
        atoms = all(len(x) <= 4 and (x.isidentifier() or _is_number(x)) for x in args)
        if name in _SYMBOLS and len(args) == 2 and atoms:
            expr = f"{args[0]}{_SYMBOLS[name]}{args[1]}"
        elif len(args) == 1 and name == "Neg" and atoms:
            expr = f"-{args[0]}"
        for vid in outs:
            if expr is not None and len(outs) == 1:
                labels[vid] = expr
            else:
                n_unnamed += 1
                labels[vid] = f"t{n_unnamed}"
    for v in g.values:
        labels.setdefault(v.id, f"t{v.id[1:]}")
    return labels


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _visible(em: Emitter, node_id: str) -> str:
    grp = em.layout.group.get(node_id)
    return grp.id if grp is not None else node_id


def _scalar(t: Any) -> bool:
    return t.size == 1


def _val(t: Any) -> float | None:
    if getattr(t, "freed", False) or t.data is None:
        return None
    return float(np.asarray(t.data).reshape(-1)[0])


# ----------------------------------------------------------------------------------------------
# backward steps


def _backward_steps(g: Any, rec: Any, labels: dict, em: Emitter) -> tuple[list, list, dict]:
    ops = {o.id: o for o in g.ops}
    inputs, producer, consumers = _in_edges(g)
    L = labels[rec.root_id]
    d = f"d {L}/d "
    # how many products each value will receive (its consumers that run), to tell = from +=
    expected: dict[str, int] = {}
    for op_id in rec.order:
        for pos, src in inputs.get(op_id, {}).items():
            if src.startswith("v") and rec.ops[op_id].products.get(pos) is not None:
                expected[src] = expected.get(src, 0) + 1
    shown = {v.id: v.id not in em.layout.group and _scalar(v.tensor) for v in g.values}
    blanks = {vid: "grad ?" for vid, ok in shown.items() if ok}
    running: dict[str, np.ndarray] = {}
    received: dict[str, list[np.ndarray]] = {}

    root_g = rec.grads[rec.root_id]
    seed_line = (f"{d}{L} = 1 (the seed: backward starts from the output)" if root_g.size == 1
                 else f"seed: d {L}/d {L} = ones{_shape(root_g.shape)}")
    steps = [Step(0, None, None, [seed_line], {L: 1.0})]
    frames = [{"run": [_visible(em, rec.root_id)], "edges": [], "fin": [rec.root_id],
               "set": [[rec.root_id, "grad " + num(1.0)]] if shown[rec.root_id] else [],
               "lines": steps[0].lines}]
    for k, op_id in enumerate(rec.order, start=1):
        r = rec.ops[op_id]
        fn = ops[op_id].fn
        name = fn.name
        outs = list(r.out_grads)
        out_l = ", ".join(labels[o] for o in outs)
        lines = [f"{name} node making {out_l}"]
        for o in outs:
            gout = r.out_grads[o]
            lines.append(f"incoming  {d}{labels[o]} = " + (fmt(gout.reshape(-1)[0]) if gout.size == 1
                         else f"{_shape(gout.shape)}, norm {_norm(gout)}"))
        sets, fin, values, edges = [], [], {}, []
        for o in outs:
            edges.append(f"{op_id}->{o}")
        single_out = outs[0] if len(outs) == 1 else None
        for pos, src in sorted(inputs.get(op_id, {}).items()):
            edges.append(f"{src}->{op_id}")
            if not src.startswith("v"):
                continue
            p = r.products.get(pos)
            if p is None:
                if r.problem:
                    lines.append(f"{labels[src]}: the rule could not be replayed ({r.problem})")
                continue
            received.setdefault(src, []).append(p)
            running[src] = running[src] + p if src in running else p
            many = expected.get(src, 1) > 1
            done = len(received[src]) == expected.get(src, 1)
            eq = "+=" if many else "="
            il = labels[src]
            if pos in r.local and single_out is not None:
                gout = float(r.out_grads[single_out].reshape(-1)[0])
                lines.append(
                    f"{d}{il} {eq} {d}{labels[single_out]} \u00b7 d {labels[single_out]}/d {il} = "
                    f"{fmt(gout)} \u00b7 {fmt(r.local[pos])} = {fmt(p.reshape(-1)[0])}")
            else:
                lines.append(f"{d}{il} {eq} {name}'s vector-Jacobian product: {_shape(p.shape)}, "
                             f"norm {_norm(p)}")
            if many and done:
                total = running[src]
                parts = " + ".join(fmt(x.reshape(-1)[0]) if x.size == 1 else f"[norm {_norm(x)}]"
                                   for x in received[src])
                lines.append(f"{d}{il} = {parts} = "
                             + (fmt(total.reshape(-1)[0]) if total.size == 1 else f"norm {_norm(total)}")
                             + f" (all {len(received[src])} paths summed)")
            tot = running[src]
            if tot.size == 1:
                values[il] = float(tot.reshape(-1)[0])
            if shown.get(src):
                sets.append([src, "grad " + num(tot.reshape(-1)[0])])
            if done:
                fin.append(src)
        steps.append(Step(k, name, fn, lines, values, dict(r.local)))
        frames.append({"run": sorted({_visible(em, op_id)} | {_visible(em, o) for o in outs}),
                       "op": _visible(em, op_id), "edges": edges, "fin": fin, "set": sets,
                       "lines": lines})
    return steps, frames, blanks


# ----------------------------------------------------------------------------------------------
# forward steps


def _forward_steps(g: Any, labels: dict, em: Emitter) -> tuple[list, list, dict]:
    by_id = {v.id: v for v in g.values}
    ops = {o.id: o for o in g.ops}
    inputs, producer, _ = _in_edges(g)
    shown = {v.id: v.id not in em.layout.group and _scalar(v.tensor) and v.tensor.grad_fn is not None
             for v in g.values}
    blanks = {vid: "data ?" for vid, ok in shown.items() if ok}
    leaves = [v.id for v in g.values if v.tensor.grad_fn is None]
    steps = [Step(0, None, None, ["inputs: " + ", ".join(
        f"{labels[v]} = {_value_text(by_id[v].tensor)}" for v in leaves[:12])
        + (", ..." if len(leaves) > 12 else "")])]
    frames = [{"run": [], "edges": [], "fin": leaves, "set": [], "lines": steps[0].lines}]
    outs_of: dict[str, list[str]] = {}
    for vid, o in producer.items():
        outs_of.setdefault(o, []).append(vid)
    for k, op_id in enumerate(_forward_order(g), start=1):
        fn = ops[op_id].fn
        name = fn.name
        args = sorted(inputs.get(op_id, {}).items())
        outs = outs_of.get(op_id, [])
        lines, sets, values = [], [], {}
        for o in outs:
            t = by_id[o].tensor
            arg_l = [labels[s] for _, s in args]
            arg_v = [_value_text(by_id[s].tensor) if s in by_id else labels[s] for _, s in args]
            out_v = _value_text(t)
            if name in _SYMBOLS and len(args) == 2:
                sym = f" {_SYMBOLS[name]} "
                expr, nums = sym.join(arg_l), sym.join(arg_v)
            else:
                expr, nums = f"{name}({', '.join(arg_l)})", f"{name}({', '.join(arg_v)})"
            if labels[o] == expr.replace(" ", ""):
                lines.append(f"{labels[o]} = {nums} = {out_v}")
            else:
                lines.append(f"{labels[o]} = {expr} = {nums} = {out_v}")
            v = _val(t) if t.size == 1 else None
            if v is not None:
                values[labels[o]] = v
                if shown[o]:
                    sets.append([o, "data " + num(v)])
        steps.append(Step(k, name, fn, lines, values))
        frames.append({"run": sorted({_visible(em, op_id)} | {_visible(em, o) for o in outs}),
                       "op": _visible(em, op_id),
                       "edges": [f"{s}->{op_id}" for _, s in args] + [f"{op_id}->{o}" for o in outs],
                       "fin": outs, "set": sets, "lines": lines})
    return steps, frames, blanks


def _value_text(t: Any) -> str:
    if t.size == 1:
        v = _val(t)
        return "?" if v is None else fmt(v)
    if getattr(t, "freed", False) or t.data is None:
        return f"{_shape(t.shape)} (value not kept)"
    return f"{_shape(t.shape)} norm {_norm(t.data)}"


# ----------------------------------------------------------------------------------------------
# the page

_CSS = """<style>
ROOT { font-family: Helvetica, Arial, sans-serif; font-size: 14px; }
ROOT .ae-controls { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; margin: 4px 0; }
ROOT .ae-controls button { font-size: 14px; padding: 3px 10px; cursor: pointer; }
ROOT .ae-slider { flex: 1 1 160px; min-width: 120px; }
ROOT .ae-count { font-variant-numeric: tabular-nums; min-width: 7em; }
ROOT .ae-panel { font-family: Menlo, Consolas, monospace; font-size: 13px; white-space: pre-wrap;
  background: #f8f9fa; border: 1px solid #dee2e6; border-radius: 4px; padding: 6px 8px;
  min-height: 6.5em; margin-bottom: 6px; }
ROOT .ae-graph { overflow: auto; max-height: 80vh; }
ROOT .ae-graph svg { max-width: 100%; height: auto; }
ROOT g.ae-done ellipse { fill: #b2f2bb; }
ROOT g.ae-fin polygon[fill="#ffffff"] { fill: #d3f9d8; }
ROOT g.ae-part polygon[fill="#ffffff"] { fill: #fff3bf; }
ROOT g.ae-run ellipse, ROOT g.ae-run polygon { stroke: #e8590c; stroke-width: 3.5px; }
ROOT g.ae-run ellipse { fill: #ffc078; }
ROOT g.ae-edge path { stroke: #e8590c; stroke-width: 2.5px; }
ROOT g.ae-edge polygon { stroke: #e8590c; fill: #e8590c; }
ROOT .ae-text pre { font-size: 12px; max-height: 300px; overflow: auto; }
</style>"""

_JS = r"""(function () {
  var root = document.getElementById("UID");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  var data = JSON.parse(root.querySelector("script.ae-data").textContent);
  var frames = data.frames, n = frames.length - 1;
  var nodes = {}, edges = {}, cells = {};
  root.querySelectorAll("svg g.node").forEach(function (g) {
    var t = g.querySelector("title").textContent, m = t.match(/^(v\d+)_\d+$/), k = m ? m[1] : t;
    (nodes[k] = nodes[k] || []).push(g);
  });
  root.querySelectorAll("svg g.edge").forEach(function (g) {
    edges[g.querySelector("title").textContent.replace("\u2192", "->")] = g;
  });
  var prefix = data.mode === "backward" ? "grad " : "data ";
  Object.keys(data.blanks).forEach(function (k) {
    (nodes[k] || []).forEach(function (g) {
      g.querySelectorAll("text").forEach(function (t) {
        if (t.textContent.indexOf(prefix) === 0) (cells[k] = cells[k] || []).push(t);
      });
    });
  });
  var graph = root.querySelector(".ae-graph"), svg = graph.querySelector("svg");
  var natural = svg ? svg.width.baseVal.value : 0;  // px
  if (natural && graph.clientWidth < 0.7 * natural) {
    // shrunk below 70% the labels get too small to read: scroll sideways instead
    svg.style.maxWidth = "none";
    svg.style.width = Math.round(0.7 * natural) + "px";
  }
  var panel = root.querySelector(".ae-panel"), slider = root.querySelector(".ae-slider");
  var counter = root.querySelector(".ae-count"), playBtn = root.querySelector("[data-act=play]");
  var k = 0, timer = null;
  function each(ids, f) { ids.forEach(function (id) { (nodes[id] || []).forEach(f); }); }
  function show(step) {
    k = Math.max(0, Math.min(n, step));
    root.querySelectorAll(".ae-run, .ae-done, .ae-fin, .ae-part, .ae-edge").forEach(function (g) {
      g.classList.remove("ae-run", "ae-done", "ae-fin", "ae-part", "ae-edge");
    });
    var text = {};
    Object.keys(data.blanks).forEach(function (id) { text[id] = data.blanks[id]; });
    for (var s = 0; s <= k; s++) {
      var f = frames[s];
      if (f.op && s < k) each([f.op], function (g) { g.classList.add("ae-done"); });
      f.set.forEach(function (p) {
        text[p[0]] = p[1];
        each([p[0]], function (g) { g.classList.add("ae-part"); });
      });
      each(f.fin, function (g) { g.classList.remove("ae-part"); g.classList.add("ae-fin"); });
    }
    each(frames[k].run, function (g) { g.classList.add("ae-run"); });
    var focus = (nodes[frames[k].op || frames[k].run[0]] || [])[0];
    if (focus) {  // keep the running node in view inside the graph's scroll box
      var box = graph.getBoundingClientRect(), r = focus.getBoundingClientRect();
      if (r.top < box.top || r.bottom > box.bottom) graph.scrollTop += r.top - box.top - box.height / 2;
      if (r.left < box.left || r.right > box.right) graph.scrollLeft += r.left - box.left - box.width / 2;
    }
    frames[k].edges.forEach(function (e) { if (edges[e]) edges[e].classList.add("ae-edge"); });
    Object.keys(cells).forEach(function (id) {
      cells[id].forEach(function (t) { t.textContent = text[id]; });
    });
    panel.textContent = frames[k].lines.join("\n");
    slider.value = k;
    counter.textContent = "step " + k + " / " + n;
    root.dataset.step = k;
    root.dataset.running = frames[k].op || "";
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; playBtn.textContent = "\u25b6 play"; } }
  function play() {
    if (timer) { stop(); return; }
    if (k >= n) show(0);
    playBtn.textContent = "\u275a\u275a pause";
    timer = setInterval(function () { if (k >= n) stop(); else show(k + 1); }, 900);
  }
  root.querySelector(".ae-controls").addEventListener("click", function (ev) {
    var act = ev.target.getAttribute && ev.target.getAttribute("data-act");
    if (!act) return;
    if (act === "play") { play(); return; }
    stop();
    show({first: 0, prev: k - 1, next: k + 1, last: n}[act]);
  });
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  root.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowRight") { stop(); show(k + 1); }
    if (ev.key === "ArrowLeft") { stop(); show(k - 1); }
  });
  show(0);
})();"""
