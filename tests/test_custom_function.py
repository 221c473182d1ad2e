"""User-defined ops with ag.Function, and testing.check_function."""

import numpy as np
import pytest
from hypothesis import strategies as st

import autograd_engine as ag
from autograd_engine.testing import GradcheckError, check_function, gradcheck, gradgradcheck
from autograd_engine.testing.strategies import arrays, shapes, tensors


def T(a, **kw):
    return ag.Tensor(np.asarray(a, dtype=np.float64), **kw)


class SinCos(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x), np.cos(x)

    @staticmethod
    def backward(ctx, gs, gc):
        (x,) = ctx.saved_tensors
        return gs * x.cos() - gc * x.sin()


class MyExp(ag.Function):
    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class FlatCube(ag.Function):
    """Right first derivative, but computed from arrays: not differentiable again."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * ag.Tensor(3 * x.data ** 2)


# ----- the Function mechanism --------------------------------------------------------------------
def test_multi_output_with_unused_output():
    x = T([0.3, 1.2], requires_grad=True)
    s, c = SinCos.apply(x)
    assert s.grad_fn is c.grad_fn
    s.sum().backward()  # c's gradient is zeros
    np.testing.assert_allclose(x.grad.data, np.cos(x.data))
    x.grad = None
    s, c = SinCos.apply(x)
    (2 * s + 3 * c).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * np.cos(x.data) - 3 * np.sin(x.data))


def test_multi_output_second_order():
    x = T([0.3, 1.2], requires_grad=True)
    gradgradcheck(lambda t: SinCos.apply(t), [x])
    s, c = SinCos.apply(x)
    (g,) = ag.grad((s * c).sum(), x, create_graph=True)  # d/dx sin cos = cos 2x
    (g2,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(g2.data, -2 * np.sin(2 * x.data))


def test_saved_output_gives_correct_second_order():
    x = T([0.5, -1.0], requires_grad=True)
    (g,) = ag.grad(MyExp.apply(x).sum(), x, create_graph=True)
    (g2,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(g2.data, np.exp(x.data))
    assert gradgradcheck(MyExp.apply, [x])


def test_needs_input_grad_and_params():
    seen = []

    class Scale(ag.Function):
        @staticmethod
        def forward(ctx, x, s, *, power=1):
            ctx.save_for_backward(x, s)
            ctx.power = power
            return x * s ** power

        @staticmethod
        def backward(ctx, grad):
            seen.append(ctx.needs_input_grad)
            x, s = ctx.saved_tensors
            gx = grad * s ** ctx.power if ctx.needs_input_grad[0] else None
            gs = (grad * x * ctx.power * s ** (ctx.power - 1)).sum() \
                if ctx.needs_input_grad[1] else None
            return gx, gs

    x, s = T([1.0, 2.0], requires_grad=True), T(3.0)
    Scale.apply(x, s, power=2).sum().backward()
    assert seen[-1] == (True, False)
    np.testing.assert_allclose(x.grad.data, [9.0, 9.0])
    s.requires_grad_()
    Scale.apply(x.detach(), s, power=2).sum().backward()
    assert seen[-1] == (False, True)
    np.testing.assert_allclose(s.grad.item(), 2 * 3.0 * 3.0)
    out = Scale.apply(np.array([1.0]), 2.0)  # no Tensor at all: not recorded
    assert isinstance(out, ag.Tensor) and not out.requires_grad


def test_mark_non_differentiable():
    class MaxWithIndex(ag.Function):
        @staticmethod
        def forward(ctx, x):
            i = np.argmax(x)
            ctx.i, ctx.shape = i, x.shape
            index_as_float = np.asarray(i, dtype=x.dtype)
            ctx.mark_non_differentiable(index_as_float)
            return x[i], index_as_float

        @staticmethod
        def backward(ctx, grad, grad_index):
            g = np.zeros(ctx.shape)
            g[ctx.i] = 1.0
            return grad * ag.Tensor(g)

    x = T([1.0, 5.0, 2.0], requires_grad=True)
    v, i = MaxWithIndex.apply(x)
    assert v.requires_grad and not i.requires_grad and i.grad_fn is None
    v.backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 0.0])


def test_broadcast_gradients_are_reduced_and_lists_accepted():
    class AddBias(ag.Function):
        @staticmethod
        def forward(ctx, x, b):
            return x + b

        @staticmethod
        def backward(ctx, grad):
            return [grad, grad, None][:2]  # a list, gradient of the broadcast shape for b

    x, b = T(np.ones((2, 3)), requires_grad=True), T([1.0, 2.0, 3.0], requires_grad=True)
    AddBias.apply(x, b).sum().backward()
    np.testing.assert_array_equal(b.grad.data, [2.0, 2.0, 2.0])


def test_error_wrong_number_of_gradients():
    class TooMany(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    with pytest.raises(RuntimeError, match=r"TooMany\.backward returned 2 gradients.*1 positional"):
        TooMany.apply(T([1.0], requires_grad=True)).sum().backward()


def test_error_wrong_gradient_shape():
    class BadShape(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return ag.ones((5,))

    with pytest.raises(RuntimeError, match=r"BadShape\.backward returned a gradient of shape \(5,\)"):
        BadShape.apply(T([1.0, 2.0], requires_grad=True)).sum().backward()


def test_error_non_tensor_gradient():
    class BadType(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return "oops"

    with pytest.raises(TypeError, match="BadType.backward returned a str"):
        BadType.apply(T([1.0], requires_grad=True)).sum().backward()


def test_error_in_forward_names_the_op():
    class Mismatch(ag.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x @ y

        @staticmethod
        def backward(ctx, grad):
            return None, None

    with pytest.raises(ValueError, match=r"Mismatch: .*input shapes: \(2,\), \(3,\)"):
        Mismatch.apply(T([1.0, 2.0], requires_grad=True), T([1.0, 2.0, 3.0]))


def test_saved_input_modified_in_place_names_the_custom_op():
    class Square(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * grad * x

    x = T([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = Square.apply(h)
    h += 1
    with pytest.raises(RuntimeError, match="Square.*modified in place"):
        y.sum().backward()


def test_saved_tensor_modified_before_saving_is_fine_and_after_raises():
    # A Tensor saved directly (not an input's array) that was modified in place *before* the op
    # ran is at a nonzero version: saving records that version instead of assuming 0.
    w = T([1.0, 2.0])
    w += 1.0

    class Scale(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(w)
            return x * w.data

        @staticmethod
        def backward(ctx, grad):
            (s,) = ctx.saved_tensors
            return grad * s

    x = T([1.0, 1.0], requires_grad=True)
    Scale.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 3.0])
    y = Scale.apply(x)
    w += 1.0
    with pytest.raises(RuntimeError, match=r"Scale.*modified in place.*version 1 -> 2"):
        y.sum().backward()


# ----- testing.check_function --------------------------------------------------------------------
def test_check_function_passes_for_correct_ops():
    check_function(MyExp, (2, 2), gradgrad=True, reference=np.exp, max_examples=5)
    check_function(SinCos, tensors(shapes(max_dims=2), requires_grad=True), gradgrad=True,
                   reference=lambda x: (np.sin(x), np.cos(x)), max_examples=5)
    check_function(lambda x, y: x * y + y.exp(), 3, arrays((3,), domain=(-1, 1)), max_examples=5)


def test_check_function_with_constants_params_and_domain():
    class Pow(ag.Function):
        @staticmethod
        def forward(ctx, x, *, p):
            ctx.save_for_backward(x)
            ctx.p = p
            return x ** p

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * ctx.p * x ** (ctx.p - 1)

    check_function(Pow, (4,), params={"p": 2.5}, domain=(0.5, 2.0), gradgrad=True,
                   reference=lambda x, p: x ** p, max_examples=5)

    def weighted(x, w):
        return x * w

    check_function(weighted, (3,), np.array([1.0, -2.0, 0.5]), max_examples=5)


def test_check_function_catches_wrong_and_non_differentiable_gradients():
    class WrongExp(MyExp):
        @staticmethod
        def backward(ctx, grad):
            (out,) = ctx.saved_tensors
            return grad * out * 1.01

    with pytest.raises(GradcheckError, match="gradient of input 0"):
        check_function(WrongExp, (3,), max_examples=5)
    check_function(FlatCube, (3,), max_examples=5)  # first order is right
    with pytest.raises(GradcheckError):
        check_function(FlatCube, (3,), gradgrad=True, max_examples=5)


def test_check_function_reference_mismatch_and_bad_outputs():
    with pytest.raises(GradcheckError, match="differs from the reference"):
        check_function(MyExp, (2,), reference=lambda x: np.exp(x) + 1, max_examples=3)
    with pytest.raises(GradcheckError, match="must return a Tensor"):
        check_function(lambda x: 3.0, (2,), max_examples=3)
    with pytest.raises(TypeError, match="Function subclass or a callable"):
        check_function(42, (2,))
    with pytest.raises(ValueError, match="one input spec"):
        check_function(MyExp)


def test_check_function_accepts_integer_strategy_inputs():
    class Shift(ag.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = int(k)
            return np.roll(x, ctx.k)

        @staticmethod
        def backward(ctx, grad):
            n = grad.shape[0]
            idx = (np.arange(n) + ctx.k) % n
            return grad[idx], None

    check_function(Shift, (4,), st.integers(-3, 3), reference=np.roll, max_examples=8)


def test_function_without_forward_or_backward_explains_the_fix():
    import autograd_engine as ag

    with pytest.raises(TypeError, match=r"Function\.forward.*subclass"):
        ag.Function.apply(ag.Tensor([1.0]))

    class NoBackward(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    x = ag.Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"NoBackward\.backward is not defined.*one gradient"):
        NoBackward.apply(x).sum().backward()


def test_backward_on_arrays_gets_arrays_without_create_graph_and_tensors_with_it():
    seen = []

    class Square(ag.Function):
        backward_on_arrays = True

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            seen.append((type(grad), type(x)))
            return 2 * grad * x

    class Plain(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, grad):
            seen.append((type(grad), None))
            return grad * 3

    x = ag.Tensor([1.0, 2.0], requires_grad=True)
    Plain.apply(Square.apply(x)).sum().backward()
    assert seen == [(ag.Tensor, None), (np.ndarray, np.ndarray)]
    np.testing.assert_allclose(x.grad.data, [6.0, 12.0])
    seen.clear()
    (g,) = ag.grad(Plain.apply(Square.apply(x)).sum(), x, create_graph=True)
    assert seen == [(ag.Tensor, None), (ag.Tensor, ag.Tensor)]
    (gg,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(gg.data, [6.0, 6.0])


def test_hooks_see_tensors_when_gradients_travel_as_arrays():
    x = ag.Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.retain_grad()
    (y * 1).sum().backward()
    assert isinstance(y.grad, ag.Tensor)
    np.testing.assert_allclose(x.grad.data, [20.0, 20.0])


# ----- custom Functions written the PyTorch way (forward on Tensors) -----------------------------
class _TorchStyleExp(ag.Function):
    forward_on_tensors = True

    @staticmethod
    def forward(ctx, x):
        result = x.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return grad * result


class _TorchStyleMulAdd(ag.Function):
    forward_on_tensors = True

    @staticmethod
    def forward(ctx, x, y, alpha=2.0):
        ctx.save_for_backward(x, y)
        ctx.alpha = alpha
        return x * y + alpha * x, (x - y).abs()

    @staticmethod
    def backward(ctx, g1, g2):
        x, y = ctx.saved_tensors
        s = (x - y) / ((x - y).abs() + 1e-300)
        return g1 * (y + ctx.alpha) + g2 * s, g1 * x - g2 * s


def test_a_forward_written_on_tensors_runs_unchanged_when_declared():
    x = ag.Tensor([0.5, -1.0], requires_grad=True)
    y = _TorchStyleExp.apply(x)
    assert y.grad_fn is not None
    (g,) = ag.grad(y.sum(), x, create_graph=True)  # the saved output is connected
    np.testing.assert_allclose(g.data, np.exp(x.data))
    (gg,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(gg.data, np.exp(x.data))
    assert gradcheck(_TorchStyleExp.apply, [ag.Tensor([0.3, 0.7], requires_grad=True)])


def test_a_forward_on_tensors_with_two_outputs_and_a_parameter():
    x = ag.Tensor([1.0, 2.0], requires_grad=True)
    y = ag.Tensor([3.0, 0.5], requires_grad=True)
    a, b = _TorchStyleMulAdd.apply(x, y, alpha=3.0)
    np.testing.assert_allclose(a.data, [6.0, 7.0])
    (a.sum() + b.sum()).backward()
    np.testing.assert_allclose(x.grad.data, [3.0 + 3.0 - 1.0, 0.5 + 3.0 + 1.0])
    np.testing.assert_allclose(y.grad.data, [1.0 + 1.0, 2.0 - 1.0])
    assert gradcheck(lambda u, v: _TorchStyleMulAdd.apply(u, v)[0],
                     [ag.Tensor([1.0, 2.0], requires_grad=True),
                      ag.Tensor([0.5, 4.0], requires_grad=True)])


def test_a_forward_on_tensors_records_nothing_inside_and_works_under_no_grad():
    x = ag.Tensor([0.5], requires_grad=True)
    with ag.no_grad():
        y = _TorchStyleExp.apply(x)
    assert not y.requires_grad
    np.testing.assert_allclose(y.data, np.exp(0.5))


def test_a_tensor_method_in_an_array_forward_says_what_to_write():
    class Exp(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x.exp()

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(AttributeError, match=r"Exp\.forward.*NumPy arrays, not Tensors.*np\.exp"
                                             r".*forward_on_tensors = True"):
        Exp.apply(ag.Tensor([1.0], requires_grad=True))
