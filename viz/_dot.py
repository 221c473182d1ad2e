"""Turn a walked :class:`~viz._graph.Graph` into DOT text: labels, clusters, collapsing, legend.

Every piece of user text (tensor names, module names and paths, op names, attribute values) goes
through :func:`html_text` into an HTML-like label, or through :func:`quote` into a quoted attribute,
so a name such as ``<b>{x|y}"\\`` shows literally and cannot end a label or inject DOT.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_engine import Tensor

from . import _colors as C
from ._graph import (
    CONSTANT,
    INTERMEDIATE,
    LEAF,
    OUTPUT,
    PARAM,
    ConstNode,
    Graph,
    OpNode,
    ValueNode,
    build,
    flatten_roots,
    scope_title,
)
from ._record import GraphFreedError, record_backward

RANKDIRS = ("auto", "LR", "TB", "RL", "BT")
AUTO_NODES = 40  # collapse="auto" folds repeated blocks and modules until this many nodes remain
AUTO_LR_RANKS = 5  # rankdir="auto": left to right up to this many ranks (830 px), top to bottom beyond
MAX_FANOUT = 8  # leaves used by more ops than this are drawn once per use
BIG_GRAPH = 1200  # past this many drawn nodes, trade some layout quality for speed
_NODE_ATTRS = {"inputs", "needs_input_grad", "scope"}
_FONT = "Helvetica"


# ----------------------------------------------------------------------------------------------
# escaping and formatting


def _natural_order(text: str) -> list:
    """Sort key that puts "features.2" before "features.10" (a set's order is arbitrary)."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part)
            for part in re.split(r"(\d+)", text)]


def html_text(value: Any, limit: int = 48) -> str:
    """User text for an HTML-like label: shortened, control characters made visible, escaped."""
    s = value if isinstance(value, str) else str(value)
    if len(s) > limit:
        s = s[: limit - 1] + "\u2026"
    if not s.isprintable():
        s = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in s)
    return html.escape(s, quote=True)


def quote(value: Any, limit: int = 400) -> str:
    """A DOT double-quoted string that Graphviz shows literally (escString-safe)."""
    s = str(value)
    if len(s) > limit:
        s = s[: limit - 1] + "\u2026"
    s = "".join(ch if ch.isprintable() or ch == "\n" else repr(ch)[1:-1] for ch in s)
    s = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'


def num(x: Any) -> str:
    """A number the way micrograd shows it (4 decimals), switching to exponent notation."""
    x = float(x) + 0.0  # (-0.0 + 0.0 is 0.0: no "-0.0000")
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    a = abs(x)
    if a == 0 or 1e-3 <= a < 1e4:
        return f"{x:.4f}"
    return f"{x:.3e}"


def _float_array(a: Any) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind == "c":
        a = np.abs(a)
    return a.astype(np.float64, copy=False)


def stats(a: Any) -> dict[str, str]:
    """mean, std, min, max and L2 norm of an array (over its finite entries), as text."""
    a = _float_array(a)
    if a.size == 0:
        return {"empty": ""}
    finite = np.isfinite(a)
    out = {}
    if not finite.all():
        out["nonfinite"] = f"{int(np.isnan(a).sum())} nan, {int(np.isinf(a).sum())} inf"
        a = a[finite]
        if a.size == 0:
            return out
    out.update(mean=num(a.mean()), std=num(a.std()), min=num(a.min()), max=num(a.max()),
               norm=num(np.sqrt(np.sum(a * a))))
    return out


def _shape_text(t: Tensor) -> str:
    shape = "(" + ", ".join(str(n) for n in t.shape) + ("," if t.ndim == 1 else "") + ")"
    return f"{shape} {t.dtype}"


# ----------------------------------------------------------------------------------------------
# options and the visible graph


@dataclass
class Options:
    params: Any = None
    model: Any = None
    rankdir: str = "auto"
    show_data: bool | None = None
    show_grad: bool | None = None
    show_saved: bool = False
    show_attrs: bool = False
    color_by_grad: bool = False
    grad_range: Any = None
    legend: bool | None = None
    max_nodes: int | None = 500
    collapse: Any = "auto"
    collapse_repeated: bool = False
    cluster: bool = True
    title: str | None = None
    dpi: float | None = None

    def check(self) -> None:
        if self.rankdir not in RANKDIRS:
            raise ValueError(f"viz: rankdir must be one of {RANKDIRS}, got {self.rankdir!r}")
        if self.max_nodes is not None and (not isinstance(self.max_nodes, int) or self.max_nodes < 1):
            raise ValueError(f"viz: max_nodes must be a positive int or None, got {self.max_nodes!r}")


@dataclass
class Box:
    """A collapsed module (or run of repeated modules) drawn as one node."""

    id: str
    keys: list  # the scope keys it stands for
    members: list = field(default_factory=list)  # graph nodes inside
    parent: tuple = ()


@dataclass
class Hidden:
    """Everything beyond the depth limit, drawn as one node."""

    id: str
    members: list = field(default_factory=list)
    depth: int = 0


def _collapse_spec_matches(spec: Any, key: tuple, obj: Any, path: str | None) -> bool:
    for item in spec:
        if isinstance(item, str):
            if item == path or item == scope_title(obj):  # a module path, a type name, a string
                return True
        elif isinstance(item, type):
            if isinstance(obj, item):
                return True
        elif item is obj:
            return True
    return False


