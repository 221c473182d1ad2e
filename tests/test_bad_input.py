"""Bad input, tried on purpose: every mistake gets a correct result or a clear error.

"Clear" means: a ValueError / TypeError / IndexError / RuntimeError whose message names the op and
says what to do, never a NumPy message about something the user did not write. After an error the
same tensors still work: ``assert_still_works`` runs a fresh forward and backward on them.

Ops are taken from ``ag.REGISTRY`` where the check is generic (every elementwise op, every
reduction), so ops registered later are covered too.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_engine as ag
from autograd_engine import Tensor
from autograd_engine.testing.strategies import op_arguments

ELEMENTWISE = sorted(n for n, s in ag.REGISTRY.items() if s.kind == "elementwise")
UNARY = [n for n in ELEMENTWISE if ag.REGISTRY[n].nargs == 1]
BINARY = [n for n in ELEMENTWISE if ag.REGISTRY[n].nargs == 2]
REDUCTIONS = sorted(n for n, s in ag.REGISTRY.items() if s.kind == "reduction")
# Ops that take one tensor and an ``axis``.
AXIS_OPS = {
    "softmax": lambda x, axis: ag.softmax(x, axis=axis),
    "log_softmax": lambda x, axis: ag.log_softmax(x, axis=axis),
    "cumsum": lambda x, axis: ag.cumsum(x, axis=axis),
    "flip": lambda x, axis: ag.flip(x, axis=axis),
}
ERRORS = (ValueError, TypeError, IndexError, RuntimeError)


def mentions(message: str, *words: str) -> bool:
    """Whether the message contains every word (case-insensitive)."""
    return all(w.lower() in message.lower() for w in words)


def names_op(message: str, name: str) -> bool:
    """Whether the message names the op: its public name, or its Function's name (``Sub`` for
    ``subtract``, ``Max`` for ``max``): the first three letters are enough to tell ops apart here."""
    m = message.lower()
    return name.lower() in m or re.search(r"\b" + re.escape(name[:3].lower()), m) is not None


def assert_still_works(*tensors: Tensor) -> None:
    """A failed call must not have changed grad mode or broken the tensors it was given."""
    assert ag.is_grad_enabled()
    for t in tensors:
        if not (isinstance(t, Tensor) and t.requires_grad and t.is_leaf):
            continue
        t.grad = None
        (t * t).sum().backward()
        np.testing.assert_allclose(t.grad.data, 2 * t.data)
        t.grad = None


def domain_values(name: str, shape: tuple, k: int = 0) -> np.ndarray:
    """Deterministic values inside argument k's domain, away from its kinks."""
    d = ag.REGISTRY[name].domains[k]
    n = int(np.prod(shape, dtype=np.int64))
    v = np.linspace(d.low + 0.1 * (d.high - d.low), d.high - 0.1 * (d.high - d.low), n)
    v = np.where(np.any([np.abs(v - a) < d.margin for a in d.avoid] or [False], axis=0),
                 v + 2 * d.margin, v)
    return v.reshape(shape)


def call(name: str, *args, **kwargs):
    return ag.REGISTRY[name].fn(*args, **kwargs)


# ----- construction -------------------------------------------------------------------------------


@pytest.mark.parametrize("data, error", [
    (["a", "b"], TypeError),
    ("abc", TypeError),
    (b"abc", TypeError),
    (None, TypeError),
    ({"a": 1}, TypeError),
    (np.array([1, "a"], dtype=object), TypeError),
    (np.array(["a", "b"]), TypeError),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), TypeError),
    ([[1.0, 2.0], [3.0]], ValueError),
])
def test_tensor_rejects_non_numeric_data(data, error):
    with pytest.raises(error) as info:
        Tensor(data)
    assert mentions(str(info.value), "Tensor")
    assert mentions(str(info.value), "pass") or mentions(str(info.value), "convert") or \
        mentions(str(info.value), "rectangular")


