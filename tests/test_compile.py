"""ag.compile: compiled code must compute exactly what eager mode computes.

Every registered op is run through ``compile`` (the registry sweep) and compared with eager mode:
forward values and gradients, float32 and float64, drawn by the op's own sampler (0-d and
broadcast shapes included). Then random graphs, retracing, refusals and whole training steps.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_engine as ag
import nn
from autograd_engine.testing.strategies import op_arguments

# one_hot is not an Op: a trace keeps its value as a constant, so it has its own test below.
OPS = sorted(set(ag.REGISTRY) - {"one_hot"})
FAST = settings(max_examples=4, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _same(a, b):
    """Equal bit for bit (NaN equal to NaN), same shape and dtype."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
    np.testing.assert_array_equal(a, b)


def _problem(spec, args, kwargs, dtype):
    """Inputs (float arrays become Tensors that require grad) and ``loss(*tensors)``: the op's
    outputs weighted by fixed random arrays and summed, so every output gets a gradient."""
    layout, arrays = [], []
    for a in args:
        items = a if isinstance(a, list) else [a]
        slots = []
        for b in items:
            if isinstance(b, np.ndarray) and b.dtype.kind == "f":
                slots.append(len(arrays))
                arrays.append(b)
            else:
                slots.append(("const", b))
        layout.append(slots if isinstance(a, list) else slots[0])
    rng = np.random.default_rng(0)

    def call(*xs):
        def pick(s):
            return s[1] if isinstance(s, tuple) else xs[s]
        rebuilt = [[pick(s) for s in slot] if isinstance(slot, list) else pick(slot)
                   for slot in layout]
        out = spec.fn(*rebuilt, **kwargs)
        return list(out) if isinstance(out, (list, tuple)) else [out]

    weights = {}

    def loss_of(outs):
        total = None
        for k, o in enumerate(outs):
            if not o.requires_grad:
                continue
            if k not in weights:
                weights[k] = rng.standard_normal(o.shape).astype(o.dtype)
            term = (o * weights[k]).sum()
            total = term if total is None else total + term
        return total

    assert arrays, f"{spec.name}: no array argument to trace, so nothing would be compared"
    return arrays, call, loss_of


def _eager_and_compiled(call, loss_of, arrays, differentiable=True):
    def run(xs):
        outs = call(*xs)
        loss = loss_of(outs) if differentiable else None
        if loss is not None:
            loss.backward()
        return outs, loss

    def tensors():
        return [ag.Tensor(a.copy(), requires_grad=differentiable) for a in arrays]

    eager_in = tensors()
    eager_outs, eager_loss = run(eager_in)
    step = ag.compile(lambda *xs: run(list(xs)))
    # Trace on other values (the same ones, reversed), so that a value the trace baked in
    # instead of recording shows as a difference on the replay.
    step(*[ag.Tensor(np.flip(a).copy(), requires_grad=differentiable) for a in arrays])
    compiled_in = tensors()
    outs, loss = step(*compiled_in)  # replays
    assert step.cache_info().hits == 1
    for o, e in zip(outs, eager_outs):
        _same(o.data, e.data)
    if eager_loss is not None:
        _same(loss.data, eager_loss.data)
    for c, e in zip(compiled_in, eager_in):
        assert (c.grad is None) == (e.grad is None)
        if e.grad is not None:
            _same(c.grad.data, e.grad.data)
    return step


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", OPS)
@FAST
@given(data=st.data())
def test_registry_sweep(name, dtype, data):
    spec = ag.REGISTRY[name]
    args, kwargs = data.draw(op_arguments(spec, dtype))
    if name == "dropout":  # a fresh generator per call: eager and compiled draw the same mask
        kwargs = dict(kwargs, rng=7)
    arrays, call, loss_of = _problem(spec, args, kwargs, dtype)
    if not arrays:
        return
    _eager_and_compiled(call, loss_of, arrays, spec.differentiable)