class Layout:
    """Decides what is drawn: graph nodes, collapsed boxes and the 'hidden' node, with notes."""

    def __init__(self, g: Graph, opts: Options) -> None:
        self.g = g
        self.opts = opts
        self.notes: list[str] = []
        self.node_by_id: dict[str, Any] = {}  # filled only for collapse_repeated
        self.out_edges: dict[str, list[str]] = {}
        self.in_edges: dict[str, list[str]] = {}
        self.group: dict[str, Any] = {}  # graph node id -> Box or Hidden
        self.boxes: list[Box] = []
        self.hidden: Hidden | None = None
        self._plan()

    # -- collapsing by module --
    def _key_boxes(self, keys: set) -> dict[str, Box]:
        """Group nodes under the outermost collapsed scope key in ``keys``."""
        boxes: dict[tuple, Box] = {}
        out: dict[str, Box] = {}
        for n in self.g.nodes():
            c = n.cluster
            if not c or (isinstance(n, ValueNode) and n.kind == OUTPUT):
                continue
            for i in range(1, len(c) + 1):
                if c[:i] in keys:
                    k = c[:i]
                    box = boxes.get(k)
                    if box is None:
                        box = boxes[k] = Box(f"m{len(boxes)}", [k], parent=k[:-1])
                    box.members.append(n)
                    out[n.id] = box
                    break
        return out

    def _visible_count(self, grouping: dict) -> int:
        return len(self.g) - len(grouping) + len({id(b) for b in grouping.values()})

    def _plan(self) -> None:
        g, opts = self.g, self.opts
        explicit: set = set()
        auto = isinstance(opts.collapse, str) and opts.collapse == "auto"
        if opts.collapse is not None and not auto:
            spec = opts.collapse
            spec = [spec] if isinstance(spec, (str, type)) or not hasattr(spec, "__iter__") else list(spec)
            explicit = {k for k, obj in g.scopes.items()
                        if _collapse_spec_matches(spec, k, obj, g.scope_names.get(k))}
            if explicit:
                self.notes.append(
                    "collapsed: " + _list_names(sorted(
                        (self._scope_label_text(k) for k in explicit), key=_natural_order))
                )
        grouping = self._key_boxes(explicit) if explicit else {}
        if opts.collapse_repeated:
            grouping = self._repeated(grouping)
        if auto and len(g) > AUTO_NODES and g.scopes:
            grouping = self._auto(grouping)

        limit = opts.max_nodes
        if limit is not None and self._visible_count(grouping) > limit and g.scopes:
            max_level = max(len(k) for k in g.scopes)
            for level in range(max_level, 0, -1):
                keys = explicit | {k for k in g.scopes if len(k) == level}
                trial = self._key_boxes(keys)
                if self._visible_count(trial) <= limit or level == 1:
                    names = sorted({k for k in keys if len(k) == level}, key=lambda k: k)
                    grouping = trial
                    self.notes.append(
                        f"{len(g)} nodes > max_nodes={limit}: collapsed {len(names)} module(s) at "
                        f"nesting level {level} ("
                        + _list_names(self._scope_label_text(k) for k in names) + ")"
                    )
                    break
        for box in {id(b): b for b in grouping.values()}.values():
            self.boxes.append(box)
        for i, box in enumerate(self.boxes):
            box.id = f"m{i}"
        self.group = dict(grouping)

        if limit is not None and self._visible_count(self.group) > limit:
            self._truncate(limit)
        if (self.boxes or self.hidden) and not any(" nodes" in n for n in self.notes):
            drawn = self._visible_count(self.group) + (1 if self.hidden else 0)
            self.notes.insert(0, f"{len(g):,} nodes, drawn as {drawn:,}")

    def _auto(self, grouping: dict) -> dict:
        """collapse="auto": fold runs of repeated blocks, then whole modules, innermost first,
        until at most AUTO_NODES nodes remain (never the one outermost module: the model)."""
        g = self.g
        done: list[str] = []
        if not self.opts.collapse_repeated:
            trial = self._repeated(grouping, same_ops=True)
            boxes = {id(b): b for b in trial.values()}.values()
            runs = [b for b in boxes if len(b.keys) > 1]
            if runs:
                grouping = trial
                done.append("repeated blocks " + _list_names(
                    f"{self._scope_label_text(b.keys[0])} \u2026 {self._scope_label_text(b.keys[-1])}"
                    for b in runs))
        taken = {k for b in grouping.values() for k in b.keys}
        tops = {k for k in g.scopes if len(k) == 1}
        lowest = 1 if len(tops) > 1 else 2
        max_level = max(len(k) for k in g.scopes)
        for level in range(max_level, lowest - 1, -1):
            if self._visible_count(grouping) <= AUTO_NODES:
                break
            keys = {k for k in g.scopes if len(k) == level
                    and not any(k[:i] in taken for i in range(1, level + 1))}
            if not keys:
                continue
            trial = {**grouping, **self._key_boxes(keys)}
            # a node already inside a repeated-run box stays there
            for nid, box in grouping.items():
                trial[nid] = box
            grouping = trial
            taken |= keys
            done.append(f"{len(keys)} module(s) at nesting level {level} ("
                        + _list_names(sorted((self._scope_label_text(k) for k in keys),
                                             key=_natural), 4) + ")")
        if done:
            self.notes.append(f"{len(g):,} nodes, shown as {self._visible_count(grouping):,}; "
                              "collapsed " + "; ".join(done))
        return grouping

    def _repeated(self, grouping: dict, same_ops: bool = False) -> dict:
        """Merge runs of same-type sibling modules (layers.0, layers.1, ...) into one box each;
        with ``same_ops`` only modules that also ran the same ops (true repeats, not two
        different ``Sequential``s)."""
        g = self.g
        ops_in: dict[tuple, Counter] = {}
        if same_ops:
            for o in g.ops:
                for i in range(1, len(o.cluster) + 1):
                    ops_in.setdefault(o.cluster[:i], Counter())[o.fn.name] += 1
        self.node_by_id = {n.id: n for n in g.nodes()}
        for s, d, _ in g.edges:
            self.out_edges.setdefault(s, []).append(d)
            self.in_edges.setdefault(d, []).append(s)
        children: dict[tuple, list[tuple]] = {}
        for k in g.scopes:
            children.setdefault(k[:-1], []).append(k)
        first_seen: dict[tuple, int] = {}
        for n in g.nodes():
            for i in range(1, len(n.cluster) + 1):
                k = n.cluster[:i]
                first_seen[k] = max(first_seen.get(k, -1), n.depth)
        taken = {k for b in grouping.values() for k in b.keys}
        result = dict(grouping)
        for parent, kids in children.items():
            by_type: dict[type, list[tuple]] = {}
            for k in kids:
                obj = g.scopes[k]
                if not isinstance(obj, str) and k not in taken:
                    by_type.setdefault(type(obj), []).append(k)
            for members in by_type.values():
                if len(members) < 2:
                    continue
                members.sort(key=lambda k: -first_seen.get(k, 0))  # computed first, first
                run = [members[0]]
                hull = None
                for k in members[1:]:
                    same = not same_ops or ops_in.get(k) == ops_in.get(run[0])
                    trial = self._hull(parent, run + [k]) if same else None
                    if trial is not None:
                        run.append(k)
                        hull = trial
                    else:
                        self._add_run(result, run, hull, parent)
                        run, hull = [k], None
                self._add_run(result, run, hull, parent)
        return result

    def _hull(self, parent: tuple, keys: list[tuple]) -> list | None:
        """Nodes of ``keys``' scopes plus parent-level nodes between them; None if another
        sibling module or an output lies between them (merging would then fake the picture)."""
        keyset = set(keys)
        d = len(parent)
        members = [n for n in self.g.nodes() if len(n.cluster) > d and n.cluster[: d + 1] in keyset
                   and not (isinstance(n, ValueNode) and n.kind == OUTPUT)]
        ids = {n.id for n in members}
        fwd = _reach(ids, self.out_edges)
        bwd = _reach(ids, self.in_edges)
        hull = [self.node_by_id[i] for i in (fwd & bwd) - ids]
        for n in hull:
            c = n.cluster
            if c[:d] != parent or (len(c) > d and c[: d + 1] not in keyset):
                return None
            if isinstance(n, ValueNode) and n.kind == OUTPUT:
                return None
        return members + hull

    def _add_run(self, result: dict, run: list, hull: list | None, parent: tuple) -> None:
        if len(run) < 2 or hull is None:
            return
        box = Box("m?", list(run), parent=parent)
        box.members = hull
        for n in hull:
            result[n.id] = box

    # -- truncation by depth --
    def _truncate(self, limit: int) -> None:
        """Keep what is closest to the outputs; everything further back becomes one node."""
        depth_of: dict[int, int] = {}
        for n in self.g.nodes():
            key = id(self.group[n.id]) if n.id in self.group else id(n)
            depth_of[key] = min(depth_of.get(key, n.depth), n.depth)
        per_depth = Counter(depth_of.values())
        kept, max_depth = 0, 0
        for dep in sorted(per_depth):
            if kept + per_depth[dep] > limit - 1 and kept:
                break
            kept += per_depth[dep]
            max_depth = dep
        hidden = Hidden("hidden", depth=max_depth)
        for n in self.g.nodes():
            grp = self.group.get(n.id)
            key = id(grp) if grp is not None else id(n)
            if depth_of[key] > max_depth:
                hidden.members.append(n)
                self.group[n.id] = hidden
        self.boxes = [b for b in self.boxes if depth_of[id(b)] <= max_depth]
        if hidden.members:
            self.hidden = hidden
            self.notes.append(
                f"max_nodes={limit}: showing the {kept} nodes within {max_depth} steps of the "
                f"output(s); {len(hidden.members)} earlier nodes are hidden in the \u22ef node"
            )

    # -- names --
    def _scope_label_text(self, key: tuple) -> str:
        path = self.g.scope_names.get(key)
        obj = self.g.scopes[key]
        return path if path else scope_title(obj)