@pytest.mark.parametrize("data", [np.array([1, 2]), np.array([True, False]), np.array([1j])])
def test_only_float_tensors_require_grad(data):
    with pytest.raises(TypeError, match="floating-point.*astype"):
        Tensor(data, requires_grad=True)
    t = Tensor(data)
    with pytest.raises(TypeError, match="floating-point"):
        t.requires_grad_()
    assert not t.requires_grad


def test_int_and_bool_tensors_compute_and_pass_gradients_to_float_ones():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    i = Tensor(np.array([1, 2, 3]))
    mask = x > 1.5
    y = (x * i + mask * x + ag.exp(i)).sum()
    np.testing.assert_allclose(y.item(), (1 + 4 + 9) + (2 + 3) + np.exp([1, 2, 3]).sum())
    y.backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 3.0, 4.0])
    assert ag.exp(i).dtype == np.float64  # NumPy's promotion of int64


# ----- wrong shapes -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_with_shapes_that_do_not_broadcast(name):
    x = Tensor(domain_values(name, (2, 3), 0), requires_grad=True)
    y = Tensor(domain_values(name, (2,), 1), requires_grad=True)
    with pytest.raises(ValueError) as info:
        call(name, x, y)
    msg = str(info.value)
    assert names_op(msg, name) and mentions(msg, "(2, 3)", "(2,)", "broadcast", "reshape"), msg
    assert_still_works(x, y)


def test_matmul_reshape_broadcast_to_with_wrong_shapes():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"MatMul.*\(2, 3\).*transpose"):
        x @ x
    with pytest.raises(ValueError, match="MatMul.*at least one dimension"):
        ag.matmul(Tensor(1.0), x)
    with pytest.raises(ValueError, match="Reshape.*same number of elements"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match="Reshape.*one unknown"):
        x.reshape(-1, -1)
    with pytest.raises(ValueError, match="BroadcastTo"):
        ag.broadcast_to(x, (3, 3))
    with pytest.raises(ValueError, match="squeeze.*size 2"):
        ag.squeeze(x, 0)
    with pytest.raises(RuntimeError, match="backward.*shape"):
        (x * 2).backward(np.ones(3))
    with pytest.raises(RuntimeError, match="one-element.*gradient="):
        (x * 2).backward()
    assert_still_works(x)


# ----- wrong dtypes as op arguments ----------------------------------------------------------------


@pytest.mark.parametrize("bad", ["a", np.array(["a", "b", "c"]), None, np.array([1, 2, 3], dtype=object)],
                         ids=["str", "str-array", "None", "object-array"])
@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_reject_non_numeric_arguments(name, bad):
    x = Tensor(domain_values(name, (3,), 0), requires_grad=True)
    with pytest.raises(TypeError) as info:
        call(name, x, bad)
    msg = str(info.value)
    assert names_op(msg, name) and mentions(msg, "numeric"), msg
    assert "_UFuncNoLoopError" not in msg and "__init__" not in msg
    assert_still_works(x)


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_reject_strings(name):
    with pytest.raises(TypeError) as info:
        call(name, np.array(["a", "b"]))
    assert names_op(str(info.value), name), str(info.value)


def test_other_ops_reject_non_numeric_arguments():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(TypeError, match="MatMul.*numeric"):
        x @ "abc"
    with pytest.raises(TypeError, match="where.*condition must be a boolean"):
        ag.where("abc", x, 0.0)
    with pytest.raises(TypeError, match="astype.*not a NumPy dtype"):
        x.astype("notadtype")
    assert_still_works(x)


# ----- NaN and inf --------------------------------------------------------------------------------

SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.5])


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_nan_and_inf_propagate_like_numpy_and_backward_runs(name):
    spec = ag.REGISTRY[name]
    args = [Tensor(SPECIAL, requires_grad=True)]
    args += [Tensor(domain_values(name, (4,), k), requires_grad=True) for k in range(1, spec.nargs)]
    out = call(name, *args)
    expected = spec.reference(*[a.data for a in args])
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, equal_nan=True)
    out.backward(np.ones(out.shape))
    for a in args:
        assert a.grad.shape == a.shape  # values may be nan/inf; no exception, right shape
    assert np.isfinite(args[0].grad.data[3]) or name in ("power",)  # the finite entry stays finite
    assert_still_works(*args)


