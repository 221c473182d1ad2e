"""autograd_engine.func: grad, value_and_grad, vjp, jvp, jacobian, hessian, hvp."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_engine as ag
from autograd_engine import func
from autograd_engine.testing.strategies import arrays, shapes


def T(a, **kw):
    return ag.Tensor(np.asarray(a, dtype=np.float64), **kw)


def cubic(x):
    return (x ** 3).sum()


# ----- grad / value_and_grad ---------------------------------------------------------------------
def test_grad_basic_and_no_grad_written():
    x = T([1.0, 2.0])
    g = func.grad(cubic)(x)
    np.testing.assert_allclose(g.data, [3.0, 12.0])
    assert x.grad is None and not x.requires_grad
    assert g.grad_fn is None and not g.requires_grad  # nothing outside can differentiate it


def test_grad_on_tensor_requiring_grad_keeps_grad_untouched_and_result_differentiable():
    x = T([1.0, 2.0], requires_grad=True)
    g = func.grad(cubic)(x)
    assert x.grad is None
    assert g.requires_grad
    g.sum().backward()  # d/dx sum(3 x^2) = 6x
    np.testing.assert_allclose(x.grad.data, [6.0, 12.0])


def test_grad_argnums_tuple_and_int():
    f = lambda x, y: (x * y.sin()).sum()  # noqa: E731
    x, y = T([1.0, 2.0]), T([0.5, -1.0])
    gx = func.grad(f)(x, y)
    gy = func.grad(f, argnums=1)(x, y)
    both = func.grad(f, argnums=(0, 1))(x, y)
    assert isinstance(both, tuple) and len(both) == 2
    np.testing.assert_allclose(gx.data, np.sin(y.data))
    np.testing.assert_allclose(gy.data, x.data * np.cos(y.data))
    np.testing.assert_allclose(both[0].data, gx.data)
    np.testing.assert_allclose(both[1].data, gy.data)
    np.testing.assert_allclose(func.grad(f, argnums=-1)(x, y).data, gy.data)


def test_grad_has_aux_and_value_and_grad_has_aux():
    def f(x):
        loss = (x ** 2).sum()
        return loss, {"loss": loss, "n": 2}

    x = T([1.0, -3.0])
    g, aux = func.grad(f, has_aux=True)(x)
    np.testing.assert_allclose(g.data, [2.0, -6.0])
    assert aux["n"] == 2 and aux["loss"].item() == 10.0
    assert not aux["loss"].requires_grad
    (value, aux2), g2 = func.value_and_grad(f, has_aux=True)(x)
    assert value.item() == 10.0 and aux2["n"] == 2
    np.testing.assert_allclose(g2.data, g.data)
    value, g3 = func.value_and_grad(lambda x: (x ** 2).sum())(x)
    assert value.item() == 10.0 and not value.requires_grad
    np.testing.assert_allclose(g3.data, g.data)


def test_grad_kwargs_and_array_arguments():
    f = lambda x, scale=1.0: (x * scale).sum()  # noqa: E731
    g = func.grad(f)(np.array([1.0, 2.0]), scale=3.0)
    assert isinstance(g, ag.Tensor)
    np.testing.assert_allclose(g.data, [3.0, 3.0])


def test_grad_of_unused_argument_is_zero_and_constant_function():
    f = lambda x, y: (x * 2).sum()  # noqa: E731
    gy = func.grad(f, argnums=1)(T([1.0]), T([5.0, 6.0]))
    np.testing.assert_array_equal(gy.data, [0.0, 0.0])
    g = func.grad(lambda x: ag.Tensor(1.0))(T([1.0, 2.0]))
    np.testing.assert_array_equal(g.data, [0.0, 0.0])


def test_grad_composes():
    x = T([0.3, -1.2])
    f = lambda x: x.sin().sum()  # noqa: E731
    d2 = func.grad(lambda x: func.grad(f)(x).sum())(x)
    np.testing.assert_allclose(d2.data, -np.sin(x.data))
    d3 = func.grad(lambda x: func.grad(lambda x: func.grad(f)(x).sum())(x).sum())(x)
    np.testing.assert_allclose(d3.data, -np.cos(x.data))
    # scalar: grad(grad(f))
    s = T(0.7)
    np.testing.assert_allclose(func.grad(func.grad(lambda x: x.sin()))(s).item(), -np.sin(0.7))


def test_grad_works_under_no_grad():
    with ag.no_grad():
        g = func.grad(cubic)(T([2.0]))
    np.testing.assert_allclose(g.data, [12.0])
    assert not g.requires_grad


def test_closed_over_parameters_stay_differentiable():
    w = T([2.0, 3.0], requires_grad=True)
    g = func.grad(lambda x: (w * x * x).sum())(T([1.0, 1.0]))  # 2 w x
    np.testing.assert_allclose(g.data, [4.0, 6.0])
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(w.grad.data, [2.0, 2.0])


def test_grad_errors():
    with pytest.raises(ValueError, match="one-element"):
        func.grad(lambda x: x * 2)(T([1.0, 2.0]))
    with pytest.raises(TypeError, match="has_aux"):
        func.grad(lambda x: (x.sum(), 1))(T([1.0]))
    with pytest.raises(TypeError, match="pair"):
        func.grad(lambda x: x.sum(), has_aux=True)(T([1.0]))
    with pytest.raises(ValueError, match="out of range"):
        func.grad(cubic, argnums=2)(T([1.0]))
    with pytest.raises(ValueError, match="repeated"):
        func.grad(lambda x, y: x.sum(), argnums=(0, 0))(T([1.0]), T([1.0]))
    with pytest.raises(TypeError, match="dtype int"):
        func.grad(cubic)(ag.Tensor(np.array([1, 2])))


# ----- vjp / jvp ---------------------------------------------------------------------------------
def test_vjp_multiple_primals_and_outputs():
    def f(x, y):
        return x * y, (x + y).exp()

    x, y = T([1.0, 2.0]), T([0.5, -0.5])
    (a, b), vjp_fn = func.vjp(f, x, y)
    np.testing.assert_allclose(a.data, x.data * y.data)
    u, v = T([1.0, 2.0]), T([0.5, 1.0])
    gx, gy = vjp_fn((u, v))
    e = np.exp(x.data + y.data)
    np.testing.assert_allclose(gx.data, u.data * y.data + v.data * e)
    np.testing.assert_allclose(gy.data, u.data * x.data + v.data * e)
    gx2, _ = vjp_fn((u, v))  # callable again
    np.testing.assert_allclose(gx2.data, gx.data)
    with pytest.raises(ValueError, match="shape"):
        vjp_fn((T([1.0]), v))
    with pytest.raises(ValueError, match="cotangents"):
        vjp_fn((u,))


def test_jvp_matches_jacobian_vector_product():
    f = lambda x: (x.tanh() * x[::-1]).sin()  # noqa: E731
    x, t = T([0.1, -0.4, 0.9]), T([1.0, -2.0, 0.5])
    out, tout = func.jvp(f, (x,), (t,))
    jac = func.jacobian(f)(x)
    np.testing.assert_allclose(out.data, f(x).data)
    np.testing.assert_allclose(tout.data, jac.data @ t.data, rtol=1e-10)
    # single tensors accepted, multiple outputs
    (o1, o2), (t1, t2) = func.jvp(lambda x: (x * 2, x.sum()), x, t)
    np.testing.assert_allclose(t1.data, 2 * t.data)
    np.testing.assert_allclose(t2.data, t.data.sum())
    with pytest.raises(ValueError, match="tangent"):
        func.jvp(f, (x,), (T([1.0]),))


def test_jvp_of_linear_and_constant_functions():
    _, t = func.jvp(lambda x: x * 3.0, (T([1.0, 2.0]),), (T([1.0, 1.0]),))
    np.testing.assert_allclose(t.data, [3.0, 3.0])
    _, t = func.jvp(lambda x: ag.Tensor([5.0]), (T([1.0, 2.0]),), (T([1.0, 1.0]),))
    np.testing.assert_allclose(t.data, [0.0])


# ----- jacobian / hessian / hvp ------------------------------------------------------------------
def test_jacobian_shapes_and_tuples():
    x, y = T(np.arange(6.0).reshape(2, 3)), T([1.0, 2.0, 3.0])
    jx = func.jacobian(lambda x, y: x * y)(x, y)
    assert jx.shape == (2, 3, 2, 3)
    jx, jy = func.jacobian(lambda x, y: x * y, argnums=(0, 1))(x, y)
    assert jy.shape == (2, 3, 3)
    np.testing.assert_allclose(jy.data[1, 2, 2], x.data[1, 2])
    (a, b), (c, d) = func.jacobian(lambda x, y: (x.sum(), y * 2), argnums=(0, 1))(x, y)
    assert a.shape == (2, 3) and b.shape == (3,) and c.shape == (3, 2, 3) and d.shape == (3, 3)
    np.testing.assert_allclose(d.data, 2 * np.eye(3))
    assert func.jacobian(lambda x: x.sum())(y).shape == (3,)


def test_hessian_equals_jacobian_of_grad_and_composes():
    f = lambda x: (x.sin() * x.sum()).sum()  # noqa: E731
    x = T([0.2, -0.7, 1.1])
    h1 = func.hessian(f)(x)
    h2 = func.jacobian(func.grad(f))(x)
    np.testing.assert_allclose(h1.data, h2.data, rtol=1e-12)
    np.testing.assert_allclose(h1.data, h1.data.T, rtol=1e-12)
    v = T([1.0, 0.5, -2.0])
    np.testing.assert_allclose(func.hvp(f, x, v).data, h1.data @ v.data, rtol=1e-10)
    hx, hv = func.hvp(lambda a, b: (a * b * b).sum(), (x, v), (v, x))
    # H = [[0, 2 diag(b)], [2 diag(b), 2 diag(a)]]
    np.testing.assert_allclose(hx.data, 2 * v.data * x.data)
    np.testing.assert_allclose(hv.data, 2 * v.data * v.data + 2 * x.data * x.data)


def test_hessian_result_differentiable_when_input_requires_grad():
    x = T([1.0, 2.0], requires_grad=True)
    h = func.hessian(cubic)(x)  # diag(6x)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.data, [6.0, 6.0])


@given(arrays(shapes(min_dims=1, max_dims=2, max_side=3)),
       st.integers(0, 2**31 - 1))
def test_property_vjp_and_jvp_agree_with_jacobian(x, seed):
    rng = np.random.default_rng(seed)
    f = lambda x: (x.tanh() * 2.0 + x * x).sum(axis=-1)  # noqa: E731
    xt = T(x)
    jac = func.jacobian(f)(xt).data.reshape(f(xt).size, x.size)
    u = rng.standard_normal(f(xt).shape)
    t = rng.standard_normal(x.shape)
    _, vjp_fn = func.vjp(f, xt)
    np.testing.assert_allclose(vjp_fn(T(u))[0].data.ravel(), u.ravel() @ jac, atol=1e-10)
    _, tout = func.jvp(f, (xt,), (T(t),))
    np.testing.assert_allclose(tout.data.ravel(), jac @ t.ravel(), atol=1e-10)


# ----- PyTorch oracle ----------------------------------------------------------------------------
def _mlp_params(rng):
    return [rng.standard_normal(s) * 0.5 for s in [(3, 4), (4,), (4, 2), (2,)]]


def test_torch_func_agrees():
    torch = pytest.importorskip("torch")
    tf = torch.func
    rng = np.random.default_rng(0)
    xa, ya = rng.standard_normal((3,)), rng.standard_normal((3,))

    def f_ag(x, y):
        return (x.tanh() * y.exp() + (x * y).sigmoid()).sum()

    def f_t(x, y):
        return (x.tanh() * y.exp() + (x * y).sigmoid()).sum()

    def g_ag(x):
        return (x.sin() * x[::-1]) ** 2

    def g_t(x):
        return (x.sin() * x.flip(0)) ** 2

    X, Y = torch.tensor(xa), torch.tensor(ya)
    x, y = T(xa), T(ya)
    for mine, theirs in [
        (func.grad(f_ag, argnums=(0, 1))(x, y), tf.grad(f_t, argnums=(0, 1))(X, Y)),
        (func.hessian(f_ag, argnums=(0, 1))(x, y), tf.hessian(f_t, argnums=(0, 1))(X, Y)),
        (func.jacobian(g_ag)(x), tf.jacrev(g_t)(X)),
        (func.jacobian(func.grad(f_ag))(x, y), tf.jacrev(tf.grad(f_t))(X, Y)),
        (func.jvp(g_ag, (x,), (y,)), tf.jvp(g_t, (X,), (Y,))),
        (func.vjp(g_ag, x)[1](y), tf.vjp(g_t, X)[1](Y)),
        (func.grad(lambda x: func.grad(f_ag)(x, y).sum())(x),
         tf.grad(lambda x: tf.grad(f_t)(x, Y).sum())(X)),
    ]:
        _assert_tree_close(mine, theirs)
    v = rng.standard_normal(3)
    _, hvp_t = torch.autograd.functional.hvp(lambda x: f_t(x, Y), X, torch.tensor(v))
    np.testing.assert_allclose(func.hvp(lambda x: f_ag(x, y), x, T(v)).data, hvp_t.numpy(),
                               rtol=1e-10, atol=1e-12)


def _assert_tree_close(mine, theirs):
    if isinstance(mine, (tuple, list)):
        assert len(mine) == len(theirs)
        for m, t in zip(mine, theirs):
            _assert_tree_close(m, t)
        return
    np.testing.assert_allclose(mine.data, theirs.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_hessian_of_mlp_loss_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    params = _mlp_params(rng)
    xs = rng.standard_normal((5, 3))
    labels = np.array([0, 1, 1, 0, 1])

    def loss_ag(w1, b1, w2, b2):
        h = (ag.Tensor(xs) @ w1 + b1).tanh()
        logp = ag.log_softmax(h @ w2 + b2, axis=-1)
        return -logp[np.arange(5), labels].mean()

    def loss_t(w1, b1, w2, b2):
        h = torch.tanh(torch.tensor(xs) @ w1 + b1)
        logp = torch.log_softmax(h @ w2 + b2, dim=-1)
        return -logp[torch.arange(5), torch.tensor(labels)].mean()

    mine = func.hessian(loss_ag, argnums=(0, 1, 2, 3))(*[T(p) for p in params])
    theirs = torch.autograd.functional.hessian(loss_t, tuple(torch.tensor(p) for p in params))
    _assert_tree_close(mine, theirs)
    assert mine[0][2].shape == (3, 4, 4, 2)
