"""PyTorch as an oracle for the whole op registry: values, first- and second-order gradients.

Every op in ``ag.REGISTRY`` is either mapped to a torch callable in ``TORCH`` (same arguments, as
drawn by the public ``op_arguments`` strategy, with arrays turned into torch tensors) or listed in
``SKIPPED`` with the reason. ``TORCH`` is built from each op's ``@register(torch="torch.exp")``
(a new op with a same-signature counterpart needs nothing here) and ``ADAPTERS``, the ops whose
counterpart takes other arguments. Each example compares, in float64:

* the forward values (``rtol=1e-10``);
* first-order gradients for a random upstream gradient (``torch.autograd.grad``);
* second-order gradients: the gradient of ``<grad_x, u>`` for a random ``u``, through the recorded
  backward pass (``create_graph=True``) in both libraries.

Then specific cases the registry sweep draws only sometimes: advanced indexing with repeated indices
(and masks), einsum with implicit output / ellipsis / diagonals, grouped + dilated + strided conv2d,
pooling with padding and overlapping windows, ``prod`` with zeros and ``max`` with ties.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_engine as ag
from autograd_engine.testing.strategies import op_arguments

torch = pytest.importorskip("torch")
F = torch.nn.functional

RTOL, ATOL = 1e-10, 1e-12


# ----- registry name -> torch callable with the same (args, kwargs) ------------------------------


def _dims(x, axis):
    if axis is None:
        return tuple(range(x.ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _reduction(fn):
    """A torch reduction called like NumPy's: ``axis=()`` reduces nothing (torch would reduce all)."""
    def call(x, axis=None, keepdims=False, **kw):
        dims = _dims(x, axis)
        if axis is not None and len(dims) == 0:
            return fn(x.unsqueeze(0), dim=0, keepdim=False, **kw)
        if x.ndim == 0:
            return fn(x.reshape(1), dim=0, keepdim=False, **kw)
        return fn(x, dim=dims, keepdim=keepdims, **kw)

    return call


def _prod(x, axis=None, keepdims=False):
    dims = sorted({d % max(x.ndim, 1) for d in _dims(x, axis)}, reverse=True)
    if x.ndim == 0:
        return x.clone()
    for d in dims:
        x = torch.prod(x, dim=d, keepdim=True)
    return x if keepdims else x.reshape([n for i, n in enumerate(x.shape) if i not in dims])


def _var(fn):
    def call(x, axis=None, ddof=0, keepdims=False):
        return _reduction(lambda t, dim, keepdim: fn(t, dim=dim, correction=ddof, keepdim=keepdim))(
            x, axis, keepdims)

    return call


def _getitem(x, index):
    # Torch has no negative-step slices; index a grid of flat positions with NumPy instead and
    # gather those positions in torch, so torch's own index backward (accumulating) is the oracle.
    if isinstance(index, ag.Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, ag.Tensor) else i for i in index)
    positions = np.arange(x.numel()).reshape(tuple(x.shape))[index]
    return x.reshape(-1)[torch.from_numpy(np.array(positions))]


def _concatenate(arrays, axis=0):
    if axis is None:
        return torch.cat([a.reshape(-1) for a in arrays])
    return torch.cat(list(arrays), dim=axis)


def _split(x, indices_or_sections, axis=0):
    return list(torch.tensor_split(x, indices_or_sections, dim=axis))


def _pad(x, pad_width, constant_values=0):
    if x.ndim == 0:
        return x.clone()
    pairs = np.broadcast_to(np.asarray(pad_width), (x.ndim, 2))
    flat = [int(v) for pair in pairs[::-1] for v in pair]
    return F.pad(x, flat, mode="constant", value=float(constant_values))


def _flip(x, axis=None):
    return torch.flip(x, dims=[d % x.ndim for d in _dims(x, axis)] if x.ndim else [])


def _cumsum(x, axis=None):
    return torch.cumsum(x.reshape(-1), 0) if axis is None else torch.cumsum(x, axis)


def _dot(x, y):
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    return torch.tensordot(x, y, dims=([x.ndim - 1], [0 if y.ndim == 1 else y.ndim - 2]))


def _transpose(x, axes=None):
    return x.permute(tuple(range(x.ndim - 1, -1, -1)) if axes is None else tuple(axes))


def _squeeze(x, axis=None):
    return torch.squeeze(x) if axis is None else torch.squeeze(x, axis)


def _clip(x, a_min=None, a_max=None):
    return torch.clamp(x, min=a_min, max=a_max)