def test_nan_is_reported_by_detect_anomaly_naming_the_op():
    x = Tensor([-1.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Log"):
        with ag.detect_anomaly():
            ag.log(x)
    assert_still_works(x)


# ----- empty arrays -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0)])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_ops_on_empty_arrays(name, shape):
    spec = ag.REGISTRY[name]
    args = [Tensor(np.zeros(shape), requires_grad=True)]
    args += [Tensor(domain_values(name, shape[-1:], k), requires_grad=True)
             for k in range(1, spec.nargs)]  # broadcasts against the empty one
    out = call(name, *args)
    assert out.shape == shape
    out.backward(np.ones(shape))
    for a in args:
        assert a.grad.shape == a.shape
        assert np.all(a.grad.data == 0)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_on_empty_arrays(name, axis, keepdims):
    """A result equal to NumPy's where NumPy has one, else a ValueError naming the op and the fix;
    the gradient of an empty input is empty."""
    spec = ag.REGISTRY[name]
    data = np.zeros((0, 3))
    x = Tensor(data, requires_grad=True)
    with np.errstate(all="ignore"):
        try:
            expected = spec.reference(data, axis=axis, keepdims=keepdims)
        except ValueError:
            expected = None
    try:
        out = call(name, x, axis=axis, keepdims=keepdims)
    except ValueError as exc:
        msg = str(exc)
        assert names_op(msg, name) and mentions(msg, "empty"), msg
        degenerate = expected is not None and np.size(expected) and np.all(np.isnan(expected))
        assert expected is None or degenerate, f"NumPy has a result here: {expected!r}"
        assert_still_works(x)
        return
    assert expected is not None, f"{name}: NumPy raises but we returned {out}"
    np.testing.assert_allclose(out.data, expected, equal_nan=True)
    assert out.shape == np.shape(expected)
    if out.size:
        out.backward(np.ones(out.shape))
        assert x.grad.shape == (0, 3)


@pytest.mark.parametrize("name", sorted(AXIS_OPS))
@pytest.mark.parametrize("axis", [0, 1])
def test_axis_ops_on_empty_arrays(name, axis):
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    out = AXIS_OPS[name](x, axis)
    assert out.shape == (0, 3)
    out.backward(np.ones(out.shape))
    assert x.grad.shape == (0, 3)


def test_empty_indexing_and_matmul():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    e = x[np.array([], dtype=np.int64)]
    assert e.shape == (0, 3)
    (e.sum() + x[:, 3:].sum()).backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros((2, 3)))
    a = Tensor(np.ones((0, 2)), requires_grad=True)
    b = Tensor(np.ones((2, 4)), requires_grad=True)
    (a @ b).sum().backward()
    assert a.grad.shape == (0, 2)
    np.testing.assert_array_equal(b.grad.data, np.zeros((2, 4)))
    k = Tensor(np.ones((3, 0)), requires_grad=True)
    y = k @ Tensor(np.ones((0, 2)))  # contracting an empty axis gives zeros, as in NumPy
    np.testing.assert_array_equal(y.data, np.zeros((3, 2)))


# ----- non-contiguous and read-only NumPy inputs ---------------------------------------------------


def _awkward(a: np.ndarray, read_only: bool) -> np.ndarray:
    """The same values as ``a``, but as a strided (non-contiguous) view, optionally read-only."""
    big = np.zeros((a.shape[0] * 2,) + a.shape[1:])
    big[::2] = a
    view = big[::2]
    assert not view.flags.c_contiguous
    view.flags.writeable = not read_only
    return view


@pytest.mark.parametrize("read_only", [False, True])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_non_contiguous_and_read_only_inputs(name, read_only):
    spec = ag.REGISTRY[name]
    plain = [domain_values(name, (3, 2), k) for k in range(spec.nargs)]
    awkward = [_awkward(a, read_only) for a in plain]
    before = [a.copy() for a in awkward]
    ref_args = [Tensor(a, requires_grad=True) for a in plain]
    args = [Tensor(a, requires_grad=True) for a in awkward]
    ref, out = call(name, *ref_args), call(name, *args)
    np.testing.assert_array_equal(out.data, ref.data)
    g = _awkward(np.linspace(-1, 1, 6).reshape(3, 2), read_only)
    ref.backward(np.ascontiguousarray(g))
    out.backward(g)
    out2 = call(name, *args)
    out2.backward(g)  # accumulates: must not write into the caller's (read-only) arrays
    for r, a in zip(ref_args, args):
        np.testing.assert_allclose(a.grad.data, 2 * r.grad.data)
    for a, b in zip(awkward, before):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(g, _awkward(np.linspace(-1, 1, 6).reshape(3, 2), False))


def test_read_only_constants_and_gradients_are_never_written():
    ro = np.arange(6.0).reshape(2, 3)
    ro.flags.writeable = False
    x = Tensor(ro, requires_grad=True)  # copies: the tensor itself is writable
    seed = np.ones((2, 3))
    seed.flags.writeable = False
    for _ in range(3):
        (x * ro + ro.T.T).backward(seed)
    np.testing.assert_array_equal(x.grad.data, 3 * ro)
    x.data += 1  # the tensor owns its data
    np.testing.assert_array_equal(ro, np.arange(6.0).reshape(2, 3))


# ----- Python scalars and lists wherever a Tensor is accepted ---------------------------------------


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_lists_and_scalars_instead_of_tensors(name):
    spec = ag.REGISTRY[name]
    vals = [domain_values(name, (2, 2), k) for k in range(spec.nargs)]
    ref = call(name, *[Tensor(v) for v in vals])
    from_lists = call(name, *[v.tolist() for v in vals])
    np.testing.assert_allclose(from_lists.data, ref.data, rtol=1e-15)
    assert from_lists.dtype == np.float64
    # one Tensor, the other arguments as Python scalars: the gradient reaches the Tensor
    for k in range(spec.nargs):
        scalars = [float(v.flat[0]) for v in vals]
        args = list(scalars)
        args[k] = Tensor(vals[k], requires_grad=True)
        out = call(name, *args)
        out.backward(np.ones(out.shape))
        ref_args = [Tensor(np.full((2, 2), s)) for s in scalars]
        ref_args[k] = Tensor(vals[k], requires_grad=True)
        call(name, *ref_args).backward(np.ones((2, 2)))
        np.testing.assert_allclose(args[k].grad.data, ref_args[k].grad.data, rtol=1e-12)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_accept_lists_and_scalars(name):
    data = [[1.0, 2.5], [3.0, -4.0]]
    np.testing.assert_allclose(call(name, data, axis=0).data, call(name, Tensor(data), axis=0).data)
    assert call(name, 2.0).shape == ()


def test_operators_with_python_numbers_lists_and_arrays_on_either_side():
    x = Tensor([1.0, 2.0], requires_grad=True)
    xs = [1.0, 2.0]
    cases = [
        (lambda t: 2 + t, lambda a: 2 + a), (lambda t: [3.0, 4.0] - t, lambda a: np.subtract([3.0, 4.0], a)),
        (lambda t: 2 * t, lambda a: 2 * a), (lambda t: 2 / t, lambda a: 2 / a),
        (lambda t: 2 ** t, lambda a: 2 ** a), (lambda t: t ** 2, lambda a: a ** 2),
        (lambda t: [[1.0, 2.0]] @ t, lambda a: np.matmul([[1.0, 2.0]], a)),
        (lambda t: t @ [1.0, 1.0], lambda a: np.matmul(a, [1.0, 1.0])),
        (lambda t: np.array([1.0, 3.0]) * t, lambda a: np.array([1.0, 3.0]) * a),
    ]
    for f, ref in cases:
        out = f(x)
        assert isinstance(out, Tensor) and out.requires_grad
        np.testing.assert_allclose(out.data, ref(np.array(xs)))
    f32 = Tensor(np.ones(2, dtype=np.float32))
    assert (f32 * 2.0).dtype == np.float32 and (2 ** f32).dtype == np.float32
    y = (x * x).sum()
    (g,) = ag.grad(x * x, x, grad_outputs=[[1.0, 1.0]])  # grad_outputs as nested lists
    np.testing.assert_allclose(g.data, [2.0, 4.0])
    (x * x).backward([1.0, 1.0])  # gradient as a list
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])
    assert y.requires_grad


