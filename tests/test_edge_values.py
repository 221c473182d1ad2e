"""Gradients at edge values (zeros, infinities, kinks, exponents 0 and 1), first to third order,
against PyTorch: no ``0 * inf`` NaN where PyTorch has a number, and NaN/inf exactly where it has
them. Every elementwise op in the registry is swept, so a new op gets these cases too.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd_engine as ag

torch = pytest.importorskip("torch")
from tests.test_torch_oracle import TORCH  # noqa: E402 - (needs torch, like this whole file)

SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -2.5, 1e-8, np.inf, -np.inf])
EXPONENTS = np.array([0.0, 1.0, 2.0, 3.0, 0.5, -1.0, -2.0, 2.5])
ORDERS = 3

def _derivatives(lib, x, fn):
    """fn(x) and its first ORDERS derivatives in x, as arrays (elementwise ops: each derivative
    is the gradient of the sum of the previous one)."""
    grad = torch.autograd.grad if lib is torch else ag.grad
    current = fn(x)
    results = [_numpy(current)]
    for k in range(ORDERS):
        if not current.requires_grad:
            results.append(np.zeros(results[0].shape))
            continue
        (current,) = grad(current.sum(), x, create_graph=k + 1 < ORDERS, allow_unused=True)
        if current is None:
            current = (torch.zeros_like(x) if lib is torch else ag.zeros_like(x))
        results.append(_numpy(current))
    return results


def _numpy(v):
    return v.detach().numpy(force=True) if isinstance(v, torch.Tensor) else np.asarray(v.data)


def _cases():
    """(op name, inputs, which input varies): binary ops are probed in one input at a time, the
    other held constant (pure partial derivatives, as ``x ** 0`` at 0 being 0 to every order)."""
    for name, spec in sorted(ag.REGISTRY.items()):
        if spec.kind != "elementwise" or name not in TORCH:
            continue
        if spec.nargs == 1:
            yield name, (SPECIAL,), 0
        elif spec.nargs == 2:
            second = EXPONENTS if name == "power" else SPECIAL
            pairs = np.array(list(itertools.product(SPECIAL, second)))
            for k in (0, 1):
                yield name, (pairs[:, 0].copy(), pairs[:, 1].copy()), k


CASES = list(_cases())


@pytest.mark.parametrize("name,inputs,k", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_edge_values_match_torch_to_third_order(name, inputs, k):
    def make(tensor):
        return [tensor(a, requires_grad=(i == k)) for i, a in enumerate(inputs)]

    ours_x, torch_x = make(ag.Tensor), make(torch.tensor)
    ours_fn = ag.REGISTRY[name].fn
    with np.errstate(all="ignore"):
        ours = _derivatives(ag, ours_x[k], lambda v: ours_fn(*_put(ours_x, k, v)))
    theirs = _derivatives(torch, torch_x[k], lambda v: TORCH[name](*_put(torch_x, k, v)))
    grid = np.stack(inputs, axis=1)
    for order, (a, b) in enumerate(zip(ours, theirs)):
        bad = ~np.isclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)
        if name == "power" and order >= 2:
            # PyTorch's rule for a tensor exponent masks y == 0 (and x == 0 for the exponent's
            # gradient) with where(), whose own backward still multiplies 0 by inf: NaN from the
            # second order on. Ours gives the exact values there (test_power_at_zero below).
            bad &= ~(np.isnan(b) & np.isfinite(a) & (grid[:, 0] == 0))
        if bad.any():
            pytest.fail(f"{name}: order {order} in input {k}: at {grid[bad][:4].tolist()} ours "
                        f"{a[bad][:4].tolist()} torch {b[bad][:4].tolist()}")
    assert len(ours) == len(theirs)


def _put(xs, k, v):
    xs = list(xs)
    xs[k] = v
    return xs


@pytest.mark.parametrize("tensor_exponent", [False, True])
@pytest.mark.parametrize("p,expected", [
    (0, [1.0, 0.0, 0.0, 0.0]), (1, [0.0, 1.0, 0.0, 0.0]), (2, [0.0, 0.0, 2.0, 0.0]),
    (3, [0.0, 0.0, 0.0, 6.0]),
])
def test_power_at_zero_is_exact_to_every_order(p, expected, tensor_exponent):
    x = ag.Tensor(0.0, requires_grad=True)
    y = ag.Tensor(float(p)) if tensor_exponent else p
    values = [x**y]
    for k in range(3):
        (g,) = ag.grad(values[-1], x, create_graph=k < 2, allow_unused=True)
        values.append(g if g is not None else ag.Tensor(0.0))
    assert [v.item() for v in values] == expected
    tx = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    t = [tx ** p]  # PyTorch with a Python exponent: the same numbers
    for k in range(3):
        if not t[-1].requires_grad:
            t.append(torch.tensor(0.0))
            continue
        (g,) = torch.autograd.grad(t[-1], tx, create_graph=k < 2, allow_unused=True)
        t.append(g if g is not None else torch.tensor(0.0))
    assert [float(v.detach()) for v in t] == expected


def test_exponent_gradient_at_zero_base():
    # d(x**y)/dy = x**y log x: 0 at x == 0 for y >= 0, -inf for y < 0 (PyTorch's convention)
    x = ag.Tensor([0.0, 0.0, 0.0])
    y = ag.Tensor([0.0, 2.0, -1.0], requires_grad=True)
    (g,) = ag.grad((x**y).sum(), y)
    np.testing.assert_array_equal(g.data, [0.0, 0.0, -np.inf])


# Reductions and other ops at their special points (zeros in prod, ties in max, -inf in
# logsumexp, inf in softmax, clip's edges), probed the same way: each derivative is the
# gradient of the sum of the previous one.
INF = np.inf
NON_ELEMENTWISE = {
    "prod-zeros": (lambda x: x.prod(), lambda x: x.prod(), [0.0, 2.0, 3.0]),
    "prod-two-zeros": (lambda x: x.prod(), lambda x: x.prod(), [0.0, 0.0, 3.0]),
    "prod-axis-zeros": (lambda x: ag.prod(x, axis=1), lambda x: x.prod(dim=1),
                        [[0.0, 2.0], [0.0, 0.0], [1.5, -2.0]]),
    "logsumexp-neg-inf": (lambda x: ag.logsumexp(x), lambda x: torch.logsumexp(x, 0),
                          [-INF, 0.0, 1.0]),
    "softmax-inf": (lambda x: ag.softmax(x) * ag.Tensor([1.0, 2.0, 3.0]),
                    lambda x: torch.softmax(x, 0) * torch.tensor([1.0, 2.0, 3.0],
                                                                  dtype=torch.float64),
                    [-INF, 0.0, 1.0]),
    "log_softmax-neg-inf": (lambda x: ag.log_softmax(x)[1:], lambda x: torch.log_softmax(x, 0)[1:],
                            [-INF, 0.0, 1.0]),
    "clip-edges": (lambda x: ag.clip(x, -1.0, 1.0) ** 3, lambda x: torch.clamp(x, -1.0, 1.0) ** 3,
                   [-1.0, 1.0, 0.0, 2.0]),
    "sqrt-zero": (lambda x: ag.sqrt(x) * x, lambda x: torch.sqrt(x) * x, [0.0, 1.0]),
    "abs-zero": (lambda x: ag.abs(x) ** 3, lambda x: torch.abs(x) ** 3, [0.0, -1.0]),
    "relu-zero": (lambda x: ag.relu(x) ** 2, lambda x: torch.relu(x) ** 2, [0.0, 1.0]),
    "divide-by-self": (lambda x: x / x, lambda x: x / x, [0.0, 2.0]),
    "mean-inf": (lambda x: ag.mean(x), lambda x: x.mean(), [INF, 1.0]),
}


@pytest.mark.parametrize("case", sorted(NON_ELEMENTWISE))
def test_special_points_of_other_ops_match_torch(case):
    ours_fn, torch_fn, values = NON_ELEMENTWISE[case]
    values = np.array(values)
    ours = _derivatives(ag, ag.Tensor(values, requires_grad=True), ours_fn)
    theirs = _derivatives(torch, torch.tensor(values, requires_grad=True), torch_fn)
    for order, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True,
                                   err_msg=f"{case}: order {order}")