def _max_pool(x, kernel_size, stride=None, padding=0):
    return F.max_pool2d(x, kernel_size, stride=stride, padding=padding)


def _avg_pool(x, kernel_size, stride=None, padding=0):
    return F.avg_pool2d(x, kernel_size, stride=stride, padding=padding, count_include_pad=True)


def _one_hot(indices, num_classes=-1):
    return F.one_hot(indices, num_classes).double()


# Ops whose PyTorch counterpart takes other arguments: an adapter each. (An op whose counterpart
# takes the same arguments names it in its own @register(torch="torch.exp"), see TORCH below.)
ADAPTERS = {
    "leaky_relu": lambda x, slope=0.01: F.leaky_relu(x, negative_slope=slope),
    "elu": lambda x, alpha=1.0: F.elu(x, alpha=alpha),
    "clip": _clip,
    "sum": _reduction(torch.sum), "mean": _reduction(torch.mean), "max": _reduction(torch.amax),
    "min": _reduction(torch.amin), "logsumexp": _reduction(torch.logsumexp), "prod": _prod,
    "var": _var(torch.var), "std": _var(torch.std),
    "softmax": lambda x, axis=-1: torch.softmax(x, dim=axis),
    "log_softmax": lambda x, axis=-1: torch.log_softmax(x, dim=axis),
    "dot": _dot, "transpose": _transpose,
    "swapaxes": lambda x, axis1, axis2: torch.swapaxes(x, axis1, axis2),
    "squeeze": _squeeze,
    "broadcast_to": lambda x, shape: torch.broadcast_to(x, shape),
    "getitem": _getitem, "concatenate": _concatenate,
    "stack": lambda arrays, axis=0: torch.stack(list(arrays), dim=axis),
    "split": _split, "pad": _pad, "flip": _flip,
    "cumsum": _cumsum, "max_pool2d": _max_pool, "avg_pool2d": _avg_pool,
    "one_hot": _one_hot,
}


def _torch_function(dotted: str):
    """``"torch.nn.functional.silu"`` -> the function."""
    obj = torch
    for part in dotted.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


#: Every mapped op's torch counterpart: the function its @register(torch=...) names, or its adapter.
TORCH = {name: _torch_function(spec.torch) for name, spec in ag.REGISTRY.items() if spec.torch}
assert not set(TORCH) & set(ADAPTERS), "an op names its torch counterpart and has an adapter"
TORCH.update(ADAPTERS)

SKIPPED = {
    "dropout": "the mask comes from a NumPy Generator, which torch cannot reproduce; the sweep "
               "checks it against its NumPy reference with the same seed",
}


def test_every_registry_op_is_mapped_or_skipped():
    unmapped = sorted(set(ag.REGISTRY) - set(TORCH) - set(SKIPPED))
    assert not unmapped, (f"name the torch counterpart in @register(torch=...), or add an adapter to "
                          f"ADAPTERS (or a reason to SKIPPED) for {unmapped}")


# ----- comparison machinery ----------------------------------------------------------------------


def _to_torch(a):
    if isinstance(a, np.ndarray):
        t = torch.from_numpy(a.copy())
        return t.requires_grad_() if a.dtype.kind == "f" else t
    if isinstance(a, list) and a and isinstance(a[0], np.ndarray):
        return [_to_torch(b) for b in a]
    return a


def _to_ours(a):
    if isinstance(a, np.ndarray):
        return ag.Tensor(a, requires_grad=a.dtype.kind == "f")
    if isinstance(a, list) and a and isinstance(a[0], np.ndarray):
        return [_to_ours(b) for b in a]
    return a