def _reach(start: set, adj: dict) -> set:
    seen = set(start)
    queue = deque(start)
    while queue:
        for m in adj.get(queue.popleft(), ()):
            if m not in seen:
                seen.add(m)
                queue.append(m)
    return seen


def _natural(text: str) -> list:
    """Sort key putting layers.2 before layers.10."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", text)]


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [text]


def _list_names(names: Any, limit: int = 6) -> str:
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f", \u2026 {len(names) - limit} more" if len(names) > limit else "")


# ----------------------------------------------------------------------------------------------
# DOT emission


class Emitter:
    def __init__(self, roots: list[Tensor], opts: Options) -> None:
        self.opts = opts
        self.g = build(roots, opts.params, opts.model)
        self.layout = Layout(self.g, opts)
        self.grads: dict[str, Any] = {}  # value id -> gradient computed for the drawing only
        self.names: dict[str, str] = {}  # value id -> a label for an unnamed value (the player's)
        self.rankdir = opts.rankdir
        if self.rankdir == "auto":
            # A page is about 830 px wide and scrolls down: a graph only a few ops deep reads left
            # to right, anything deeper top to bottom (its width is then its widest rank).
            ranks = {n.depth for n in self.g.nodes() if n.id not in self.layout.group}
            ranks |= {min(m.depth for m in b.members) for b in self.layout.boxes if b.members}
            self.rankdir = "LR" if len(ranks) + bool(self.layout.hidden) <= AUTO_LR_RANKS else "TB"
        self.grad_mags: dict[str, float | None] = {}

    def fill_grads(self, roots: list[Tensor]) -> None:
        """Gradients of intermediates for the picture only, when gradients are asked for.

        A learner who calls ``backward()`` and draws expects every node's gradient, but the
        engine keeps only the leaves'. While the graph is intact (drawn before ``backward`` or
        after ``backward(retain_graph=True)``) they are computed here with ``ag.grad``, leaving
        every ``.grad`` and the graph as they were; otherwise the caption says why they are absent.
        """
        opts = self.opts
        if opts.show_grad is False and not opts.color_by_grad:
            return
        leaves = [v for v in self.g.values if v.tensor.grad_fn is None and v.tensor.requires_grad]
        if not (opts.show_grad or opts.color_by_grad or any(v.tensor.grad is not None for v in leaves)):
            return  # gradients were not asked for and backward has not run: show values only
        root = roots[0]
        if len(roots) == 1 and root.size == 1 and root.grad_fn is not None and root.grad is None:
            rid = next(v.id for v in self.g.values if v.tensor is root)  # d root/d root = 1
            self.grads[rid] = Tensor(np.ones(root.shape, root.dtype))
        missing = [v for v in self.g.values
                   if v.id not in self.grads and v.tensor.grad_fn is not None and v.tensor.requires_grad
                   and v.tensor.grad is None
                   and v.id not in self.layout.group
                   and (opts.show_grad or opts.color_by_grad or v.tensor.size == 1)]
        if not missing:
            return
        if len(roots) != 1 or root.size != 1:
            self.layout.notes.append(
                "gradients of intermediates are shown only when kept (viz.retain_grads before "
                "backward): with several outputs or a non-scalar output there is no one d out/d value")
            return
        try:
            rec = record_backward(self.g, root, products=False)
        except GraphFreedError:
            self.layout.notes.append(
                "grad of intermediates not shown: backward() freed the graph; call "
                "viz.retain_grads(loss) before backward(), or draw before it")
            return
        for v in missing:
            grad = rec.grads.get(v.id)
            if grad is not None:
                self.grads[v.id] = Tensor(grad)

    def grad_of(self, v: ValueNode) -> Any:
        """``v``'s gradient: its ``.grad``, else one computed for the drawing (or None)."""
        g = v.tensor.grad
        return self.grads.get(v.id) if g is None else g

    # -- labels --
    def _show(self, flag: bool | None, t: Tensor) -> bool:
        return (t.size == 1) if flag is None else bool(flag)

    def value_stmt(self, v: ValueNode, node_id: str | None = None, uses: int = 0) -> str:
        """The statement of value node ``v`` (or of its copy ``node_id``, one of ``uses``)."""
        t, opts = v.tensor, self.opts
        border, width = C.KIND_BORDER[v.kind]
        body_fill = "#ffffff"
        if opts.color_by_grad:
            body_fill = C.grad_color(self.grad_mags[v.id], self.lo, self.hi)
        font = C.text_color(body_fill)
        fc = f'<FONT COLOR="{font}">' if font != "#000000" else ""
        fe = "</FONT>" if fc else ""
        tag = {OUTPUT: "output", PARAM: "param", LEAF: "input", CONSTANT: "data"}.get(v.kind, "")
        if uses:
            tag += f" (shared, {uses:,} uses)"
        title = f"<B>{html_text(v.name)}</B>" if v.name is not None else ""
        if not title and v.id in self.names:
            title = f'<I>{html_text(self.names[v.id])}</I>'
        small = f'<FONT POINT-SIZE="8">{tag}</FONT>' if tag else ""
        head = title + (" " if title and small else "") + small
        show_data, show_grad = self._show(opts.show_data, t), self._show(opts.show_grad, t)
        freed = getattr(t, "freed", False)
        if freed:  # an intermediate the engine did not keep: its value is unknown
            show_data = False
        grad = self.grad_of(v)
        cells: list[str] = []
        scalar = t.size == 1
        if scalar:
            if t.ndim:
                cells.append(html_text(_shape_text(t)))
            if show_data:
                cells.append("data " + num(np.asarray(t.data).reshape(-1)[0]))
            if show_grad and grad is not None:
                cells.append("grad " + num(np.asarray(grad.data).reshape(-1)[0]))
            if not show_data and not t.ndim:
                cells.append(html_text(f"() {t.dtype}"))
        else:
            cells.append(html_text(_shape_text(t)))
            if show_data:
                cells.append(_stats_html("data", t.data))
            if show_grad and grad is not None:
                cells.append(_stats_html("grad", grad.data))
            elif opts.color_by_grad and grad is not None:  # the colour's number, readable
                a = _float_array(grad.data)
                cells.append("\u2016grad\u2016 " + num(np.sqrt(np.sum(a * a))))
        if freed and self._show(opts.show_data, t):
            cells.append('<FONT POINT-SIZE="8">value not kept</FONT>')
        # micrograd's one-row boxes when left to right was asked for; stacked rows otherwise, which
        # keeps a left-to-right graph narrow enough for a page
        horizontal = scalar and opts.rankdir in ("LR", "RL")
        kind_fill = C.KIND_FILL[v.kind]
        if opts.color_by_grad and head:
            # the fill shows the gradient; the kind stays visible in the border and a small tag
            tag_cell = f'<TD BGCOLOR="{kind_fill}"><FONT POINT-SIZE="8">{tag or " "}</FONT></TD>'
            head_cells = (f"<TD>{fc}{title}{fe}</TD>" if title else "") + tag_cell
        elif head:
            head_cells = f'<TD BGCOLOR="{kind_fill}">{head}</TD>'
        else:
            head_cells = ""
        parts = [f'<TABLE BORDER="{width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
                 f'COLOR="{border}" BGCOLOR="{body_fill}">']
        if horizontal:
            row = [head_cells]
            for i, c in enumerate(cells):
                sides = ' BORDER="1" SIDES="L"' if (i or head) else ""
                row.append(f"<TD{sides}>{fc}{c}{fe}</TD>")
            parts.append("<TR>" + "".join(row) + "</TR>")
        else:
            span = ' COLSPAN="2"' if opts.color_by_grad and title and head else ""
            if head_cells:
                parts.append(f"<TR>{head_cells}</TR>")
            for i, c in enumerate(cells):
                sides = ' BORDER="1" SIDES="T"' if (i or head) else ""
                parts.append(f"<TR><TD{sides}{span}>{fc}{c}{fe}</TD></TR>")
        parts.append("</TABLE>")
        return (f"{node_id or v.id} [shape=plain, label=<{''.join(parts)}>, "
                f"tooltip={quote(self.value_tooltip(v))}]")

    def value_tooltip(self, v: ValueNode) -> str:
        t = v.tensor
        grad = self.grad_of(v)
        kind = C.KIND_TEXT[v.kind]
        lines = [kind if v.name is None else f"{v.name} ({kind})",
                 f"shape {t.shape}, {t.dtype}"]
        if t.grad_fn is not None:
            lines.append(f"made by {t.grad_fn.name}")
        if getattr(t, "freed", False):
            lines.append("value not kept by the graph (nothing else referenced it)")
            if grad is not None:
                lines.append("grad " + ", ".join(f"{k} {s}" for k, s in stats(grad.data).items()))
        elif t.size == 1:
            lines.append("data " + num(np.asarray(t.data).reshape(-1)[0]))
            if grad is not None:
                lines.append("grad " + num(np.asarray(grad.data).reshape(-1)[0]))
        elif t.size:
            lines.append("data " + ", ".join(f"{k} {s}" for k, s in stats(t.data).items()))
            if grad is not None:
                lines.append("grad " + ", ".join(f"{k} {s}" for k, s in stats(grad.data).items()))
        if self.opts.color_by_grad:
            m = self.grad_mags[v.id]
            lines.append("mean |grad| " + ("none" if m is None else num(m)))
        return "\n".join(lines)

    def op_stmt(self, o: OpNode) -> str:
        fn, opts = o.fn, self.opts
        name = fn.name
        # op names throughout (Add, Mul, Tanh): the same words as fn.name, errors and the player
        rows = [f'<B>{html_text(name, 32)}</B>']
        if opts.show_attrs:
            for k, val in vars(fn).items():
                if k.startswith("_") or k in _NODE_ATTRS:
                    continue
                rows.append(f'<FONT POINT-SIZE="8">{html_text(k, 20)}={html_text(_short(val), 40)}</FONT>')
        saved = _saved_text(fn) if opts.show_saved else ""
        if saved:
            rows.append(f'<FONT POINT-SIZE="8">{html_text(saved, 60)}</FONT>')
        label = "<BR/>".join(rows)
        scope = " / ".join(self.layout._scope_label_text(o.cluster[:i])
                           for i in range(1, len(o.cluster) + 1))
        tip = name + (f"\nin {scope}" if scope else "")
        return (f"{o.id} [shape=ellipse, style=filled, fillcolor=\"{C.OP_FILL}\", color=\"{C.OP_BORDER}\", "
                f"margin=\"0.04,0.02\", label=<{label}>, tooltip={quote(tip)}]")

    def const_stmt(self, c: ConstNode) -> str:
        val = c.value
        if isinstance(val, np.ndarray) and val.size > 1:
            text = f"array {val.shape} {val.dtype}"
        elif isinstance(val, (float, np.floating)):
            text = num(val)
        else:
            text = _short(val)
        return (f"{c.id} [shape=plaintext, fontsize=9, fontcolor=\"#495057\", "
                f"label=<{html_text(text, 32)}>]")

    def box_stmt(self, box: Box) -> str:
        lay = self.layout
        labels = [lay._scope_label_text(k) for k in box.keys]
        types = {scope_title(self.g.scopes[k]) for k in box.keys}
        ops = Counter(n.fn.name for n in box.members if isinstance(n, OpNode))
        params = [n for n in box.members if isinstance(n, ValueNode) and n.kind == PARAM]
        if len(labels) == 1:
            title = f"<B>{html_text(labels[0])}</B>"
            if labels[0] not in types:
                title += f" <I>{html_text(next(iter(types)))}</I>"
        else:
            title = f"<B>{html_text(labels[0])} \u2026 {html_text(labels[-1])}</B><BR/>" \
                    f"{len(labels)} \u00d7 <I>{html_text(', '.join(sorted(types)))}</I>"
        rows = [title]
        n_ops = sum(ops.values())
        rows.append(html_text(f"{n_ops} op{'s' if n_ops != 1 else ''}: " + ", ".join(
            f"{k}\u00d7{n}" if n > 1 else k for k, n in ops.most_common(4))
            + (", \u2026" if len(ops) > 4 else ""), 70))
        if params:
            rows.append(html_text(f"{len(params)} params, {sum(p.tensor.size for p in params):,} weights"))
        fill = C.COLLAPSED_FILL
        if self.opts.color_by_grad:
            mags = [self.grad_mags[n.id] for n in params] or \
                   [self.grad_mags[n.id] for n in box.members if isinstance(n, ValueNode)]
            mags = [m for m in mags if m is not None]
            if mags:
                m = math.nan if any(math.isnan(x) for x in mags) else float(np.mean(mags))
                fill = C.grad_color(m, self.lo, self.hi)
                grads = [self.grad_of(n) for n in params]
                grads = [_float_array(g.data) for g in grads if g is not None]
                norm = ""
                if grads:  # the parameters' gradient norm, as a number beside the colour
                    norm = f", \u2016grad\u2016 {num(np.sqrt(sum(np.sum(a * a) for a in grads)))}"
                rows.append("mean |grad| " + num(m) + norm)
        font = C.text_color(fill)
        label = f'<FONT COLOR="{font}">' + "<BR/>".join(rows) + "</FONT>"
        return (f"{box.id} [shape=box3d, style=filled, fillcolor=\"{fill}\", color=\"{C.CLUSTER_BORDER}\", "
                f"label=<{label}>, tooltip={quote(', '.join(labels))}]")

    def hidden_stmt(self, h: Hidden) -> str:
        ops = Counter(n.fn.name for n in h.members if isinstance(n, OpNode))
        vals = sum(isinstance(n, ValueNode) for n in h.members)
        top = ", ".join(f"{k}\u00d7{n:,}" for k, n in ops.most_common(4))
        rows = [f"<B>\u22ef {len(h.members):,} earlier nodes hidden</B>",
                html_text(f"{sum(ops.values()):,} ops: {top}" + (", \u2026" if len(ops) > 4 else ""), 80),
                html_text(f"{vals:,} tensors (more than {h.depth} steps from the outputs)", 80)]
        return (f"{h.id} [shape=note, style=filled, fillcolor=\"#fff3bf\", color=\"#e67700\", "
                f"label=<{'<BR/>'.join(rows)}>]")

    def cluster_attrs(self, key: tuple) -> str:
        path = self.g.scope_names.get(key)
        obj = self.g.scopes[key]
        typ = scope_title(obj)
        if path:
            label = f"<B>{html_text(path, 60)}</B> <I>{html_text(typ)}</I>"
        else:
            label = f"<B>{html_text(typ, 60)}</B>"
        fill = C.CLUSTER_FILLS[(len(key) - 1) % len(C.CLUSTER_FILLS)]
        return (f'label=<{label}>; labeljust=l; labelloc=t; style="rounded,filled"; '
                f'fillcolor="{fill}"; color="{C.CLUSTER_BORDER}"; fontsize=10;')

    def legend_lines(self) -> list[str]:
        """The legend: one small node per kind of node drawn, shaped and coloured like it, and
        the gradient scale, in a row of their own (a top-to-bottom graph has them above it)."""
        kinds_present = {v.kind for v in self.g.values if v.id not in self.layout.group}
        items = []
        for i, kind in enumerate(k for k in (OUTPUT, PARAM, LEAF, CONSTANT, INTERMEDIATE)
                                 if k in kinds_present):
            border, width = C.KIND_BORDER[kind]
            head = (f'<TR><TD BGCOLOR="{C.KIND_FILL[kind]}">{C.KIND_TEXT[kind]}</TD></TR>'
                    if kind != INTERMEDIATE else f"<TR><TD>{C.KIND_TEXT[kind]}</TD></TR>")
            items.append(
                f'lg{i} [shape=plain, fontsize=9, label=<<TABLE BORDER="{width}" CELLBORDER="0" '
                f'CELLSPACING="0" CELLPADDING="2" COLOR="{border}">{head}</TABLE>>]')
        if self.g.ops:
            items.append(f'lg_op [shape=ellipse, style=filled, fillcolor="{C.OP_FILL}", '
                         f'color="{C.OP_BORDER}", fontsize=9, margin="0.02,0.01", height=0.25, '
                         'label="operation"]')
        if self.layout.boxes:
            items.append(f'lg_box [shape=box3d, style=filled, fillcolor="{C.COLLAPSED_FILL}", '
                         f'color="{C.CLUSTER_BORDER}", fontsize=9, height=0.25, '
                         'label="collapsed module"]')
        ids = [it.split(" ", 1)[0] for it in items]
        if self.opts.color_by_grad:
            # the scale: a swatch every decade or two, then the special colours
            ticks = C.decades(self.lo, self.hi)
            if len(ticks) > 6:
                ticks = ticks[::2] if len(ticks) % 2 else ticks[::2] + ticks[-1:]
            swatches, labels = [], []
            for x in ticks:
                swatches.append(f'<TD BGCOLOR="{C.grad_color(x, self.lo, self.hi)}" WIDTH="24" '
                                'HEIGHT="9"></TD>')
                labels.append(f'<TD><FONT POINT-SIZE="7">{x:.0e}</FONT></TD>')
            for fill, text in ((C.ZERO_FILL, "0"), (C.NONFINITE_FILL, "nan"), (C.NO_GRAD_FILL, "none")):
                swatches.append(f'<TD BGCOLOR="{fill}" BORDER="1" WIDTH="24" HEIGHT="9"></TD>')
                labels.append(f'<TD><FONT POINT-SIZE="7">{text}</FONT></TD>')
            n = len(ticks)
            items.append(
                'legend [shape=plain, fontsize=9, label=<<TABLE BORDER="0" CELLSPACING="1" '
                f'CELLPADDING="0"><TR><TD COLSPAN="{n}" ALIGN="LEFT"><B>mean |grad|</B> '
                '<FONT POINT-SIZE="7">vanishing \u2192 exploding (log)</FONT></TD><TD COLSPAN="3"></TD>'
                f'</TR><TR>{"".join(swatches)}</TR><TR>{"".join(labels)}</TR></TABLE>>]')
        out = ["\tsubgraph cluster_legend {\n",
               '\t\tlabel=""; style="rounded"; color="#ced4da"; margin=4;\n']
        out.extend(f"\t\t{it}\n" for it in items)
        # the samples side by side across the ranks (a row when top to bottom, a column when
        # left to right), the scale next to them
        out.append("\t\t{rank=same; " + "; ".join(ids) + "}\n")
        out.extend(f"\t\t{a} -> {b} [style=invis]\n" for a, b in zip(ids, ids[1:]))
        if self.opts.color_by_grad:
            out.append(f"\t\t{ids[0]} -> legend [style=invis]\n")
        out.append("\t}\n")
        return out

    # -- the whole text --
    def lines(self) -> list[str]:
        g, opts, lay = self.g, self.opts, self.layout
        if opts.color_by_grad:
            for v in g.values:
                self.grad_mags[v.id] = C.grad_magnitude(self.grad_of(v))
            self.lo, self.hi = C.resolve_range(opts.grad_range, list(self.grad_mags.values()))
        n_visible = lay._visible_count(lay.group) + (1 if lay.hidden else 0)
        out = [f"\tgraph [rankdir={self.rankdir}, fontname=\"{_FONT}\", fontsize=11, nodesep=0.25, "
               "ranksep=0.35, newrank=true" + (f", dpi={float(opts.dpi):g}" if opts.dpi else "") + "]\n",
               f"\tnode [fontname=\"{_FONT}\", fontsize=10]\n",
               "\tedge [color=\"#6c757d\", arrowsize=0.6]\n"]
        if n_visible > BIG_GRAPH:
            # Big graphs: skip dot's network-simplex x placement (nslimit=0), which is quadratic
            # on long chains in Graphviz 2.4x (a 5,000-node chain: ~1 s instead of ~1 min), and
            # cap crossing minimisation. The layout is a little less straight.
            out.append("\tgraph [nslimit=0, mclimit=0.5, remincross=false, searchsize=30]\n")
        title_rows = []
        if opts.title:
            title_rows.append(f"<B>{html_text(opts.title, 120)}</B>")
        # captions wrap at about 90 characters, so that they never widen the picture
        title_rows += [html_text(part, 300) for n in lay.notes for part in _wrap(n, 90)]
        if title_rows:
            out.append("\tlabel=<" + "<BR ALIGN=\"LEFT\"/>".join(title_rows)
                       + "<BR ALIGN=\"LEFT\"/>>; labelloc=t; labeljust=l\n")

        # edges between visible items (collapsed nodes stand for their members)
        def target(node_id: str) -> str:
            grp = lay.group.get(node_id)
            return grp.id if grp is not None else node_id

        edges: dict[tuple[str, str], None] = {}
        for s, d, _ in g.edges:
            s2, d2 = target(s), target(d)
            if s2 != d2:
                edges[(s2, d2)] = None
        # A leaf feeding many ops (a weight shared by every step of a long chain) is drawn once
        # per use: one node with a thousand long edges makes dot's layout take minutes.
        fanout: dict[str, list[str]] = {}
        for s2, d2 in edges:
            fanout.setdefault(s2, []).append(d2)
        proxied = {v.id for v in g.values if v.tensor.grad_fn is None and v.id not in lay.group
                   and len(fanout.get(v.id, ())) > MAX_FANOUT}

        # placement: visible item -> cluster key
        cluster_of: dict[str, tuple] = {}
        stmts: list[tuple[str, tuple, str]] = []  # (id, cluster, statement)
        for n in sorted(g.nodes(), key=lambda n: -n.depth):
            if n.id in lay.group or n.id in proxied:
                continue
            if isinstance(n, ValueNode):
                stmt = self.value_stmt(n)
            elif isinstance(n, OpNode):
                stmt = self.op_stmt(n)
            else:
                stmt = self.const_stmt(n)
            cluster = n.cluster
            if isinstance(n, ValueNode) and n.kind == OUTPUT:
                cluster = self._outside_boxes(cluster)
            stmts.append((n.id, cluster, stmt))
            cluster_of[n.id] = cluster
        for box in lay.boxes:
            stmts.append((box.id, box.parent, self.box_stmt(box)))
            cluster_of[box.id] = box.parent
        if lay.hidden is not None:
            stmts.append((lay.hidden.id, (), self.hidden_stmt(lay.hidden)))
            cluster_of[lay.hidden.id] = ()
        proxy_edges = []
        for v in g.values:
            if v.id in proxied:
                uses = fanout[v.id]
                for k, d2 in enumerate(uses):
                    pid = f"{v.id}_{k}"
                    stmts.append((pid, cluster_of.get(d2, ()), self.value_stmt(v, pid, len(uses))))
                    proxy_edges.append(f"\t{pid} -> {d2}\n")
        placed: dict[tuple, list[str]] = {}
        for _, cluster, stmt in stmts:
            placed.setdefault(cluster if opts.cluster else (), []).append(stmt)
        for stmt in placed.pop((), []):
            out.append(f"\t{stmt}\n")
        out.extend(self._clusters(placed))

        # Edges between computed values (op -> result -> next op) pull harder than edges from
        # leaves and constants, so a chain of ops stays a straight column instead of drifting.
        computed = {v.id for v in g.values if v.tensor.grad_fn is not None}
        for s2, d2 in edges:
            if s2 in proxied:
                continue
            style = ' [style=dashed, color="#adb5bd"]' if s2.startswith("c") else ""
            if s2[0] in "fmh" or s2 in computed:
                style = " [weight=4]"
            out.append(f"\t{s2} -> {d2}{style}\n")
        out.extend(proxy_edges)
        legend = opts.legend if opts.legend is not None else opts.color_by_grad
        if legend:
            out.extend(self.legend_lines())
        return out

    def _outside_boxes(self, cluster: tuple) -> tuple:
        """The innermost enclosing cluster of ``cluster`` that is not collapsed."""
        collapsed = {k for b in self.layout.boxes for k in b.keys}
        for i in range(1, len(cluster) + 1):
            if cluster[:i] in collapsed:
                return cluster[: i - 1]
        return cluster

    def _clusters(self, placed: dict[tuple, list[str]]) -> list[str]:
        """Nested ``subgraph cluster_N`` blocks for every scope that holds a visible item."""
        needed: set = set()
        for key in placed:
            for i in range(1, len(key) + 1):
                needed.add(key[:i])
        children: dict[tuple, list[tuple]] = {}
        order = {k: i for i, k in enumerate(self.g.scopes)}
        for key in sorted(needed, key=lambda k: order[k]):
            children.setdefault(key[:-1], []).append(key)
        out: list[str] = []
        # explicit stack: ("open", key) writes the header and items, then schedules the children
        # and the closing brace; nesting depth never touches Python's recursion limit
        stack: list[tuple[str, tuple]] = [("open", k) for k in reversed(children.get((), []))]
        while stack:
            what, key = stack.pop()
            indent = "\t" * len(key)
            if what == "close":
                out.append(f"{indent}}}\n")
                continue
            out.append(f"{indent}subgraph cluster_{order[key]} {{\n")
            out.append(f"{indent}\t{self.cluster_attrs(key)}\n")
            for stmt in placed.get(key, ()):
                out.append(f"{indent}\t{stmt}\n")
            stack.append(("close", key))
            stack.extend(("open", k) for k in reversed(children.get(key, [])))
        return out


