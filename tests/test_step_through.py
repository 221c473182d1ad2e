"""viz.step_through: the recorded steps agree with the engine, the user's graph and gradients are
untouched, and the saved HTML works in a real (headless) Chromium."""

from __future__ import annotations

import json
import re
import shutil
import sys

import numpy as np
import pytest

import autograd_engine as ag
import viz
from tests.graphs import neuron
from viz._dot import num

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def xor_net(x=(1.0, 0.0), y=1.0, seed=0):
    """The 2-4-1 sigmoid XOR network of the article 'Backpropagation Explained', on one example,
    built from scalar Tensors."""
    rng = np.random.default_rng(seed)

    def p(v, name):
        return ag.Tensor(float(v), requires_grad=True, name=name)

    w = [[p(rng.normal(), f"w{i}{j}") for j in range(4)] for i in range(2)]
    b = [p(rng.normal() * 0.1, f"b{j}") for j in range(4)]
    v = [p(rng.normal(), f"v{j}") for j in range(4)]
    c = p(0.1, "c")
    x1, x2 = ag.Tensor(x[0], name="x1"), ag.Tensor(x[1], name="x2")
    hs = []
    for j in range(4):
        h = (x1 * w[0][j] + x2 * w[1][j] + b[j]).sigmoid()
        h.name = f"h{j}"
        hs.append(h)
    z = hs[0] * v[0]
    for j in range(1, 4):
        z = z + hs[j] * v[j]
    o = (z + c).sigmoid()
    o.name = "o"
    loss = (o - y) ** 2
    loss.name = "loss"
    params = [t for row in w for t in row] + b + v + [c]
    return loss, params, hs + [o]


def last_values(player):
    """label -> the last number the player showed for it (a gradient so far, or a value)."""
    seen = {}
    for s in player.steps:
        seen.update(s.values)
    return seen


# --------------------------------------------------------------------------- backward


def test_neuron_chain_rule_lines():
    o, (x1, w1, b, n) = neuron()
    player = viz.step_through(o)
    text = str(player)
    assert len(player) == 4  # the seed, then Tanh, Add, Mul
    assert [s.op for s in player.steps] == [None, "Tanh", "Add", "Mul"]
    assert "d o/d n = d o/d o · d o/d n = 1 · 0.5 = 0.5" in text
    assert "d o/d x1 = d o/d x1·w1 · d x1·w1/d x1 = 0.5 · -3 = -1.5" in text
    assert "d o/d w1 = d o/d x1·w1 · d x1·w1/d w1 = 0.5 · 2 = 1" in text
    assert x1.grad is None and n.grad is None  # nothing written
    o.backward()
    assert last_values(player)["x1"] == pytest.approx(x1.grad.item(), rel=1e-12)


def test_xor_steps_agree_with_the_engine_and_leave_grads_alone():
    loss, params, hidden = xor_net()
    player = viz.step_through(loss)
    assert all(p.grad is None for p in params)
    seen = last_values(player)
    # every chain-rule line multiplies correctly, to the digits shown
    n_lines = 0
    for line in str(player).splitlines():
        m = re.search(r"= (\S+) · (\S+) = (\S+)$", line)
        if m:
            a, b, c = (float(g) for g in m.groups())
            assert a * b == pytest.approx(c, rel=2e-3, abs=1e-12), line
            n_lines += 1
    assert n_lines >= 40
    for h in hidden:
        h.retain_grad()
    loss.backward()
    for t in params + hidden:
        assert seen[t.name] == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-15), t.name
    assert player.steps[1].op == "Pow" and player.steps[-1].op == "Mul"


def test_a_value_used_twice_sums_its_paths():
    a = ag.Tensor(3.0, requires_grad=True, name="a")
    b = ag.Tensor(-2.0, requires_grad=True, name="b")
    y = a * b + a
    y.name = "y"
    text = str(viz.step_through(y))
    assert "d y/d a += " in text and "(all 2 paths summed)" in text
    assert re.search(r"d y/d a = (-2 \+ 1|1 \+ -2) = -1 \(all 2 paths summed\)", text), text


def test_existing_grads_hooks_and_retained_grads_are_untouched():
    o, (x1, w1, b, n) = neuron()
    x1.grad = ag.Tensor(10.0)  # a gradient the user already has
    n.retain_grad()
    viz.retain_grads(o)
    o.backward(retain_graph=True)
    before = (x1.grad.item(), w1.grad.item(), n.grad.item())
    player = viz.step_through(o)
    assert (x1.grad.item(), w1.grad.item(), n.grad.item()) == before
    assert last_values(player)["x1"] == pytest.approx(-1.5)
    o.backward()  # the graph still works, and the player's hooks are gone
    assert x1.grad.item() == pytest.approx(10.0 - 3.0)
    assert n.grad.item() == pytest.approx(1.0)