def _leaves(args, kind):
    out = []
    for a in args:
        for b in (a if isinstance(a, list) else [a]):
            if isinstance(b, kind) and b.requires_grad:
                out.append(b)
    return out


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def compare_with_torch(ours_fn, torch_fn, args, kwargs, second_order=True, rtol=RTOL, atol=ATOL):
    """Values, first-order and second-order gradients of ``ours_fn`` and ``torch_fn`` agree."""
    ours_args, torch_args = [_to_ours(a) for a in args], [_to_torch(a) for a in args]
    ours_out = _as_list(ours_fn(*ours_args, **kwargs))
    torch_out = _as_list(torch_fn(*torch_args, **kwargs))
    assert len(ours_out) == len(torch_out)
    for o, t in zip(ours_out, torch_out):
        assert o.shape == tuple(t.shape), f"shape {o.shape} vs torch {tuple(t.shape)}"
        np.testing.assert_allclose(o.data, t.detach().numpy(force=True), rtol=rtol, atol=atol)

    xs, ts = _leaves(ours_args, ag.Tensor), _leaves(torch_args, torch.Tensor)
    pairs = [(o, t) for o, t in zip(ours_out, torch_out) if o.requires_grad and o.size]
    if not xs or not pairs:
        return
    rng = np.random.default_rng(0)
    vs = [rng.standard_normal(o.shape) for o, _ in pairs]
    g_ours = ag.grad([o for o, _ in pairs], xs, grad_outputs=[ag.Tensor(v) for v in vs],
                     create_graph=second_order, allow_unused=True)
    g_torch = torch.autograd.grad([t for _, t in pairs], ts, [torch.from_numpy(v) for v in vs],
                                  create_graph=second_order, allow_unused=True)
    for k, (a, b) in enumerate(zip(g_ours, g_torch)):
        a = np.zeros(xs[k].shape) if a is None else a.data
        b = np.zeros(xs[k].shape) if b is None else b.detach().numpy(force=True)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"gradient of input {k}")

    if not second_order:
        return
    us = [rng.standard_normal(x.shape) for x in xs]
    ours_terms = [(g * ag.Tensor(u)).sum() for g, u in zip(g_ours, us)
                  if g is not None and g.requires_grad]
    torch_terms = [(g * torch.from_numpy(u)).sum() for g, u in zip(g_torch, us)
                   if g is not None and g.requires_grad]
    if not ours_terms and not torch_terms:
        return
    ours_s = ours_terms[0] if len(ours_terms) == 1 else ag.sum(ag.stack(ours_terms)) \
        if ours_terms else None
    torch_s = sum(torch_terms) if torch_terms else None
    gg_ours = ag.grad(ours_s, xs, allow_unused=True) if ours_s is not None else (None,) * len(xs)
    gg_torch = torch.autograd.grad(torch_s, ts, allow_unused=True) if torch_s is not None \
        else (None,) * len(ts)
    for k, (a, b) in enumerate(zip(gg_ours, gg_torch)):
        a = np.zeros(xs[k].shape) if a is None else a.data
        b = np.zeros(xs[k].shape) if b is None else b.detach().numpy(force=True)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol,
                                   err_msg=f"second-order gradient of input {k}")


def _torch_convention_differs(name, args, kwargs):
    """Draws where torch follows another convention, or loses precision, by design:

    * ``std`` over one-element slices is 0, a kink: torch's gradient is NaN there, ours 0;
    * ``power`` with an exponent of exactly 0: torch masks the gradient with respect to the base
      to 0 there, which also zeroes its derivative with respect to the exponent (ours is exact);
    * ``prod`` with tiny nonzero values: torch divides ``result / x``, whose second derivative
      cancels catastrophically (and overflows near 1e-159); ours switches to the exact product of
      the others below 1e-8 and divides above, so both are only approximate up to ~1e-4.
    """
    if name == "std":
        x, axis = args[0], kwargs.get("axis")
        n = x.size if axis is None else int(np.prod([x.shape[a] for a in np.atleast_1d(axis)]))
        return n - kwargs.get("ddof", 0) <= 1 or x.size == 1
    if name == "power":
        return bool(np.any(args[1] == 0))
    if name == "prod":
        a = np.abs(args[0])
        return bool(np.any((a > 0) & (a < 1e-4)))
    return False


@pytest.mark.parametrize("name", sorted(set(ag.REGISTRY) & set(TORCH)))
@settings(max_examples=10)
@given(data=st.data())
def test_registry_op_matches_torch(name, data):
    spec = ag.REGISTRY[name]
    args, kwargs = data.draw(op_arguments(spec, np.float64))
    if _torch_convention_differs(name, args, kwargs):
        return
    compare_with_torch(spec.fn, TORCH[name], args, kwargs, second_order=spec.differentiable)


# ----- specific cases ----------------------------------------------------------------------------

_rng = np.random.default_rng(1)


def _r(*shape):
    return _rng.standard_normal(shape)


@pytest.mark.parametrize("index", [
    [0, 0, 2, 0],
    (np.array([1, 1, 0]), slice(None, None, -1)),
    (Ellipsis, np.array([2, 2])),
    (None, np.array([[0, 1], [1, 1]]), 1),
    (np.array([0, 0]), np.array([1, 1])),
    (slice(None, None, -2), None, Ellipsis),
], ids=["repeats", "repeats+negstep", "ellipsis+repeats", "none+2d-int", "same-element-twice",
        "negstep+none+ellipsis"])
