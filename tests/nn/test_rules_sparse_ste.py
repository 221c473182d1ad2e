"""nn.rules: meProp's top-k sparsified backprop (Sun et al. 2017) and the straight-through
estimator (Bengio et al. 2013)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import nn
from nn import rules as R


def test_meprop_keeps_the_top_k_output_gradients_of_each_layer():
    ag.manual_seed(0)
    model = nn.MLP([4, 8, 6], activation="tanh", dtype=np.float64)
    x, y = np.random.default_rng(0).normal(size=(1, 4)), np.array([2])
    model.zero_grad()
    R.Backprop().step(model, nn.CrossEntropyLoss(), x, y)
    bp = [m.weight.grad.data.copy() for m in (model[0], model[2])]
    model.zero_grad()
    R.MeProp(k=3).step(model, nn.CrossEntropyLoss(), x, y)
    got = [m.weight.grad.data.copy() for m in (model[0], model[2])]
    top = np.abs(bp[1]).sum(axis=1).argsort()[-3:]  # the output layer: its 3 largest rows
    np.testing.assert_allclose(got[1][top], bp[1][top], rtol=1e-12)
    assert np.count_nonzero(np.abs(got[1]).sum(axis=1)) == 3
    assert np.count_nonzero(np.abs(got[0]).sum(axis=1)) == 3  # hidden: k rows as well
    assert not np.allclose(got[0], bp[0])  # it sees the sparsified error, not backprop's
    model.zero_grad()
    R.MeProp(k=8).step(model, nn.CrossEntropyLoss(), x, y)  # k >= width: exact backprop
    np.testing.assert_allclose(model[0].weight.grad.data, bp[0], rtol=1e-12)


def test_topk_gradient_function_per_row():
    a = ag.Tensor(np.zeros((2, 4)), requires_grad=True)
    out = R.TopKGradient.apply(a, k=2)
    out.backward(np.array([[1.0, -5.0, 3.0, 0.5], [-0.1, 0.2, -0.3, 0.4]]))
    np.testing.assert_array_equal(a.grad.data, [[0, -5, 3, 0], [0, 0, -0.3, 0.4]])
    with pytest.raises(ValueError, match="k must be"):
        R.MeProp(k=0)


def test_straight_through_sign_passes_a_clipped_identity_gradient():
    x = ag.Tensor(np.array([-3.0, -1.0, -0.2, 0.0, 0.4, 2.5]), requires_grad=True)
    y = R.sign_ste(x)
    np.testing.assert_array_equal(y.data, [-1, -1, -1, 1, 1, 1])
    (y * ag.Tensor(np.arange(6.0))).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 1, 2, 3, 4, 0])
    z = ag.Tensor(np.array([-0.5, 0.5]), requires_grad=True)
    R.SignActivation(straight_through=False)(z).sum().backward()
    np.testing.assert_array_equal(z.grad.data, [0, 0])  # the true gradient stops learning


def test_a_binary_network_learns_only_with_the_straight_through_estimator():
    X = np.random.default_rng(0).normal(size=(128, 2))
    Y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    acc = {}
    for ste in (True, False):
        ag.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 4, dtype=np.float64), R.SignActivation(ste),
                              nn.Linear(4, 2, dtype=np.float64))
        first = model[0].weight.data.copy()
        nn.fit(model, nn.CrossEntropyLoss(), nn.optim.Adam(model.parameters(), lr=0.05),
               nn.data.DataLoader(X, Y, batch_size=32, shuffle=True, seed=0), epochs=30,
               progress=False)
        acc[ste] = nn.accuracy(model(X), Y)
        assert np.array_equal(model[0].weight.data, first) == (not ste)
    assert acc[True] > acc[False] + 0.1
