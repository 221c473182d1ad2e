"""viz: DOT text (no Graphviz needed), real renders with the `dot` binary, escaping, big graphs."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

import autograd_engine as ag
import viz
from tests.graphs import neuron

needs_dot = pytest.mark.skipif(
    __import__("shutil").which("dot") is None, reason="Graphviz `dot` binary not installed"
)
HOSTILE = '<b>{x|y}</b> "q" \\ ]; a -> b [label=x] </TD></TABLE>> &amp;'


# --------------------------------------------------------------------------- helpers


class Mod:
    """A minimal module: enters ``ag.scope(self)`` around forward, has named_modules()."""

    def __call__(self, *args):
        with ag.scope(self):
            return self.forward(*args)

    def children(self):
        for k, v in vars(self).items():
            if isinstance(v, Mod):
                yield k, v
            elif isinstance(v, list):
                for i, m in enumerate(v):
                    yield f"{k}.{i}", m

    def named_modules(self):
        stack = [("", self)]
        while stack:
            name, m = stack.pop(0)
            yield name, m
            stack[:0] = [(f"{name}.{k}" if name else k, c) for k, c in m.children()]


class Lin(Mod):
    def __init__(self, n_in, n_out, rng):
        self.w = ag.Tensor(rng.normal(size=(n_in, n_out)), requires_grad=True)
        self.b = ag.Tensor(np.zeros(n_out), requires_grad=True)

    def forward(self, x):
        return x @ self.w + self.b


class Block(Mod):
    def __init__(self, n, rng):
        self.lin = Lin(n, n, rng)

    def forward(self, x):
        return self.lin(x).tanh()


class Encoder(Mod):
    def __init__(self, n, depth, rng):
        self.layers = [Block(n, rng) for _ in range(depth)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class Net(Mod):
    def __init__(self, n=3, depth=3, seed=0):
        rng = np.random.default_rng(seed)
        self.encoder = Encoder(n, depth, rng)
        self.head = Lin(n, 1, rng)

    def forward(self, x):
        return self.head(self.encoder(x))

    def named_parameters(self):
        for name, m in self.named_modules():
            for k in ("w", "b"):
                if hasattr(m, k):
                    yield (f"{name}.{k}" if name else k), getattr(m, k)


def svg_of(*roots, **options):
    dot = viz.to_dot(*roots, **options)
    proc = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True, check=True)
    assert not proc.stderr.strip(), proc.stderr.decode()
    return proc.stdout.decode()


def count_nodes(svg):
    return svg.count('class="node"')


def count_clusters(svg):
    return svg.count('class="cluster"')


# --------------------------------------------------------------------------- DOT text


def test_scalar_neuron_shows_values_grads_and_kinds():
    o, (x1, w1, b, n) = neuron()
    viz.retain_grads(o)
    o.backward()
    dot = viz.to_dot(o, params=[w1, b])
    # values and gradients, micrograd style
    assert "data 0.7071" in dot and "grad 1.0000" in dot  # o
    assert "data 2.0000" in dot and "grad -1.5000" in dot  # x1: grad = w1 * (1 - o^2)
    assert "data 0.8814" in dot and "grad 0.5000" in dot  # n
    # 5 value nodes (x1, w1, x1*w1, b, n, o = 6) and 3 op nodes; 8 edges
    assert len(re.findall(r"^\tv\d+ \[", dot, re.M)) == 6
    assert len(re.findall(r"^\tf\d+ \[", dot, re.M)) == 3
    assert dot.count(" -> ") == 8
    # kinds: output, parameter and input are told apart (border colour/width and a tag)
    assert 'BORDER="3" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="#1b7f3b"' in dot
    assert dot.count('COLOR="#b07d00"') == 2  # w1 and b are parameters
    assert ">param<" in dot and ">output<" in dot and ">input<" in dot
    # op nodes are labelled by name throughout (issue 18: not symbols for some, names for others)
    assert "<B>Mul</B>" in dot and "<B>Add</B>" in dot and "<B>Tanh</B>" in dot


def test_tensor_nodes_show_shape_dtype_and_stats_on_request():
    x = ag.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True, name="x")
    y = (x * 2).sum()
    y.backward()
    plain = viz.to_dot(y)
    assert "(2, 3) float32" in plain and "mean" not in plain.split("tooltip")[0]
    full = viz.to_dot(y, show_data=True, show_grad=True)
    assert "<B>data</B> mean 2.5000, std 1.7078, min 0.0000" in full
    assert "max 5.0000, norm 7.4162" in full
    assert "<B>grad</B> mean 2.0000, std 0.0000" in full
    hidden = viz.to_dot(y, show_data=False, show_grad=False)
    assert "data 10" not in hidden and "() float32" in hidden


def test_intermediate_is_the_real_tensor_with_retained_grad():
    x = ag.Tensor(3.0, requires_grad=True)
    h = x * x
    h.name = "h"
    h.retain_grad()
    (h * 2).backward()
    dot = viz.to_dot(h * 2)
    assert "<B>h</B>" in dot and "grad 2.0000" in dot


def test_multi_output_function_draws_one_op_with_two_value_nodes():
    class SplitHalf(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x[:2].copy(), x[2:].copy()

        @staticmethod
        def backward(ctx, ga, gb):
            return ag.concatenate([ga, gb])

    x = ag.Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True, name="x")
    a, b = SplitHalf.apply(x)
    y = a.sum() + b.sum()
    dot = viz.to_dot(y)
    assert dot.count("<B>SplitHalf</B>") == 1
    op = re.search(r"^\t(f\d+) \[[^\n]*SplitHalf", dot, re.M).group(1)
    # (edges between computed values carry a layout weight since issue 18)
    assert len(re.findall(rf"^\t{op} -> v\d+(?: \[weight=\d+\])?$", dot, re.M)) == 2


def test_constants_and_attrs_and_saved():
    x = ag.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="x")
    y = (x.tanh() * 2).sum(axis=0).sum()
    dot = viz.to_dot(y, show_attrs=True, show_saved=True)
    assert re.search(r"^\tc0 \[shape=plaintext[^\n]*label=<2>", dot, re.M)  # the constant 2
    assert "axes=(0,)" in dot
    assert "saved: output" in dot  # tanh saves its output
    y.backward()
    after = viz.to_dot(y, show_saved=True)
    assert "saved: unavailable (freed by backward)" in after


def test_options_are_checked():
    x = ag.Tensor(1.0, requires_grad=True)
    with pytest.raises(ValueError, match="rankdir"):
        viz.to_dot(x * 2, rankdir="XY")
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        viz.to_dot(x * 2, colour=True)  # (a Python TypeError since the options are in the signature)
    with pytest.raises(ValueError, match="at least one Tensor"):
        viz.to_dot()
    with pytest.raises(TypeError, match="roots must be Tensors"):
        viz.to_dot(3.0)
    with pytest.raises(TypeError, match=r"roots must be Tensors, got the node <Mul>.*not y.grad_fn"):
        viz.to_dot((x * 2).grad_fn)  # a node is a list underneath, but not a list of roots
    with pytest.raises(ValueError, match="max_nodes"):
        viz.to_dot(x * 2, max_nodes=0)
    assert "rankdir=TB" in viz.to_dot([x * 2, x * 3], rankdir="TB")


# --------------------------------------------------------------------------- escaping


def outside_quotes(dot):
    """DOT text with every double-quoted string (tooltips) removed."""
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', dot)


def test_hostile_names_are_escaped_in_dot():
    x = ag.Tensor(1.0, requires_grad=True, name=HOSTILE)
    with ag.scope(HOSTILE):
        y = x * 3
    y.name = "y\nnewline"
    dot = viz.to_dot(y)
    bare = outside_quotes(dot)
    assert "<b>" not in bare and "</TD></TABLE>> " not in bare
    assert bare.count(" -> ") == 3  # const -> ×, x -> ×, × -> y: nothing injected
    assert "&lt;b&gt;{x|y}&lt;/b&gt; &quot;q&quot; \\ ]; a -&gt; b" in dot  # HTML labels
    assert "&amp;amp;" in dot  # an entity in a name stays literal text
    assert "y\\nnewline" in dot  # control characters are shown, not interpreted
    # tooltips are DOT strings: quote and backslash escaped, so the string cannot end early
    assert 'tooltip="<b>{x|y}</b> \\"q\\" \\\\ ]; a -> b' in dot


@needs_dot
def test_hostile_names_render_literally_in_svg():
    x = ag.Tensor([1.0, 2.0], requires_grad=True, name=HOSTILE)
    with ag.scope(HOSTILE):
        y = (x * 3).sum()
    y.name = HOSTILE
    svg = svg_of(y, title=HOSTILE, legend=True, color_by_grad=True, show_data=True)
    # SVG text is XML-escaped once: the literal characters come back in a text element
    literal = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    joined = " ".join(texts)
    for piece in ("&lt;b&gt;{x|y}&lt;/b&gt;", "&quot;q&quot;" if "&quot;" in joined else '"q"',
                  "\\ ];", "&amp;amp;"):
        assert piece in joined, (piece, joined[:500])
    assert literal[:10] in joined
    # x, 3, Mul, x*3, Sum, y: no injected node. Since issue 18 the legend is a row of sample
    # nodes (input, intermediate, output, operation) and the gradient scale
    titles = re.findall(r'<g id="node\d+" class="node">\s*<title>([^<]*)</title>', svg)
    assert len([t for t in titles if not t.startswith(("lg", "legend"))]) == 6
    assert sorted(t for t in titles if t.startswith(("lg", "legend"))) == [
        "legend", "lg0", "lg1", "lg2", "lg_op"]
    assert count_clusters(svg) == 2  # the hostile scope and the legend


def test_hostile_module_paths_are_escaped():
    class Weird(Mod):
        def forward(self, x):
            return x * 2

    class Root(Mod):
        def __init__(self):
            self.inner = Weird()

        def children(self):
            yield HOSTILE, self.inner

        def forward(self, x):
            return self.inner(x)

    root = Root()
    y = root(ag.Tensor(1.0, requires_grad=True))
    dot = viz.to_dot(y)
    assert "&lt;b&gt;{x|y}" in dot and "<b>{x|y}" not in outside_quotes(dot)


# --------------------------------------------------------------------------- rendering


@needs_dot
def test_render_svg_png_pdf(tmp_path):
    o, _ = neuron()
    o.backward()
    svg = viz.render(o, tmp_path / "n.svg")
    assert svg.suffix == ".svg" and svg.read_text().count('class="node"') == 9
    png = viz.render([o], tmp_path / "n", format="png")
    assert png.name == "n.png" and png.read_bytes()[:4] == b"\x89PNG"
    pdf = viz.render(o, tmp_path / "n.pdf")
    assert pdf.read_bytes()[:4] == b"%PDF"
    with pytest.raises(ValueError, match="format"):
        viz.render(o, tmp_path / "n.gif", format="gif")


@needs_dot
def test_render_draws_what_to_dot_gives(tmp_path, monkeypatch):
    o, _ = neuron()
    sent = []
    real_run = viz.graph.subprocess.run

    def run(cmd, **kw):
        sent.append(kw["input"])
        return real_run(cmd, **kw)

    monkeypatch.setattr(viz.graph.subprocess, "run", run)
    viz.render({"out": o}, tmp_path / "n.svg", title="T", rankdir="TB")
    assert sent == [viz.to_dot(o, title="T", rankdir="TB").encode()]
    with pytest.raises(TypeError, match="roots must be Tensors, got the node"):
        viz.render(o.grad_fn, tmp_path / "x.svg")
    with pytest.raises(TypeError, match="colour"):
        viz.render(o, tmp_path / "x.svg", colour=True)
    assert not (tmp_path / "x.svg").exists()


@needs_dot
def test_draw_graph_returns_a_digraph_that_renders():
    import graphviz  # a dependency of viz, not optional
    o, _ = neuron()
    g = viz.draw_graph(o)
    assert isinstance(g, graphviz.Digraph)
    assert g.source == viz.to_dot(o)
    assert "image/svg+xml" in g._repr_mimebundle_()


def test_missing_dot_fails_at_once_with_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` anywhere
    o, _ = neuron()
    for call in (lambda: viz.draw_graph(o), lambda: viz.render(o, tmp_path / "x.svg")):
        with pytest.raises(viz.GraphvizNotFoundError) as err:
            call()
        msg = str(err.value)
        assert "apt-get install graphviz" in msg and "brew install graphviz" in msg
        assert "conda install" in msg and "to_dot" in msg
    assert not (tmp_path / "x.svg").exists()
    assert viz.to_dot(o).startswith("digraph")  # still works


# --------------------------------------------------------------------------- modules


def test_clusters_nest_by_module_path():
    model = Net(n=3, depth=2)
    x = ag.Tensor(np.ones((4, 3)), name="x")
    loss = model(x).sum()
    loss.backward()
    dot = viz.to_dot(loss, model=model)
    for path in ("encoder", "encoder.layers.0", "encoder.layers.0.lin", "encoder.layers.1.lin",
                 "head"):
        assert f"<B>{path}</B>" in dot, path
    assert "<B>Net</B>" in dot  # the root module, by type
    # Net > encoder > 2 blocks > 2 lins, and head: 1 + 1 + 2 + 2 + 1 = 7 clusters
    assert len(re.findall(r"subgraph cluster_\d+ \{", dot)) == 7
    # parameters are named by path and sit inside their module's cluster
    assert "<B>encoder.layers.1.lin.w</B>" in dot
    lin_cluster = dot[dot.index("<B>encoder.layers.1.lin</B>"):]
    lin_cluster = lin_cluster[: lin_cluster.index("\t\t\t}")]
    assert "<B>encoder.layers.1.lin.w</B>" in lin_cluster
    # without model=, the outermost scope object's named_modules() names the clusters
    assert "<B>encoder.layers.0.lin</B>" in viz.to_dot(loss)
    assert len(re.findall(r"subgraph cluster_", viz.to_dot(loss, cluster=False))) == 0


def test_scope_objects_without_names_use_type_or_string():
    x = ag.Tensor(1.0, requires_grad=True)

    class Thing:
        pass

    with ag.scope(Thing()), ag.scope("attention"):
        y = x * 2
    dot = viz.to_dot(y)
    assert "<B>Thing</B>" in dot and "<B>attention</B>" in dot


def test_collapse_by_name_type_and_repeated():
    model = Net(n=3, depth=4)
    loss = model(ag.Tensor(np.ones((2, 3)))).sum()
    dot = viz.to_dot(loss, model=model, collapse=["encoder"])
    assert "shape=box3d" in dot and dot.count("shape=box3d") == 1
    assert "collapsed: encoder" in dot and "encoder.layers.0" not in dot
    dot = viz.to_dot(loss, model=model, collapse=[Lin])
    assert dot.count("shape=box3d") == 5  # four encoder lins and the head
    rep = viz.to_dot(loss, model=model, collapse_repeated=True)
    assert rep.count("shape=box3d") == 1
    assert "<B>encoder.layers.0 … encoder.layers.3</B><BR/>4 × <I>Block</I>" in rep


def test_max_nodes_collapses_modules_then_truncates_and_says_so():
    model = Net(n=3, depth=6)
    loss = model(ag.Tensor(np.ones((2, 3)))).sum()
    # collapse=None: max_nodes on its own (issue 18 made collapse="auto" the default)
    full = viz.to_dot(loss, model=model, max_nodes=None, collapse=None)
    assert "shape=box3d" not in full
    small = viz.to_dot(loss, model=model, max_nodes=30, collapse=None)
    assert "max_nodes=30: collapsed" in small and "shape=box3d" in small
    n_drawn = len(re.findall(r"^\t+(?:v|f|c|m)[\d_]+ \[", small, re.M))
    assert n_drawn <= 30
    tiny = viz.to_dot(loss, model=model, max_nodes=3, collapse=None)
    assert "earlier nodes hidden" in tiny and "hidden in the ⋯ node" in tiny


@needs_dot
def test_rendered_svg_has_the_expected_nodes_and_clusters():
    model = Net(n=3, depth=2)
    loss = model(ag.Tensor(np.ones((4, 3)), name="x")).sum()
    svg = svg_of(loss, model=model)
    assert count_clusters(svg) == 7
    # values: x, 3 × (w, b, matmul out, add out), 2 tanh outs, sum out = 1 + 12 + 2 + 1 = 16;
    # ops: 3 × (matmul, add) + 2 tanh + sum = 9
    assert count_nodes(svg) == 25
    assert "encoder.layers.1.lin" in svg


def test_real_nn_mlp_clusters():
    import nn

    model = nn.MLP([2, 4, 1], activation=nn.Tanh)
    x = ag.Tensor(np.ones((3, 2), dtype=np.float32), name="x")
    loss = model(x).sum()
    loss.backward()
    dot = viz.to_dot(loss, model=model, color_by_grad=True)
    assert "<B>0</B> <I>Linear</I>" in dot and "<B>1</B> <I>Tanh</I>" in dot
    assert "<B>0.weight</B>" in dot and "<B>2.bias</B>" in dot
    assert dot.count('COLOR="#b07d00"') >= 4  # parameters recognised by class
    assert "mean |grad|" in dot


# --------------------------------------------------------------------------- gradient colours


def test_color_by_grad_scale_and_legend():
    from viz import _colors as C

    small = ag.Tensor(1.0, requires_grad=True, name="small")
    big = ag.Tensor(1.0, requires_grad=True, name="big")
    dead = ag.Tensor(1.0, requires_grad=True, name="dead")
    y = small * 1e-7 + big * 1e3 + dead * 0.0
    y.backward()
    dot = viz.to_dot(y, color_by_grad=True)
    lo, hi = C.DEFAULT_GRAD_RANGE
    for t, m in ((small, 1e-7), (big, 1e3), (dead, 0.0)):
        fill = C.grad_color(m, lo, hi)
        line = next(ln for ln in dot.splitlines() if f"<B>{t.name}</B>" in ln)
        assert f'COLOR="#b07d00" BGCOLOR="{fill}"' not in line  # not a parameter here
        assert f'BGCOLOR="{fill}">' in line, (t.name, fill)
    assert C.grad_color(1e-7, lo, hi) != C.grad_color(1e3, lo, hi)
    assert C.grad_color(0.0, lo, hi) == C.ZERO_FILL
    assert C.grad_color(float("nan"), lo, hi) == C.NONFINITE_FILL
    assert "legend [shape=plain" in dot and "vanishing" in dot and "exploding" in dot
    assert "legend" not in viz.to_dot(y, color_by_grad=True, legend=False).split("->")[-1]
    auto = viz.to_dot(y, color_by_grad=True, grad_range="auto")
    assert "1e-07" in auto and "1e+03" in auto
    with pytest.raises(ValueError, match="grad_range"):
        viz.to_dot(y, color_by_grad=True, grad_range=(1.0, 0.1))


def test_grad_colours_are_ordered_from_blue_to_red():
    from viz import _colors as C

    fills = [C.grad_color(10.0 ** e, 1e-8, 1e2) for e in range(-8, 3)]
    reds = [int(f[1:3], 16) for f in fills]
    blues = [int(f[5:7], 16) for f in fills]
    assert reds[0] < 100 and blues[0] > 130 and reds[-1] > 150 and blues[-1] < 60
    assert C.text_color(fills[0]) == "#ffffff" and C.text_color(fills[5]) == "#000000"


# --------------------------------------------------------------------------- big graphs


def test_100k_deep_chain_needs_no_recursion():
    a = ag.Tensor(0.5, requires_grad=True, name="a")
    b = ag.Tensor(0.1, requires_grad=True, name="b")
    x = ag.Tensor(1.0, requires_grad=True, name="x")
    for _ in range(50_000):  # 100k ops deep
        x = x * a + b
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(__import__("inspect").stack()) + 60)
    try:
        dot = viz.to_dot(x)  # walks all 200k nodes, draws the 500 nearest the output
    finally:
        sys.setrecursionlimit(limit)
    assert "199,5" in dot and "earlier nodes hidden" in dot
    assert len(re.findall(r"^\t+[vfc]\d+ \[", dot, re.M)) < 500  # (copies v3_7 of a, b aside)


def test_full_deep_chain_and_shared_leaves_drawn_per_use():
    a = ag.Tensor(0.5, requires_grad=True, name="a")
    b = ag.Tensor(0.1, requires_grad=True, name="b")
    x = ag.Tensor(1.0, requires_grad=True, name="x")
    for _ in range(2_000):
        x = x * a + b
    viz.retain_grads(x)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(__import__("inspect").stack()) + 60)
    try:
        dot = viz.to_dot(x, max_nodes=None)
    finally:
        sys.setrecursionlimit(limit)
    assert dot.count(" -> ") == 12_000  # per step: x, a -> ×; × -> v; v, b -> +; + -> v
    assert "shared, 2,000 uses" in dot  # a and b: one small node per use, not 2,000 long edges
    assert "nslimit=0" in dot  # big-graph layout settings


@needs_dot
def test_5000_node_graph_renders(tmp_path):
    a = ag.Tensor(0.5, requires_grad=True, name="a")
    b = ag.Tensor(0.1, requires_grad=True, name="b")
    x = ag.Tensor(1.0, requires_grad=True, name="x")
    for _ in range(1_250):
        x = x * a + b
    out = viz.render(x, tmp_path / "big.svg", max_nodes=None)
    assert out.read_text().count('class="node"') == 7_501


def test_retain_grads_counts_intermediates():
    o, (x1, w1, b, n) = neuron()
    assert viz.retain_grads(o) == 3  # x1*w1, n, o
    o.backward()
    assert n.grad is not None


# --------------------------------------------------------------------------- grad flow


def test_plot_grad_flow():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    model = Net(n=3, depth=3)
    loss = model(ag.Tensor(np.ones((2, 3)))).sum()
    loss.backward()
    unused = ag.Tensor([1.0], requires_grad=True)
    dead = ag.Tensor([1.0], requires_grad=True)
    dead.grad = np.zeros(1)
    named = list(model.named_parameters()) + [("unused", unused), ("dead", dead)]
    fig = viz.plot_grad_flow(named)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()][-2:] == ["unused", "dead"]
    assert ax.get_yscale() == "log"
    stats = viz.grad_flow_stats(named)
    assert stats[-2] == {"name": "unused", "mean": None, "max": None}
    assert stats[-1]["max"] == 0.0
    assert len(viz.grad_flow_stats(named, include_bias=False)) == len(named)  # names end .b
    fig2 = viz.plot_grad_flow(model, log=False)
    assert fig2.axes[0].get_yscale() == "linear"
    with pytest.raises(TypeError, match="plot_grad_flow"):
        viz.plot_grad_flow([1, 2])


def test_import_is_cheap():
    code = ("import sys, viz; bad = [m for m in ('matplotlib', 'graphviz') if m in sys.modules]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_retain_grads_reaches_every_freed_intermediate():
    # Intermediates nobody references are collected after their consumer is recorded; the walk
    # must still retain each one's gradient (regression: placeholder ids were reused mid-walk).
    from viz._graph import build

    x = ag.Tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
    y = x
    for k in range(40):
        y = (y * 1.01 + 0.1).tanh() if k % 2 else (y.reshape(4, 3) * 0.9).reshape(3, 4)
    loss = y.sum()
    assert viz.retain_grads(loss) > 80
    loss.backward()
    graph = build([loss])
    missing = [v for v in graph.values if v.tensor.grad is None and v.tensor.requires_grad]
    assert missing == []
    assert "mean |grad| none" not in viz.to_dot(loss, color_by_grad=True)


# --------------------------------------------------------------------------- issue 18: pictures that fit


def test_auto_layout_collapses_big_graphs_and_says_so():
    model = Net(n=3, depth=10)
    loss = model(ag.Tensor(np.ones((2, 3)))).sum()
    dot = viz.to_dot(loss, model=model)  # defaults: rankdir="auto", collapse="auto"
    assert "rankdir=TB" in dot and "shape=box3d" in dot
    assert re.search(r"\d+ nodes, shown as \d+; collapsed repeated blocks encoder\.layers\.0 … "
                     r"encoder\.layers\.9", dot), dot[:600]
    n_drawn = len(re.findall(r"^\t+(?:v|f|c|m)[\d_]+ \[", dot, re.M))
    assert n_drawn <= 60
    assert "shape=box3d" not in viz.to_dot(loss, model=model, collapse=None)
    a = ag.Tensor(3.0, requires_grad=True, name="a")
    y = a * 2 + a
    assert "rankdir=LR" in viz.to_dot(y)  # a few ranks deep: left to right
    assert "rankdir=TB" in viz.to_dot(neuron()[0])  # deeper: top to bottom, fits 830 px


def test_intermediate_grads_are_computed_for_the_drawing_only():
    a = ag.Tensor(3.0, requires_grad=True, name="a")
    b = ag.Tensor(-2.0, requires_grad=True, name="b")
    ab = a * b
    ab.name = "ab"
    y = ab + a
    y.name = "y"
    assert not re.search(r"\bgrad -?\d", viz.to_dot(y))  # before backward: values only
    y.backward(retain_graph=True)
    dot = viz.to_dot(y)
    ab_line = next(ln for ln in dot.splitlines() if "<B>ab</B>" in ln)
    assert "grad 1.0000" in ab_line and "grad -1.0000" in dot  # d y/d ab, d y/d a
    assert ab.grad is None and a.grad.item() == -1.0  # nothing written
    y2 = a * b + a
    y2.backward()  # frees the graph: the caption says why intermediates show no gradient
    assert "grad of intermediates not shown: backward() freed the graph" in viz.to_dot(y2)


def test_color_by_grad_prints_the_norm_and_legend_shapes_match():
    x = ag.Tensor(np.ones((2, 3)), requires_grad=True, name="x")
    y = (x * 2).sum()
    y.backward()
    dot = viz.to_dot(y, color_by_grad=True)
    assert "\u2016grad\u2016 4.8990" in dot  # ‖2 * ones(2, 3)‖ = sqrt(24)
    legend = dot[dot.index("subgraph cluster_legend"):]
    assert "shape=ellipse" in legend and "shape=plain" in legend  # ops and values, as drawn
    assert "input, requires grad" in legend and "parameter" not in legend  # kinds present only


def test_draw_graph_options_are_in_its_signature():
    import inspect

    for fn in (viz.draw_graph, viz.to_dot, viz.render):
        params = inspect.signature(fn).parameters
        for name in ("rankdir", "collapse", "show_grad", "color_by_grad", "max_nodes", "title"):
            assert name in params, (fn.__name__, name)
    assert inspect.signature(viz.draw_graph).parameters["collapse"].default == "auto"
