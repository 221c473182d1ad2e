"""Threads: grad mode (and the rest of the autograd state) is per thread, and training two models
in two threads at once gives bitwise the same results as training them one after the other.

The interpreter's switch interval is lowered while threads run, so that they interleave at a very
fine grain (thousands of switches per training run) instead of taking turns in long slices.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from contextlib import contextmanager

import numpy as np

import autograd_engine as ag
from autograd_engine import Tensor


@contextmanager
def fine_grained_switching():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def run_in_threads(*fns: Callable[[], object]) -> list:
    """Start all functions together (behind a barrier); return their results, re-raise errors."""
    barrier = threading.Barrier(len(fns))
    results: list = [None] * len(fns)
    errors: list = []

    def runner(k: int, fn: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[k] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(k, f)) for k, f in enumerate(fns)]
    with fine_grained_switching():
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


# ----- grad mode is per thread ----------------------------------------------------------------------


def test_new_threads_start_with_grad_enabled_whatever_the_parent_does():
    seen = {}

    def child():
        seen["enabled"] = ag.is_grad_enabled()
        x = Tensor([1.0], requires_grad=True)
        seen["records"] = (x * 2).requires_grad

    with ag.no_grad():
        t = threading.Thread(target=child)
        t.start()
        t.join()
        assert not ag.is_grad_enabled()
    assert seen == {"enabled": True, "records": True}
    assert ag.is_grad_enabled()


def test_grad_mode_changes_in_one_thread_do_not_leak_into_another():
    """Thread A holds no_grad while B checks and records; then the roles swap (lockstep)."""
    a_in, b_checked, b_in, a_checked = (threading.Event() for _ in range(4))
    log = {}

    def thread_a():
        with ag.no_grad():
            a_in.set()
            assert b_checked.wait(10)
            log["a_inside"] = ag.is_grad_enabled()
        b_in.wait(10)
        x = Tensor([2.0], requires_grad=True)
        log["a_records"] = (x * x).requires_grad
        a_checked.set()

    def thread_b():
        assert a_in.wait(10)
        x = Tensor([3.0], requires_grad=True)
        log["b_while_a_no_grad"] = (ag.is_grad_enabled(), (x * x).requires_grad)
        b_checked.set()
        with ag.set_grad_enabled(False):
            b_in.set()
            assert a_checked.wait(10)
            log["b_inside"] = ag.is_grad_enabled()
        log["b_after"] = ag.is_grad_enabled()

    run_in_threads(thread_a, thread_b)
    assert log == {
        "a_inside": False, "b_while_a_no_grad": (True, True), "a_records": True,
        "b_inside": False, "b_after": True,
    }


def test_scope_and_anomaly_mode_are_per_thread():
    ready, done = threading.Event(), threading.Event()
    log = {}

    def holder():
        with ag.scope("block-A"), ag.detect_anomaly():
            ready.set()
            assert done.wait(10)

    def other():
        assert ready.wait(10)
        x = Tensor([1.0], requires_grad=True)
        y = x * 2
        log["scope"] = y.grad_fn.scope
        z = ag.log(Tensor([-1.0], requires_grad=True))  # NaN: would raise under detect_anomaly
        log["nan"] = bool(np.isnan(z.data).all())
        done.set()

    run_in_threads(holder, other)
    assert log == {"scope": (), "nan": True}


def test_a_thread_toggling_no_grad_fast_does_not_disturb_recording_elsewhere():
    stop = threading.Event()

    def toggler():
        n = 0
        while not stop.is_set():
            with ag.no_grad():
                n += 1
            with ag.enable_grad(), ag.no_grad():
                pass
        return n

    def recorder():
        try:
            x = Tensor(np.linspace(-1, 1, 5), requires_grad=True)
            for _ in range(3000):
                y = (x.tanh() * x).sum()
                assert y.requires_grad and ag.is_grad_enabled()
                (g,) = ag.grad(y, x)
                np.testing.assert_allclose(
                    g.data, np.tanh(x.data) + x.data * (1 - np.tanh(x.data) ** 2), rtol=1e-14
                )
            return True
        finally:
            stop.set()

    n, ok = run_in_threads(toggler, recorder)
    assert ok and n > 0


# ----- two trainings at once == one after the other -------------------------------------------------


def train_raw(seed: int, steps: int = 400) -> tuple[list[float], list[np.ndarray]]:
    """A tiny MLP from raw ops, full-batch SGD; its own RNG, no global state."""
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((32, 3)))
    y = Tensor(np.sin(x.data.sum(axis=1, keepdims=True)))
    params = [Tensor(rng.standard_normal((3, 16)) * 0.5, requires_grad=True),
              Tensor(np.zeros(16), requires_grad=True),
              Tensor(rng.standard_normal((16, 1)) * 0.5, requires_grad=True),
              Tensor(np.zeros(1), requires_grad=True)]
    w1, b1, w2, b2 = params
    losses = []
    for _ in range(steps):
        h = ag.gelu(x @ w1 + b1)
        loss = ag.mean(((h @ w2 + b2) - y) ** 2) + 1e-3 * sum((p * p).sum() for p in params)
        for p in params:
            p.grad = None
        loss.backward()
        with ag.no_grad():
            for p in params:
                p.data -= 0.1 * p.grad.data
        losses.append(loss.item())
    return losses, [p.data.copy() for p in params]


def train_with_inference(seed: int) -> tuple[list[float], list[np.ndarray]]:
    """Training interleaved with no_grad evaluations (grad mode flips on every step)."""
    losses, params = [], None
    rng = np.random.default_rng(seed)
    xs = Tensor(rng.standard_normal((8, 3)))
    for chunk in range(4):
        losses_k, params = train_raw(seed + chunk, steps=60)
        with ag.no_grad():
            w1, b1, w2, b2 = (Tensor(p) for p in params)
            evaluation = (ag.gelu(xs @ w1 + b1) @ w2 + b2).sum().item()
        losses += losses_k + [evaluation]
    return losses, params


def assert_bitwise_equal(a, b) -> None:
    losses_a, params_a = a
    losses_b, params_b = b
    assert losses_a == losses_b  # exact float equality, every step
    for pa, pb in zip(params_a, params_b):
        assert pa.dtype == pb.dtype and np.array_equal(pa, pb)


def test_two_raw_trainings_in_threads_match_sequential_bitwise():
    sequential = [train_raw(1), train_raw(2)]
    concurrent = run_in_threads(lambda: train_raw(1), lambda: train_raw(2))
    for s, c in zip(sequential, concurrent):
        assert_bitwise_equal(s, c)
    assert sequential[0][0] != sequential[1][0]  # they really were different models


def test_training_and_no_grad_evaluation_in_threads_match_sequential_bitwise():
    sequential = [train_with_inference(10), train_raw(3)]
    concurrent = run_in_threads(lambda: train_with_inference(10), lambda: train_raw(3))
    for s, c in zip(sequential, concurrent):
        assert_bitwise_equal(s, c)


def test_two_nn_trainings_in_threads_match_sequential_bitwise():
    import nn

    def train(seed: int):
        rng = np.random.default_rng(seed)
        model = nn.Sequential(nn.Linear(3, 16, dtype=np.float64), nn.Tanh(),
                              nn.Linear(16, 1, dtype=np.float64))
        for p in model.parameters():  # initialise from this thread's own generator
            p.data = rng.standard_normal(p.shape) * 0.3
        opt = nn.optim.Adam(model.parameters(), lr=0.01)
        loss_fn = nn.MSELoss()
        x = Tensor(rng.standard_normal((32, 3)))
        y = Tensor(np.cos(x.data[:, :1]))
        losses = []
        for _ in range(300):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, [p.data.copy() for p in model.parameters()]

    sequential = [train(5), train(6)]
    concurrent = run_in_threads(lambda: train(5), lambda: train(6))
    for s, c in zip(sequential, concurrent):
        assert_bitwise_equal(s, c)
