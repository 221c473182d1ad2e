"""Draw autograd graphs: ``to_dot`` (pure Python), ``draw_graph`` (Jupyter), ``render`` (files).

The picture is micrograd's: a box per tensor (value node) and an ellipse per operation (op node),
with arrows in the direction of the computation. What the boxes show, and how big graphs are kept
readable, is set by the options documented on :func:`to_dot`; ``draw_graph`` and ``render`` take
the same options.
"""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._dot import dot_lines
from ._graph import flatten_roots, graph_inputs, retain_node_grad

FORMATS = ("svg", "png", "pdf")

INSTALL_HINT = (
    "Graphviz's `dot` program was not found on PATH; install Graphviz to render graphs:\n"
    "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
    "  macOS:          brew install graphviz\n"
    "  conda:          conda install -c conda-forge graphviz\n"
    "  Windows:        winget install graphviz (then add its bin folder to PATH)\n"
    "viz.to_dot(...) works without it and returns the DOT text."
)


class GraphvizNotFoundError(RuntimeError):
    """Raised at once by ``draw_graph``/``render`` when Graphviz (``dot``) is not installed."""


def _dot_binary() -> str:
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFoundError(INSTALL_HINT)
    return exe


def to_dot(
    *roots: Any,
    params: Any = None,
    model: Any = None,
    rankdir: str = "auto",
    show_data: bool | None = None,
    show_grad: bool | None = None,
    show_saved: bool = False,
    show_attrs: bool = False,
    color_by_grad: bool = False,
    grad_range: Any = None,
    legend: bool | None = None,
    max_nodes: int | None = 500,
    collapse: Any = "auto",
    collapse_repeated: bool = False,
    cluster: bool = True,
    title: str | None = None,
    dpi: float | None = None,
) -> str:
    """DOT source of the graph that produced ``roots``, as a string (no Graphviz needed).

    ``roots`` are Tensors (or lists/tuples/dicts of them), usually the loss. The graph is walked
    iteratively from them, so arbitrarily deep graphs are fine.

    Value nodes are tables. A one-element tensor shows its name, value and gradient, as in
    micrograd; a bigger tensor shows its name, shape and dtype, plus summary statistics (mean,
    std, min, max, L2 norm) on request. The header colour and border tell the kinds apart: outputs
    (the roots; green, thick border), parameters (``nn.Parameter`` or ``params=``; amber), inputs
    that require grad (blue), data (grey) and intermediates (no header). Op nodes are ellipses
    with the op (``+``, ``×``, ``@``, ``Tanh``...). Ops made inside ``ag.scope(obj)`` (every
    ``nn.Module`` call) are drawn in nested boxes named by module path.

    Options (keywords):

    - ``rankdir``: ``"auto"`` (default: left to right for graphs at most 5 ranks deep, top to
      bottom beyond, so that pictures fit a page about 830 px wide), ``"LR"`` (micrograd's
      one-row boxes), ``"TB"``, ``"RL"`` or ``"BT"``.
    - ``show_data`` / ``show_grad``: value and gradient. ``None`` (default) shows them on
      one-element tensors only; ``True`` adds statistics rows to tensors too; ``False`` hides them.
      When gradients are shown and the graph is intact (drawn before ``backward``, or after
      ``backward(retain_graph=True)``), intermediates' gradients are computed for the picture
      (with ``ag.grad``: no ``.grad`` changes); after a plain ``backward`` the caption says why
      they are missing (call :func:`retain_grads` before ``backward`` to keep them).
    - ``show_saved``: list what each op saved for backward (or that backward freed it).
    - ``show_attrs``: show op attributes such as ``axes``.
    - ``params``: tensors to mark as parameters: Tensors, ``(name, Tensor)`` pairs, a dict or a
      module; the names label unnamed tensors.
    - ``model``: the root module, to name module boxes by path (``encoder.layers.0``) and
      parameters by ``named_parameters()``. Without it, an outermost scope object that has
      ``named_modules()`` is used in the same way.
    - ``color_by_grad``: fill value nodes by mean ``|grad|`` on a log scale (blue = vanishing, red
      = exploding, grey = exactly 0, magenta = nan/inf) with a legend; tensors also print the
      gradient's norm ``‖grad‖``. Intermediates' gradients as for ``show_grad``.
    - ``grad_range``: ``(low, high)`` of that scale (default ``(1e-8, 1e2)``) or ``"auto"``.
    - ``legend``: draw the legend, a row of sample nodes shaped like the graph's (default: when
      ``color_by_grad``).
    - ``max_nodes``: past this many nodes (default 500; ``None`` = no limit), modules are collapsed
      into single boxes, innermost level first, then what lies furthest from the outputs is
      hidden in one node; the graph's title says what was collapsed or hidden.
    - ``collapse``: ``"auto"`` (default): past 60 nodes, runs of repeated blocks, then modules
      (innermost first, never the model itself) are drawn as one box each until about 60 remain,
      and the caption gives the node count and what was collapsed. Or the modules to draw as
      one box each: module paths, type names, types or objects; ``None`` collapses nothing.
    - ``collapse_repeated``: merge runs of same-type sibling modules (``layers.0`` ...
      ``layers.11``) into one box when nothing else lies between them.
    - ``cluster``: ``False`` draws no module boxes.
    - ``title``: a title above the graph.
    - ``dpi``: resolution of PNG output (Graphviz's default is 96).

    ``max_nodes`` counts the nodes of the graph; a leaf used by more than 8 ops (a weight shared
    by every step of a long chain) is drawn as one small copy per use, which keeps Graphviz fast
    and the picture local, and those copies are not counted.

    >>> import autograd_engine as ag, viz
    >>> a = ag.Tensor(2.0, requires_grad=True, name="a")
    >>> b = ag.Tensor(-3.0, requires_grad=True, name="b")
    >>> y = a * b
    >>> y.backward()
    >>> dot = viz.to_dot(y)
    >>> dot.splitlines()[0]
    'digraph autograd {'
    >>> "data -6.0000" in dot and "grad -3.0000" in dot  # y's value, a's gradient
    True
    >>> dot.count(" -> ")  # a -> ×, b -> ×, × -> y
    3
    """
    options = dict(params=params, model=model, rankdir=rankdir, show_data=show_data,
                   show_grad=show_grad, show_saved=show_saved, show_attrs=show_attrs,
                   color_by_grad=color_by_grad, grad_range=grad_range, legend=legend,
                   max_nodes=max_nodes, collapse=collapse, collapse_repeated=collapse_repeated,
                   cluster=cluster, title=title, dpi=dpi)
    return "digraph autograd {\n" + "".join(dot_lines(roots, options)) + "}\n"