def test_compiled_one_hot_follows_its_input():
    f = ag.compile(lambda indices: ag.one_hot(indices, 3) * 1.0)
    f(ag.Tensor(np.array([0, 1])))  # traces
    np.testing.assert_array_equal(f(ag.Tensor(np.array([2, 2]))).data, np.eye(3)[[2, 2]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes", [((), ()), ((3, 1), (4,)), ((), (2, 3)), ((2, 1, 3), (1, 4, 1))])
@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "divide", "maximum", "power"])
def test_broadcast_and_0d(op, shapes, dtype):
    rng = np.random.default_rng(1)
    arrays = [rng.uniform(0.5, 2.0, s).astype(dtype) for s in shapes]
    arrays = [np.asarray(a, dtype=dtype) for a in arrays]
    fn = getattr(ag, op)
    step = _eager_and_compiled(lambda x, y: [fn(x, y).tanh()],
                               lambda outs: (outs[0] * 1.5).sum(), arrays)
    assert "gradient of" in step.source()


# ----- random graphs --------------------------------------------------------------------------

_UNARY = [ag.tanh, ag.sigmoid, ag.relu, ag.exp, lambda t: -t, lambda t: t * t,
          lambda t: t.sum(axis=0, keepdims=True) if t.ndim else t * 3.0, lambda t: ag.log(t * t + 1.0),
          lambda t: t.T @ t if t.ndim == 2 else t * 2.0, lambda t: ag.softmax(t, axis=-1) if t.ndim else t]
_BINARY = [ag.add, ag.subtract, ag.multiply, lambda a, b: a / (b * b + 1.0), ag.maximum]


@settings(max_examples=20, deadline=None)
@given(data=st.data(), dtype=st.sampled_from([np.float64, np.float32]),
       shape=st.sampled_from([(), (3,), (2, 3), (3, 3)]))
def test_random_graphs(data, dtype, shape):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    n_in = data.draw(st.integers(1, 3))
    arrays = [rng.standard_normal(shape).astype(dtype) for _ in range(n_in)]
    plan = data.draw(st.lists(st.tuples(st.booleans(), st.integers(0, 100), st.integers(0, 100),
                                        st.integers(0, 100)), min_size=1, max_size=12))

    def graph(*xs):
        vals = list(xs)
        for unary, i, j, k in plan:
            a, b = vals[i % len(vals)], vals[j % len(vals)]
            if unary or a.shape != b.shape:
                out = _UNARY[k % len(_UNARY)](a)
            else:
                out = _BINARY[k % len(_BINARY)](a, b)
            if out.shape == a.shape:
                vals.append(out)
        return [vals[-1]] + vals[:n_in]  # the inputs are reused too: several paths to a leaf

    _eager_and_compiled(graph, lambda outs: (outs[0] * 0.5).sum() + outs[-1].sum(), arrays)


# ----- training steps -------------------------------------------------------------------------


def _model(opt_cls, **opt_kw):
    ag.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    return model, opt_cls(model.parameters(), **opt_kw)


@pytest.mark.parametrize("opt_cls,kw", [(nn.optim.SGD, dict(lr=0.1, momentum=0.9)),
                                        (nn.optim.Adam, dict(lr=0.01))])
def test_training_step_matches_eager_bit_for_bit(opt_cls, kw):
    rng = np.random.default_rng(0)
    x = ag.Tensor(rng.standard_normal((16, 3)))
    target = ag.Tensor(rng.integers(0, 2, 16).astype(np.int64))

    def train_step(model, opt, x, t):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        return loss

    eager_model, eager_opt = _model(opt_cls, **kw)
    model, opt = _model(opt_cls, **kw)
    compiled = ag.compile(train_step)
    for _ in range(6):
        a = train_step(eager_model, eager_opt, x, target)
        b = compiled(model, opt, x, target)
        _same(a.data, b.data)
    for p, q in zip(eager_model.parameters(), model.parameters()):
        _same(p.data, q.data)
        _same(p.grad.data, q.grad.data)
    assert compiled.cache_info().misses == 1 and compiled.cache_info().hits == 5
    # the targets were read as values (cross_entropy builds its one-hot weights in NumPy):
    # other targets must trace again rather than reuse the old ones
    target.data[...] = 1 - target.data
    compiled(model, opt, x, target)
    assert compiled.cache_info().misses == 2


