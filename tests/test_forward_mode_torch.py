"""PyTorch's ``torch.func`` as the oracle for forward mode: every registry op's ``jvp`` against
``torch.func.jvp`` (the op map is the one of ``test_torch_oracle.py``), then ``jacfwd``,
``jacrev``, ``hessian`` and ``hvp`` against their ``torch.func`` namesakes, in float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_engine as ag
from autograd_engine import func
from autograd_engine.testing.strategies import op_arguments

torch = pytest.importorskip("torch")
from test_torch_oracle import TORCH, _torch_convention_differs  # noqa: E402


def _split_args(args):
    """Flat float arrays (the primals) and a function rebuilding the call's arguments from them."""
    flat, layout = [], []
    for a in args:
        items = a if isinstance(a, list) else [a]
        layout.append(len(a) if isinstance(a, list) else None)
        flat.extend(items)
    positions = [i for i, b in enumerate(flat) if isinstance(b, np.ndarray) and b.dtype.kind == "f"]

    def rebuild(primals, convert):
        items = [convert(b) if isinstance(b, np.ndarray) else b for b in flat]
        for i, p in zip(positions, primals):
            items[i] = p
        it = iter(items)
        return [next(it) if n is None else [next(it) for _ in range(n)] for n in layout]

    return [flat[i] for i in positions], rebuild


@pytest.mark.parametrize("name", sorted(n for n in set(ag.REGISTRY) & set(TORCH)
                                        if ag.REGISTRY[n].differentiable))
@settings(max_examples=6)
@given(data=st.data())
def test_jvp_matches_torch_func_jvp(name, data):
    spec = ag.REGISTRY[name]
    args, kwargs = data.draw(op_arguments(spec, np.float64))
    if _torch_convention_differs(name, args, kwargs):
        return
    arrays, rebuild = _split_args(args)
    if not arrays:
        return
    rng = np.random.default_rng(3)
    us = [rng.standard_normal(a.shape) for a in arrays]

    def ours(*p):
        out = spec.fn(*rebuild(p, ag.Tensor), **kwargs)
        return tuple(out) if isinstance(out, (list, tuple)) else out

    def theirs(*p):
        out = TORCH[name](*rebuild(p, torch.from_numpy), **kwargs)
        return tuple(out) if isinstance(out, (list, tuple)) else out

    o1, t1 = func.jvp(ours, tuple(ag.Tensor(a) for a in arrays), tuple(ag.Tensor(u) for u in us))
    o2, t2 = torch.func.jvp(theirs, tuple(torch.from_numpy(a.copy()) for a in arrays),
                            tuple(torch.from_numpy(u) for u in us))
    o1, t1 = (o1, t1) if isinstance(o1, tuple) else ((o1,), (t1,))
    o2, t2 = (o2, t2) if isinstance(o2, tuple) else ((o2,), (t2,))
    assert len(t1) == len(t2)
    for a, b, oa, ob in zip(t1, t2, o1, o2):
        np.testing.assert_allclose(oa.data, ob.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(a.data, b.numpy(), rtol=1e-9, atol=1e-11, err_msg=name)


# ----- the transforms against torch.func ----------------------------------------------------------

_rng = np.random.default_rng(11)


def _pair(f_ours, f_torch, *arrays):
    return ([ag.Tensor(a) for a in arrays], [torch.from_numpy(a.copy()) for a in arrays])


def _mlp_ours(x, w1, w2):
    return (ag.tanh(x @ w1) @ w2).sin()


def _mlp_torch(x, w1, w2):
    return torch.sin(torch.tanh(x @ w1) @ w2)


def _close(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y)
        return
    assert a.shape == tuple(b.shape)
    np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("transform", ["jacfwd", "jacrev"])
@pytest.mark.parametrize("argnums", [0, 1, (0, 2)])
def test_jacobians_match_torch_func(transform, argnums):
    arrays = (_rng.standard_normal((2, 3)), _rng.standard_normal((3, 4)),
              _rng.standard_normal((4, 2)))
    ours, theirs = _pair(_mlp_ours, _mlp_torch, *arrays)
    a = getattr(func, transform)(_mlp_ours, argnums=argnums)(*ours)
    b = getattr(torch.func, transform)(_mlp_torch, argnums=argnums)(*theirs)
    _close(a, b)


def _scalar_ours(x, y):
    return (x.exp() * y.sum()).tanh().sum() + ag.logsumexp(x * y[:3]) + (x * x).prod()


def _scalar_torch(x, y):
    return (torch.tanh(torch.exp(x) * y.sum()).sum() + torch.logsumexp(x * y[:3], 0)
            + (x * x).prod())


@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_hessian_matches_torch_func(argnums):
    arrays = (_rng.standard_normal(3) * 0.5, _rng.standard_normal(4) * 0.5)
    ours, theirs = _pair(_scalar_ours, _scalar_torch, *arrays)
    _close(func.hessian(_scalar_ours, argnums=argnums)(*ours),
           torch.func.hessian(_scalar_torch, argnums=argnums)(*theirs))


def test_hvp_and_jvp_match_torch_func():
    arrays = (_rng.standard_normal(3) * 0.5, _rng.standard_normal(4) * 0.5)
    vs = (_rng.standard_normal(3), _rng.standard_normal(4))
    ours, theirs = _pair(_scalar_ours, _scalar_torch, *arrays)
    ours_v, theirs_v = _pair(None, None, *vs)
    _close(func.hvp(_scalar_ours, tuple(ours), tuple(ours_v)),
           # (torch.func's recipe for an hvp: forward over reverse)
           torch.func.jvp(torch.func.grad(_scalar_torch, argnums=(0, 1)), tuple(theirs),
                          tuple(theirs_v))[1])
    out, t = func.jvp(_scalar_ours, tuple(ours), tuple(ours_v))
    out_t, t_t = torch.func.jvp(_scalar_torch, tuple(theirs), tuple(theirs_v))
    _close(out, out_t)
    _close(t, t_t)


def test_composed_transforms_match_torch_func():
    x = _rng.standard_normal(3)
    ours, theirs = ag.Tensor(x), torch.from_numpy(x.copy())

    def f_ours(x):
        return (x.sin() * x.cumsum(axis=0)).sum()

    def f_torch(x):
        return (torch.sin(x) * torch.cumsum(x, 0)).sum()

    _close(func.jacfwd(func.grad(f_ours))(ours), torch.func.jacfwd(torch.func.grad(f_torch))(theirs))
    _close(func.jacfwd(func.jacfwd(f_ours))(ours),
           torch.func.jacfwd(torch.func.jacfwd(f_torch))(theirs))
    v = _rng.standard_normal(3)
    g_ours = func.grad(lambda x: func.jvp(f_ours, (x,), (ag.Tensor(v),))[1])(ours)
    g_torch = torch.func.grad(lambda x: torch.func.jvp(f_torch, (x,), (torch.from_numpy(v),))[1])(
        theirs)
    _close(g_ours, g_torch)