# ----- unknown keyword arguments --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ag.REGISTRY))
@settings(max_examples=1)
@given(data=st.data())
def test_unknown_keyword_arguments_name_the_op(name, data):
    spec = ag.REGISTRY[name]
    args, kwargs = data.draw(op_arguments(spec, np.float64))
    with pytest.raises(TypeError) as info:
        spec.fn(*args, **kwargs, not_a_parameter=1)
    msg = str(info.value)
    assert "not_a_parameter" in msg and names_op(msg, name.strip("_")), msg


def test_unknown_keyword_arguments_of_methods():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    for call_it in (lambda: x.sum(axs=0), lambda: x.mean(axes=0), lambda: x.reshape(3, 2, order="C"),
                    lambda: ag.leaky_relu(x, negative_slope=0.1), lambda: x.backward(gradient=1, foo=2)):
        with pytest.raises(TypeError, match="unexpected keyword argument"):
            call_it()
    assert_still_works(x)


# ----- bad axis -------------------------------------------------------------------------------------

BAD_AXES = [(2, ValueError, "use an axis in"), (-3, ValueError, "use an axis in"),
            (1.5, TypeError, "axis must be"), ("0", TypeError, "axis must be")]


@pytest.mark.parametrize("axis, error, fix", BAD_AXES)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_with_a_bad_axis(name, axis, error, fix):
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(error) as info:
        call(name, x, axis=axis)
    msg = str(info.value)
    assert names_op(msg, name) and mentions(msg, fix), msg
    with pytest.raises(ValueError, match="repeated axis.*once"):
        call(name, x, axis=(0, -2))
    assert_still_works(x)


