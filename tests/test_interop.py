"""NumPy interop: __array_ufunc__ / __array_function__ return Tensors that backpropagate."""

import numpy as np
import pytest

import autograd_engine as ag


def T(a, **kw):
    return ag.Tensor(np.asarray(a, dtype=np.float64), **kw)


@pytest.mark.parametrize("np_fn, ag_fn", [
    (np.exp, ag.exp), (np.log, ag.log), (np.sqrt, ag.sqrt), (np.sin, ag.sin), (np.cos, ag.cos),
    (np.tanh, ag.tanh), (np.abs, ag.abs), (np.absolute, ag.abs), (np.negative, ag.negative),
    (np.log1p, ag.log1p), (np.square, lambda x: x * x), (np.reciprocal, lambda x: 1.0 / x),
    (np.positive, lambda x: x),
])
def test_unary_ufuncs(np_fn, ag_fn):
    xa = np.array([0.5, 1.5, 2.0])
    x = T(xa, requires_grad=True)
    y = np_fn(x)
    assert isinstance(y, ag.Tensor)
    np.testing.assert_allclose(y.data, np_fn(xa))
    (y * T([1.0, 2.0, 3.0])).sum().backward()
    x2 = T(xa, requires_grad=True)
    (ag_fn(x2) * T([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(x.grad.data, x2.grad.data)


@pytest.mark.parametrize("np_fn", [np.add, np.subtract, np.multiply, np.divide, np.true_divide,
                                   np.power, np.maximum, np.minimum, np.matmul])
def test_binary_ufuncs_with_arrays_on_either_side(np_fn):
    a = np.array([[1.0, 2.0], [3.0, 0.5]])
    ba = np.array([[0.5, 1.5], [2.5, 1.0]])
    for order in (0, 1):
        b = T(ba, requires_grad=True)
        args = (a, b) if order else (b, a)
        y = np_fn(*args)
        assert isinstance(y, ag.Tensor) and y.requires_grad
        np.testing.assert_allclose(y.data, np_fn(*(np.asarray(v) for v in args)))
        y.sum().backward()
        assert b.grad is not None and b.grad.shape == b.shape


def test_ndarray_operators_return_tensors():
    a = np.array([1.0, 2.0])
    x = T([3.0, 4.0], requires_grad=True)
    for y in (a + x, a - x, a * x, a / x, a ** x, a @ x, np.float64(2.0) * x):
        assert isinstance(y, ag.Tensor) and y.requires_grad
    (a * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, a)
    c = a < x
    assert isinstance(c, ag.Tensor) and c.dtype == bool and not c.requires_grad


def test_array_functions_dispatch_and_backpropagate():
    xa = np.arange(6.0).reshape(2, 3)
    x = T(xa, requires_grad=True)
    results = [
        (np.sum(x, axis=0), np.sum(xa, axis=0)),
        (np.mean(x), np.mean(xa)),
        (np.max(x, axis=1), np.max(xa, axis=1)),
        (np.transpose(x), xa.T),
        (np.reshape(x, (3, 2)), xa.reshape(3, 2)),
        (np.where(xa > 2, x, 0.0), np.where(xa > 2, xa, 0.0)),
        (np.clip(x, 1.0, 4.0), np.clip(xa, 1.0, 4.0)),
        (np.dot(x, np.ones(3)), xa @ np.ones(3)),
        (np.expand_dims(x, 0), xa[None]),
        (np.var(x, axis=1), np.var(xa, axis=1)),
        (np.concatenate([x, x]), np.concatenate([xa, xa])),
        (np.stack([x, x], axis=1), np.stack([xa, xa], axis=1)),
        (np.einsum("ij->j", x), xa.sum(0)),
    ]
    total = None
    for y, expected in results:
        assert isinstance(y, ag.Tensor), type(y)
        np.testing.assert_allclose(y.data, expected)
        total = y.sum() if total is None else total + y.sum()
    total.backward()
    assert x.grad.shape == x.shape


def test_non_differentiable_results_pass_through():
    x = T([1.0, np.nan, 3.0])
    assert np.shape(x) == (3,) and np.ndim(x) == 1 and np.size(x) == 3
    assert np.argmax(T([1.0, 5.0, 2.0])) == 1
    np.testing.assert_array_equal(np.isnan(x).data, [False, True, False])
    assert np.allclose(T([1.0]), T([1.0]))
    assert isinstance(np.isfinite(x), ag.Tensor)
    np.testing.assert_array_equal(np.equal(T([1.0, 2.0]), np.array([1.0, 0.0])).data, [True, False])


def test_asarray_still_gives_the_array():
    x = T([1.0, 2.0], requires_grad=True)
    arr = np.asarray(x)
    assert type(arr) is np.ndarray and arr is x.data
    assert np.array(x).tolist() == [1.0, 2.0]
    assert np.asarray(x, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("call, match", [
    (lambda x: np.floor(x), "np.floor"),
    (lambda x: np.sort(x), "np.sort"),
    (lambda x: np.linalg.norm(x), "numpy.linalg.norm"),
    (lambda x: np.add.reduce(x), "np.add.reduce"),
    (lambda x: np.add(x, 1.0, out=np.zeros(2)), "out="),
    (lambda x: np.sum(x, out=np.zeros(())), "out="),
    (lambda x: np.sum(x, dtype=np.float32), "np.sum"),
    (lambda x: np.exp(x, where=np.array([True, False])), "np.exp"),
])
def test_unsupported_raises_clear_type_error(call, match):
    x = T([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=match) as info:
        call(x)
    assert "np.asarray" in str(info.value) or "returned Tensor" in str(info.value)


def test_ndarray_inplace_with_tensor_raises():
    a = np.zeros(2)
    with pytest.raises(TypeError, match="out="):
        a += T([1.0, 2.0])


def test_default_keyword_passed_as_none_is_fine():
    x = T([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    np.testing.assert_allclose(np.sum(x, axis=0, out=None).data, [4.0, 6.0])
    np.testing.assert_allclose(np.mean(x, dtype=None).data, 2.5)


def test_torch_agrees_through_numpy_calls():
    torch = pytest.importorskip("torch")
    xa = np.array([[0.2, -0.4], [1.0, 0.3]])
    w = np.array([[1.0, 2.0], [-1.0, 0.5]])
    x = T(xa, requires_grad=True)
    y = np.sum(np.tanh(np.matmul(w, x)) * np.exp(x), axis=0)
    np.sum(y * y).backward()
    X = torch.tensor(xa, requires_grad=True)
    Y = (torch.tanh(torch.tensor(w) @ X) * torch.exp(X)).sum(0)
    (Y * Y).sum().backward()
    np.testing.assert_allclose(x.grad.data, X.grad.numpy(), rtol=1e-12)