def test_freed_graph_and_bad_input_fail_clearly():
    o, _ = neuron()
    with pytest.raises(ValueError, match="mode must be"):
        viz.step_through(o, mode="sideways")
    with pytest.raises(ValueError, match="one-element root"):
        viz.step_through(ag.Tensor([1.0, 2.0], requires_grad=True) * 2)
    with pytest.raises(ValueError, match="no graph"):
        viz.step_through(ag.Tensor(1.0, requires_grad=True))
    with pytest.raises(TypeError, match="roots must be Tensors"):
        viz.step_through(3.0)
    o.backward()
    with pytest.raises(RuntimeError, match=r"step_through: .*retain_graph=True"):
        viz.step_through(o)


def test_forward_mode_walks_inputs_first():
    o, (x1, w1, b, n) = neuron()
    player = viz.step_through(o, mode="forward")
    assert [s.op for s in player.steps] == [None, "Mul", "Add", "Tanh"]
    text = str(player)
    assert "x1·w1 = 2 · -3 = -6" in text
    assert "n = x1·w1 + b = -6 · 6.881" not in text and "n = x1·w1 + b = -6 + 6.881 = 0.8814" in text
    assert "o = Tanh(n) = Tanh(0.8814) = 0.7071" in text
    assert last_values(player)["o"] == pytest.approx(o.item())


def test_tensor_graph_shows_shapes_and_norms():
    rng = np.random.default_rng(0)
    x = ag.Tensor(rng.normal(size=(4, 2)), name="x")
    w = ag.Tensor(rng.normal(size=(2, 3)), requires_grad=True, name="w")
    bias = ag.Tensor(np.zeros(3), requires_grad=True, name="bias")
    loss = ((x @ w + bias).tanh() ** 2).mean()
    loss.name = "loss"
    text = str(viz.step_through(loss))
    loss.backward()
    # broadcasting is summed away exactly as the engine does: the bias gets a (3,) gradient
    assert f"d loss/d bias = Add's vector-Jacobian product: (3,), norm {_fmt_norm(bias.grad)}" in text
    assert f"d loss/d w = MatMul's vector-Jacobian product: (2, 3), norm {_fmt_norm(w.grad)}" in text
    assert "incoming  d loss/d t" in text and "(4, 3), norm" in text


def _fmt_norm(g):
    from viz.step import fmt

    return fmt(float(np.linalg.norm(g.data)))


def test_deep_chain_without_recursion():
    a = ag.Tensor(0.5, requires_grad=True, name="a")
    bb = ag.Tensor(0.1, requires_grad=True, name="b")
    x = ag.Tensor(1.0, requires_grad=True, name="x")
    for _ in range(2_500):  # 5,000 ops
        x = x * a + bb
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(__import__("inspect").stack()) + 80)
    try:
        player = viz.step_through(x)
        fwd = viz.step_through(x, mode="forward")
    finally:
        sys.setrecursionlimit(limit)
    assert len(player) == len(fwd) == 5_001
    assert "earlier nodes hidden" in player.dot_source  # the collapsed view: 150 nodes drawn
    assert a.grad is None
    x.backward()
    assert last_values(player)["a"] == pytest.approx(a.grad.item(), rel=1e-12)