def test_gradients_accumulate_like_eager():
    w_e = ag.Tensor([1.0, 2.0], requires_grad=True)
    w_c = ag.Tensor([1.0, 2.0], requires_grad=True)

    def step(w, x):
        (w * x).tanh().sum().backward()

    compiled = ag.compile(step)
    for k in range(3):
        x = ag.Tensor([0.5 * k, -1.0])
        step(w_e, x)
        compiled(w_c, x)
    _same(w_c.grad.data, w_e.grad.data)


def test_2_4_1_network_source_names_ops_and_lines():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1), nn.Sigmoid())
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    X = ag.Tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = ag.Tensor([[0.0], [1.0], [1.0], [0.0]])

    @ag.compile
    def step(X, y):
        opt.zero_grad()
        loss = ((model(X) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    step(X, y)
    src = step.source()
    assert "def forward(T):" in src and "def backward(T, saved):" in src
    assert "# Sigmoid <-" in src and "# gradient of Sigmoid <-" in src
    assert "loss = ((model(X) - y) ** 2).mean()" in src
    assert "Optimizer_step()" in src and "del " in src
    compile(src, "<generated>", "exec")  # it is valid Python


# ----- retracing ------------------------------------------------------------------------------


def test_retrace_on_shape_dtype_and_requires_grad():
    f = ag.compile(lambda x: (x * 2).sum(), maxsize=2)
    f(ag.Tensor([1.0, 2.0]))
    f(ag.Tensor([3.0, 4.0]))
    assert f.cache_info() == (1, 1, 2, 1)
    assert f(ag.Tensor([1.0, 2.0, 3.0])).item() == 12.0  # new shape
    f(ag.Tensor(np.array([1.0, 2.0], np.float32)))  # new dtype: the oldest entry goes (LRU)
    assert f.cache_info() == (1, 3, 2, 2)
    f.cache_clear()
    assert f.cache_info() == (0, 0, 2, 0)


def test_retrace_when_captured_parameter_changes():
    w = ag.Tensor([1.0, 2.0], requires_grad=True)

    @ag.compile
    def f(x):
        loss = (x * w).sum()
        loss.backward()
        return loss

    f(ag.Tensor([1.0, 1.0]))
    w.requires_grad_(False)  # frozen: the compiled backward would write a gradient it must not
    w.grad = None
    with pytest.raises(ag.TracingError, match="backward"):
        f(ag.Tensor([1.0, 1.0]))  # retraced; eager would fail too: nothing requires grad


def test_python_arguments_are_part_of_the_signature():
    f = ag.compile(lambda x, n: x * n)
    assert f(ag.Tensor([1.0]), 2).item() == 2.0
    assert f(ag.Tensor([1.0]), 3).item() == 3.0
    assert f.cache_info().misses == 2


# ----- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("read", [bool, float, int, lambda t: t.item(), lambda t: t.tolist(),
                                  lambda t: t.data, lambda t: np.asarray(t)])
def test_value_dependent_python_is_refused(read):
    def f(x):
        y = (x * 2).sum()
        if read(y):
            return y
        return -y

    with pytest.raises(ag.TracingError, match="computed inside the compiled function"):
        ag.compile(f)(ag.Tensor([1.0, 2.0]))


def test_reading_an_argument_guards_its_value():
    f = ag.compile(lambda x: x * 2 if x.sum().item() > 0 else x * 3)
    with pytest.raises(ag.TracingError):  # x.sum() is computed inside: refused
        f(ag.Tensor([1.0]))
    g = ag.compile(lambda x, s: x * (2.0 if s.item() > 0 else 3.0))
    assert g(ag.Tensor([1.0]), ag.Tensor(1.0)).item() == 2.0
    assert g(ag.Tensor([1.0]), ag.Tensor(-1.0)).item() == 3.0  # value changed: traced again
    assert g(ag.Tensor([1.0]), ag.Tensor(-1.0)).item() == 3.0
    assert g.cache_info().misses == 2 and g.cache_info().hits == 1


@pytest.mark.parametrize("body, match", [
    (lambda x: x.__iadd__(1.0), "in-place"),
    (lambda x: ag.randn(2) * x, "random numbers"),
    (lambda x: ag.grad((x * x).sum(), x), None),
])
def test_refusals(body, match):
    x = ag.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises((ag.TracingError, RuntimeError), match=match):
        ag.compile(lambda x: body(x))(x)


