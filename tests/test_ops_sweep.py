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


def _wrap(a, requires_grad):
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return ag.Tensor(a, requires_grad=requires_grad)
    return a


def _call(spec, args, kwargs, dtype=np.float64, requires_grad=True):
    """Wrap float array arguments in Tensors, also inside list arguments (``concatenate``'s
    sequence), and call the op. Returns the flat inputs, the output, and ``fn(*flat_inputs)``."""
    flat, layout = [], []
    for a in args:
        if isinstance(a, list):
            layout.append(len(a))
            flat.extend(_wrap(b, requires_grad) for b in a)
        else:
            layout.append(None)
            flat.append(_wrap(a, requires_grad))

    def fn(*xs):
        it = iter(xs)
        rebuilt = [next(it) if n is None else [next(it) for _ in range(n)] for n in layout]
        return spec.fn(*rebuilt, **kwargs)

    return flat, fn(*flat), fn


def _outputs(out):
    """An op's outputs as a list (``split`` returns several)."""
    return list(out) if isinstance(out, (list, tuple)) else [out]


@pytest.mark.parametrize("name", OPS)
@given(data=st.data())
def test_forward_matches_numpy(name, data):
    spec = ag.REGISTRY[name]
    args, kwargs = data.draw(op_arguments(spec, np.float64))
    _, out, _ = _call(spec, args, kwargs, requires_grad=False)
    expected = spec.reference(*args, **kwargs)
    outs, expected = _outputs(out), expected if isinstance(out, (list, tuple)) else [expected]
    assert len(outs) == len(expected)
    for o, e in zip(outs, expected):
        np.testing.assert_allclose(o.data, e, rtol=1e-10, atol=1e-12)
        assert o.shape == np.shape(e)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
@given(data=st.data())
def test_gradcheck(name, data):
    spec = ag.REGISTRY[name]
    args, kwargs = data.draw(op_arguments(spec, np.float64))
    tensors, _, fn = _call(spec, args, kwargs)
    assert gradcheck(fn, tensors)


@pytest.mark.parametrize("name", GRADGRAD)
@given(data=st.data())
def test_gradgradcheck(name, data):
    spec = ag.REGISTRY[name]
    args, kwargs = data.draw(op_arguments(spec, np.float64))
    tensors, _, fn = _call(spec, args, kwargs)
    assert gradgradcheck(fn, tensors)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", DIFFERENTIABLE)
@given(data=st.data())
def test_grad_shape_dtype_and_no_mutation(name, dtype, data):
    spec = ag.REGISTRY[name]
    args, kwargs = data.draw(op_arguments(spec, dtype))
    tensors, out, _ = _call(spec, args, kwargs)
    assert any(isinstance(t, ag.Tensor) for t in tensors), f"{name}: no Tensor input to check"
    originals = [t.data.copy() if isinstance(t, ag.Tensor) else None for t in tensors]
    outs = _outputs(out)
    rng = np.random.default_rng(0)
    upstreams = [rng.standard_normal(o.shape).astype(dtype) for o in outs]
    copies = [u.copy() for u in upstreams]
    for o in outs:
        assert o.dtype == dtype, f"{name} widened {np.dtype(dtype)} to {o.dtype}"
    if len(outs) == 1:
        outs[0].backward(upstreams[0])
    else:
        total = outs[0].sum() * 0
        for o, u in zip(outs, upstreams):
            total = total + (o * u).sum()
        total.backward()
    for t, orig in zip(tensors, originals):
        if isinstance(t, ag.Tensor):
            assert t.grad is not None, f"{name}: no gradient reached an input"
            assert t.grad.shape == t.shape and t.grad.dtype == t.dtype
            np.testing.assert_array_equal(t.data, orig)
    for u, c in zip(upstreams, copies):
        np.testing.assert_array_equal(u, c)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
@given(data=st.data())
def test_rule_on_arrays_equals_rule_on_tensors(name, data):
    # Without create_graph, rules run on plain arrays (backward_on_arrays); with it, on Tensors.
    # gradgradcheck only proves the Tensor run consistent with itself, so compare the two runs.
    spec = ag.REGISTRY[name]
    args, kwargs = data.draw(op_arguments(spec, np.float64))
    tensors, out, fn = _call(spec, args, kwargs)
    inputs = [t for t in tensors if isinstance(t, ag.Tensor)]
    rng = np.random.default_rng(1)
    upstreams = [rng.standard_normal(o.shape) for o in _outputs(out)]
    results = []
    for create_graph in (False, True):
        total = sum((o * u).sum() for o, u in zip(_outputs(fn(*tensors)), upstreams))
        results.append(ag.grad(total, inputs, create_graph=create_graph, allow_unused=True))
    assert any(g is not None for g in results[0]), f"{name}: no gradient to compare"
    for plain, graphed in zip(*results):
        assert (plain is None) == (graphed is None)
        if plain is not None:
            assert plain.dtype == graphed.dtype and plain.shape == graphed.shape
            np.testing.assert_allclose(plain.data, graphed.data, rtol=1e-12, atol=1e-14)
