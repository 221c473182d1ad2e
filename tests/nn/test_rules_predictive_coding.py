"""nn.rules: predictive coding and activation relaxation reach backprop's gradient only through
their relaxation dynamics (Whittington & Bogacz 2017; Millidge et al. 2020)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import nn
from nn import rules as R


def _setup():
    ag.manual_seed(0)
    model = nn.MLP([3, 5, 4, 2], activation="tanh", dtype=np.float64)
    rng = np.random.default_rng(0)
    return model, rng.normal(size=(6, 3)), rng.integers(0, 2, 6)


def _grads(rule, model, x, y):
    model.zero_grad()
    rule.step(model, nn.CrossEntropyLoss(), x, y)
    return [m.weight.grad.data.copy() for m in model if isinstance(m, nn.Linear)]


def _rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def test_predictive_coding_errors_travel_one_layer_per_step_and_converge_to_backprop():
    model, x, y = _setup()
    bp = _grads(R.Backprop(), model, x, y)
    none = _grads(R.PredictiveCoding(steps=0), model, x, y)
    np.testing.assert_allclose(none[-1], bp[-1], rtol=1e-9)  # the output layer sees its error
    assert not none[0].any() and not none[1].any()  # nothing has reached the hidden layers yet
    one = _grads(R.PredictiveCoding(steps=1, inference_rate=0.5), model, x, y)
    assert one[1].any() and not one[0].any()  # one step: one layer further down
    relaxed = _grads(R.PredictiveCoding(steps=300, inference_rate=0.2, eta=1e-4), model, x, y)
    for g, b in zip(relaxed, bp):  # Whittington & Bogacz: backprop's direction, smaller steps
        cos = g.ravel() @ b.ravel() / (np.linalg.norm(g) * np.linalg.norm(b))
        assert cos > 0.99 and 0.05 < _rel(g, b) < 0.5
    fixed = _grads(R.PredictiveCoding(steps=300, inference_rate=0.2, eta=1e-4,
                                      fixed_predictions=True), model, x, y)
    for g, b in zip(fixed, bp):  # Millidge et al.'s fixed predictions: backprop at equilibrium
        assert _rel(g, b) < 1e-6
    few = _grads(R.PredictiveCoding(steps=1, inference_rate=0.5, fixed_predictions=True),
                 model, x, y)
    assert few[1].any() and not few[0].any()
    coarse = _grads(R.PredictiveCoding(steps=300, inference_rate=0.2, eta=1.0), model, x, y)
    assert _rel(coarse[0], bp[0]) > 5e-2  # a strong output error: PC's own answer, not BP's


def test_activation_relaxation_reaches_backprop_only_after_relaxing():
    model, x, y = _setup()
    bp = _grads(R.Backprop(), model, x, y)
    exact = _grads(R.ActivationRelaxation(steps=3, rate=1.0), model, x, y)
    for g, b in zip(exact, bp):
        np.testing.assert_allclose(g, b, rtol=1e-9, atol=1e-12)
    early = _grads(R.ActivationRelaxation(steps=0), model, x, y)
    assert not early[0].any()
    partial = _grads(R.ActivationRelaxation(steps=2, rate=0.5), model, x, y)
    assert _rel(partial[0], bp[0]) > 0.3
    late = _grads(R.ActivationRelaxation(steps=60, rate=0.5), model, x, y)
    assert _rel(late[0], bp[0]) < 1e-6


def test_chain_rules_refuse_models_that_are_not_chains():
    with pytest.raises(TypeError, match="nn.Sequential"):
        R.PredictiveCoding().step(nn.Linear(2, 2), nn.MSELoss(), np.ones((1, 2)), np.ones((1, 2)))
    with pytest.raises(TypeError, match="ending in nn.Linear"):
        R.ActivationRelaxation().step(nn.Sequential(nn.Linear(2, 2), nn.Tanh()), nn.MSELoss(),
                                      np.ones((1, 2)), np.ones((1, 2)))
    with pytest.raises(ValueError, match="eta"):
        R.PredictiveCoding(eta=0)
