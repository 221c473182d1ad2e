"""nn.rules: synthetic gradients (Jaderberg et al. 2017) and delayed gradients (Huo et al. 2018)
update layers without waiting for the full backward pass: the updates are checked to be the
predicted / delayed ones, which differ from backprop's on the current batch."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import nn
from nn import rules as R


def _data(seed=0, n=6):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)), rng.integers(0, 2, n)


def _bp(layers_of, model, x, y):
    model.zero_grad()
    R.Backprop().step(model, nn.CrossEntropyLoss(), x, y)
    return [m.weight.grad.data.copy() for m in layers_of(model)]


def test_synthetic_gradients_update_hidden_layers_with_the_prediction():
    ag.manual_seed(0)
    net = R.DNINet([3, 5, 4, 2], classes=2, dtype=np.float64)
    x, y = _data()
    bp = _bp(lambda m: m.forward_layers, net, x, y)
    net.zero_grad()
    R.SyntheticGradients().step(net, nn.CrossEntropyLoss(), x, y)
    got = [m.weight.grad.data.copy() for m in net.forward_layers]
    assert not got[0].any() and not got[1].any()  # zero-initialised synthesisers predict 0
    np.testing.assert_allclose(got[2], bp[2], rtol=1e-10)  # the output layer has the true error
    # with a non-zero synthesiser, layer 1's update is (∂h_1/∂W_1)ᵀ M_1(h_1, y) / B
    rng = np.random.default_rng(1)
    for m in net.synthesizers:
        m.weight.data[...] = rng.normal(size=m.weight.shape)
    net.zero_grad()
    R.SyntheticGradients().step(net, nn.CrossEntropyLoss(), x, y)
    W0, b0 = net.forward_layers[0].weight.data, net.forward_layers[0].bias.data
    W1, b1 = net.forward_layers[1].weight.data, net.forward_layers[1].bias.data
    h0 = np.tanh(x @ W0.T + b0)
    h1 = np.tanh(h0 @ W1.T + b1)
    M = net.synthesizers[1]
    g = np.concatenate([h1, np.eye(2)[y]], 1) @ M.weight.data.T + M.bias.data
    want = ((g / len(x)) * (1 - h1 ** 2)).T @ h0
    np.testing.assert_allclose(net.forward_layers[1].weight.grad.data, want, rtol=1e-10)


def test_synthesisers_learn_the_true_gradient():
    ag.manual_seed(0)
    net = R.DNINet([3, 5, 4, 2], classes=2, dtype=np.float64)
    x, y = _data(n=16)
    opt = nn.optim.Adam(net.synthesizers.parameters(), lr=0.05)  # forward weights stay fixed
    for _ in range(300):
        opt.zero_grad()
        R.SyntheticGradients().step(net, nn.CrossEntropyLoss(), x, y)
        opt.step()
    h = ag.Tensor(x)
    for i in range(2):
        h = net.layer(i, h)
    h.requires_grad_(True)
    (true,) = ag.grad(nn.CrossEntropyLoss()(net.layer(2, h), y), h)
    pred = net.synthetic_gradient(1, h, y).data / len(x)
    cos = pred.ravel() @ true.data.ravel() / (np.linalg.norm(pred) * np.linalg.norm(true.data))
    assert cos > 0.95


def test_delayed_gradients_are_those_of_earlier_batches():
    ag.manual_seed(0)
    model = nn.MLP([3, 5, 4, 2], activation="tanh", dtype=np.float64)
    lins = lambda m: [layer for layer in m if isinstance(layer, nn.Linear)]  # noqa: E731
    batches = [_data(seed) for seed in range(4)]
    bp = [_bp(lins, model, x, y) for x, y in batches]
    rule = R.DelayedGradients()
    seen = []
    for x, y in batches:  # no optimizer step: the weights stay put, only the delays show
        model.zero_grad()
        rule.step(model, nn.CrossEntropyLoss(), x, y)
        seen.append([None if m.weight.grad is None else m.weight.grad.data.copy()
                     for m in lins(model)])
    assert seen[0][0] is None and seen[0][1] is None and seen[1][0] is None
    for t in (2, 3):
        for k in range(3):  # module k at step t: the gradient of batch t - (K - 1 - k)
            np.testing.assert_allclose(seen[t][k], bp[t - 2 + k][k], rtol=1e-10)
        assert not np.allclose(seen[t][0], bp[t][0])


def test_decoupled_rules_check_their_model():
    with pytest.raises(TypeError, match="DNINet"):
        R.SyntheticGradients().step(nn.MLP([2, 2]), nn.CrossEntropyLoss(), np.ones((1, 2)),
                                    np.array([0]))
    with pytest.raises(ValueError, match="modules=5"):
        R.DelayedGradients(modules=5).step(nn.MLP([2, 3, 2]), nn.CrossEntropyLoss(),
                                           np.ones((1, 2), np.float32), np.array([0]))
