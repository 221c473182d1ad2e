"""nn.rules: forward-forward (Hinton 2022) and SymBa (Lee & Song 2023) train every layer on its
own goodness objective: checked against the objective written out in NumPy, and for locality
(a layer's update must not depend on the layers above it, as it would under backprop)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import nn
from nn import rules as R


def _setup():
    ag.manual_seed(0)
    net = R.ForwardForwardNet([4, 6, 5], classes=3, dtype=np.float64)
    rng = np.random.default_rng(0)
    return net, rng.normal(size=(5, 4)), np.array([0, 1, 2, 1, 0])


def _softplus(t):
    return np.logaddexp(0, t)


def _goodness_numpy(net, x, labels):
    z = np.concatenate([x, np.eye(3)[labels]], axis=1)
    out = []
    for layer in net.forward_layers:
        h = np.maximum(z @ layer.weight.data.T + layer.bias.data, 0)
        out.append((h ** 2).mean(axis=1))
        z = h / np.sqrt((h ** 2).sum(axis=1, keepdims=True) + 1e-12)
    return out


def _hard_negatives(net, x, y):
    per_class = np.stack([sum(_goodness_numpy(net, x, np.full(len(x), c))) for c in range(3)], 1)
    per_class[np.arange(len(y)), y] = -np.inf
    return per_class.argmax(axis=1)


def _objective(rule, net, x, y):
    neg = _hard_negatives(net, x, y)
    gp, gn = _goodness_numpy(net, x, y), _goodness_numpy(net, x, neg)
    if isinstance(rule, R.SymBa):
        return [_softplus(rule.alpha * (n - p)).mean() for p, n in zip(gp, gn)]
    t = rule.threshold
    return [(_softplus(t - p) + _softplus(n - t)).mean() for p, n in zip(gp, gn)]


@pytest.mark.parametrize("make", [R.ForwardForward, R.SymBa])
def test_each_layer_descends_its_own_goodness_objective(make):
    net, x, y = _setup()
    rule = make()
    net.zero_grad()
    loss = rule.step(net, nn.CrossEntropyLoss(), x, y)
    per_layer = _objective(rule, net, x, y)
    assert float(loss.item()) == pytest.approx(sum(per_layer), rel=1e-10)
    for k, layer in enumerate(net.forward_layers):  # grad W_k = ∂L_k/∂W_k by central differences
        w = layer.weight
        for idx in [(0, 0), (1, 2), (3, 1)]:
            old = w.data[idx]
            w.data[idx] = old + 1e-6
            up = _objective(rule, net, x, y)[k]
            w.data[idx] = old - 1e-6
            down = _objective(rule, net, x, y)[k]
            w.data[idx] = old
            assert w.grad.data[idx] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-9)


def test_a_layers_update_ignores_the_layers_above():
    net, x, y = _setup()
    rule = R.ForwardForward(negatives="random", seed=0)
    net.zero_grad()
    rule.step(net, nn.CrossEntropyLoss(), x, y)
    first = net.forward_layers[0].weight.grad.data.copy()
    net.forward_layers[1].weight.data[...] *= -3.0  # change everything above layer 0
    net.zero_grad()
    R.ForwardForward(negatives="random", seed=0).step(net, nn.CrossEntropyLoss(), x, y)
    np.testing.assert_allclose(net.forward_layers[0].weight.grad.data, first, rtol=1e-12)


def test_forward_forward_predicts_by_goodness_and_needs_its_network():
    net, x, y = _setup()
    scores = net(x).data
    want = np.stack([sum(_goodness_numpy(net, x, np.full(len(x), c))) for c in range(3)], 1)
    np.testing.assert_allclose(scores, want, rtol=1e-10)
    with pytest.raises(TypeError, match="ForwardForwardNet"):
        R.SymBa().step(nn.MLP([4, 3]), nn.CrossEntropyLoss(), x, y)
    with pytest.raises(ValueError, match="negatives"):
        R.ForwardForward(negatives="worst")


def test_a_silent_layer_keeps_the_goodness_differentiable():
    # all-zero activity: the length normalisation must not turn the gradient into NaN
    net, x, y = _setup()
    net.forward_layers[0].bias.data[...] = -100.0
    nn.CrossEntropyLoss()(net(x), y).backward()
    assert np.isfinite(net.forward_layers[0].weight.grad.data).all()
