"""Forward-mode AD: every op's ``jvp`` rule, swept over the registry, and the transforms built on it.

Per op, with the public strategies (broadcasting and 0-d inputs included), in float32 and float64:
the JVP agrees with the VJP (``<v, J u> = <J^T v, u>`` for random u, v), has the output's shape and
dtype, and, in float64, agrees with central differences of the op along u. Then ``jvp``, ``jacfwd``,
``hessian`` and ``hvp`` against their reverse-mode counterparts, their compositions, nesting, custom
Functions with and without a ``jvp`` rule, and errors. PyTorch comparisons are in
``test_forward_mode_torch.py``.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_engine as ag
from autograd_engine import func
from autograd_engine.testing.strategies import op_arguments

DIFFERENTIABLE = sorted(n for n in ag.REGISTRY if ag.REGISTRY[n].differentiable)


def _call(spec, args, kwargs, dtype):
    """Float array arguments (also inside a list argument) become Tensors: the primals. Returns
    the primals and ``fn(*primals)`` calling the op."""
    flat, layout = [], []
    for a in args:
        items = a if isinstance(a, list) else [a]
        layout.append(len(a) if isinstance(a, list) else None)
        for b in items:
            flat.append(ag.Tensor(b.astype(dtype)) if isinstance(b, np.ndarray)
                        and b.dtype.kind == "f" else b)
    positions = [i for i, b in enumerate(flat) if isinstance(b, ag.Tensor)]

    def fn(*primals):
        items = list(flat)
        for i, p in zip(positions, primals):
            items[i] = p
        it = iter(items)
        rebuilt = [next(it) if n is None else [next(it) for _ in range(n)] for n in layout]
        return spec.fn(*rebuilt, **kwargs)

    return [flat[i] for i in positions], fn


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _jvp_of(fn, primals, tangents):
    out, t = func.jvp(lambda *p: tuple(_as_list(fn(*p))), tuple(primals), tuple(tangents))
    return list(out), list(t)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", DIFFERENTIABLE)
@settings(max_examples=8)
@given(data=st.data())
def test_jvp_rule_agrees_with_vjp_and_central_differences(name, dtype, data):
    spec = ag.REGISTRY[name]
    args, kwargs = data.draw(op_arguments(spec, np.float64))
    primals, fn = _call(spec, args, kwargs, dtype)
    if not primals:
        return
    rng = np.random.default_rng(0)
    us = [rng.standard_normal(p.shape).astype(dtype) for p in primals]
    outs, touts = _jvp_of(fn, primals, [ag.Tensor(u) for u in us])
    plain = _as_list(fn(*primals))
    assert len(outs) == len(touts) == len(plain)
    for o, t, p in zip(outs, touts, plain):
        assert t.shape == o.shape and t.dtype == o.dtype == dtype, (t.shape, o.shape, t.dtype)
        np.testing.assert_array_equal(o.data, p.data)  # the primal output is unchanged
        assert not t.requires_grad

    # <v, J u> = <J^T v, u>, with the VJP from the reverse mode
    leaves = [ag.Tensor(p.data, requires_grad=True) for p in primals]
    rev = _as_list(fn(*leaves))
    vs = [rng.standard_normal(o.shape).astype(dtype) for o in rev]
    total = sum(((o * ag.Tensor(v)).sum() for o, v in zip(rev, vs)), ag.Tensor(np.zeros((), dtype)))
    gs = ag.grad(total, leaves, allow_unused=True) if total.requires_grad else [None] * len(leaves)
    lhs = sum(float(np.sum(t.data.astype(np.float64) * v)) for t, v in zip(touts, vs))
    rhs = sum(0.0 if g is None else float(np.sum(g.data.astype(np.float64) * u))
              for g, u in zip(gs, us))
    tol = 1e-9 if dtype == np.float64 else 1e-3
    scale = 1 + sum(float(np.abs(t.data).sum() * np.abs(v).sum()) for t, v in zip(touts, vs))
    assert abs(lhs - rhs) <= tol * scale, f"{name}: <v, Ju> = {lhs} but <J^T v, u> = {rhs}"

    if dtype == np.float64:  # central differences along u
        eps = 1e-6
        plus = _as_list(fn(*[ag.Tensor(p.data + eps * u) for p, u in zip(primals, us)]))
        minus = _as_list(fn(*[ag.Tensor(p.data - eps * u) for p, u in zip(primals, us)]))
        for t, a, b in zip(touts, plus, minus):
            numeric = (a.data - b.data) / (2 * eps)
            np.testing.assert_allclose(t.data, numeric, rtol=1e-5, atol=1e-6, err_msg=name)


def test_every_registered_differentiable_op_has_a_jvp_rule():
    # An op reached by forward mode without a rule raises; the sweep above runs every op, and
    # this names the Functions behind the public ops that define a rule.
    for cls in (ag.ops.elementwise.Add, ag.ops.elementwise.Tanh, ag.ops.linalg.Einsum,
                ag.ops.nn_ops.Unfold, ag.ops.nn_ops.Fold, ag.ops.reduce.Std):
        assert callable(getattr(cls, "jvp", None)), cls


# ----- the transforms ---------------------------------------------------------------------------

_rng = np.random.default_rng(7)


def _f(x, w):
    return ((x @ w).tanh() * x.sum()).exp().mean(axis=0) + (w * w).sum()


def test_jvp_matches_double_vjp_and_needs_no_backward():
    x, w = ag.Tensor(_rng.standard_normal((3, 4))), ag.Tensor(_rng.standard_normal((4, 2)) * 0.3)
    tx, tw = ag.Tensor(_rng.standard_normal((3, 4))), ag.Tensor(_rng.standard_normal((4, 2)))
    out, t = func.jvp(_f, (x, w), (tx, tw))
    jx, jw = func.jacobian(_f, argnums=(0, 1))(x, w)
    expected = (np.tensordot(jx.data, tx.data, axes=2) + np.tensordot(jw.data, tw.data, axes=2))
    np.testing.assert_allclose(t.data, expected, rtol=1e-12)
    np.testing.assert_array_equal(out.data, _f(x, w).data)
    assert not out.requires_grad and not t.requires_grad


def test_jvp_builds_no_graph_and_runs_each_op_once():
    calls = []

    class Count(ag.Function):
        @staticmethod
        def forward(ctx, x):
            calls.append("forward")
            return 2 * x

        @staticmethod
        def backward(ctx, grad):
            calls.append("backward")
            return 2 * grad

        @staticmethod
        def jvp(ctx, t):
            calls.append("jvp")
            return 2 * t

    out, t = func.jvp(lambda x: Count.apply(x).sin(), ag.Tensor([0.0, 1.0]), ag.Tensor([1.0, 1.0]))
    assert calls == ["forward", "jvp"]
    np.testing.assert_allclose(t.data, 2 * np.cos(2 * np.array([0.0, 1.0])))
    assert out.grad_fn is None and t.grad_fn is None


def test_custom_function_without_jvp_is_refused_by_name():
    class NoRule(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, grad):
            return grad * 3

    x = ag.Tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="NoRule.*jvp"):
        func.jvp(lambda x: NoRule.apply(x), (x,), (x,))
    assert func.jacrev(lambda x: NoRule.apply(x).sum())(x).data.tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="NoRule"):
        func.jacfwd(lambda x: NoRule.apply(x))(x)


def test_custom_function_jvp_uses_saved_tensors_and_composes():
    class Cube(ag.Function):
        backward_on_arrays = True

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

        @staticmethod
        def jvp(ctx, t):
            (x,) = ctx.saved_tensors
            return t * 3 * x * x

    x = ag.Tensor([1.0, -2.0])
    np.testing.assert_allclose(func.jvp(Cube.apply, (x,), (ag.Tensor([1.0, 1.0]),))[1].data,
                               [3.0, 12.0])
    h = func.hessian(lambda x: Cube.apply(x).sum())(x)  # forward over reverse through the rules
    np.testing.assert_allclose(h.data, np.diag([6.0, -12.0]))
    g = func.grad(lambda x: func.jvp(Cube.apply, (x,), (ag.Tensor([1.0, 1.0]),))[1].sum())(x)
    np.testing.assert_allclose(g.data, [6.0, -12.0])  # reverse over forward


def test_jacfwd_equals_jacrev_for_structures():
    x, w = ag.Tensor(_rng.standard_normal((2, 3))), ag.Tensor(_rng.standard_normal((3, 2)))

    def g(x, w):
        return x @ w, (x * x).sum(axis=1)

    fwd = func.jacfwd(g, argnums=(0, 1))(x, w)
    rev = func.jacrev(g, argnums=(0, 1))(x, w)
    for a_out, b_out in zip(fwd, rev):
        for a, b in zip(a_out, b_out):
            assert a.shape == b.shape
            np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-14)
    single = func.jacfwd(lambda x: x.tanh())(ag.Tensor(0.5))  # 0-d in, 0-d out
    assert single.shape == () and np.isclose(single.item(), 1 - np.tanh(0.5) ** 2)
    empty = func.jacfwd(lambda x: x * 2)(ag.Tensor(np.zeros((0, 2))))
    assert empty.shape == (0, 2, 0, 2)


def test_hessian_and_hvp_forward_over_reverse_match_reverse_over_reverse():
    x = ag.Tensor(_rng.standard_normal(4))

    def f(x):
        return (x.sin() * x).sum() + (x[:2] * x[2:]).prod() + ag.logsumexp(x * x)

    h = func.hessian(f)(x)
    h_rev = func.jacobian(func.jacobian(f))(x)
    np.testing.assert_allclose(h.data, h_rev.data, rtol=1e-11, atol=1e-13)
    v = ag.Tensor(_rng.standard_normal(4))
    np.testing.assert_allclose(func.hvp(f, x, v).data, h_rev.data @ v.data, rtol=1e-11)
    np.testing.assert_allclose(func.jacfwd(func.grad(f))(x).data, h_rev.data, rtol=1e-11,
                               atol=1e-13)
    np.testing.assert_allclose(func.jacfwd(func.jacfwd(f))(x).data, h_rev.data, rtol=1e-11,
                               atol=1e-13)
    a, b = ag.Tensor(_rng.standard_normal(2)), ag.Tensor(_rng.standard_normal(3))
    blocks = func.hessian(lambda a, b: (a.sum() * b).tanh().sum(), argnums=(0, 1))(a, b)
    rev = func.jacobian(func.jacobian(lambda a, b: (a.sum() * b).tanh().sum(), argnums=(0, 1)),
                        argnums=(0, 1))(a, b)
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(blocks[i][j].data, rev[i][j].data, rtol=1e-11, atol=1e-13)


def test_grad_of_jvp_and_nested_jvp():
    x = ag.Tensor(_rng.standard_normal(3))
    u, v = ag.Tensor(_rng.standard_normal(3)), ag.Tensor(_rng.standard_normal(3))

    def f(x):
        return (x.exp() * x.cos()).sum()

    h = func.hessian(f)(x).data
    # reverse over forward: d/dx <grad f, u> = H u
    g = func.grad(lambda x: func.jvp(f, (x,), (u,))[1])(x)
    np.testing.assert_allclose(g.data, h @ u.data, rtol=1e-12)
    # forward over forward, no perturbation confusion: d/de [J(x + e v) u] = v^T H u
    _, t = func.jvp(lambda x: func.jvp(f, (x,), (u,))[1], (x,), (v,))
    np.testing.assert_allclose(t.item(), v.data @ h @ u.data, rtol=1e-12)
    # the inner tangent does not leak into the outer level: jvp of x * (inner jvp) along v
    _, t = func.jvp(lambda y: y * func.jvp(lambda z: z * y, (y,), (u,))[1], (x,), (v,))
    np.testing.assert_allclose(t.data, 2 * v.data * x.data * u.data,
                               rtol=1e-12)


def test_jvp_with_parameters_requiring_grad_keeps_the_graph():
    # forward gradients (a backprop-free rule) use exactly this: jvp along a random direction
    w = ag.Tensor(_rng.standard_normal(3), requires_grad=True)
    x, v = ag.Tensor(_rng.standard_normal(3)), ag.Tensor(_rng.standard_normal(3))
    out, t = func.jvp(lambda x: (x * w).tanh().sum(), (x,), (v,))
    assert t.requires_grad
    (gw,) = ag.grad(t, [w])
    expected = func.jacobian(lambda w: func.jvp(lambda x: (x * w).tanh().sum(), (x,), (v,))[1])(w)
    np.testing.assert_allclose(gw.data, expected.data, rtol=1e-12)


def test_jvp_has_aux_float32_and_bad_input():
    x = ag.Tensor(np.array([1.0, 2.0], dtype=np.float32))
    out, t, aux = func.jvp(lambda x: (x * x, "note"), (x,), (np.ones(2),), has_aux=True)
    assert aux == "note" and t.dtype == np.float32
    np.testing.assert_allclose(t.data, [2.0, 4.0])
    with pytest.raises(ValueError, match="tangent 0 has shape"):
        func.jvp(lambda x: x, (x,), (ag.Tensor([1.0]),))
    with pytest.raises(ValueError, match="1 primals but 2 tangents"):
        func.jvp(lambda x: x, (x,), (x, x))
    with pytest.raises(ValueError, match=r"hvp: v\[0\] has shape"):
        func.hvp(lambda x: x.sum(), x, ag.Tensor([1.0]))


def test_forward_mode_through_nn_layers():
    import nn

    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.Tanh(),
                          nn.Linear(4, 2, dtype=np.float64))
    x, v = ag.Tensor(_rng.standard_normal((5, 3))), ag.Tensor(_rng.standard_normal((5, 3)))
    _, t = func.jvp(model, (x,), (v,))
    j = func.jacrev(model)(x)
    np.testing.assert_allclose(t.data, np.tensordot(j.data, v.data, axes=2), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_forward_mode_through_nn_fused_ops(reduction):
    import nn

    logits = ag.Tensor(_rng.standard_normal((4, 3)))
    target = np.array([0, 2, 1, 2])
    v = ag.Tensor(_rng.standard_normal((4, 3)))

    def loss(z):
        return nn.functional.cross_entropy(z, target, reduction=reduction, label_smoothing=0.1)

    _, t = func.jvp(loss, (logits,), (v,))
    j = func.jacrev(loss)(logits)
    np.testing.assert_allclose(t.data, np.tensordot(j.data, v.data, axes=2), rtol=1e-12,
                               atol=1e-14)
    h = func.hessian(lambda z: loss(z).sum())(logits)  # forward over reverse through the fused op
    h_rev = func.jacobian(func.jacobian(lambda z: loss(z).sum()))(logits)
    np.testing.assert_allclose(h.data, h_rev.data, rtol=1e-10, atol=1e-13)



def test_forward_mode_through_an_rnn():
    import nn

    rnn = nn.RNN(3, 2, dtype=np.float64)
    seq = ag.Tensor(_rng.standard_normal((5, 2, 3)))
    dv = ag.Tensor(_rng.standard_normal((5, 2, 3)))

    def run(s):
        return rnn(s)[0]

    _, t = func.jvp(run, (seq,), (dv,))
    j = func.jacrev(run)(seq)
    np.testing.assert_allclose(t.data, np.tensordot(j.data, dv.data, axes=3), rtol=1e-11,
                               atol=1e-13)


def test_jvp_benchmark_implementations_agree_on_tiny_inputs():
    # benchmarks/jvp.py: forward mode, the double-reverse jvp and the forward alone (untimed)
    import importlib

    bench = importlib.import_module("benchmarks.jvp")
    inputs = bench.make_inputs(shape=(3, 2), n_ops=12)
    loss, t = bench.IMPLS["ours"](inputs)()
    loss_dr, t_dr = bench.IMPLS["double_reverse"](inputs)()
    assert loss == pytest.approx(bench.IMPLS["forward"](inputs)(), rel=1e-12)
    assert (loss, t) == pytest.approx((loss_dr, t_dr), rel=1e-10)


def test_in_place_changes_of_tangent_carrying_tensors_are_caught():
    def f(x):
        y = x * 2
        y *= 3  # the tangent would silently stay 2v
        return y

    with pytest.raises(RuntimeError, match="carries a tangent was modified in place"):
        func.jvp(f, (ag.Tensor([1.0]),), (ag.Tensor([1.0]),))

    def g(x):
        y = x * 2
        y *= 3
        return y.sin()  # the stale tangent would flow on

    with pytest.raises(RuntimeError, match="carries a tangent was modified in place"):
        func.jvp(g, (ag.Tensor([1.0]),), (ag.Tensor([1.0]),))
    # recorded (a parameter requires grad): the in-place op is rebased onto a new node, whose
    # tangent follows the new value
    w = ag.Tensor([2.0], requires_grad=True)

    def h(x):
        y = x * w
        y *= 3
        return y

    _, t = func.jvp(h, (ag.Tensor([1.0]),), (ag.Tensor([1.0]),))
    assert t.item() == 6.0
    y = ag.Tensor([1.0])
    y *= 3  # outside forward mode, unchanged
    assert y.item() == 3.0


def test_jacobians_with_aux():
    x = ag.Tensor([1.0, 2.0])

    def f(x):
        y = x.sin() * x
        return y, y.sum()

    for transform in (func.jacfwd, func.jacrev):
        jac, aux = transform(f, has_aux=True)(x)
        np.testing.assert_allclose(jac.data, np.diag(np.cos(x.data) * x.data + np.sin(x.data)))
        assert aux.item() == pytest.approx(float((np.sin(x.data) * x.data).sum()))
        assert not aux.requires_grad
    with pytest.raises(TypeError, match="jacfwd: with has_aux=True"):
        func.jacfwd(lambda x: x, has_aux=True)(x)
    with pytest.raises(ValueError, match="jacrev: argnums 5 is out of range"):
        func.jacrev(lambda x: x, argnums=5)(x)
    with pytest.raises(ValueError, match="jacfwd: argnums 5 is out of range"):
        func.jacfwd(lambda x: x, argnums=5)(x)


GRADGRAD = [n for n in DIFFERENTIABLE if ag.REGISTRY[n].gradgrad]


@pytest.mark.parametrize("name", GRADGRAD)
@settings(max_examples=4)
@given(data=st.data())
def test_rules_compose_forward_over_reverse_and_reverse_over_forward(name, data):
    # For s(x) = <v, f(x)> + |f(x)|^2 / 2: the Hessian of s along w, three ways. Forward over
    # reverse (jvp of the gradient: forward mode through the recorded backward rules, whose
    # upstream gradient v + f(x) carries a tangent too), reverse over forward (gradient of the
    # jvp: backward through the jvp rules) and reverse over reverse.
    spec = ag.REGISTRY[name]
    args, kwargs = data.draw(op_arguments(spec, np.float64))
    primals, fn = _call(spec, args, kwargs, np.float64)
    if not primals:
        return
    rng = np.random.default_rng(5)
    outs = _as_list(fn(*primals))
    vs = [ag.Tensor(rng.standard_normal(o.shape)) for o in outs]
    ws = tuple(ag.Tensor(rng.standard_normal(p.shape)) for p in primals)
    nums = tuple(range(len(primals)))

    def s(*xs):
        return sum(((o * v + 0.5 * o * o).sum() for o, v in zip(_as_list(fn(*xs)), vs)),
                   ag.Tensor(0.0))

    leaves = [ag.Tensor(p.data, requires_grad=True) for p in primals]
    gs = ag.grad(s(*leaves), leaves, create_graph=True, allow_unused=True)
    terms = [(g * w).sum() for g, w in zip(gs, ws) if g is not None and g.requires_grad]
    if not terms:
        return  # a linear op: no second derivative to compare
    rev_rev = ag.grad(sum(terms[1:], terms[0]), leaves, allow_unused=True)
    rev_rev = [np.zeros(p.shape) if g is None else g.data for g, p in zip(rev_rev, primals)]

    _, fwd_rev = func.jvp(func.grad(s, argnums=nums), tuple(primals), ws)
    rev_fwd = func.grad(lambda *xs: func.jvp(s, xs, ws)[1], argnums=nums)(*primals)
    for a, b, c in zip(fwd_rev, rev_fwd, rev_rev):
        np.testing.assert_allclose(a.data, c, rtol=1e-9, atol=1e-11, err_msg=f"{name} fwd/rev")
        np.testing.assert_allclose(b.data, c, rtol=1e-9, atol=1e-11, err_msg=f"{name} rev/fwd")
