"""Indexing (``Tensor.__getitem__`` / ``ag.getitem``): NumPy semantics, accumulating gradients.

The registry sweep draws basic and advanced indices; these tests pin the cases users rely on.
"""

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine.testing import gradcheck, gradgradcheck


def _x(*shape):
    return ag.Tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)


def test_repeated_integer_indices_accumulate():
    x = _x(4)
    x[[0, 0, 3, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 0.0, 0.0, 1.0])


def test_repeated_rows_accumulate_with_upstream_weights():
    x = _x(3, 2)
    y = x[np.array([2, 2, 0])]
    y.backward(np.array([[1.0, 2.0], [10.0, 20.0], [5.0, 7.0]]))
    np.testing.assert_array_equal(x.grad.data, [[5.0, 7.0], [0.0, 0.0], [11.0, 22.0]])


def test_pair_of_index_arrays_hitting_one_element_twice():
    x = _x(2, 3)
    x[np.array([1, 1]), np.array([2, 2])].sum().backward()
    expected = np.zeros((2, 3))
    expected[1, 2] = 2.0
    np.testing.assert_array_equal(x.grad.data, expected)


def test_boolean_tensor_mask_x_gt_0():
    x = ag.Tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
    y = x[x > 0]
    np.testing.assert_array_equal(y.data, [2.0, 3.0])
    (y * ag.Tensor([10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 10.0], [100.0, 0.0]])


def test_boolean_mask_on_leading_axes_and_numpy_mask():
    x = _x(3, 2)
    mask = np.array([True, False, True])
    np.testing.assert_array_equal(x[mask].data, x.data[mask])
    x[mask].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[1, 1], [0, 0], [1, 1]])


def test_integer_tensor_as_index():
    x = _x(3)
    idx = ag.Tensor(np.array([2, 2, 1]))
    assert idx.dtype.kind == "i"
    x[idx].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 2.0])


@pytest.mark.parametrize("index", [
    (slice(None, None, -1),),
    (slice(None, None, -2), slice(1, None)),
    (None, Ellipsis, 0),
    (Ellipsis, None),
    (1, None, slice(None, None, -1)),
    (np.array([0, 0]), Ellipsis),
    (slice(None), np.array([[2, 0], [2, 2]])),
])
def test_basic_and_mixed_indices_match_numpy_and_gradcheck(index):
    x = _x(3, 3)
    np.testing.assert_array_equal(x[index].data, x.data[index])
    assert gradcheck(lambda t: t[index], [x])
    assert gradgradcheck(lambda t: t[index], [x])


def test_zero_d_indices():
    x = ag.Tensor(2.0, requires_grad=True)
    assert x[()].shape == () and x[None].shape == (1,) and x[...].shape == ()
    (x[None] * 3).sum().backward()
    assert x.grad.item() == 3.0


def test_second_order_through_repeated_indices():
    x = _x(3)
    (g,) = ag.grad((x[[0, 0, 1]] ** 2).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, [4 * x.data[0], 2 * x.data[1], 0.0])
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, [4.0, 2.0, 0.0])


def test_out_of_range_index_names_the_op_and_shape():
    x = _x(3)
    with pytest.raises(IndexError, match=r"GetItem.*\(3,\)"):
        x[[0, 5]]
