"""Hypothesis strategies for property-testing gradients, built on ``hypothesis.extra.numpy``.

They are what the project's own op sweep uses, so a user testing a custom op gets the same tools:

>>> from hypothesis import given, settings
>>> import autograd_engine as ag
>>> from autograd_engine.testing import gradcheck
>>> from autograd_engine.testing.strategies import tensors
>>> @settings(max_examples=5, deadline=None)
... @given(tensors(dtype="float64", requires_grad=True))
... def test_tanh(x):
...     assert gradcheck(ag.tanh, [x])
>>> test_tanh()

``op_arguments(spec)`` draws valid ``(args, kwargs)`` for any op in ``autograd_engine.REGISTRY``
from its metadata (kind, per-argument domains, ``sampler``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..ops.registry import REALS, Domain, OpSpec
from ..tensor import Tensor

__all__ = [
    "SAMPLERS", "arrays", "axes", "broadcastable_shapes", "op_arguments", "shapes", "tensors",
]


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    """Array shapes, including 0-d ``()`` by default.

    >>> from autograd_engine.testing.strategies import shapes
    >>> shapes(max_dims=2).example().__class__
    <class 'tuple'>
    """
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3,
                         min_side: int = 1, max_side: int = 4):
    """Tuples of ``num_shapes`` shapes that broadcast together (NumPy rules).

    >>> import numpy as np
    >>> from autograd_engine.testing.strategies import broadcastable_shapes
    >>> a, b = broadcastable_shapes().example()
    >>> np.broadcast_shapes(a, b).__class__
    <class 'tuple'>
    """
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=min_side,
        max_side=max_side,
    ).map(lambda r: r.input_shapes)


def _away_from_kinks(domain: Domain) -> Callable[[float], float]:
    def push(v: float) -> float:
        for k in domain.avoid:
            if abs(v - k) < domain.margin:
                v = k + domain.margin if v >= k else k - domain.margin
        return v

    return push


def arrays(shape: Any = None, dtype: Any = np.float64, domain: Domain | tuple = REALS,
           distinct: bool = False):
    """NumPy arrays of ``shape`` (a shape or a strategy; default: ``shapes()``) with values in
    ``domain`` (a :class:`Domain` or a ``(low, high)`` pair), kept ``domain.margin`` away from its
    kinks. ``distinct=True`` draws values at least 3e-3 apart (no ties, safe for differences).

    >>> from autograd_engine.testing.strategies import arrays
    >>> a = arrays((2, 3), domain=(0.5, 1.0)).example()
    >>> a.shape, bool(((a >= 0.5) & (a <= 1.0)).all())
    ((2, 3), True)
    """
    if isinstance(domain, tuple):
        domain = Domain(*domain)
    shape_st = shapes() if shape is None else (shape if isinstance(shape, st.SearchStrategy)
                                               else st.just(tuple(shape)))
    dtype = np.dtype(dtype)

    @st.composite
    def draw_array(draw):
        s = draw(shape_st)
        n = int(np.prod(s, dtype=np.int64))
        if distinct:
            return _distinct_values(draw, n, domain).reshape(s).astype(dtype)
        elements = st.floats(domain.low, domain.high, allow_nan=False, allow_infinity=False,
                             allow_subnormal=False).map(_away_from_kinks(domain))
        values = draw(st.lists(elements, min_size=n, max_size=n))
        return np.array(values, dtype=np.float64).reshape(s).astype(dtype)

    return draw_array()


def _distinct_values(draw, n: int, domain: Domain) -> np.ndarray:
    step = 3e-3
    top = int((domain.high - domain.low) / step)
    ints = draw(st.lists(st.integers(0, top), min_size=n, max_size=n, unique=True))
    values = domain.low + step * np.array(ints, dtype=np.float64)
    return np.array([_away_from_kinks(domain)(v) for v in values], dtype=np.float64)


def tensors(shape: Any = None, dtype: Any = np.float64, domain: Domain | tuple = REALS,
            requires_grad: bool = False, distinct: bool = False):
    """Tensors built from :func:`arrays` (same arguments), optionally requiring grad.

    >>> import numpy as np
    >>> from autograd_engine.testing.strategies import tensors
    >>> t = tensors((3,), dtype=np.float32, requires_grad=True).example()
    >>> t.shape, t.dtype, t.requires_grad
    ((3,), dtype('float32'), True)
    """
    return arrays(shape, dtype, domain, distinct).map(
        lambda a: Tensor(a, requires_grad=requires_grad)
    )


def axes(ndim: int, allow_none: bool = True, allow_tuple: bool = True):
    """Valid ``axis`` arguments for an ``ndim``-d input: None, an int (negative too) or a tuple.

    >>> from autograd_engine.testing.strategies import axes
    >>> axes(0).example() in (None, ())
    True
    """
    options = []
    if allow_none:
        options.append(st.none())
    if ndim > 0:
        options.append(st.integers(-ndim, ndim - 1))
        if allow_tuple:
            options.append(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim)
                           .flatmap(lambda ax: st.permutations(ax))
                           .flatmap(lambda ax: st.tuples(*(st.sampled_from([a, a - ndim])
                                                           for a in ax))))
    elif allow_tuple:
        options.append(st.just(()))
    return st.one_of(*options)


# ----- per-op argument samplers ------------------------------------------------------------------


@st.composite
def _elementwise(draw, spec: OpSpec, dtype):
    shape_list = draw(broadcastable_shapes(spec.nargs)) if spec.nargs > 1 else [draw(shapes())]
    if spec.distinct:
        sizes = [int(np.prod(s, dtype=np.int64)) for s in shape_list]
        pool = _distinct_values(draw, sum(sizes), spec.domains[0])
        args, start = [], 0
        for s, n in zip(shape_list, sizes):
            args.append(pool[start:start + n].reshape(s).astype(dtype))
            start += n
    else:
        args = [draw(arrays(s, dtype, d)) for s, d in zip(shape_list, spec.domains)]
    return args, _params(draw, spec)


def _params(draw, spec: OpSpec) -> dict:
    return {k: draw(st.sampled_from(v)) for k, v in spec.params.items()}


@st.composite
def _reduction(draw, spec: OpSpec, dtype):
    x = draw(arrays(shapes(), dtype, spec.domains[0], distinct=spec.distinct))
    kwargs = {"axis": draw(axes(x.ndim)), "keepdims": draw(st.booleans()), **_params(draw, spec)}
    ddof = kwargs.get("ddof", 0)
    if ddof:
        n = x.size if kwargs["axis"] is None else int(np.prod(
            [x.shape[a] for a in np.atleast_1d(kwargs["axis"])], dtype=np.int64))
        if n <= ddof:
            kwargs["ddof"] = 0
    return [x], kwargs


@st.composite
def _matmul(draw, spec, dtype):
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2, max_side=3))
    kind_a, kind_b = draw(st.sampled_from(["vec", "mat"])), draw(st.sampled_from(["vec", "mat"]))
    a = (k,) if kind_a == "vec" else (*batch_a, n, k)
    b = (k,) if kind_b == "vec" else (*batch_b, k, m)
    return [draw(arrays(a, dtype)), draw(arrays(b, dtype))], {}


@st.composite
def _where(draw, spec, dtype):
    s_c, s_x, s_y = draw(broadcastable_shapes(3))
    cond = draw(hnp.arrays(bool, s_c))
    return [cond, draw(arrays(s_x, dtype)), draw(arrays(s_y, dtype))], {}


@st.composite
def _clip(draw, spec, dtype):
    x = draw(arrays(shapes(), dtype, Domain(-3, 3, avoid=(-1.0, 1.0), margin=0.05)))
    a_min, a_max = draw(st.sampled_from([(-1.0, 1.0), (None, 1.0), (-1.0, None)]))
    return [x], {"a_min": a_min, "a_max": a_max}


@st.composite
def _softmax(draw, spec, dtype):
    x = draw(arrays(shapes(min_dims=1), dtype))
    return [x], {"axis": draw(axes(x.ndim, allow_none=False, allow_tuple=False))}


@st.composite
def _reshape(draw, spec, dtype):
    x = draw(arrays(shapes(), dtype))
    sizes = [d for d in range(1, x.size + 1) if x.size % d == 0]
    first = draw(st.sampled_from(sizes))
    target = draw(st.sampled_from([(x.size,), (first, -1), (-1, first, 1), ()])) if x.size == 1 \
        else draw(st.sampled_from([(x.size,), (first, -1), (-1, first, 1)]))
    return [x], {"shape": target}


@st.composite
def _transpose(draw, spec, dtype):
    x = draw(arrays(shapes(), dtype))
    perm = draw(st.one_of(st.none(), st.permutations(range(x.ndim)).map(tuple)))
    return [x], {"axes": perm}


@st.composite
def _swapaxes(draw, spec, dtype):
    x = draw(arrays(shapes(min_dims=1), dtype))
    a = st.integers(-x.ndim, x.ndim - 1)
    return [x], {"axis1": draw(a), "axis2": draw(a)}


@st.composite
def _expand_dims(draw, spec, dtype):
    x = draw(arrays(shapes(max_dims=2), dtype))
    return [x], {"axis": draw(st.integers(-x.ndim - 1, x.ndim))}


@st.composite
def _squeeze(draw, spec, dtype):
    s = draw(shapes(max_side=2))
    x = draw(arrays(s, dtype))
    ones = [i for i, n in enumerate(s) if n == 1]
    axis = draw(st.one_of(st.none(), st.sampled_from(ones))) if ones else None
    return [x], {"axis": axis}


@st.composite
def _broadcast_to(draw, spec, dtype):
    s_in, s_other = draw(broadcastable_shapes(2))
    target = np.broadcast_shapes(s_in, s_other)
    return [draw(arrays(s_in, dtype))], {"shape": target}


@st.composite
def _advanced_index(draw, x: np.ndarray):
    """An advanced index for ``x``: integer arrays with repeats (also as integer Tensors), boolean
    masks (also ``x > 0`` as a bool Tensor), mixed with slices (negative steps), None, Ellipsis."""
    shape = x.shape
    kind = draw(st.sampled_from(["int", "int_tensor", "mask", "mask_tensor", "mixed", "pair"]))
    ints = st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=5)
    if kind == "int":  # repeated indices must accumulate
        idx = draw(ints)
        return draw(st.sampled_from([idx, (np.array(idx),), (Ellipsis, np.array(idx))
                                     if x.ndim == 1 else (np.array(idx), Ellipsis)]))
    if kind == "int_tensor":
        return Tensor(np.array(draw(ints), dtype=np.int64))
    if kind == "mask":
        mask = draw(hnp.arrays(bool, shape[: draw(st.integers(1, x.ndim))]))
        return mask
    if kind == "mask_tensor":
        return Tensor(x > 0)  # x[x > 0]
    if kind == "mixed":
        idx = np.array(draw(ints))
        rest = [draw(st.sampled_from([slice(None, None, -1), slice(None, None, 2), slice(1, None),
                                      slice(None, None, -2)])) for _ in shape[1:]]
        lead = [None] if draw(st.booleans()) else []
        return tuple(lead + [idx] + rest)
    # "pair": two broadcast integer arrays, negative indices too, maybe around a slice
    if x.ndim >= 2:
        rows = draw(hnp.arrays(np.int64, draw(st.sampled_from([(3,), (2, 2), (1,)])),
                               elements=st.integers(-shape[0], shape[0] - 1)))
        cols = draw(hnp.arrays(np.int64, (1,), elements=st.integers(-shape[1], shape[1] - 1)))
        return (rows, cols)
    return draw(st.sampled_from([[-1, 0, -1], [0, 0]]))


@st.composite
def _getitem(draw, spec, dtype):
    x = draw(arrays(shapes(min_dims=0), dtype))
    if x.ndim == 0:
        return [x], {"index": draw(st.sampled_from([(), Ellipsis, None, (None, Ellipsis)]))}
    if draw(st.booleans()):
        index = draw(hnp.basic_indices(x.shape, allow_newaxis=True, allow_ellipsis=True))
    else:
        index = draw(_advanced_index(x))
    return [x], {"index": index}


@st.composite
def _concatenate(draw, spec, dtype):
    base = list(draw(shapes(min_dims=1)))
    axis = draw(st.integers(-len(base), len(base) - 1))
    items = []
    for _ in range(draw(st.integers(1, 3))):
        s = list(base)
        s[axis] = draw(st.integers(0 if items else 1, 3))
        items.append(draw(arrays(tuple(s), dtype)))
    if draw(st.integers(0, 4)) == 0:
        axis = None
    return [items], {"axis": axis}


@st.composite
def _stack(draw, spec, dtype):
    s = draw(shapes(max_dims=2))
    items = [draw(arrays(s, dtype)) for _ in range(draw(st.integers(1, 3)))]
    return [items], {"axis": draw(st.integers(-len(s) - 1, len(s)))}


@st.composite
def _split(draw, spec, dtype):
    x = draw(arrays(shapes(min_dims=1, max_side=6), dtype))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[axis]
    if draw(st.booleans()):
        sections = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
    else:
        sections = sorted(draw(st.lists(st.integers(0, n + 1), max_size=3)))
    return [x, sections], {"axis": axis}


@st.composite
def _pad(draw, spec, dtype):
    x = draw(arrays(shapes(max_dims=3), dtype))
    w = st.integers(0, 2)
    per_axis = st.tuples(*[st.tuples(w, w) for _ in range(x.ndim)]) if x.ndim else w
    pad_width = draw(st.one_of(w, st.tuples(w, w), per_axis))
    return [x, pad_width], {"constant_values": draw(st.sampled_from([0, 1.5, -2.0]))}


@st.composite
def _flip(draw, spec, dtype):
    x = draw(arrays(shapes(), dtype))
    return [x], {"axis": draw(axes(x.ndim))}


@st.composite
def _cumsum(draw, spec, dtype):
    x = draw(arrays(shapes(), dtype))
    axis = draw(st.none() | st.integers(-x.ndim, x.ndim - 1)) if x.ndim else None
    return [x], {"axis": axis}


@st.composite
def _dot(draw, spec, dtype):
    k = draw(st.integers(1, 3))
    side = st.integers(1, 3)
    a_shape, b_shape = draw(st.sampled_from([
        ((), (draw(side), k)), ((k,), ()), ((k,), (k,)), ((draw(side), k), (k, draw(side))),
        ((draw(side), k), (k,)), ((k,), (k, draw(side))), ((2, draw(side), k), (k,)),
        ((2, k), (draw(side), k, 2)), ((draw(side), 2, k), (2, k, draw(side))),
    ]))
    return [draw(arrays(a_shape, dtype)), draw(arrays(b_shape, dtype))], {}


# (subscripts, operand shapes with letters standing for random sizes)
_EINSUM_CASES = [
    ("ij,jk->ik", ["ij", "jk"]), ("ij,jk", ["ij", "jk"]), ("ii->i", ["ii"]), ("ii", ["ii"]),
    ("ij->", ["ij"]), ("ij->ji", ["ij"]), ("i,i", ["i", "i"]), ("i,j->ij", ["i", "j"]),
    ("...ij,...jk->...ik", ["bij", "jk"]), ("...ij,...jk", ["aij", "bajk"]), ("ba", ["ba"]),
    ("bij,bjk->bik", ["bij", "bjk"]), ("iij->j", ["iij"]), ("ii,i->i", ["ii", "i"]),
    (",i->i", ["", "i"]), ("ij,jk,kl->il", ["ij", "jk", "kl"]), ("i...->...", ["ijk"]),
    ("ijk,ik->j", ["ijk", "ik"]), ("ij,j->i", ["i1", "j"]), ("Ab,bA->A", ["Ab", "bA"]),
]


@st.composite
def _einsum(draw, spec, dtype):
    subscripts, templates = draw(st.sampled_from(_EINSUM_CASES))
    sizes: dict[str, int] = {}
    ops = []
    for t in templates:
        shape = tuple(1 if c == "1" else sizes.setdefault(c, draw(st.integers(1, 3))) for c in t)
        ops.append(draw(arrays(shape, dtype)))
    return [subscripts, *ops], {}


@st.composite
def _conv2d(draw, spec, dtype):
    groups = draw(st.sampled_from([1, 1, 2]))
    n, cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = draw(st.sampled_from([1, 2, (1, 2)]))
    padding = draw(st.sampled_from([0, 1, (1, 0)]))
    dilation = draw(st.sampled_from([1, 1, 2, (2, 1)]))
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 5))
    w_ = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 5))
    x = draw(arrays((n, cg * groups, h, w_), dtype))
    w = draw(arrays((og * groups, cg, kh, kw), dtype))
    b = draw(st.none() | arrays((og * groups,), dtype))
    return [x, w, b], {"stride": stride, "padding": padding, "dilation": dilation,
                       "groups": groups}


@st.composite
def _pool2d(draw, spec, dtype):
    kernel = draw(st.sampled_from([1, 2, 3, (2, 1), (3, 2)]))
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    stride = draw(st.sampled_from([None, 1, 2, (1, 2)]))
    padding = draw(st.sampled_from([0, 0, (kh // 2, kw // 2), (0, kw // 2)]))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(kh, 5)),
             draw(st.integers(kw, 5)))
    x = draw(arrays(shape, dtype, distinct=spec.distinct))
    return [x, kernel], {"stride": stride, "padding": padding}


@st.composite
def _dropout(draw, spec, dtype):
    x = draw(arrays(shapes(), dtype))
    return [x], {"p": draw(st.sampled_from([0.0, 0.3, 0.5, 1.0])),
                 "training": draw(st.booleans()), "rng": draw(st.integers(0, 2**16))}


@st.composite
def _one_hot(draw, spec, dtype):
    num_classes = draw(st.integers(1, 4))
    idx = draw(hnp.arrays(np.int64, shapes(max_dims=2), elements=st.integers(0, num_classes - 1)))
    return [idx], {"num_classes": draw(st.sampled_from([num_classes, num_classes + 1, -1]))}


SAMPLERS: dict[str, Callable[..., Any]] = {
    "matmul": _matmul, "where": _where, "clip": _clip, "softmax": _softmax, "reshape": _reshape,
    "transpose": _transpose, "swapaxes": _swapaxes, "expand_dims": _expand_dims,
    "squeeze": _squeeze, "broadcast_to": _broadcast_to, "getitem": _getitem,
    "concatenate": _concatenate, "stack": _stack, "split": _split, "pad": _pad, "flip": _flip,
    "cumsum": _cumsum, "dot": _dot, "einsum": _einsum, "conv2d": _conv2d, "pool2d": _pool2d,
    "dropout": _dropout, "one_hot": _one_hot,
}


def op_arguments(spec: OpSpec, dtype: Any = np.float64):
    """``(args, kwargs)`` for calling ``spec.fn`` (and ``spec.reference``), drawn from the op's
    metadata. ``args`` are arrays; wrap the float ones in Tensors to differentiate.

    >>> import autograd_engine as ag
    >>> from autograd_engine.testing.strategies import op_arguments
    >>> args, kwargs = op_arguments(ag.REGISTRY["sum"]).example()
    >>> sorted(kwargs)
    ['axis', 'keepdims']
    """
    dtype = np.dtype(dtype)
    if spec.kind == "elementwise":
        return _elementwise(spec, dtype)
    if spec.kind == "reduction":
        return _reduction(spec, dtype)
    if spec.sampler not in SAMPLERS:
        raise KeyError(
            f"op_arguments: op {spec.name!r} has kind 'custom' but no sampler named "
            f"{spec.sampler!r} in SAMPLERS; add one there"
        )
    return SAMPLERS[spec.sampler](spec, dtype)