def _takes_to_dot_options(fn: Callable) -> Callable:
    """``fn`` passes its ``**options`` on to :func:`to_dot`: list them in its signature as
    keyword-only parameters, so that ``help()``, editors and ``inspect`` show them."""
    own = [p for p in inspect.signature(fn).parameters.values() if p.kind is not p.VAR_KEYWORD]
    shared = [p for p in inspect.signature(to_dot).parameters.values()
              if p.kind is p.KEYWORD_ONLY]
    fn.__signature__ = inspect.signature(fn).replace(parameters=own + shared)
    return fn


@_takes_to_dot_options
def draw_graph(*roots: Any, **options: Any) -> Any:
    """The graph of ``roots`` as a ``graphviz.Digraph``, which a notebook displays as SVG.

    Takes the same options as :func:`to_dot`. Fails at once with an install hint when the Graphviz
    ``dot`` program (or the ``graphviz`` Python package) is missing.

    >>> import shutil
    >>> import autograd_engine as ag, viz
    >>> x = ag.Tensor([1.0, 2.0], requires_grad=True, name="x")
    >>> loss = (x * x).sum()
    >>> if shutil.which("dot"):
    ...     g = viz.draw_graph(loss)
    ...     svg = g.pipe(format="svg").decode()
    ...     assert svg.count('class="node"') == 5  # x, ×, x*x, Sum, loss
    """
    _dot_binary()
    try:
        import graphviz
    except ImportError as exc:  # pragma: no cover - graphviz is a dependency of the package
        raise GraphvizNotFoundError(
            "viz.draw_graph needs the graphviz Python package: pip install graphviz "
            "(viz.to_dot works without it)"
        ) from exc
    return graphviz.Digraph(name="autograd", body=dot_lines(roots, options))


