"""Version counters that see every write, and in-place writes through views (PyTorch's semantics).

A base, its views (slices, ``.T``, reshapes that are views, ``split``) and its ``detach()``-ed
aliases share one memory and one version counter: whatever path writes that memory makes every
node that saved it refuse to backward, and a recorded write through a view rebases the base's
history so gradients follow the new values. PyTorch is the oracle where installed.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_engine as ag
import nn

T = ag.Tensor


# ----- every write is counted --------------------------------------------------------------------
def test_optimizer_step_between_forward_and_backward_raises():
    w = nn.Parameter(np.array([1.0, 2.0]))
    loss = (w * w).sum()
    opt = nn.optim.SGD([w], lr=0.1)
    w.grad = np.ones(2)
    opt.step()
    with pytest.raises(RuntimeError, match=r"Mul: .*shape \(2,\).*modified in place.*0 -> 1"):
        loss.backward()


def test_every_optimizer_counts_its_write():
    for make in (lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9), lambda p: nn.optim.Adam(p),
                 lambda p: nn.optim.AdamW(p), lambda p: nn.optim.RMSprop(p),
                 lambda p: nn.optim.Adagrad(p)):
        w = nn.Parameter(np.array([1.0, 2.0]))
        (w * w).sum().backward()
        loss = (w * w).sum()
        make([w]).step()
        with pytest.raises(RuntimeError, match="modified in place"):
            loss.backward()


def test_the_next_forward_after_a_step_is_fine():
    w = nn.Parameter(np.array([1.0, 2.0]))
    opt = nn.optim.SGD([w], lr=0.5)
    for _ in range(3):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    np.testing.assert_allclose(w.data, [0.0, 0.0])


def test_detach_shares_memory_and_version_counter():
    x = T([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    d = x.detach()
    d += 1
    np.testing.assert_array_equal(x.data, [2.0, 3.0])  # the same memory
    assert x._version == d._version == 1
    with pytest.raises(RuntimeError, match="Mul: .*modified in place"):
        y.backward()


def test_detach_of_an_intermediate_shares_memory():
    x = T([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y.exp()  # Exp saves its output y.exp(), not y
    w = y * y    # Mul saves y
    d = y.detach()
    d[0] = 10.0
    np.testing.assert_array_equal(y.data, [10.0, 4.0])
    z.sum().backward()  # nothing Exp saved was written
    with pytest.raises(RuntimeError, match="Mul: .*modified in place"):
        w.sum().backward()


@pytest.mark.parametrize("make_view", [
    lambda y: y[1:3], lambda y: y.T, lambda y: y.reshape(3, 2), lambda y: y[0],
    lambda y: ag.split(y, 3, axis=1)[1], lambda y: y.detach().T,
], ids=["slice", "T", "reshape", "row", "split", "detach-T"])
def test_writes_through_any_view_are_seen_by_nodes_that_saved_the_base(make_view):
    x = T(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x * 1
    loss = (y * y).sum()  # Mul saved y
    v = make_view(y)
    with ag.no_grad():
        v *= 2
    assert y._version == 1
    with pytest.raises(RuntimeError, match="Mul: .*shape \\(2, 3\\).*modified in place"):
        loss.backward()


def test_writes_through_the_base_are_seen_by_nodes_that_saved_a_view():
    x = T(np.arange(6.0), requires_grad=True)
    y = x * 1
    v = y[2:5]
    loss = (v * v).sum()  # Mul saved the view
    with ag.no_grad():
        y[3] = 100.0
    with pytest.raises(RuntimeError, match="Mul: .*shape \\(3,\\).*modified in place"):
        loss.backward()


def test_a_leaf_written_through_its_view_under_no_grad():
    w = T([1.0, 2.0, 3.0], requires_grad=True)
    loss = (w * w).sum()
    with ag.no_grad():
        w[1:] *= 0  # w[1:] is a view of the leaf
    np.testing.assert_array_equal(w.data, [1.0, 0.0, 0.0])
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_saved_outputs_written_through_a_view_raise():
    x = T([0.1, 0.2, 0.3], requires_grad=True)
    y = x.tanh()  # Tanh saves its output
    with ag.no_grad():
        y[0:2] += 1
    with pytest.raises(RuntimeError, match="Tanh: .*modified in place"):
        y.sum().backward()


def test_increment_version_is_public_and_checked():
    w = T([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    w.data[0] = 5.0
    ag.increment_version(w)
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()
    with pytest.raises(TypeError, match="increment_version: expected a Tensor"):
        ag.increment_version(np.zeros(2))


def test_data_assignment_stays_the_escape_hatch():
    w = T([1.0, 2.0], requires_grad=True)
    loss = (w * 3).sum()  # saves nothing of w
    w.data = np.array([5.0, 6.0])
    loss.backward()
    np.testing.assert_array_equal(w.grad.data, [3.0, 3.0])
    assert w._version == 0


def test_load_state_dict_and_init_count_their_writes():
    lin = nn.Linear(2, 2, dtype=np.float64)
    loss = lin(T(np.ones((1, 2)))).sum()
    loss2 = (lin.weight * lin.weight).sum()
    lin.load_state_dict({k: np.asarray(v) * 0 for k, v in lin.state_dict().items()})
    with pytest.raises(RuntimeError, match="modified in place"):
        loss2.backward()
    del loss
    loss3 = (lin.weight * lin.weight).sum()
    nn.init.zeros_(lin.weight)
    with pytest.raises(RuntimeError, match="modified in place"):
        loss3.backward()


# ----- in-place on a view writes through, in both grad modes -------------------------------------
@pytest.mark.parametrize("grad_mode", [True, False])
def test_inplace_on_a_slice_writes_through(grad_mode):
    y = T([1.0, 2.0, 3.0, 4.0])
    with ag.set_grad_enabled(grad_mode):
        v = y[1:3]
        v *= 10
        v[0] += 1
    np.testing.assert_array_equal(y.data, [1.0, 21.0, 30.0, 4.0])
    np.testing.assert_array_equal(v.data, [21.0, 30.0])


def test_gradients_flow_through_a_write_through_a_view():
    x = T([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x * 1
    v = y[1:3]
    v *= x[0:2]  # y = [x0, x1*x0, x2*x1, x3]
    (y * T([1.0, 2.0, 3.0, 4.0])).sum().backward()
    # d/dx0 = 1 + 2 x1, d/dx1 = 2 x0 + 3 x2, d/dx2 = 3 x1, d/dx3 = 4
    np.testing.assert_allclose(x.grad.data, [1 + 2 * 2, 2 * 1 + 3 * 3, 3 * 2, 4])
    assert y.grad_fn is not None and v.grad_fn is not None


def test_a_sibling_view_follows_the_base_after_a_write():
    x = T([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    a = y[0:2]
    b = y[1:3]  # overlaps a in y[1]
    a *= 5
    np.testing.assert_array_equal(b.data, [10.0, 3.0])
    b.sum().backward()  # b = [5 x1, x2]
    np.testing.assert_allclose(x.grad.data, [0.0, 5.0, 1.0])


def test_a_view_follows_a_write_to_its_base():
    x = T([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y[1:]
    y *= x  # y = x * x
    np.testing.assert_array_equal(v.data, [4.0, 9.0])
    assert v.requires_grad
    v.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 4.0, 6.0])


def test_a_view_of_a_plain_tensor_written_with_a_value_that_requires_grad():
    x = T([2.0, 3.0], requires_grad=True)
    buf = ag.zeros(4)
    v = buf[1:3]
    v += x * x
    assert buf.requires_grad and not buf.is_leaf
    np.testing.assert_array_equal(buf.data, [0.0, 4.0, 9.0, 0.0])
    (buf * T([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2 * 2 * 10, 2 * 3 * 100])


def test_retain_grad_on_a_view_survives_a_write_to_its_base():
    x = T([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    v = y[1:]
    v.retain_grad()
    y *= 3  # v's values and history change with y's
    (v * v).sum().backward()
    np.testing.assert_allclose(v.grad.data, [24.0, 36.0])  # as PyTorch
    np.testing.assert_allclose(x.grad.data, [0.0, 144.0, 216.0])


def test_retain_grad_on_a_base_survives_a_write_through_its_view():
    x = T([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    v = y[1:]
    v *= 3
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.data, [4.0, 24.0, 36.0])  # as PyTorch
    np.testing.assert_allclose(x.grad.data, [8.0, 144.0, 216.0])


def test_transpose_and_reshape_views_write_through():
    x = T(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x * 1
    t = y.T
    t[0] += 100.0  # column 0 of y
    r = y.reshape(6)
    r[5] *= x[0, 1]
    np.testing.assert_array_equal(y.data, [[100.0, 1.0, 2.0], [103.0, 4.0, 5.0 * 1.0]])
    y.sum().backward()
    expected = np.ones((2, 3))
    expected[1, 2] = 1.0  # d(x12 * x01)/dx12 = x01 = 1
    expected[0, 1] += 5.0  # d(x12 * x01)/dx01 = x12 = 5
    np.testing.assert_allclose(x.grad.data, expected)


def test_refused_writes_change_nothing():
    w = T([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf tensor .* requires grad.*no_grad"):
        w[0:2] += 1  # (w[0:2] is a view of the leaf; in-place on it while recording)
    np.testing.assert_array_equal(w.data, [1.0, 2.0, 3.0])
    y = w * 1
    parts = ag.split(y, 3)
    with pytest.raises(RuntimeError, match="view 1 of several that one call returned"):
        parts[1] *= 2
    np.testing.assert_array_equal(y.data, [1.0, 2.0, 3.0])
    with ag.no_grad():
        nv = y[0:2]
    with pytest.raises(RuntimeError, match="view made under no_grad"):
        nv *= 2
    assert y._version == 0


def test_in_place_on_a_detached_view_is_plain_numpy():
    x = T([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    d = y.detach()[1:]
    d += 1  # d requires no grad: nothing recorded, y's values change, its history does not
    np.testing.assert_array_equal(y.data, [1.0, 3.0, 4.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0, 1.0])


# ----- 0-d tensors -------------------------------------------------------------------------------
def test_0d_value_modified_in_place_then_differentiated_twice():
    x = T(0.7, requires_grad=True)
    y = x * 1.0
    y += 1.0
    (g,) = ag.grad(y * y, x, create_graph=True)
    assert g.item() == pytest.approx(3.4)
    (gg,) = ag.grad(g, x)
    assert gg.item() == pytest.approx(2.0)


def test_0d_detach_shares_memory():
    x = T(0.5, requires_grad=True)
    y = x * 2.0
    d = y.detach()
    d += 1.0
    assert y.item() == 2.0 and d.item() == 2.0
    assert y._version == d._version == 1
    z = y * y  # recorded after the write: uses (and saves) the new value
    z.backward()
    assert x.grad.item() == pytest.approx(2 * 2.0 * 2.0)


def test_0d_leaf_with_an_alias_is_checked():
    w = T(2.0, requires_grad=True)
    alias = w.detach()
    loss = w * w
    alias += 1.0
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


# ----- PyTorch as the oracle ---------------------------------------------------------------------
VIEWS = {
    "slice": (lambda y: y[1:3], None),
    "row": (lambda y: y[1], None),
    "T": (lambda y: y.T, None),
    "reshape": (lambda y: y.reshape(-1), None),
    "col-step": (lambda y: y[:, ::2], None),
}
WRITES = ["iadd", "imul", "setitem", "imul_self", "idiv"]


def _write(v, kind, c):
    if kind == "iadd":
        v += c
    elif kind == "imul":
        v *= c
    elif kind == "idiv":
        v /= c
    elif kind == "imul_self":
        v *= v
    else:
        v[..., 0] = c[..., 0] if c.ndim else c


@settings(max_examples=40, deadline=None)
@given(view=st.sampled_from(sorted(VIEWS)), kind=st.sampled_from(WRITES),
       scale=st.floats(0.5, 2.0), grad_mode=st.booleans(), use_x=st.booleans())
def test_views_and_writes_against_torch(view, kind, scale, grad_mode, use_x):
    torch = pytest.importorskip("torch")
    xv = np.arange(1.0, 13.0).reshape(3, 4) / 7
    wv = np.linspace(-1, 1, 12).reshape(3, 4)

    def run(lib, tensor):
        x = tensor(xv)
        y = x * scale
        v = VIEWS[view][0](y)
        c = (x[: v.shape[0]] if v.ndim else x[0, 0]) if use_x else tensor(np.full(v.shape, 1.5))
        if use_x and v.ndim:
            c = c.reshape(-1)[: int(np.prod(v.shape))].reshape(v.shape) * 1
        if grad_mode:
            _write(v, kind, c)
        else:
            with lib.no_grad():
                _write(v, kind, c)
        loss = (y * tensor(wv)).sum() + (v * v).sum()
        loss.backward()
        return y, v, x

    def outcome(lib, tensor):
        try:
            return run(lib, tensor)
        except RuntimeError as exc:  # e.g. v *= v: the op saved v, which the write changed
            return str(exc)

    theirs = outcome(torch, lambda a: torch.tensor(a, requires_grad=a is xv))
    ours = outcome(ag, lambda a: ag.Tensor(a, requires_grad=a is xv))
    assert isinstance(ours, str) == isinstance(theirs, str), (ours, theirs)
    if isinstance(ours, str):
        assert "modified" in ours
        return
    (ty, tv, tx), (ay, av, ax) = theirs, ours
    np.testing.assert_allclose(ay.data, ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(av.data, tv.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ax.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_issue_examples_raise_like_torch():
    torch = pytest.importorskip("torch")

    def both(fn):
        outcomes = []
        for lib, tensor in ((torch, torch.tensor), (ag, ag.Tensor)):
            try:
                fn(lib, tensor)
                outcomes.append(None)
            except RuntimeError:
                outcomes.append(RuntimeError)
        return outcomes

    def detach_then_write(lib, tensor):
        x = tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        d = x.detach()
        d += 1
        y.backward()

    def write_saved_view(lib, tensor):
        x = tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        z = (y * y).sum()
        with lib.no_grad():
            y[1:3] *= 10
        z.backward()

    def write_unsaved(lib, tensor):
        x = tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        z = (y * 2).sum()
        with lib.no_grad():
            y[1:3] *= 10
        z.backward()

    for fn in (detach_then_write, write_saved_view, write_unsaved):
        torch_outcome, ours = both(fn)
        assert ours == torch_outcome, fn.__name__


# ----- random programs of views and in-place writes, against PyTorch ---------------------------
VIEW_MAKERS = [
    ("slice", lambda t: t[1:3] if t.ndim == 1 else t[1:3, :]),
    ("T", lambda t: t.T),
    ("flat", lambda t: t.reshape(-1)),
    ("row", lambda t: t[1] if t.ndim == 2 else t[1:2]),
    ("step", lambda t: t[::2]),
]
WRITERS = ["iadd", "isub", "imul", "idiv", "setitem", "imul_other"]


def _run_program(lib, tensor, program):
    """Run ``program`` (a list of steps) with ``lib`` (torch or ag); return what to compare:
    ('raised', type) or ('ok', values of every tensor, x's gradient)."""
    is_torch = lib is not ag
    x = tensor(np.linspace(0.5, 3.0, 12).reshape(3, 4), requires_grad=True)
    pool = [x * 1.5]
    retained = []
    try:
        for kind, a, b, grad_mode in program:
            src = pool[a % len(pool)]
            if kind == "view":
                pool.append(VIEW_MAKERS[b % len(VIEW_MAKERS)][1](src))
            elif kind == "retain":
                if src.requires_grad and not src.is_leaf:
                    src.retain_grad()
                    retained.append(src)
            elif kind == "op":
                pool.append((src * 0.5 + 1).tanh() if b % 2 else src * src)
            else:
                writer = WRITERS[b % len(WRITERS)]
                ctx = lib.enable_grad() if grad_mode else lib.no_grad()
                with ctx:
                    if writer == "iadd":
                        src += 0.25
                    elif writer == "isub":
                        src -= x[0, 0] * 0.5 if src.ndim == 0 else 0.125
                    elif writer == "imul":
                        src *= 1.5
                    elif writer == "idiv":
                        src /= 2.0
                    elif writer == "setitem":
                        if src.ndim:
                            src[0] = 0.75
                        else:
                            src += 1.0
                    else:
                        other = x.reshape(-1)[: src.numel() if is_torch else src.size]
                        src *= other.reshape(src.shape) * 0.5
        loss = 0
        for k, t in enumerate(pool):
            if t.requires_grad:
                loss = loss + (t * (k + 1)).sum()
        loss.backward()
    except RuntimeError as exc:
        return ("raised", str(exc)[:40])
    values = [np.array(t.detach().numpy() if is_torch else t.data) for t in pool]
    grad = None if x.grad is None else np.array(x.grad.numpy() if is_torch else x.grad.data)
    kept = [None if t.grad is None else np.array(t.grad.numpy() if is_torch else t.grad.data)
            for t in retained]
    return ("ok", values + kept, grad)


step = st.tuples(st.sampled_from(["view", "op", "write", "write", "retain"]), st.integers(0, 20),
                 st.integers(0, 20), st.booleans())


@settings(max_examples=150, deadline=None)
@given(program=st.lists(step, min_size=1, max_size=7))
def test_random_programs_of_views_and_writes_against_torch(program):
    torch = pytest.importorskip("torch")
    theirs = _run_program(torch, lambda a, requires_grad=False: torch.tensor(
        a, requires_grad=requires_grad), program)
    ours = _run_program(ag, ag.Tensor, program)
    assert ours[0] == theirs[0], f"torch: {theirs[:2]}; ours: {ours[:2]}"
    if ours[0] == "ok":
        for a, b in zip(ours[1], theirs[1]):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-12)
        if theirs[2] is None:
            assert ours[2] is None or not np.any(ours[2])
        else:
            np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-10, atol=1e-12)
