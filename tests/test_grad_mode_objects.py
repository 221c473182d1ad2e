"""Grad-mode objects behave like PyTorch's in every use: context manager, decorator with and
without parentheses, plain call, nested, generators, threads. PyTorch is the oracle where installed."""

from __future__ import annotations

import threading

import pytest

import autograd_engine as ag


def _probe_modes(lib):
    """The grad mode seen at each step of a scripted sequence of uses, for ``lib`` (ag or torch)."""
    seen = []
    on = lib.is_grad_enabled

    @lib.set_grad_enabled(False)
    def off_fn():
        return on()

    seen.append(("after decorating with set_grad_enabled(False)", on()))
    seen.append(("inside the decorated function", off_fn()))
    seen.append(("after calling it", on()))

    @lib.no_grad()
    def ng():
        return on()

    @lib.no_grad
    def ng_bare():
        return on()

    @lib.enable_grad
    def eg_bare():
        return on()

    seen.append(("no_grad() decorator", ng()))
    seen.append(("bare no_grad decorator", ng_bare()))
    with lib.no_grad():
        seen.append(("bare enable_grad inside no_grad", eg_bare()))
        seen.append(("restored to no_grad", on()))
    seen.append(("after with no_grad", on()))

    lib.set_grad_enabled(False)  # a plain call: sets the mode until changed
    seen.append(("after plain call set_grad_enabled(False)", on()))
    lib.set_grad_enabled(True)
    seen.append(("after plain call set_grad_enabled(True)", on()))

    with lib.set_grad_enabled(False):
        with lib.enable_grad():
            with lib.set_grad_enabled(False):
                seen.append(("nested innermost", on()))
            seen.append(("nested middle", on()))
        seen.append(("nested outer", on()))
    seen.append(("nested after", on()))

    ctx = lib.no_grad()
    with ctx:
        seen.append(("reused instance 1", on()))
    with ctx:
        seen.append(("reused instance 2", on()))
    seen.append(("after reuse", on()))

    @lib.no_grad()
    def gen():
        for _ in range(2):
            yield on()

    g = gen()
    seen.append(("generator step 1", next(g)))
    seen.append(("between generator steps", on()))
    seen.append(("generator step 2", next(g)))
    seen.append(("after generator", on()))

    try:
        with lib.no_grad():
            raise KeyError
    except KeyError:
        pass
    seen.append(("after an exception in with", on()))
    return seen


def test_grad_mode_uses():
    seen = dict(_probe_modes(ag))
    assert seen == {
        "after decorating with set_grad_enabled(False)": True,
        "inside the decorated function": False,
        "after calling it": True,
        "no_grad() decorator": False,
        "bare no_grad decorator": False,
        "bare enable_grad inside no_grad": True,
        "restored to no_grad": False,
        "after with no_grad": True,
        "after plain call set_grad_enabled(False)": False,
        "after plain call set_grad_enabled(True)": True,
        "nested innermost": False,
        "nested middle": True,
        "nested outer": False,
        "nested after": True,
        "reused instance 1": False,
        "reused instance 2": False,
        "after reuse": True,
        "generator step 1": False,
        "between generator steps": True,
        "generator step 2": False,
        "after generator": True,
        "after an exception in with": True,
    }
    assert ag.is_grad_enabled()


def test_grad_mode_uses_match_torch():
    torch = pytest.importorskip("torch")
    assert _probe_modes(ag) == _probe_modes(torch)
    assert torch.is_grad_enabled() and ag.is_grad_enabled()


def test_decorators_keep_the_function_and_its_result():
    @ag.no_grad
    def f(x, *, k=2):
        """doc"""
        return x * k

    assert f.__name__ == "f" and f.__doc__ == "doc"
    x = ag.Tensor([1.0], requires_grad=True)
    assert not f(x, k=3).requires_grad
    assert (x * 2).requires_grad


def test_a_decorated_generator_restores_the_mode_on_close_and_on_error():
    @ag.no_grad()
    def gen():
        try:
            yield ag.is_grad_enabled()
            yield ag.is_grad_enabled()
        finally:
            assert not ag.is_grad_enabled()

    g = gen()
    assert next(g) is False
    g.close()
    assert ag.is_grad_enabled()

    @ag.set_grad_enabled(False)
    def gen2():
        received = yield 1
        yield (received, ag.is_grad_enabled())

    g = gen2()
    next(g)
    assert g.send("hi") == ("hi", False)
    assert ag.is_grad_enabled()


def test_the_mode_is_per_thread_even_with_a_shared_decorated_function():
    barrier = threading.Barrier(2)
    results = {}

    @ag.no_grad()
    def slow():
        barrier.wait()  # both threads are inside at once
        out = ag.is_grad_enabled()
        barrier.wait()
        return out

    def worker(name):
        results[name] = (slow(), ag.is_grad_enabled())

    threads = [threading.Thread(target=worker, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"a": (False, True), "b": (False, True)}
    assert ag.is_grad_enabled()


def test_set_grad_enabled_refuses_a_non_bool():
    with pytest.raises(TypeError, match="set_grad_enabled: mode must be a bool"):
        ag.set_grad_enabled("no")
    assert ag.is_grad_enabled()
