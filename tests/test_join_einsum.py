"""concatenate, stack, split, pad, flip, cumsum, dot and einsum: NumPy semantics and errors."""

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine.testing import gradcheck, gradgradcheck

rng = np.random.default_rng(0)


def _t(*shape):
    return ag.Tensor(rng.standard_normal(shape), requires_grad=True)


# ----- concatenate / stack -----------------------------------------------------------------------


def test_concatenate_mixed_constants_and_axis_none():
    a, b = _t(2, 3), np.ones((1, 3))
    y = ag.concatenate([a, b, a], axis=-2)
    np.testing.assert_array_equal(y.data, np.concatenate([a.data, b, a.data], axis=0))
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.data, np.full((2, 3), 2.0))  # used twice
    assert ag.concatenate([a, a], axis=None).shape == (12,)


def test_concatenate_shape_mismatch_names_shapes_and_axis():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\).*differ on axis 1") as e:
        ag.concatenate([_t(2, 3), _t(2, 4)], axis=0)
    assert "only axis 0 differs" in str(e.value)
    with pytest.raises(ValueError, match="same number of dimensions"):
        ag.concatenate([_t(2, 3), _t(3)])
    with pytest.raises(ValueError, match="0-d"):
        ag.concatenate([ag.Tensor(1.0), ag.Tensor(2.0)])
    with pytest.raises(ValueError, match="out of bounds"):
        ag.concatenate([_t(2)], axis=1)


def test_stack_new_axis_and_errors():
    a, b = _t(2), _t(2)
    y = ag.stack([a, b], axis=-1)
    assert y.shape == (2, 2)
    (y * ag.Tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    np.testing.assert_array_equal(b.grad.data, [2.0, 4.0])
    assert ag.stack([ag.Tensor(1.0), ag.Tensor(2.0)]).shape == (2,)
    with pytest.raises(ValueError, match="stack needs inputs of one shape"):
        ag.stack([_t(2), _t(3)])


# ----- split / pad / flip ------------------------------------------------------------------------


def test_split_follows_numpy_and_unused_pieces_get_no_gradient():
    x = _t(6, 2)
    for spec in (3, [1, 4], [2, 2, 9], [-2]):
        pieces = ag.split(x, spec)
        expected = np.split(x.data, spec)
        assert [p.shape for p in pieces] == [e.shape for e in expected]
    first, _, third = ag.split(x, 3)
    (first.sum() + 2 * third.sum()).backward()
    np.testing.assert_array_equal(x.grad.data[:, 0], [1, 1, 0, 0, 2, 2])
    with pytest.raises(ValueError, match="do not divide axis 0 of length 6"):
        ag.split(x, 4)
    assert len(ag.split(x, 2, axis=1)) == 2


def test_split_pieces_are_differentiable_twice():
    x = _t(4)
    assert gradgradcheck(lambda t: tuple(p ** 2 for p in ag.split(t, [1, 3])), [x])


def test_pad_constant_and_errors():
    x = _t(2, 2)
    y = ag.pad(x, ((1, 0), (0, 2)), constant_values=7.0)
    np.testing.assert_array_equal(y.data, np.pad(x.data, ((1, 0), (0, 2)), constant_values=7.0))
    assert gradcheck(lambda t: ag.pad(t, 1), [x])
    with pytest.raises(ValueError, match="only mode='constant'"):
        ag.pad(x, 1, mode="reflect")
    with pytest.raises(ValueError, match="non-negative"):
        ag.pad(x, -1)
    with pytest.raises(ValueError, match="does not fit an input with 2 dimensions"):
        ag.pad(x, ((1, 1), (1, 1), (1, 1)))


def test_flip_axes():
    x = _t(2, 3)
    np.testing.assert_array_equal(ag.flip(x).data, np.flip(x.data))
    np.testing.assert_array_equal(ag.flip(x, (0, -1)).data, x.data[::-1, ::-1])
    assert gradgradcheck(lambda t: ag.flip(t, 1) * t, [x])


# ----- cumsum ------------------------------------------------------------------------------------


def test_cumsum_flattens_when_axis_none_and_method():
    x = _t(2, 3)
    np.testing.assert_allclose(ag.cumsum(x).data, np.cumsum(x.data))
    np.testing.assert_allclose(x.cumsum(axis=-1).data, np.cumsum(x.data, axis=-1))
    assert gradgradcheck(lambda t: ag.cumsum(t * t, axis=0), [x])
    with pytest.raises(ValueError, match="use axis=None"):
        ag.cumsum(ag.Tensor(1.0), axis=0)


# ----- dot ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("sa,sb", [((), (2, 3)), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)),
                                   ((2, 3), (3, 4)), ((2, 2, 3), (4, 3, 2)), ((2, 3), (4, 3, 5))])