def _short(val: Any) -> str:
    if isinstance(val, Tensor):
        return f"Tensor {_shape_text(val)}"
    if isinstance(val, np.ndarray):
        return f"array {val.shape} {val.dtype}" if val.size > 4 else np.array2string(val, separator=",")
    text = repr(val)
    return text if len(text) <= 40 else text[:39] + "\u2026"


def _saved_text(fn: Any) -> str:
    if fn.is_freed:
        return "saved: unavailable (freed by backward)"
    try:
        saved = fn.saved_tensors
    except RuntimeError:  # the only other refusal: a saved tensor was modified in place since
        return "saved: unavailable (modified in place)"
    if not saved:
        return "saved: nothing"
    items = []
    for s in saved:
        pos = next((i for i, a in enumerate(fn.inputs) if a is s), None)
        if pos is not None:
            items.append(f"input {pos}" + (f" {s.name}" if getattr(s, "name", None) else ""))
        elif isinstance(s, Tensor) and s.grad_fn is fn:
            items.append("output")
        elif isinstance(s, Tensor):
            items.append(_shape_text(s))
        else:
            items.append(_short(s))
    return "saved: " + ", ".join(items)


def _stats_html(what: str, a: Any) -> str:
    st = stats(a)
    parts = [f"{k} {v}" if v else k for k, v in st.items()]
    first = ", ".join(p for p in parts[:3])
    rest = ", ".join(parts[3:])
    text = f"<B>{what}</B> {html.escape(first)}"
    if rest:
        text += f'<BR ALIGN="LEFT"/>{html.escape(rest)}'
    return text


def dot_lines(roots: tuple, options: dict) -> list[str]:
    """Body lines (tab-indented, newline-terminated) of the DOT graph for ``roots``."""
    unknown = set(options) - set(Options.__dataclass_fields__)
    if unknown:
        raise TypeError(
            f"viz: unknown option(s) {sorted(unknown)}; valid options are "
            f"{sorted(Options.__dataclass_fields__)}"
        )
    opts = Options(**options)
    opts.check()
    flat = flatten_roots(roots)
    if not flat:
        raise ValueError("viz: give at least one Tensor to draw, e.g. viz.to_dot(loss)")
    em = Emitter(flat, opts)
    em.fill_grads(flat)
    return em.lines()
