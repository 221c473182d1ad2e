"""nn.rules: SPSA, MGD and forward gradients estimate the gradient without backprop, unbiasedly.

Each test averages many estimates and compares with the exact gradient, and also checks that a
single estimate is *not* the gradient: a rule that quietly computed backprop's gradient fails.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import nn
from nn import rules as R


def _exact(model, loss_fn, x, y):
    model.zero_grad()
    R.Backprop().step(model, loss_fn, x, y)
    return [p.grad.data.copy() for p in model.parameters()]


def _estimate(rule, model, loss_fn, x, y):
    model.zero_grad()
    rule.step(model, loss_fn, x, y)
    return [p.grad.data.copy() for p in model.parameters()]


def _flat(gs):
    return np.concatenate([g.ravel() for g in gs])


def _cos(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _quadratic():
    """MSE of a linear layer: a quadratic in the weights and in the activities."""
    ag.manual_seed(0)
    model = nn.Linear(3, 2, dtype=np.float64)
    rng = np.random.default_rng(0)
    return model, nn.MSELoss(), rng.normal(size=(4, 3)), rng.normal(size=(4, 2))


@pytest.mark.parametrize("cls", [R.SPSA, R.MGD])
@pytest.mark.parametrize("perturb", ["weights", "activities"])
def test_perturbation_estimate_is_unbiased_on_a_quadratic(cls, perturb):
    model, loss_fn, x, y = _quadratic()
    exact = _flat(_exact(model, loss_fn, x, y))
    one = _flat(_estimate(cls(perturb=perturb, seed=1), model, loss_fn, x, y))
    assert _cos(one, exact) < 0.99  # one draw is a noisy, different direction
    mean = _flat(_estimate(cls(perturbations=3000, perturb=perturb, epsilon=1e-4, seed=2),
                           model, loss_fn, x, y))
    np.testing.assert_allclose(mean, exact, atol=0.06 * np.linalg.norm(exact))


def test_spsa_central_difference_is_exact_for_each_draw_on_a_quadratic():
    # (L(θ+cΔ) - L(θ-cΔ)) / 2c = ∇L·Δ exactly, so ĝ·Δ/|Δ|² = ∇L·Δ for the one draw
    model, loss_fn, x, y = _quadratic()
    exact = _flat(_exact(model, loss_fn, x, y))
    one = _flat(_estimate(R.SPSA(perturb="weights", epsilon=0.5, seed=3), model, loss_fn, x, y))
    delta = np.sign(one)
    assert np.all(np.abs(np.abs(one) - np.abs(one[0])) < 1e-9)  # ĝ = s Δ with |Δ_i| = 1
    np.testing.assert_allclose(one @ delta / len(delta), exact @ delta, rtol=1e-9)


def test_spsa_leaves_the_parameters_unchanged():
    model, loss_fn, x, y = _quadratic()
    before = [p.data.copy() for p in model.parameters()]
    R.SPSA(perturb="weights", perturbations=3).step(model, loss_fn, x, y)
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)


@pytest.mark.parametrize("perturb", ["weights", "activities"])
def test_forward_gradient_is_unbiased(perturb):
    ag.manual_seed(0)
    model = nn.MLP([3, 4, 2], activation="tanh", dtype=np.float64)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 3)), rng.integers(0, 2, 5)
    loss_fn = nn.CrossEntropyLoss()
    exact = _flat(_exact(model, loss_fn, x, y))
    one = _flat(_estimate(R.ForwardGradient(perturb=perturb, seed=1), model, loss_fn, x, y))
    assert _cos(one, exact) < 0.99
    mean = _flat(_estimate(R.ForwardGradient(directions=1500, perturb=perturb, seed=2),
                           model, loss_fn, x, y))
    np.testing.assert_allclose(mean, exact, atol=0.12 * np.linalg.norm(exact))
    assert _cos(mean, exact) > 0.98


def test_perturbation_rules_check_their_arguments():
    with pytest.raises(ValueError, match="perturb"):
        R.SPSA(perturb="nodes")
    with pytest.raises(ValueError, match="directions"):
        R.ForwardGradient(directions=0)
    model = nn.MLP([2, 3, 2])
    with pytest.raises(TypeError, match="per-example"):
        R.SPSA().step(model, lambda out, y: (out * out).mean(), np.ones((2, 2), np.float32),
                      np.array([0, 1]))
