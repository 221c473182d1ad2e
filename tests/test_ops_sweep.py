"""Every op in the registry, swept with the public strategies: adding an op adds it here.

Per op: forward against its NumPy reference; gradcheck and (where claimed) gradgradcheck in float64
with a random upstream gradient; gradients have each input's shape and dtype in float32 and float64
with no silent widening; inputs and the upstream gradient are never mutated.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_engine as ag
from autograd_engine.testing import gradcheck, gradgradcheck
from autograd_engine.testing.strategies import op_arguments

OPS = sorted(ag.REGISTRY)
DIFFERENTIABLE = [n for n in OPS if ag.REGISTRY[n].differentiable]
GRADGRAD = [n for n in DIFFERENTIABLE if ag.REGISTRY[n].gradgrad]


def _call(spec, args, kwargs, dtype=np.float64, requires_grad=True):
    """Wrap float array arguments in Tensors and call the op."""
    tensors = [
        ag.Tensor(a, requires_grad=requires_grad) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
        else a
        for a in args
    ]
    return tensors, spec.fn(*tensors, **kwargs)


@pytest.mark.parametrize("name", OPS)
@given(data=st.data())
def test_forward_matches_numpy(name, data):
    spec = ag.REGISTRY[name]
    args, kwargs = data.draw(op_arguments(spec, np.float64))
    _, out = _call(spec, args, kwargs, requires_grad=False)
    expected = spec.reference(*args, **kwargs)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)
    assert out.shape == np.shape(expected)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
@given(data=st.data())
def test_gradcheck(name, data):
    spec = ag.REGISTRY[name]
    args, kwargs = data.draw(op_arguments(spec, np.float64))
    tensors, _ = _call(spec, args, kwargs)
    assert gradcheck(lambda *xs: spec.fn(*xs, **kwargs), tensors)


@pytest.mark.parametrize("name", GRADGRAD)
@given(data=st.data())
def test_gradgradcheck(name, data):
    spec = ag.REGISTRY[name]
    args, kwargs = data.draw(op_arguments(spec, np.float64))
    tensors, _ = _call(spec, args, kwargs)
    assert gradgradcheck(lambda *xs: spec.fn(*xs, **kwargs), tensors)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", DIFFERENTIABLE)
@given(data=st.data())
def test_grad_shape_dtype_and_no_mutation(name, dtype, data):
    spec = ag.REGISTRY[name]
    args, kwargs = data.draw(op_arguments(spec, dtype))
    originals = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    tensors, out = _call(spec, args, kwargs)
    assert out.dtype == dtype, f"{name} widened {np.dtype(dtype)} to {out.dtype}"
    upstream = np.random.default_rng(0).standard_normal(out.shape).astype(dtype)
    upstream_copy = upstream.copy()
    out.backward(upstream)
    for t, a, orig in zip(tensors, args, originals):
        if isinstance(t, ag.Tensor):
            assert t.grad is not None, f"{name}: no gradient reached an input"
            assert t.grad.shape == t.shape and t.grad.dtype == t.dtype
            np.testing.assert_array_equal(a, orig)
    np.testing.assert_array_equal(upstream, upstream_copy)