def test_two_backwards_and_create_graph_are_refused():
    def twice(x):
        (x * x).sum().backward()
        (x * 3).sum().backward()

    with pytest.raises(ag.TracingError, match="more than once"):
        ag.compile(twice)(ag.Tensor([1.0], requires_grad=True))

    def higher(x):
        (x * x).sum().backward(create_graph=True)

    with pytest.raises(ag.TracingError, match="create_graph"):
        ag.compile(higher)(ag.Tensor([1.0], requires_grad=True))


def test_output_differentiated_after_the_call_matches_eager():
    w_e = ag.Tensor([1.0, -2.0, 0.5], requires_grad=True)
    w_c = ag.Tensor([1.0, -2.0, 0.5], requires_grad=True)
    f = ag.compile(lambda x, w: (ag.sigmoid(x * w) * x + w).sum())
    for k in range(3):
        x_e = ag.Tensor([0.5, 0.25 * k, -1.0], requires_grad=True)
        x_c = ag.Tensor([0.5, 0.25 * k, -1.0], requires_grad=True)
        out_e = (ag.sigmoid(x_e * w_e) * x_e + w_e).sum()
        out_c = f(x_c, w_c)
        _same(out_c.data, out_e.data)
        (out_e * 3.0).backward()  # the compiled output is part of a larger graph
        (out_c * 3.0).backward()
        _same(x_c.grad.data, x_e.grad.data)
    _same(w_c.grad.data, w_e.grad.data)  # accumulated over the three calls
    assert f.cache_info().hits == 2
    assert "def backward(T, saved, grad):" in f.source()


def test_several_outputs_needing_gradients_are_refused():
    with pytest.raises(ag.TracingError, match="calls no backward"):
        ag.compile(lambda x: (x * 2, x * 3))(ag.Tensor([1.0], requires_grad=True))


def test_captured_tensor_changed_in_place_between_calls():
    data = ag.Tensor([1.0, 2.0])  # no gradient: used by an op without a graph node
    w = ag.Tensor([0.5, 0.5], requires_grad=True)

    @ag.compile
    def f():
        loss = (ag.exp(data * 2.0) * w).sum()
        loss.backward()
        return loss

    f()
    data.data[...] = [3.0, 4.0]  # a new batch written into the same array
    w.grad = None
    loss = f()
    _same(loss.data, (np.exp(np.array([6.0, 8.0])) * 0.5).sum())
    data.data = np.array([0.0, 0.0])  # and a new array
    assert f().item() == 1.0


def test_numpy_arguments_are_refused():
    with pytest.raises(TypeError, match="wrap arrays in ag.Tensor"):
        ag.compile(lambda x: x)(np.ones(2))


def test_dropout_mask_is_drawn_again_each_call():
    x = ag.Tensor(np.ones(64))
    f = ag.compile(lambda x: ag.dropout(x, p=0.5, rng=None))
    ag.manual_seed(0)
    first = f(x).data.copy()
    second = f(x).data
    assert not np.array_equal(first, second)  # a new mask, as eager draws one
    ag.manual_seed(0)
    eager = ag.dropout(x, p=0.5).data.copy()
    _same(first, eager)


# ----- the benchmarks' compiled variants (tiny sizes) -------------------------------------------

_TINY = {
    "tensor_mlp": {"batch": 8, "sizes": (20, 16, 16, 4)},
    "scalar_mlp": {"n_samples": 12, "sizes": (2, 4, 4, 1)},
    "scalar_graph": {"n_samples": 6, "sizes": (2, 3, 3, 1)},
    "op_overhead": {"shape": (4,), "n_ops": 30},
    "deep_chain": {"n": 300},
    "cnn": {"batch": 2, "size": 8, "channels": (1, 4, 8), "n_classes": 3},
}


@pytest.mark.parametrize("name", sorted(_TINY))
def test_benchmark_compiled_variants_match_eager(name):
    import importlib
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    mod = importlib.import_module(f"benchmarks.{name}")
    inputs = mod.make_inputs(**_TINY[name])
    eager, variants = mod.IMPLS["ours"](inputs), {}
    for impl in ("compiled", "compiled_nn"):
        if impl in mod.IMPLS:
            variants[impl] = mod.IMPLS[impl](inputs)
    assert variants
    for _ in range(3):  # the trace, then replays: every step's result as eager's
        expected = eager()
        for step in variants.values():
            got = step()
            np.testing.assert_allclose(got, expected, rtol=1e-6 if name in ("cnn", "tensor_mlp",
                                                                           "op_overhead") else 0)


