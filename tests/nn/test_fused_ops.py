"""nn's fused ops are exact and twice differentiable (gradcheck / gradgradcheck in float64)."""

import numpy as np
import pytest

import autograd_engine as ag
import nn
import nn.functional as F
from autograd_engine.testing import gradcheck, gradgradcheck

rng = np.random.default_rng(0)


def leaf(*shape):
    return ag.Tensor(rng.normal(size=shape), requires_grad=True)


@pytest.mark.parametrize("xshape", [(4, 3), (2, 5, 3), (3,)])
def test_linear(xshape):
    x, w, b = leaf(*xshape), leaf(2, 3), leaf(2)
    assert gradcheck(F.linear, [x, w, b])
    assert gradgradcheck(F.linear, [x, w, b])
    assert gradgradcheck(lambda x, w: F.linear(x, w), [x, w])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy(reduction):
    x = leaf(4, 3)
    t = np.array([0, 2, -100, 1])
    w = np.array([0.5, 1.0, 2.0])

    def f(x):
        return F.cross_entropy(x, t, weight=w, reduction=reduction, label_smoothing=0.1)

    assert gradcheck(f, [x])
    assert gradgradcheck(f, [x])
    x4 = leaf(2, 3, 2, 2)
    t4 = rng.integers(0, 3, size=(2, 2, 2))
    assert gradgradcheck(lambda x: F.cross_entropy(x, t4, reduction=reduction), [x4])


def test_nll_bce_and_norms():
    t = np.array([1, 0, 2])
    assert gradgradcheck(lambda x: F.nll_loss(x, t, weight=np.array([1.0, 2.0, 0.5])), [leaf(3, 3)])
    y = rng.uniform(size=(3, 2))
    pw = np.array([2.0, 0.5])
    assert gradgradcheck(lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw),
                         [leaf(3, 2), ag.Tensor(y, requires_grad=True)])
    assert gradgradcheck(lambda x: F.layer_norm(x, (3,)), [leaf(2, 3)])
    assert gradgradcheck(lambda x: F.batch_norm(x, None, None, training=True), [leaf(4, 2)])


def test_recurrent_layers_gradcheck():
    ag.manual_seed(0)
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True, dtype=np.float64)
    rnn = nn.RNN(2, 3, dtype=np.float64)
    x = leaf(4, 2, 2)
    assert gradcheck(lambda x: lstm(x)[0], [x])
    assert gradcheck(lambda x, h: rnn(x, h)[1], [x, leaf(1, 2, 3)])
    small = nn.LSTM(2, 2, dtype=np.float64)
    assert gradgradcheck(lambda x: small(x)[1][1], [leaf(3, 1, 2)])
