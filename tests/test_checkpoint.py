"""Gradient checkpointing: ``ag.checkpoint`` and ``nn.checkpoint_sequential``.

Gradients equal the plain run's bit for bit in float64 (first order and with ``create_graph``);
the checkpoint node keeps no activation; parameters and closed-over tensors get gradients;
random draws are replayed (``ag.manual_seed``'s generator, Generator arguments, NumPy's global
state) and a function whose recomputation differs is refused; PyTorch's ``torch.utils.checkpoint``
agrees.
"""

import weakref

import numpy as np
import pytest

import autograd_engine as ag
import nn
from autograd_engine import func


def _mlp(depth=6, width=5, seed=0):
    ag.manual_seed(seed)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width, dtype=np.float64), nn.Tanh()]
    return nn.Sequential(*layers)


def _grads(model, x, run):
    for p in model.parameters():
        p.grad = None
    x = ag.Tensor(x.data, requires_grad=True)
    loss = (run(model, x) ** 2).sum()
    loss.backward()
    return [x.grad.data] + [p.grad.data for p in model.parameters()], loss.item()


@pytest.mark.parametrize("segments", [1, 2, 3, 12])
def test_checkpoint_sequential_gradients_are_bit_identical(segments):
    model = _mlp()
    x = ag.Tensor(np.random.default_rng(1).standard_normal((4, 5)))
    plain, loss = _grads(model, x, lambda m, x: m(x))
    ckpt, loss_c = _grads(model, x, lambda m, x: nn.checkpoint_sequential(m, segments, x))
    assert loss == loss_c
    for a, b in zip(plain, ckpt):
        np.testing.assert_array_equal(a, b)


def test_checkpoint_keeps_only_inputs_and_finds_parameters_and_closures():
    rng = np.random.default_rng(2)
    w = ag.Tensor(rng.standard_normal((3, 3)), requires_grad=True)
    a = ag.Tensor(rng.standard_normal(3), requires_grad=True)
    h = a * 2  # a tensor made before the call, closed over: its gradient reaches a
    seen = []

    def block(x, scale, *, shift):
        z = (x @ w).tanh() * h + shift
        seen.append(weakref.ref(z))
        return z.sin() * scale

    x = ag.Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    y = ag.checkpoint(block, x, 0.5, shift=1.0)
    assert y.grad_fn.name == "Checkpoint"
    assert seen[0]() is None  # the first run's activations are gone
    producers = {id(e[0]) for e in y.grad_fn.next_functions if e is not None}
    assert producers == {id(x), id(w), id(h.grad_fn)}
    y.sum().backward(retain_graph=True)  # (h's own graph is used again below)
    got = [t.grad.data for t in (x, w, a)]
    for t in (x, w, a):
        t.grad = None
    block(x, 0.5, shift=1.0).sum().backward()
    for g, t in zip(got, (x, w, a)):
        np.testing.assert_array_equal(g, t.grad.data)


def test_checkpoint_with_create_graph_and_several_outputs():
    rng = np.random.default_rng(3)
    w = ag.Tensor(rng.standard_normal((3, 3)), requires_grad=True)
    x0 = rng.standard_normal((2, 3))
    u = ag.Tensor(rng.standard_normal((2, 3)))

    def block(x):
        z = (x @ w).sigmoid()
        return z * x, z.exp().sum(axis=1)

    def both_orders(run):
        x = ag.Tensor(x0, requires_grad=True)
        a, b = run(x)
        loss = (a * a).sum() + (b * b).sum()
        gx, gw = ag.grad(loss, [x, w], create_graph=True)
        return (gx, gw), ag.grad((gx * u).sum() + gw.sum(), [x, w])

    (first, second), (first_c, second_c) = both_orders(block), both_orders(
        lambda x: ag.checkpoint(block, x))
    for p, c in zip(first, first_c):  # the recorded gradients themselves: bit for bit
        assert c.requires_grad
        np.testing.assert_array_equal(p.data, c.data)
    for p, c in zip(second, second_c):  # sums of second-order terms may be added in another order
        np.testing.assert_allclose(p.data, c.data, rtol=1e-12, atol=1e-13)


def test_backward_twice_with_retain_graph():
    w = ag.Tensor([1.0, -2.0], requires_grad=True)
    y = ag.checkpoint(lambda x: (x * w).exp(), ag.Tensor([0.5, 0.25]))
    y.sum().backward(retain_graph=True)
    first = w.grad.data.copy()
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.data, 2 * first)


def _dropout_net(x, rng=None):
    return ag.dropout((x * 3).tanh(), p=0.5, rng=rng).sin() * 2