def test_same_tensor_twice_versus_two_tensors():
    f = ag.compile(lambda a, b: (a * b).sum())
    x = ag.Tensor([2.0, 3.0])
    assert f(x, x).item() == 13.0
    assert f(x, ag.Tensor([1.0, 1.0])).item() == 5.0  # not the first trace: retraced
    assert f.cache_info().misses == 2


def test_leaf_hooks_run_as_in_eager_mode():
    w = ag.Tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_hook(lambda g: (seen.append(g.data.copy()), g * 10)[1])

    @ag.compile
    def f(x):
        (x * w).sum().backward()

    f(ag.Tensor([1.0, 1.0]))
    w.grad = None
    f(ag.Tensor([3.0, 4.0]))
    _same(w.grad.data, np.array([30.0, 40.0]))
    _same(seen[-1], np.array([3.0, 4.0]))


def test_other_threads_run_eagerly_while_a_trace_is_under_way():
    import threading

    started, release = threading.Event(), threading.Event()
    results = []

    def slow(x):
        started.set()
        release.wait(5)
        (x * x).sum().backward()

    def eager_worker():
        started.wait(5)
        w = ag.Tensor([1.0, 2.0], requires_grad=True)
        y = (w.tanh() * 3.0).sum()
        results.append(bool(y > 0))  # bool() of a computed value: fine outside a trace
        y.backward()
        results.append(w.grad.data.copy())
        release.set()

    t = threading.Thread(target=eager_worker)
    t.start()
    ag.compile(slow)(ag.Tensor([1.0], requires_grad=True))
    t.join(5)
    assert results[0] is True
    w = ag.Tensor([1.0, 2.0], requires_grad=True)
    (w.tanh() * 3.0).sum().backward()
    _same(results[1], w.grad.data)


def test_train_and_eval_modes_trace_separately():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    f = ag.compile(lambda x: model(x))
    x = ag.Tensor(np.ones((2, 4)))
    with ag.no_grad():
        f(x)
        model.eval()
        _same(f(x).data, model(x).data)  # eval: no dropout, a new trace
        assert f.cache_info().misses == 2


def test_learning_rate_scheduler_step_is_replayed():
    def run(compiled):
        w = ag.Tensor([1.0, -1.0], requires_grad=True)
        opt = nn.optim.SGD([w], lr=0.5)
        sched = nn.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)

        def step(x):
            opt.zero_grad()
            (w * x).sum().backward()
            opt.step()
            sched.step()

        f = ag.compile(step) if compiled else step
        for _ in range(4):
            f(ag.Tensor([1.0, 2.0]))
        return w.data, opt.param_groups[0]["lr"]

    (w_c, lr_c), (w_e, lr_e) = run(True), run(False)
    assert lr_c == lr_e == 0.5 * 0.5**4
    _same(w_c, w_e)


def test_a_function_class_defined_inside_is_refused():
    def f(x):
        class Double(ag.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

        return Double.apply(x) + 1

    with pytest.raises(ag.TracingError, match="defined inside the compiled function"):
        ag.compile(f)(ag.Tensor([1.0]))

    class Triple(ag.Function):  # defined outside: fine, and classes can be made again after
        @staticmethod
        def forward(ctx, a):
            return a * 3

    g = ag.compile(lambda x: Triple.apply(x) + 1)
    g(ag.Tensor([1.0]))
    assert g(ag.Tensor([2.0])).item() == 7.0


def test_leaf_gradients_never_share_memory():
    def step(x, y, z):
        (x + y).sum().backward()  # both get the same array from Add's rule
        (z * 1.0).sum()

    f = ag.compile(step)
    for _ in range(2):
        x, y, z = (ag.Tensor(np.ones(3), requires_grad=True) for _ in range(3))
        f(x, y, z)
        assert not np.shares_memory(x.grad.data, y.grad.data)
        x.grad.data[0] = 5.0
        assert y.grad.data[0] == 1.0
