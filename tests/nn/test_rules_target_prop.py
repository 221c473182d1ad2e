"""nn.rules.DifferenceTargetPropagation (Lee et al. 2015): targets travel down through learned
inverses (never Wᵀ), and the inverses' reconstruction loss falls as they learn."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import nn
from nn import rules as R


def _setup():
    ag.manual_seed(0)
    net = R.DTPNet([3, 6, 5, 2], dtype=np.float64)
    rng = np.random.default_rng(0)
    return net, rng.normal(size=(8, 3)), rng.integers(0, 2, 8)


def _grads(rule, net, x, y):
    net.zero_grad()
    rule.step(net, nn.CrossEntropyLoss(), x, y)
    layers = getattr(net, "forward_layers", None) or [m for m in net if isinstance(m, nn.Linear)]
    return [m.weight.grad.data.copy() for m in layers]


def test_targets_come_from_the_inverses_not_from_W_transpose():
    net, x, y = _setup()
    mlp = nn.MLP([3, 6, 5, 2], activation="tanh", dtype=np.float64)
    mlp.load_state_dict({f"{2 * i}.{k}": v for i, m in enumerate(net.forward_layers)
                         for k, v in m.state_dict().items()})
    bp = _grads(R.Backprop(), mlp, x, y)
    dtp = _grads(R.DifferenceTargetPropagation(eta=1e-3, noise=0.0), net, x, y)
    np.testing.assert_allclose(dtp[-1], bp[-1], rtol=2e-3)  # top layer: a small step = gradient
    assert not np.allclose(dtp[0], bp[0], rtol=0.1)
    # hand-written targets: t_{l} = h_l + g(t_{l+1}) - g(h_{l+1})
    rule = R.DifferenceTargetPropagation(eta=0.3)
    hs, h = [], ag.Tensor(x)
    for i in range(3):
        h = net.layer(i, h)
        hs.append(h)
    e = ag.Tensor(np.random.default_rng(1).normal(size=(8, 2)))
    ts = rule.targets(net, hs, e)
    tnp = [t.data for t in ts]
    np.testing.assert_allclose(tnp[2], hs[2].data - 0.3 * 8 * e.data)
    for i in (2, 1):
        V, c = net.inverse_layers[i - 1].weight.data, net.inverse_layers[i - 1].bias.data
        want = hs[i - 1].data + np.tanh(tnp[i] @ V.T + c) - np.tanh(hs[i].data @ V.T + c)
        np.testing.assert_allclose(tnp[i - 1], want, rtol=1e-12)
    for inv in net.inverse_layers:  # with inverses that ignore their input, no target moves
        inv.weight.data[...] = 0.0
    silent = _grads(R.DifferenceTargetPropagation(noise=0.0), net, x, y)
    assert np.abs(silent[0]).max() < 1e-14 and np.abs(silent[1]).max() < 1e-14
    assert np.abs(silent[2]).max() > 1e-3


def test_inverse_reconstruction_loss_falls():
    net, x, y = _setup()
    rule = R.DifferenceTargetPropagation(noise=0.1, seed=0)
    X = np.random.default_rng(2).normal(size=(64, 3))
    before = float(rule.reconstruction_loss(net, X, noise=0.0).item())
    opt = nn.optim.Adam(net.inverse_layers.parameters(), lr=0.02)
    for _ in range(150):
        opt.zero_grad()
        rule.step(net, nn.CrossEntropyLoss(), x, y)
        opt.step()
    after = float(rule.reconstruction_loss(net, X, noise=0.0).item())
    assert after < 0.5 * before


def test_dtp_needs_its_network():
    with pytest.raises(TypeError, match="DTPNet"):
        R.DifferenceTargetPropagation().step(nn.MLP([2, 3, 2]), nn.CrossEntropyLoss(),
                                             np.ones((1, 2), np.float32), np.array([0]))
    with pytest.raises(ValueError, match="eta"):
        R.DifferenceTargetPropagation(eta=0)
