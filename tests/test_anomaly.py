"""detect_anomaly: the first NaN/inf in forward or backward raises, naming the op and the user's line."""

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine.grad_mode import STATE


def T(a, **kw):
    return ag.Tensor(np.asarray(a, dtype=np.float64), **kw)


def test_forward_nan_names_op_and_user_line():
    x = T([-1.0, 2.0], requires_grad=True)
    with ag.detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            ag.log(x)  # THE-LOG-LINE
    msg = str(info.value)
    assert "Log produced NaN in its forward output" in msg
    assert "test_anomaly.py" in msg and "THE-LOG-LINE" in msg
    assert "in test_forward_nan_names_op_and_user_line" in msg


def test_forward_inf_and_first_bad_op_only():
    x = T([0.0, 1.0], requires_grad=True)
    with ag.detect_anomaly():
        y = x * 2  # fine
        with pytest.raises(RuntimeError, match="Div produced inf"):
            _ = 1.0 / y


def test_forward_reports_upstream_nan():
    x = T([np.nan, 1.0], requires_grad=True)
    with ag.detect_anomaly(), pytest.raises(RuntimeError, match="inputs already contained NaN"):
        _ = x * 2


def test_backward_inf_names_op_and_creation_line():
    x = T([0.0, 4.0], requires_grad=True)
    with ag.detect_anomaly():
        y = ag.sqrt(x)  # THE-SQRT-LINE
        loss = y.sum()
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    msg = str(info.value)
    assert "Sqrt.backward returned inf in the gradient of input 0" in msg
    assert "THE-SQRT-LINE" in msg and "test_anomaly.py" in msg


def test_backward_nan_from_custom_function():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, grad):
            return grad * np.nan

    x = T([1.0], requires_grad=True)
    with ag.detect_anomaly():
        y = Bad.apply(x)  # THE-BAD-LINE
        with pytest.raises(RuntimeError, match=r"Bad\.backward returned NaN.*THE-BAD-LINE"):
            y.sum().backward()


def test_backward_with_create_graph_names_the_rule_being_differentiated():
    x = T([0.0, 1.0], requires_grad=True)
    with ag.detect_anomaly():
        y = ag.sqrt(x)  # THE-SQRT-LINE
        with pytest.raises(RuntimeError) as info:
            ag.grad(y.sum(), x, create_graph=True)
    msg = str(info.value)
    assert "the backward of Sqrt" in msg and "THE-SQRT-LINE" in msg


def test_numpy_interop_reports_the_users_line():
    x = T([-1.0], requires_grad=True)
    with ag.detect_anomaly(), pytest.raises(RuntimeError, match="Log.*THE-NP-LINE"):
        np.log(x)  # THE-NP-LINE


def test_anomaly_created_outside_then_backward_inside():
    x = T([0.0], requires_grad=True)
    y = ag.sqrt(x)
    with ag.detect_anomaly(), pytest.raises(RuntimeError, match="made before detect_anomaly"):
        y.sum().backward()


def test_no_check_outside_and_state_restored():
    x = T([-1.0], requires_grad=True)
    y = ag.log(x)  # no anomaly mode: NaN passes silently, as in NumPy
    assert np.isnan(y.data).all()
    with pytest.raises(RuntimeError):
        with ag.detect_anomaly():
            ag.log(x)
    assert STATE.flags.anomaly is False

    @ag.detect_anomaly()
    def f(t):
        return ag.log(t)

    with pytest.raises(RuntimeError, match="Log produced NaN"):
        f(x)
    assert STATE.flags.anomaly is False


def test_clean_run_under_anomaly_matches_plain_run():
    x = T([0.5, 1.5], requires_grad=True)
    with ag.detect_anomaly():
        (ag.tanh(x) * ag.exp(x)).sum().backward()
    g = x.grad.data.copy()
    x.grad = None
    (ag.tanh(x) * ag.exp(x)).sum().backward()
    np.testing.assert_allclose(g, x.grad.data)
    assert x.grad is not None