def test_dropout_with_the_default_generator_is_replayed():
    x0 = np.random.default_rng(4).standard_normal((4, 6))
    grads = []
    for wrap in (False, True):
        ag.manual_seed(7)
        x = ag.Tensor(x0, requires_grad=True)
        y = ag.checkpoint(_dropout_net, x) if wrap else _dropout_net(x)
        ag.randn(3)  # draws between forward and backward must not change the replayed mask
        y.sum().backward()
        grads.append(x.grad.data)
        after = ag.randn(2).data
    np.testing.assert_array_equal(grads[0], grads[1])
    assert np.count_nonzero(grads[0] == 0) > 0  # the mask did drop something
    ag.manual_seed(7)
    _dropout_net(ag.Tensor(x0))
    ag.randn(3)
    np.testing.assert_array_equal(ag.randn(2).data, after)  # the generator's state moves on


def test_dropout_with_a_generator_argument_and_numpy_global_state():
    x0 = np.random.default_rng(5).standard_normal((3, 5))

    def noisy(x, rng):
        return _dropout_net(x, rng) + x * np.random.standard_normal(x.shape)

    grads = []
    for wrap in (False, True):
        rng = np.random.default_rng(11)
        np.random.seed(3)
        x = ag.Tensor(x0, requires_grad=True)
        y = ag.checkpoint(noisy, x, rng) if wrap else noisy(x, rng)
        state = rng.bit_generator.state
        y.sum().backward()
        assert rng.bit_generator.state == state  # backward left the generator where it was
        grads.append(x.grad.data)
    np.testing.assert_array_equal(grads[0], grads[1])


def test_unreplayable_randomness_is_refused():
    hidden = np.random.default_rng(0)
    x = ag.Tensor(np.ones((2, 3)), requires_grad=True)
    y = ag.checkpoint(lambda x: _dropout_net(x, hidden), x)  # the generator is not an argument
    with pytest.raises(RuntimeError, match="checkpoint: recomputing .* different outputs"):
        y.sum().backward()
    assert x.grad is None


def test_no_grad_forward_mode_and_bad_input():
    x = ag.Tensor([1.0, 2.0], requires_grad=True)
    with ag.no_grad():
        assert ag.checkpoint(lambda x: x * 2, x).grad_fn is None
    _, t = func.jvp(lambda x: ag.checkpoint(lambda z: z.sin(), x), (x,), (ag.Tensor([1.0, 1.0]),))
    np.testing.assert_allclose(t.data, np.cos([1.0, 2.0]))
    with pytest.raises(TypeError, match="checkpoint: fn must be callable"):
        ag.checkpoint(3, x)
    with pytest.raises(TypeError, match="must return a Tensor or a tuple of Tensors"):
        ag.checkpoint(lambda x: 3, x)
    with pytest.raises(ValueError, match="segments must be an int from 1 to"):
        nn.checkpoint_sequential([nn.Tanh()], 2, x)
    with pytest.raises(ValueError, match="modules is empty"):
        nn.checkpoint_sequential([], 1, x)
    y = ag.checkpoint(lambda x: x * 2, ag.Tensor([1.0]))  # nothing requires grad: a plain call
    assert y.grad_fn is None


def test_checkpoint_matches_torch_utils_checkpoint():
    torch = pytest.importorskip("torch")
    import torch.utils.checkpoint as tc

    model = _mlp(depth=4, width=3, seed=5)
    x0 = np.random.default_rng(6).standard_normal((2, 3))
    ours, _ = _grads(model, ag.Tensor(x0), lambda m, x: nn.checkpoint_sequential(m, 2, x))
    weights = [torch.from_numpy(p.data.copy()).requires_grad_() for p in model.parameters()]
    xt = torch.from_numpy(x0.copy()).requires_grad_()

    def layers(start, stop):
        def run(h):
            for k in range(start, stop):
                h = torch.tanh(h @ weights[2 * k].T + weights[2 * k + 1])
            return h
        return run

    h = tc.checkpoint(layers(0, 2), xt, use_reentrant=False)
    loss = (layers(2, 4)(h) ** 2).sum()
    theirs = torch.autograd.grad(loss, [xt, *weights])
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-12, atol=1e-14)


def test_checkpoint_benchmark_runs_on_tiny_inputs():
    # benchmarks/checkpoint.py, untimed: equal losses and gradient sums, and less memory
    import importlib

    bench = importlib.import_module("benchmarks.checkpoint")
    inputs = bench.make_inputs(depth=8, width=8, batch=256)
    assert bench.IMPLS["plain"](inputs)() == bench.IMPLS["ours"](inputs)()
    rows = bench.memory_table(inputs, segment_counts=(4,), activation="gelu")
    assert rows[0]["segments"] is None and rows[1]["ratio"] < 1