@pytest.mark.parametrize("axis, error, fix", BAD_AXES)
@pytest.mark.parametrize("name", sorted(AXIS_OPS))
def test_axis_ops_with_a_bad_axis(name, axis, error, fix):
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(error) as info:
        AXIS_OPS[name](x, axis)
    assert names_op(str(info.value), name) and mentions(str(info.value), fix), str(info.value)
    assert_still_works(x)


def test_shape_ops_with_a_bad_axis():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match="expand_dims.*result.*\\[-3, 2\\]"):
        ag.expand_dims(x, 5)
    with pytest.raises(ValueError, match="swapaxes.*use an axis in"):
        ag.swapaxes(x, 0, 5)
    with pytest.raises(ValueError, match="Transpose"):
        x.transpose(0, 0)
    with pytest.raises(ValueError, match="Transpose"):
        x.transpose(0, 2)
    assert_still_works(x)


# ----- out-of-range and malformed indices -----------------------------------------------------------


@pytest.mark.parametrize("index, fix", [
    (5, "[-n, n-1]"),
    (-3, "[-n, n-1]"),
    ([0, 7], "[-n, n-1]"),
    (Tensor(np.array([0, 9])), "[-n, n-1]"),
    ((0, 0, 0), "does not fit"),
    (np.array([True, False, True]), "boolean mask"),
    (1.5, "integer or boolean"),
    (Tensor([0, 1]), "float64"),  # Python ints become float64: the message says how to fix it
])
def test_bad_indices(index, fix):
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with pytest.raises(IndexError) as info:
        x[index]
    assert mentions(str(info.value), "GetItem", fix), str(info.value)
    assert_still_works(x)
    x[Tensor(np.array([1, 1, -2]))].sum().backward()  # and good indices still work
    np.testing.assert_array_equal(x.grad.data, [[1.0] * 3, [2.0] * 3])


