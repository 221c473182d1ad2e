"""nn.rules.EquilibriumPropagation: the update approaches the true gradient of the loss at the
free equilibrium as β → 0 (Scellier & Bengio 2017), and is visibly biased at large β (so it is
not secretly computed by backprop)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import nn
from nn import rules as R

STEPS = 150  # enough sweeps for this small net to settle to float64 precision


def _setup():
    ag.manual_seed(0)
    net = R.EnergyNet([3, 5, 2], steps=STEPS, dtype=np.float64)
    rng = np.random.default_rng(0)
    return net, rng.normal(size=(4, 3)), np.array([0, 1, 1, 0])


def _loss_at_equilibrium(net, x, y):
    with ag.no_grad():
        return float(nn.CrossEntropyLoss()(net(x), y).item())


def _true_gradient(net, x, y, eps=1e-6):
    """dC(s⁰(θ))/dW_1 by central differences through the free relaxation."""
    w = net.forward_layers[0].weight
    g = np.zeros(w.shape)
    for idx in np.ndindex(*w.shape):
        old = w.data[idx]
        w.data[idx] = old + eps
        up = _loss_at_equilibrium(net, x, y)
        w.data[idx] = old - eps
        down = _loss_at_equilibrium(net, x, y)
        w.data[idx] = old
        g[idx] = (up - down) / (2 * eps)
    return g


def _eqprop(net, x, y, beta, symmetric):
    net.zero_grad()
    R.EquilibriumPropagation(beta=beta, nudged_steps=STEPS, symmetric=symmetric).step(
        net, nn.CrossEntropyLoss(), x, y)
    return net.forward_layers[0].weight.grad.data.copy()


def test_eqprop_update_approaches_the_gradient_as_beta_shrinks():
    net, x, y = _setup()
    true = _true_gradient(net, x, y)
    errors = [np.linalg.norm(_eqprop(net, x, y, beta, False) - true) / np.linalg.norm(true)
              for beta in (1.0, 0.1, 0.01)]
    assert errors[0] > 0.02  # a big nudge gives a biased update: this is not backprop
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.01
    sym = _eqprop(net, x, y, 0.01, True)  # ±β cancels the O(β) term
    np.testing.assert_allclose(sym, true, rtol=1e-4, atol=1e-4 * np.abs(true).max())


def test_eqprop_needs_an_energy_net():
    with pytest.raises(TypeError, match="EnergyNet"):
        R.EquilibriumPropagation().step(nn.MLP([2, 2]), nn.CrossEntropyLoss(),
                                        np.ones((1, 2), np.float32), np.array([0]))
    with pytest.raises(ValueError, match="beta"):
        R.EquilibriumPropagation(beta=0)