@_takes_to_dot_options
def render(roots: Any, path: str | os.PathLike, format: str | None = None,  # noqa: A002
           **options: Any) -> Path:
    """Render the graph of ``roots`` (a Tensor or a list of them) to ``path``; return the path.

    ``format`` is ``"svg"``, ``"png"`` or ``"pdf"``; by default it comes from the file suffix
    (``svg`` without one, and the suffix is added). Other options are those of :func:`to_dot`.
    Fails at once with an install hint when Graphviz's ``dot`` is missing.

    >>> import shutil, tempfile, pathlib
    >>> import autograd_engine as ag, viz
    >>> x = ag.Tensor(3.0, requires_grad=True, name="x")
    >>> y = (x * x).tanh()
    >>> if shutil.which("dot"):
    ...     with tempfile.TemporaryDirectory() as d:
    ...         out = viz.render(y, pathlib.Path(d) / "graph.svg")
    ...         assert out.read_text().lstrip().startswith("<?xml")
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    fmt = format if format is not None else (suffix if suffix in FORMATS else "svg")
    if fmt not in FORMATS:
        raise ValueError(f"viz.render: format must be one of {FORMATS}, got {fmt!r}")
    if suffix != fmt:
        path = path.with_name(path.name + "." + fmt)
    exe = _dot_binary()
    source = to_dot(roots, **options)  # a list, tuple or dict of roots is flattened like one root
    proc = subprocess.run([exe, f"-T{fmt}", "-o", str(path)], input=source.encode("utf-8"),
                          capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(
            f"viz.render: dot failed (exit {proc.returncode}) writing {path}: "
            f"{proc.stderr.decode(errors='replace').strip()[:500]}"
        )
    return path


def retain_grads(*roots: Any) -> int:
    """Call ``retain_grad()`` on every intermediate tensor of the graph; return how many.

    Call it before ``backward`` so that ``color_by_grad`` and ``show_grad`` can show the gradient
    of every intermediate, not just of the leaves.

    >>> import autograd_engine as ag, viz
    >>> x = ag.Tensor(0.5, requires_grad=True)
    >>> h = x * 2
    >>> y = h.tanh()
    >>> viz.retain_grads(y)
    2
    >>> y.backward()
    >>> h.grad is not None and y.grad is not None
    True
    """
    count = 0
    seen_t: set[int] = set()
    seen_fn: set[int] = set()
    keep: list[Any] = []  # walked objects stay alive, so an id() is never reused by a later one
    queue: deque = deque(flatten_roots(roots))
    while queue:
        t = queue.popleft()
        if id(t) in seen_t:
            continue
        seen_t.add(id(t))
        keep.append(t)
        fn = t.grad_fn
        if fn is None:
            continue
        if t.requires_grad:
            # At the node too: a Tensor alive now only because an op saved it dies with backward.
            retain_node_grad(fn, t.output_nr)
            if not getattr(t, "freed", False):
                t.retain_grad()
            count += 1
        if id(fn) not in seen_fn:
            seen_fn.add(id(fn))
            queue.extend(a for a in graph_inputs(fn) if hasattr(a, "grad_fn"))
    return count
