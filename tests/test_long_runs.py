"""Long runs: memory stays flat over 10,000 training steps, and retained graphs accumulate exactly.

Memory is measured with ``tracemalloc``: tracing starts after a warm-up, the baseline is taken
1,000 traced steps later (so that allocations made once, such as optimizer state, are in it), and
the traced size at the last step must not exceed it by more than a few kilobytes. A graph or
saved-tensor leak of even one small object per step would add hundreds of kilobytes.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine import Tensor

STEPS = 10_000
WARMUP = 1_000  # untraced steps
BASELINE = 2_000  # the step at which the baseline is taken (tracing started at WARMUP)
SLACK = 64 * 1024  # bytes


def _data(dtype=np.float64):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 2))
    y = np.sin(x[:, :1]) + 0.5 * x[:, 1:]
    return Tensor(x.astype(dtype)), Tensor(y.astype(dtype))


def _run_flat(step: Callable[[], float], steps: int = STEPS) -> tuple[float, float]:
    """Run ``step`` ``steps`` times; assert that traced memory stays flat. Returns first/last loss."""
    first = step()
    for _ in range(WARMUP - 1):
        step()
    tracemalloc.start()
    try:
        for _ in range(BASELINE - WARMUP):
            step()
        base_snap = tracemalloc.take_snapshot()
        base, _ = tracemalloc.get_traced_memory()
        for _ in range(steps - BASELINE - 1):
            step()
        last = step()
        end, _ = tracemalloc.get_traced_memory()
        if end - base > SLACK:
            top = tracemalloc.take_snapshot().compare_to(base_snap, "lineno")[:8]
            pytest.fail(
                f"traced memory grew by {end - base} bytes between step {BASELINE} and step "
                f"{steps}; largest growth:\n" + "\n".join(str(s) for s in top)
            )
    finally:
        tracemalloc.stop()
    return first, last


def test_raw_ops_mlp_10k_steps_memory_is_flat_without_the_cycle_collector():
    """A two-layer tanh MLP from raw ops with plain SGD. The cyclic GC is off: graphs must die by
    reference counting alone (the engine keeps no reference cycles)."""
    x, y = _data()
    rng = np.random.default_rng(1)
    params = [
        Tensor(rng.standard_normal((2, 8)) * 0.5, requires_grad=True, name="W1"),
        Tensor(np.zeros(8), requires_grad=True, name="b1"),
        Tensor(rng.standard_normal((8, 1)) * 0.5, requires_grad=True, name="W2"),
        Tensor(np.zeros(1), requires_grad=True, name="b2"),
    ]
    w1, b1, w2, b2 = params

    def step() -> float:
        h = (x @ w1 + b1).tanh()
        loss = (((h @ w2 + b2) - y) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with ag.no_grad():
            for p in params:
                p.data -= 0.05 * p.grad.data
        return loss.item()

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        first, last = _run_flat(step)
    finally:
        if was_enabled:
            gc.enable()
    assert last < 0.2 * first  # it did train


def test_nn_mlp_with_adam_10k_steps_memory_is_flat():
    """The same with the nn package (nn.MLP, nn.MSELoss, nn.optim.Adam) in float32."""
    import nn

    ag.manual_seed(0)
    x, y = _data(np.float32)
    model = nn.MLP([2, 8, 1], activation="tanh")
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.MSELoss()

    def step() -> float:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    first, last = _run_flat(step)
    assert last < 0.2 * first
    assert all(p.dtype == np.float32 for p in model.parameters())


# ----- retained graphs ------------------------------------------------------------------------------


def _graph(x: Tensor, w: Tensor) -> Tensor:
    """Shared subexpressions, broadcasting, a reduction and indexing, so many paths accumulate."""
    h = (x @ w).tanh()
    return (h * h[:, :1] + h.sum(axis=0) * w[0]).exp().mean()


def test_repeated_retained_backward_accumulates_exactly():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 3)), requires_grad=True)
    h = (x @ w).tanh()
    h.retain_grad()
    out = (h * h[:, :1] + h.sum(axis=0) * w[0]).exp().mean()

    gx, gw, gh = ag.grad(out, [x, w, h], retain_graph=True)
    h.grad = None  # ag.grad fills the .grad of retain_grad() tensors, as torch.autograd.grad does
    acc = {"x": np.zeros_like(x.data), "w": np.zeros_like(w.data), "h": np.zeros_like(h.data)}
    for _ in range(200):
        out.backward(retain_graph=True)
        acc["x"] = acc["x"] + gx.data  # the engine must add exactly this, in this order
        acc["w"] = acc["w"] + gw.data
        acc["h"] = acc["h"] + gh.data
        np.testing.assert_array_equal(x.grad.data, acc["x"])
        np.testing.assert_array_equal(w.grad.data, acc["w"])
        np.testing.assert_array_equal(h.grad.data, acc["h"])
    # the graph is intact: a last backward without retain_graph still works, then it is freed
    out.backward()
    np.testing.assert_array_equal(x.grad.data, acc["x"] + gx.data)
    with pytest.raises(RuntimeError, match="second time"):
        out.backward()


def test_retained_backward_from_two_roots_sharing_a_graph():
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    w = Tensor(rng.standard_normal((2, 2)), requires_grad=True)
    shared = (x @ w).sigmoid()
    a, b = shared.sum(), (shared * shared).mean()
    (ga,) = ag.grad(a, x, retain_graph=True)
    (gb,) = ag.grad(b, x, retain_graph=True)
    acc = np.zeros_like(x.data)
    for k in range(50):
        (a if k % 2 == 0 else b).backward(retain_graph=True)
        acc = acc + (ga.data if k % 2 == 0 else gb.data)
        np.testing.assert_array_equal(x.grad.data, acc)


def test_retained_create_graph_backward_accumulates_and_stays_differentiable():
    x = Tensor([0.3, -1.2, 2.0], requires_grad=True)
    y = (x ** 3).sum()
    for k in range(1, 6):
        y.backward(create_graph=True, retain_graph=True)
        np.testing.assert_allclose(x.grad.data, k * 3 * x.data ** 2, rtol=1e-15)
    assert x.grad.requires_grad
    (g2,) = ag.grad(x.grad.sum(), x)  # d/dx of 5 * 3x^2
    np.testing.assert_allclose(g2.data, 5 * 6 * x.data, rtol=1e-15)


def test_many_retained_backwards_do_not_grow_memory():
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 3)), requires_grad=True)
    out = _graph(x, w)
    for _ in range(200):
        out.backward(retain_graph=True)
    tracemalloc.start()
    try:
        for _ in range(1500):  # NumPy caches some freed scalars: those settle in the first calls
            out.backward(retain_graph=True)
        base, _ = tracemalloc.get_traced_memory()
        for _ in range(2000):
            out.backward(retain_graph=True)
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert end - base < SLACK, f"retained backward grew memory by {end - base} bytes"
