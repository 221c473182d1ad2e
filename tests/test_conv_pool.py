"""conv2d, max_pool2d, avg_pool2d, dropout and one_hot: conventions, errors, dtypes, higher order.

Values and gradients against PyTorch are in ``test_torch_oracle.py``; the registry sweep runs
gradcheck/gradgradcheck on random shapes. Here: the documented conventions and the error messages.
"""

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine.testing import gradcheck, gradgradcheck

rng = np.random.default_rng(0)


def _t(*shape, dtype=np.float64, grad=True):
    return ag.Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=grad)


# ----- conv2d ------------------------------------------------------------------------------------


def test_conv2d_matches_direct_sum():
    x, w, b = _t(2, 3, 5, 4), _t(4, 3, 3, 2), _t(4)
    y = ag.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2))
    xp = np.pad(x.data, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ho, wo = (5 + 2 - 2 - 1) // 2 + 1, (4 + 2 - 2 - 1) // 1 + 1
    expected = np.zeros((2, 4, ho, wo))
    for i in range(ho):  # the slow, obvious definition
        for j in range(wo):
            patch = xp[:, :, 2 * i:2 * i + 3, j:j + 3:2]
            expected[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w.data) + b.data
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)


def test_conv2d_groups_are_independent_convolutions():
    x, w = _t(1, 4, 4, 4), _t(6, 2, 3, 3)
    y = ag.conv2d(x, w, groups=2, padding=1)
    left = ag.conv2d(x[:, :2], w[:3], padding=1)
    right = ag.conv2d(x[:, 2:], w[3:], padding=1)
    np.testing.assert_allclose(y.data, np.concatenate([left.data, right.data], axis=1), rtol=1e-12)


def test_conv2d_keeps_float32_and_second_order_works():
    x, w, b = _t(2, 2, 5, 5, dtype=np.float32), _t(3, 2, 3, 3, dtype=np.float32), _t(3, dtype=np.float32)
    y = ag.conv2d(x, w, b, padding=1)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32
    x64, w64 = _t(1, 2, 4, 4), _t(2, 2, 2, 2)
    assert gradgradcheck(lambda a, k: ag.conv2d(a, k, stride=2, padding=1), [x64, w64])


def test_conv2d_gradients_of_gradients_compose():
    x, w = _t(1, 1, 4, 4), _t(1, 1, 3, 3)
    (gx,) = ag.grad((ag.conv2d(x, w) ** 2).sum(), x, create_graph=True)
    (gw,) = ag.grad((gx ** 2).sum(), w)  # a function of the transposed convolution
    assert gw.shape == w.shape and np.isfinite(gw.data).all()


def test_conv2d_channel_mismatch_explains_the_fix():
    with pytest.raises(ValueError, match=r"in_channels must equal w\.shape\[1\] \* groups") as e:
        ag.conv2d(_t(1, 3, 5, 5), _t(4, 2, 3, 3))
    assert "(1, 3, 5, 5)" in str(e.value) and "(4, 2, 3, 3)" in str(e.value)
    with pytest.raises(ValueError, match=r"w\.shape\[1\] \* groups = 4"):
        ag.conv2d(_t(1, 3, 5, 5), _t(4, 2, 3, 3), groups=2)


