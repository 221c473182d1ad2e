"""In-place operators: version counters, saved-tensor checks, leaf refusal, history rebasing."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_engine as ag
from autograd_engine.testing.strategies import arrays


def T(a, **kw):
    return ag.Tensor(np.asarray(a, dtype=np.float64), **kw)


# ----- unrecorded: NumPy semantics ---------------------------------------------------------------
@pytest.mark.parametrize("op, ref", [
    ("__iadd__", np.add), ("__isub__", np.subtract), ("__imul__", np.multiply),
    ("__itruediv__", np.true_divide), ("__ipow__", np.power),
])
def test_unrecorded_ops_modify_the_array_in_place_and_bump_version(op, ref):
    x = T([1.0, 2.0, 4.0])
    arr = x.data
    view = arr[1:]
    before = arr.copy()
    r = getattr(x, op)(T([2.0, 2.0, 2.0]))
    assert r is x and x.data is arr
    np.testing.assert_allclose(arr, ref(before, 2.0))
    np.testing.assert_allclose(view, ref(before, 2.0)[1:])  # views see the change, as in NumPy
    assert x._version == 1


def test_augmented_assignment_keeps_identity_dtype_and_counts_versions():
    x = ag.Tensor(np.ones(3, dtype=np.float32))
    y = x
    x += np.array([1.0, 2.0, 3.0])  # float64 value, float32 tensor stays float32
    x *= 2
    x -= 1
    x /= 2
    assert y is x and x.dtype == np.float32 and x._version == 4
    np.testing.assert_allclose(x.data, [1.5, 2.5, 3.5])


def test_unrecorded_errors():
    x = T([1.0, 2.0])
    with pytest.raises(ValueError, match="shape"):
        x += T([[1.0, 2.0], [3.0, 4.0]])
    i = ag.Tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match="dtype"):
        i /= 2
    with pytest.raises(IndexError, match="index"):
        x[5] = 1.0
    assert x._version == 0


def test_zero_d_and_read_only_arrays():
    s = ag.Tensor(2.0)
    s += 1
    assert s.item() == 3.0
    b = ag.broadcast_to(T([1.0, 2.0]), (2, 2))  # a read-only view: PyTorch refuses it too
    with pytest.raises(RuntimeError, match="read-only view.*x = x \\+ 0"):
        b += 1
    with pytest.raises(RuntimeError, match="read-only view"):
        b[0, 0] = 10.0
    np.testing.assert_array_equal(b.data, [[1.0, 2.0], [1.0, 2.0]])
    assert b._version == 0
    c = b + 0  # a copy can be written
    c[0, 0] = 10.0
    np.testing.assert_array_equal(c.data, [[10.0, 2.0], [1.0, 2.0]])


def test_setitem_unrecorded_follows_numpy():
    x = ag.zeros((2, 3))
    x[0] = 1.0
    x[:, 1] = T([5.0, 6.0])
    x[x > 5.5] = -1.0
    x[ag.Tensor(np.array([1])), 2] = 7.0
    expected = np.zeros((2, 3))
    expected[0] = 1
    expected[:, 1] = [5, 6]
    expected[expected > 5.5] = -1
    expected[[1], 2] = 7
    np.testing.assert_array_equal(x.data, expected)
    assert x._version == 4


# ----- leaves ------------------------------------------------------------------------------------
def test_leaf_requiring_grad_refused_while_recording():
    w = T([1.0, 2.0], requires_grad=True, name="w")
    for update in (lambda: w.__iadd__(1.0), lambda: w.__imul__(2.0),
                   lambda: w.__setitem__(0, 3.0)):
        with pytest.raises(RuntimeError, match="leaf tensor 'w'.*no_grad"):
            update()
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    assert w._version == 0


def test_leaf_update_under_no_grad_like_an_optimizer():
    w = T([1.0, 2.0], requires_grad=True)
    arr = w.data
    (w * w).sum().backward()
    with ag.no_grad():
        w -= 0.5 * w.grad
        w[0] = 0.25
    assert w.data is arr and w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.data, [0.25, 0.0])


def test_leaf_saved_then_updated_under_no_grad_raises_on_backward():
    w = T([1.0, 2.0], requires_grad=True, name="w")
    loss = (w * w).sum()
    with ag.no_grad():
        w += 1
    with pytest.raises(RuntimeError, match=r"Mul: a tensor 'w' .*modified in place.*x = x \+ 1"):
        loss.backward()


def test_a_0d_leaf_is_used_by_value_so_a_later_update_does_not_change_the_gradient():
    # 0-d inputs are kept by value (a NumPy scalar, which avoids NumPy's slow paths for 0-d
    # arrays), so updating the leaf after the forward cannot corrupt what backward reads: the
    # gradient is that of the recorded forward, at w = 2, as for 0-d intermediates.
    w = T(2.0, requires_grad=True)
    loss = w * w * 3.0
    with ag.no_grad():
        w -= 1.0
    loss.backward()
    assert w.grad.item() == 12.0
    assert float(w.data) == 1.0


# ----- saved tensors -----------------------------------------------------------------------------
def test_modifying_a_saved_input_raises_naming_the_op():
    x = T([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y  # Mul saves y
    y += 1
    with pytest.raises(RuntimeError, match="Mul.*modified in place.*version 0 -> 1"):
        z.sum().backward()


@pytest.mark.parametrize("op", ["tanh", "exp", "sigmoid", "sqrt"])
def test_modifying_an_output_its_op_saved_raises(op):
    x = T([0.5, 2.0], requires_grad=True)
    y = getattr(ag, op)(x)
    y += 1
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()
    y = getattr(ag, op)(x)
    with ag.no_grad():
        y *= 2  # really overwrites the array the op saved
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()


def test_modifying_an_output_that_was_not_saved_is_fine():
    x = T([0.5, 2.0], requires_grad=True)
    y = x + 1  # Add saves nothing
    y *= 3
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


# ----- recorded: history rebasing ----------------------------------------------------------------
def test_rebased_history_gives_correct_gradients():
    x = T([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y += 1
    y *= x
    y -= 1
    y /= 2  # Div and Pow save their output: an in-place op after them would raise
    assert not y.is_leaf and y.grad_fn.name == "Div"
    y.sum().backward()
    np.testing.assert_allclose(y.data, ((x.data * 2 + 1) * x.data - 1) / 2)
    np.testing.assert_allclose(x.grad.data, (4 * x.data + 1) / 2)
    x.grad = None
    z = x + 0
    z **= 2
    assert z.grad_fn.name == "Pow"
    z.sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * x.data)


def test_earlier_consumers_keep_the_old_value():
    x = T([1.0, 2.0], requires_grad=True)
    a = x * 2
    b = a + 1  # uses the old a
    c = a[0]   # integer indexing down to 0-d copies (NumPy's rule), so c keeps its value
    a *= 3
    (a + b + c).sum().backward()  # 6x + 2x + 1 + (2 x0 broadcast to both entries)
    np.testing.assert_allclose(x.grad.data, [12.0, 8.0])
    np.testing.assert_allclose(c.data, 2.0)


def test_consumers_found_through_containers_and_loops_stay_correct():
    x = T([1.0, 2.0], requires_grad=True)
    ys = [x * 2]
    z = ys[0] + 1
    ys[0] *= 3
    (ys[0] + z).sum().backward()
    np.testing.assert_allclose(x.grad.data, [8.0, 8.0])
    x.grad = None
    out = ag.zeros((4, 2))
    for i in range(4):
        out[i] = x * i
        out[i] += out[max(i - 1, 0)]
    out.sum().backward()
    ref = np.zeros(4)
    for i in range(4):
        ref[i] = i + ref[max(i - 1, 0)] if i else 0.0
    np.testing.assert_allclose(x.grad.data, [ref.sum()] * 2)


def test_self_referencing_updates():
    x = T([1.0, 2.0], requires_grad=True)
    y = x * 1
    y += y
    y[0] = y[1] * 5
    y.sum().backward()  # y = [10 x1, 2 x1]
    np.testing.assert_allclose(y.data, [20.0, 4.0])
    np.testing.assert_allclose(x.grad.data, [0.0, 12.0])


def test_setitem_recorded_on_plain_buffer():
    w = T(2.0, requires_grad=True)
    v = T([1.0, 2.0], requires_grad=True)
    buf = ag.zeros((3, 2))
    buf[0] = w * 3          # broadcast scalar into a row
    buf[2] = v              # a row
    buf[1, 1] = w           # a single element
    assert buf.requires_grad and buf.grad_fn.name == "SetItem"
    (buf * buf).sum().backward()
    np.testing.assert_allclose(w.grad.item(), 2 * 3 * 6.0 * 2 + 2 * 2.0)
    np.testing.assert_allclose(v.grad.data, 2 * v.data)


def test_setitem_recorded_masks_overwritten_gradient_and_float32():
    x = ag.Tensor(np.arange(4, dtype=np.float32), requires_grad=True)
    y = x * 2
    y[y > 3] = T(0.0)
    y[np.array([0, 0])] = 1.0
    assert y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 2.0, 0.0, 0.0])
    assert x.grad.dtype == np.float32


def test_augmented_index_assignment():
    x = T([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y[1:] += x[:2] * 10      # getitem, recorded +=, setitem
    y.sum().backward()
    np.testing.assert_allclose(y.data, [1.0, 12.0, 23.0])
    np.testing.assert_allclose(x.grad.data, [11.0, 11.0, 1.0])


def test_retain_grad_follows_the_new_value_and_hooks_the_old():
    x = T([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g.data.copy()))
    y *= 3
    y.sum().backward()
    np.testing.assert_allclose(y.grad.data, [1.0, 1.0])  # gradient of the current value
    np.testing.assert_allclose(seen[0], [3.0, 3.0])       # gradient of the value hooked


def test_no_grad_on_non_leaf_keeps_history():
    x = T([1.0, 2.0], requires_grad=True)
    y = x + 0
    fn = y.grad_fn
    with ag.no_grad():
        y += 1
    assert y.grad_fn is fn
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 1.0])


def test_value_requiring_grad_into_plain_tensor_with_augmented_op():
    w = T([1.0, 2.0], requires_grad=True)
    acc = ag.zeros(2)
    for _ in range(3):
        acc += w * w
    acc.sum().backward()
    np.testing.assert_allclose(w.grad.data, 6 * w.data)


@given(arrays((3,)), st.lists(st.sampled_from(["+", "-", "*", "set"]), min_size=1, max_size=5),
       st.booleans())
def test_property_inplace_matches_out_of_place(values, ops, divide_last):
    # Div saves its output, so it can only come last (anything after it would raise).
    ops = ops + ["/"] * divide_last

    def run(inplace):
        x = T(values, requires_grad=True)
        c = T([1.5, -0.5, 2.0])
        y = x * 1
        for op in ops:
            if inplace:
                if op == "+":
                    y += x
                elif op == "-":
                    y -= c
                elif op == "*":
                    y *= x
                elif op == "/":
                    y /= c
                else:
                    y[1] = x[0] * 3
            else:
                if op == "+":
                    y = y + x
                elif op == "-":
                    y = y - c
                elif op == "*":
                    y = y * x
                elif op == "/":
                    y = y / c
                else:
                    y = ag.where(np.array([False, True, False]), x[0] * 3, y)
        (y * y).sum().backward()
        return y.data, x.grad.data

    (v1, g1), (v2, g2) = run(True), run(False)
    np.testing.assert_allclose(v1, v2, rtol=1e-12)
    np.testing.assert_allclose(g1, g2, rtol=1e-9, atol=1e-12)


def test_torch_agrees_on_rebased_graph():
    torch = pytest.importorskip("torch")
    xa = np.array([0.3, -1.2, 2.0])

    def run(lib, x):
        a = x * 2
        b = a.exp() if lib is ag else torch.exp(a)
        a += 1
        a[1] = b[0] * 3
        a *= b
        return (a + b).sum()

    x = T(xa, requires_grad=True)
    run(ag, x).backward()
    X = torch.tensor(xa, requires_grad=True)
    run(torch, X).backward()
    np.testing.assert_allclose(x.grad.data, X.grad.numpy(), rtol=1e-12)