def test_advanced_indexing_with_repeats(index):
    compare_with_torch(lambda x: x[index], lambda t: _getitem(t, index), [_r(3, 4)], {})


def test_boolean_mask_and_tensor_indices():
    x = _r(3, 4)
    mask = x > 0
    compare_with_torch(lambda t: t[t > 0], lambda t: t[t > 0], [x], {})
    compare_with_torch(lambda t: t[mask], lambda t: t[torch.from_numpy(mask)], [x], {})
    idx = np.array([2, 0, 2])
    compare_with_torch(lambda t: t[ag.Tensor(idx).astype(np.int64)],
                       lambda t: t[torch.from_numpy(idx)], [x], {})


@pytest.mark.parametrize("subscripts,shapes", [
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (5, 3, 2)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("iij->ji", [(2, 2, 3)]),
    ("i,j", [(3,), (2,)]),
    ("ba", [(2, 3)]),
])
def test_einsum_matches_torch(subscripts, shapes):
    compare_with_torch(lambda *xs: ag.einsum(subscripts, *xs),
                       lambda *ts: torch.einsum(subscripts, *ts), [_r(*s) for s in shapes], {})


@pytest.mark.parametrize("kw", [
    {"stride": 2, "padding": 1},
    {"dilation": 2, "padding": (2, 1)},
    {"groups": 2, "stride": (1, 2)},
    {"groups": 3, "dilation": (1, 2), "stride": 2, "padding": 1},
])
def test_conv2d_grouped_dilated_strided(kw):
    g = kw.get("groups", 1)
    x, w, b = _r(2, 3 * g if g > 1 else 2, 7, 6), _r(2 * g, 3 if g > 1 else 2, 3, 2), _r(2 * g)
    compare_with_torch(ag.conv2d, F.conv2d, [x, w, b], kw)


@pytest.mark.parametrize("kernel,stride,padding", [(2, None, 1), (3, 1, 1), ((3, 2), (2, 1), (1, 1)),
                                                   (3, 2, 0)])
def test_pooling_with_padding(kernel, stride, padding):
    x = np.arange(2 * 2 * 6 * 5, dtype=np.float64)
    x = _rng.permutation(x).reshape(2, 2, 6, 5) / 10  # distinct values: no ties
    compare_with_torch(ag.max_pool2d, _max_pool, [x, kernel], {"stride": stride, "padding": padding})
    compare_with_torch(ag.avg_pool2d, _avg_pool, [x, kernel], {"stride": stride, "padding": padding})


def test_max_pool_ties_go_to_the_first_maximum_like_torch():
    x = np.array([[[[1.0, 1.0, 0.0], [1.0, 1.0, 2.0], [2.0, 0.0, 2.0]]]])
    compare_with_torch(ag.max_pool2d, _max_pool, [x, 2], {"stride": 1})


def test_prod_with_zeros_and_max_with_ties():
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]])
    for axis in (None, 0, 1):
        compare_with_torch(ag.prod, _prod, [x], {"axis": axis})
    y = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    for axis in (None, 0, 1, (0, 1)):
        compare_with_torch(ag.max, _reduction(torch.amax), [y], {"axis": axis})


def test_relu_at_nan_zero_and_negative_inputs_passes_gradients_like_torch():
    x = np.array([np.nan, 1.0, -1.0, 0.0, -0.0])
    ours = ag.Tensor(x, requires_grad=True)
    ag.relu(ours).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    torch.relu(theirs).sum().backward()
    np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())  # [1, 1, 0, 0, 0]


@pytest.mark.parametrize("value", [np.nan, 1.5, -1.5, 0.0, -0.0, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_of_a_0d_tensor_matches_torch(value, dtype):
    # 0-d tensors take relu's scalar path (a comparison instead of np.maximum)
    ours = ag.Tensor(np.array(value, dtype=dtype), requires_grad=True)
    out = ag.relu(ours * 1.0)  # an intermediate (a NumPy scalar) as well as the leaf
    out.backward()
    theirs = torch.tensor(value, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True)
    expected = torch.relu(theirs * 1.0)
    expected.backward()
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())
    np.testing.assert_array_equal(ag.relu(ours).data, expected.detach().numpy())
