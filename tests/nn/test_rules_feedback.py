"""nn.rules: Backprop, the feedback family (FA, sign symmetry, DFA) and nn.fit(rule=...).

Each paper property is checked against the update written out by hand in NumPy: the hidden
layers' gradients must use the rule's feedback matrices, so a rule that silently used Wᵀ (i.e.
became backprop) fails.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import nn
from nn import rules as R


def _setup(sizes=(3, 5, 4, 2), seed=0):
    ag.manual_seed(seed)
    model = nn.MLP(list(sizes), activation="tanh", dtype=np.float64)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(6, sizes[0]))
    y = rng.integers(0, sizes[-1], 6)
    return model, x, y


def _forward_numpy(model, x, y):
    """Pre-activations a_l and inputs h_{l-1} of each Linear, and the output error e."""
    lins = [m for m in model if isinstance(m, nn.Linear)]
    hs, h = [], x
    for i, lin in enumerate(lins):
        hs.append(h)
        a = h @ lin.weight.data.T + lin.bias.data
        h = np.tanh(a) if i < len(lins) - 1 else a
    p = np.exp(h - h.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    return lins, hs, (p - np.eye(h.shape[1])[y]) / len(x)


def _grads(rule, model, x, y):
    model.zero_grad()
    rule.step(model, nn.CrossEntropyLoss(), x, y)
    return [m.weight.grad.data.copy() for m in model if isinstance(m, nn.Linear)]


def _chain_expected(model, x, y, feedback):
    """Layer-to-layer error propagation through the given matrices (Wᵀ for backprop)."""
    lins, hs, d = _forward_numpy(model, x, y)
    expected = [None] * len(lins)
    for i in range(len(lins) - 1, -1, -1):
        expected[i] = d.T @ hs[i]
        if i:
            d = (d @ feedback(lins[i])) * (1 - hs[i] ** 2)  # hs[i] = tanh(a_{i-1})
    return expected


def test_backprop_rule_equals_loss_backward():
    model, x, y = _setup()
    got = _grads(R.Backprop(), model, x, y)
    want = _chain_expected(model, x, y, lambda lin: lin.weight.data)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("make", [lambda: R.FeedbackAlignment(seed=3), R.SignSymmetry])
def test_feedback_rules_send_errors_through_B_not_W(make):
    model, x, y = _setup()
    rule = make()
    got = _grads(rule, model, x, y)
    want = _chain_expected(model, x, y, rule.feedback_matrix)
    backprop = _chain_expected(model, x, y, lambda lin: lin.weight.data)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[-1], backprop[-1], rtol=1e-10)  # output layer: same as BP
    assert not np.allclose(got[0], backprop[0], rtol=1e-3)  # hidden layers: not backprop


def test_feedback_alignment_matrix_is_fixed_and_sign_symmetry_follows_W():
    model, x, y = _setup()
    fa, ss = R.FeedbackAlignment(seed=1), R.SignSymmetry()
    B_before = fa.feedback_matrix(model[2]).copy()
    opt = nn.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(3):
        opt.zero_grad()
        fa.step(model, nn.CrossEntropyLoss(), x, y)
        opt.step()
    np.testing.assert_array_equal(fa.feedback_matrix(model[2]), B_before)
    assert not np.allclose(B_before, model[2].weight.data)
    np.testing.assert_array_equal(np.sign(ss.feedback_matrix(model[2])),
                                  np.sign(model[2].weight.data))


def test_direct_feedback_alignment_sends_the_output_error_to_every_layer():
    model, x, y = _setup()
    rule = R.DirectFeedbackAlignment(seed=2)
    got = _grads(rule, model, x, y)
    lins, hs, e = _forward_numpy(model, x, y)
    for i in range(len(lins) - 1):
        B = rule.feedback_matrix(lins[i + 1])  # carries e to h_i, the input of layer i + 1
        want = ((e @ B) * (1 - hs[i + 1] ** 2)).T @ hs[i]
        np.testing.assert_allclose(got[i], want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[-1], e.T @ hs[-1], rtol=1e-10)
    backprop = _chain_expected(model, x, y, lambda lin: lin.weight.data)
    assert not np.allclose(got[0], backprop[0], rtol=1e-3)


def test_rules_learn_through_fit_and_accumulate_like_backward():
    model, x, y = _setup((2, 16, 2))
    X = np.random.default_rng(0).normal(size=(64, 2))
    Y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    for rule in (R.FeedbackAlignment(), R.DirectFeedbackAlignment(), R.SignSymmetry()):
        ag.manual_seed(0)
        m = nn.MLP([2, 16, 2], activation="tanh", dtype=np.float64)
        hist = nn.fit(m, nn.CrossEntropyLoss(), nn.optim.Adam(m.parameters(), lr=0.05),
                      nn.data.DataLoader(X, Y, batch_size=16, shuffle=True, seed=0), epochs=15,
                      metrics=["accuracy"], progress=False, rule=rule)
        assert hist["loss"][-1] < 0.7 * hist["loss"][0], type(rule).__name__
    once = _grads(R.FeedbackAlignment(seed=0), model, x, y)
    rule = R.FeedbackAlignment(seed=0)
    model.zero_grad()
    rule.step(model, nn.CrossEntropyLoss(), x, y)
    rule.step(model, nn.CrossEntropyLoss(), x, y)
    np.testing.assert_allclose(model[0].weight.grad.data, 2 * once[0], rtol=1e-12)


def test_rules_refuse_models_they_cannot_train():
    with pytest.raises(TypeError, match="nn.Linear"):
        R.FeedbackAlignment().step(nn.Tanh(), nn.MSELoss(), np.ones((2, 2)), np.ones((2, 2)))
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2), nn.Tanh())
    with pytest.raises(TypeError, match="last nn.Linear"):
        R.DirectFeedbackAlignment().step(model, nn.CrossEntropyLoss(), np.ones((2, 2), np.float32),
                                         np.array([0, 1]))
    with pytest.raises(TypeError, match="abstract"):
        R.Rule()


def test_fit_with_the_backprop_rule_matches_plain_fit():
    X = np.random.default_rng(0).normal(size=(48, 2))
    Y = (X[:, 0] > 0).astype(np.int64)
    runs = []
    for rule in (None, R.Backprop()):
        ag.manual_seed(0)
        m = nn.MLP([2, 8, 2], activation="tanh", dtype=np.float64)
        hist = nn.fit(m, nn.CrossEntropyLoss(), nn.optim.SGD(m.parameters(), lr=0.1),
                      nn.data.DataLoader(X, Y, batch_size=16, shuffle=True, seed=0), epochs=3,
                      metrics=["accuracy"], progress=False, rule=rule)
        runs.append((hist, m[0].weight.data.copy()))
    np.testing.assert_allclose(runs[0][0]["loss"], runs[1][0]["loss"], rtol=1e-12)
    np.testing.assert_allclose(runs[0][0]["accuracy"], runs[1][0]["accuracy"])
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-12)


def test_fit_refuses_a_rule_without_step_and_changes_nothing():
    model, x, y = _setup((2, 3, 2))
    before = model[0].weight.data.copy()
    with pytest.raises(TypeError, match="rule must be a learning rule"):
        nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1),
               nn.data.DataLoader(x, y, batch_size=2), rule="fa", progress=False)
    np.testing.assert_array_equal(model[0].weight.data, before)