@needs_dot
def test_html_is_self_contained_and_escapes_names(tmp_path):
    o, (x1, *_rest) = neuron()
    x1.name = '</script><b>"x1"'
    player = viz.step_through(o)
    page = player.save(tmp_path / "p.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert not re.search(r"(src|href)=[\"']?https?:", page)  # nothing fetched from the network
    assert "<b>\"x1\"" not in page.replace("&lt;b&gt;", "")
    payload = re.search(r'<script type="application/json" class="ae-data">(.*?)</script>', page, re.S)
    data = json.loads(payload.group(1))
    assert len(data["frames"]) == len(player)
    assert player._repr_html_().count("<script") == 2


# --------------------------------------------------------------------------- a real browser

BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


@needs_dot
@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (CI installs it)")
def test_xor_player_in_chromium(tmp_path):
    from playwright.sync_api import sync_playwright

    loss, params, hidden = xor_net()
    player = viz.step_through(loss)
    page_path = player.save(tmp_path / "xor_backprop.html")
    for h in hidden:
        h.retain_grad()
    loss.backward()
    engine = {t.name: t.grad.item() for t in params + hidden}

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 830, "height": 1000})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.as_uri())

        def state():
            return page.evaluate("""() => {
                const p = document.querySelector('.ae-player');
                const run = [...p.querySelectorAll('g.node.ae-run > title')].map(t => t.textContent);
                const grads = {};
                for (const g of p.querySelectorAll('g.node')) {
                    const texts = [...g.querySelectorAll('text')].map(t => t.textContent);
                    const gt = texts.find(t => t.startsWith('grad '));
                    if (gt) grads[texts[0]] = gt;
                }
                return {step: p.dataset.step, running: p.dataset.running, run,
                        panel: p.querySelector('.ae-panel').textContent, grads,
                        done: p.querySelectorAll('g.node.ae-done').length};
            }""")

        s0 = state()
        assert s0["step"] == "0" and "the seed" in s0["panel"]
        assert s0["grads"]["loss"] == "grad 1.0000" and s0["grads"]["o"] == "grad ?"
        page.screenshot(path=str(tmp_path / "step0.png"), full_page=True)
        shots = {1, 6, len(player) // 2, len(player) - 1}
        boxes_checked = 0
        for k in range(1, len(player)):
            page.click("[data-act=next]")
            s = state()
            frame = player._frames[k]
            assert s["step"] == str(k)
            assert s["running"] == frame["op"] and frame["op"] in s["run"]
            assert s["done"] == k - 1  # the ops that ran before are coloured
            assert s["panel"] == "\n".join(player.steps[k].lines)
            for label, value in player.steps[k].values.items():
                if label in s["grads"]:  # a named box shows the gradient it has so far
                    assert s["grads"][label] == "grad " + num(value)
                    boxes_checked += 1
            if k in shots:
                page.screenshot(path=str(tmp_path / f"step{k}.png"), full_page=True)
        assert boxes_checked > 0, "no step showed a named box's gradient"
        final = state()
        for name, g in engine.items():  # at the end every box shows the engine's .grad
            assert final["grads"][name] == "grad " + num(g), name
        page.click("[data-act=prev]")
        assert state()["step"] == str(len(player) - 2)
        page.fill(".ae-slider", "3")
        page.dispatch_event(".ae-slider", "input")
        assert state()["running"] == player._frames[3]["op"]
        assert errors == []
        browser.close()
    shots_dir = __import__("os").environ.get("VIZ_SCREENSHOTS")
    if shots_dir:  # for looking at them: VIZ_SCREENSHOTS=/some/dir pytest ...
        for png in tmp_path.glob("*.png"):
            shutil.copy(png, shots_dir)


def test_local_derivatives_match_central_differences():
    """Each scalar node's local derivative (from the op's own rule) against a central difference
    of the op's formula, written here independently."""
    formulas = {
        "Add": lambda a, b: a + b, "Sub": lambda a, b: a - b, "Mul": lambda a, b: a * b,
        "Pow": lambda a, b: a ** b, "Sigmoid": lambda a: 1 / (1 + np.exp(-a)), "Tanh": np.tanh,
    }
    loss, _, _ = xor_net(x=(0.3, -1.2), y=0.0, seed=3)
    player = viz.step_through(loss)
    checked = 0
    for step in player.steps[1:]:
        args = [float(a.item()) if isinstance(a, ag.Tensor) else float(a) for a in step.node.inputs]
        f = formulas[step.op]
        for pos, local in step.local.items():
            h = 1e-6
            up, down = list(args), list(args)
            up[pos] += h
            down[pos] -= h
            numeric = (f(*up) - f(*down)) / (2 * h)
            assert local == pytest.approx(numeric, rel=1e-6, abs=1e-9), (step.op, pos)
            checked += 1
    # every edge that carries a gradient: per hidden unit 2 Mul (w only), 2 Add, 1 Sigmoid edges;
    # then 4 Mul, 4 Add, Sigmoid, Sub (o only) and Pow (o - y only)
    assert checked == 4 * (2 + 2 + 2 + 1) + 4 * 2 + 4 * 2 + 1 + 1 + 1


def test_player_without_graphviz_still_shows_the_steps(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    o, _ = neuron()
    page = viz.step_through(o)._repr_html_()
    assert "apt-get install graphviz" in page and "d o/d x1 = " in page