def test_dot_follows_numpy(sa, sb):
    a, b = _t(*sa), _t(*sb)
    np.testing.assert_allclose(ag.dot(a, b).data, np.dot(a.data, b.data), rtol=1e-12)
    np.testing.assert_allclose(a.dot(b).data, np.dot(a.data, b.data), rtol=1e-12)
    assert gradcheck(ag.dot, [a, b])


def test_dot_misaligned():
    with pytest.raises(ValueError, match="not aligned"):
        ag.dot(_t(2, 3), _t(2, 3))
    with pytest.raises(ValueError, match="not aligned"):
        ag.dot(_t(2, 3), _t(4, 2, 3))


# ----- einsum ------------------------------------------------------------------------------------


@pytest.mark.parametrize("subscripts,shapes", [
    ("ij,jk", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij->", [(2, 3)]),
    ("...ij,...jk", [(2, 1, 2, 3), (4, 3, 2)]), ("i...->...", [(2, 3, 4)]), ("iij->j", [(2, 2, 3)]),
    ("Ba,aA", [(2, 3), (3, 4)]), (",i->i", [(), (3,)]), ("ij,j->i", [(2, 1), (3,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]), ("ii,i->i", [(2, 2), (2,)]),
])
def test_einsum_matches_numpy_and_is_twice_differentiable(subscripts, shapes):
    ops = [_t(*s) for s in shapes]
    expected = np.einsum(subscripts, *[o.data for o in ops])
    np.testing.assert_allclose(ag.einsum(subscripts, *ops).data, expected, rtol=1e-12)
    assert gradcheck(lambda *xs: ag.einsum(subscripts, *xs), ops)
    assert gradgradcheck(lambda *xs: ag.einsum(subscripts, *xs), ops)


def test_einsum_backward_is_einsum():
    a = _t(3, 3)
    (g,) = ag.grad(ag.einsum("ii", a) ** 2, a, create_graph=True)
    assert g.grad_fn is not None
    np.testing.assert_allclose(g.data, 2 * np.trace(a.data) * np.eye(3))


def test_einsum_sublist_form():
    a, b = _t(2, 3), _t(3, 4)
    np.testing.assert_allclose(ag.einsum(a, [0, 1], b, [1, 2], [0, 2]).data, a.data @ b.data)
    np.testing.assert_allclose(ag.einsum(a, [0, 1], b, [1, 2]).data, a.data @ b.data)


@pytest.mark.parametrize("subscripts,shapes,message", [
    ("ij,jk", [(2, 3)], "describe 2 operand"),
    ("ij", [(2, 3, 4)], "2 subscript.*3 dimension"),
    ("ij,jk->ik", [(2, 3), (4, 5)], "'j' labels axes of different sizes"),
    ("ij->ix", [(2, 3)], "'x'.*does not appear in any input"),
    ("ij->ii", [(2, 2)], "appears more than once"),
    ("i1", [(2, 3)], "invalid subscript term"),
    ("ii", [(2, 3)], "diagonal needs equal sizes"),
    ("...i->i", [(2, 3)], "has no '...'"),
    ("i->j->k", [(2,)], "'->' at most once"),
])
def test_einsum_subscript_errors(subscripts, shapes, message):
    with pytest.raises(ValueError, match=message):
        ag.einsum(subscripts, *[_t(*s) for s in shapes])