def test_conv2d_bad_shapes_and_sizes():
    with pytest.raises(ValueError, match=r"expected x of shape \(N, C, H, W\)"):
        ag.conv2d(_t(3, 5, 5), _t(4, 3, 3, 3))
    with pytest.raises(ValueError, match="divisible by groups"):
        ag.conv2d(_t(1, 4, 5, 5), _t(3, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match="larger than the padded input"):
        ag.conv2d(_t(1, 1, 2, 2), _t(1, 1, 3, 3))
    with pytest.raises(ValueError, match="padding must be >= 0"):
        ag.conv2d(_t(1, 1, 4, 4), _t(1, 1, 3, 3), padding=-1)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        ag.conv2d(_t(1, 1, 4, 4), _t(1, 1, 3, 3), stride=0)
    with pytest.raises(TypeError, match="int or a pair of ints"):
        ag.conv2d(_t(1, 1, 4, 4), _t(1, 1, 3, 3), stride=(1, 1, 1))
    with pytest.raises(ValueError, match=r"bias must have shape \(out_channels,\) = \(2,\)"):
        ag.conv2d(_t(1, 1, 4, 4), _t(2, 1, 3, 3), _t(3))


# ----- pooling -----------------------------------------------------------------------------------


def test_max_pool_default_stride_is_the_kernel_and_sizes_round_down():
    x = _t(1, 1, 5, 7)
    assert ag.max_pool2d(x, 2).shape == (1, 1, 2, 3)
    assert ag.max_pool2d(x, (2, 3), stride=1).shape == (1, 1, 4, 5)
    assert ag.avg_pool2d(x, 3, padding=1).shape == (1, 1, 2, 3)


def test_max_pool_padding_is_minus_infinity():
    x = ag.Tensor(-np.ones((1, 1, 2, 2)), requires_grad=True)
    y = ag.max_pool2d(x, 2, stride=1, padding=1)
    np.testing.assert_array_equal(y.data, -np.ones((1, 1, 3, 3)))  # never the padded zeros
    y.sum().backward()
    assert x.grad.data.sum() == 9.0


def test_max_pool_ties_and_overlapping_windows():
    x = ag.Tensor([[[[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]], requires_grad=True)
    ag.max_pool2d(x, 2, stride=1).sum().backward()
    # Each window's first maximum in row-major order: (0,0), (0,1), (1,0) and (1,1); as in torch.
    np.testing.assert_array_equal(x.grad.data[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])
    x = ag.Tensor([[[[1.0, 2.0, 1.0], [0.0, 0.0, 0.0]]]], requires_grad=True)
    ag.max_pool2d(x, (2, 2), stride=1).sum().backward()  # (0,1) wins both windows: adds up
    np.testing.assert_array_equal(x.grad.data[0, 0], [[0, 2, 0], [0, 0, 0]])


def test_max_pool_nan_propagates():
    x = ag.Tensor([[[[1.0, np.nan], [3.0, 2.0]]]], requires_grad=True)
    y = ag.max_pool2d(x, 2)
    assert np.isnan(y.data).all()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data[0, 0], [[0, 1], [0, 0]])


def test_avg_pool_counts_padded_cells():
    x = ag.Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    y = ag.avg_pool2d(x, 2, padding=1)
    np.testing.assert_allclose(y.data[0, 0], [[0.25, 0.25], [0.25, 0.25]])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.full((1, 1, 2, 2), 0.25))


def test_pooling_float32_and_second_order():
    x = _t(2, 2, 4, 4, dtype=np.float32)
    for pool in (ag.max_pool2d, ag.avg_pool2d):
        y = pool(x, 2, stride=1, padding=1)
        assert y.dtype == np.float32
    x64 = ag.Tensor(rng.permutation(32).reshape(1, 2, 4, 4) / 7.0, requires_grad=True)
    for pool in (ag.max_pool2d, ag.avg_pool2d):
        assert gradcheck(lambda t, p=pool: p(t, 3, stride=1, padding=1), [x64])
        assert gradgradcheck(lambda t, p=pool: p(t, 3, stride=1, padding=1), [x64])


def test_pooling_errors():
    with pytest.raises(ValueError, match="at most half the kernel"):
        ag.max_pool2d(_t(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match="larger than the padded input"):
        ag.avg_pool2d(_t(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match=r"shape \(N, C, H, W\)"):
        ag.max_pool2d(_t(4, 4), 2)
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        ag.max_pool2d(_t(1, 1, 4, 4), 0)


# ----- dropout and one_hot -----------------------------------------------------------------------


def test_dropout_scaling_rng_and_identity():
    x = ag.ones(1000, requires_grad=True)
    y = ag.dropout(x, p=0.25, rng=np.random.default_rng(3))
    kept = y.data != 0
    np.testing.assert_allclose(y.data[kept], 1 / 0.75)
    assert 0.65 < kept.mean() < 0.85
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)  # the same mask, the same scale
    y2 = ag.dropout(x, p=0.25, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(y.data, y2.data)
    assert ag.dropout(x, p=0.5, training=False) is x
    assert ag.dropout(x, p=0.0) is x
    assert (ag.dropout(x, p=1.0).data == 0).all()
    ag.manual_seed(5)
    a = ag.dropout(x).data
    ag.manual_seed(5)
    np.testing.assert_array_equal(a, ag.dropout(x).data)
    assert ag.dropout(_t(4, dtype=np.float32), 0.5).dtype == np.float32


def test_dropout_errors():
    with pytest.raises(ValueError, match=r"probability in \[0, 1\]"):
        ag.dropout(ag.ones(3), p=1.5)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        ag.dropout(ag.ones(3), rng="seed")


def test_one_hot():
    y = ag.one_hot(np.array([[0, 2], [1, 1]]), 3)
    assert y.shape == (2, 2, 3) and y.dtype == np.float64 and not y.requires_grad
    np.testing.assert_array_equal(y.data[0], [[1, 0, 0], [0, 0, 1]])
    assert ag.one_hot(ag.Tensor(np.array([3])), dtype=np.float32).shape == (1, 4)
    assert ag.one_hot(np.array([1]), 2, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 3\)"):
        ag.one_hot(np.array([0, 3]), 3)
    with pytest.raises(TypeError, match="indices must be integers"):
        ag.one_hot(np.array([0.0, 1.0]), 3)