# ----- integer division and huge exponents ---------------------------------------------------------


def test_integer_division_is_true_division_like_numpy():
    a, b = np.array([7, -7, 1, 0]), np.array([2, 2, 0, 0])
    with np.errstate(all="ignore"):
        expected = a / b
    out = Tensor(a) / Tensor(b)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out.data, expected)  # 1/0 = inf, 0/0 = nan, as NumPy
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x / Tensor(np.array([2, 4]))).sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.5, 0.25])
    with pytest.raises(TypeError, match="//"):
        Tensor(a) // 2
    with pytest.raises(ValueError, match="Pow.*negative integer powers.*float"):
        Tensor(a) ** -1
    np.testing.assert_array_equal((Tensor(a) ** 2).data, a ** 2)


def test_huge_exponents_overflow_to_inf_without_errors():
    x = Tensor([1000.0, -1000.0], requires_grad=True)
    with np.errstate(all="ignore"):
        y = ag.exp(x)
        np.testing.assert_array_equal(y.data, [np.inf, 0.0])
        y.backward(np.ones(2))
    np.testing.assert_array_equal(x.grad.data, [np.inf, 0.0])
    b = Tensor([10.0], requires_grad=True)
    with np.errstate(all="ignore"):
        p = b ** 400.0
        p.backward(np.ones(1))
        assert np.isinf(p.data).all() and np.isinf(b.grad.data).all()
        assert np.isinf((2.0 ** Tensor([1e4])).data).all()
    assert_still_works(x, b)


def test_stable_ops_stay_finite_at_huge_inputs():
    x = Tensor([1000.0, -1000.0], requires_grad=True)
    for f, value, grad in [
        (ag.sigmoid, [1.0, 0.0], [0.0, 0.0]),
        (ag.tanh, [1.0, -1.0], [0.0, 0.0]),
        (ag.softplus, [1000.0, 0.0], [1.0, 0.0]),
        (lambda t: ag.log_softmax(t, axis=0), [0.0, -2000.0], [-1.0, 1.0]),
        (lambda t: ag.softmax(t, axis=0), [1.0, 0.0], [0.0, 0.0]),
    ]:
        x.grad = None
        out = f(x)
        np.testing.assert_allclose(out.data, value, atol=1e-12)
        out.backward(np.ones(2) if out.data.size > 1 else None)
        assert np.all(np.isfinite(x.grad.data))
        np.testing.assert_allclose(x.grad.data, grad, atol=1e-12)
    y = Tensor([1000.0, 1000.0], requires_grad=True)
    ag.logsumexp(y).backward()
    np.testing.assert_allclose(y.grad.data, [0.5, 0.5])


# ----- errors do not corrupt later computations ------------------------------------------------------


def test_errors_inside_no_grad_and_backward_restore_state():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError):
        with ag.no_grad():
            x + Tensor([1.0, 2.0, 3.0])
    assert ag.is_grad_enabled()

    def bad_hook(g):
        raise ValueError("hook failed")

    y = x * 3
    h = y.register_hook(bad_hook)
    with pytest.raises(ValueError, match="hook failed"):
        y.sum().backward(create_graph=False)
    assert ag.is_grad_enabled()
    h.remove()
    assert_still_works(x)
    with pytest.raises(RuntimeError):
        ag.grad((x * 2).sum(), Tensor([1.0]))  # an input that does not require grad
    assert_still_works(x)


def test_a_failed_op_leaves_no_trace_in_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    for bad in (lambda: y + Tensor([1.0, 2.0, 3.0]), lambda: y[5], lambda: y.sum(axis=3),
                lambda: y @ Tensor(np.ones((3, 3))), lambda: y.reshape(3)):
        with pytest.raises(ERRORS):
            bad()
    z = (y * y).sum()
    z.backward()
    np.testing.assert_allclose(x.grad.data, 8 * x.data)  # d/dx (2x)^2
