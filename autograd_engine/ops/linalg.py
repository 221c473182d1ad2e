"""Linear algebra: matmul (1-d, 2-d and batched with broadcasting), einsum and dot.

The rules use operators, array methods, NumPy functions and ``apply_any``, so they run on plain
arrays for a first-order backward and on Tensors under ``create_graph``
(``Function.backward_on_arrays``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Op, apply_any
from ..tensor import Tensor
from ._util import TensorLike, add_tangents
from .registry import register


def _matmul(a: Any, b: Any) -> Any:
    """``a @ b``. For two 2-d arrays through ``np.dot``, which goes straight to BLAS, where
    ``np.matmul`` takes slower paths for small or thin matrices (3x slower for (100, 1) @ (1, 16))."""
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 2 and b.ndim == 2:
        return np.dot(a, b)
    return np.matmul(a, b)


class MatMul(Op):
    saved_for = (1, 0)  # x is needed only for y's gradient, y only for x's (and their ndim)

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return _matmul(x, y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        if x.ndim == 2 and y.ndim == 2:  # the common case, without the bookkeeping below
            return (_matmul(grad, y.T) if need_x else None), (_matmul(x.T, grad) if need_y else None)
        # Treat 1-d operands as a row (x) or a column (y), as matmul does, and undo it after.
        x2 = x if x.ndim > 1 else x.reshape(1, -1)
        y2 = y if y.ndim > 1 else y.reshape(-1, 1)
        batch = np.broadcast_shapes(x2.shape[:-2], y2.shape[:-2])
        g = grad.reshape(batch + (x2.shape[-2], y2.shape[-1]))
        gx = gy = None
        if need_x:
            gx = g @ y2.swapaxes(-1, -2)
            if x.ndim == 1:
                gx = gx.squeeze(-2)
        if need_y:
            gy = x2.swapaxes(-1, -2) @ g
            if y.ndim == 1:
                gy = gy.squeeze(-1)
        return gx, gy  # batch axes that were broadcast are summed away by the engine

    @staticmethod
    def jvp(ctx, tx, ty):
        x, y = ctx.saved_tensors
        return add_tangents(None if tx is None else apply_any(MatMul, tx, y),
                            None if ty is None else apply_any(MatMul, x, ty))

    @classmethod
    def error_hint(cls, arrays, params):
        bad = [type(v).__name__ if not isinstance(v, np.ndarray) else str(v.dtype)
               for v in arrays if np.asarray(v).dtype.kind not in "biuf"]
        if bad:
            return (
                f"inputs must be numeric arrays or Tensors, got {', '.join(bad)}; convert them "
                "first, e.g. np.asarray(a, dtype=np.float64)"
            )
        a, b = (np.shape(v) for v in arrays)
        if len(a) == 0 or len(b) == 0:
            return "matmul needs inputs with at least one dimension; use multiply for scalars"
        return (
            f"the last axis of x ({a[-1]}) must equal the {'only' if len(b) == 1 else 'second-to-last'}"
            f" axis of y ({b[0] if len(b) == 1 else b[-2]}) and batch axes must broadcast; "
            "transpose an operand (y.T) or reshape it"
        )


@register(np.matmul, kind="custom", sampler="matmul", operators=("__matmul__", "__rmatmul__"),
          op=MatMul, torch="torch.matmul")
def matmul(x: TensorLike, y: TensorLike) -> Tensor:
    """Matrix product ``x @ y`` with NumPy's rules: 1-d operands act as vectors, leading axes are
    batch axes and broadcast. Gradient: ``grad @ y.T`` and ``x.T @ grad`` (batch-wise).

    >>> import autograd_engine as ag
    >>> ag.matmul(ag.Tensor([[1.0, 2.0]]), ag.Tensor([[3.0], [4.0]]))
    Tensor([[11.]])
    """
    return MatMul.apply(x, y)


# ----- einsum ---------------------------------------------------------------------------------------

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _sublist_to_subscripts(args: tuple) -> tuple[str, list]:
    """``einsum(a, [0, 1], b, [1, 2], [0, 2])`` (NumPy's sublist form) as a subscripts string."""
    def letters(sub):
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, (int, np.integer)) and 0 <= s < len(_LETTERS):
                out.append(_LETTERS[s])
            else:
                raise ValueError(
                    f"einsum: sublist labels must be integers in [0, {len(_LETTERS)}) or Ellipsis, "
                    f"got {s!r}"
                )
        return "".join(out)

    if len(args) % 2 == 0:  # operand, sublist, operand, sublist, ...: implicit output
        return ",".join(letters(s) for s in args[1::2]), list(args[0::2])
    terms = [letters(s) for s in args[1:-1:2]]
    return ",".join(terms) + "->" + letters(args[-1]), list(args[0:-1:2])


def _parse_einsum(subscripts: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """Explicit per-operand subscripts and output (ellipses spelled out as spare letters), checking
    everything NumPy checks, with messages that say what to fix."""
    s = subscripts.replace(" ", "")
    if s.count("->") > 1 or ("-" in s.replace("->", "")) or (">" in s.replace("->", "")):
        raise ValueError(f"einsum: subscripts {subscripts!r} may contain '->' at most once")
    lhs, arrow, out = s.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} describe {len(inputs)} operand(s) but "
            f"{len(shapes)} were given; write one comma-separated term per operand"
        )
    for term in inputs + [out]:
        bad = [c for c in term.replace("...", "") if c not in _LETTERS]
        if bad or term.count("...") > 1:
            raise ValueError(
                f"einsum: invalid subscript term {term!r} in {subscripts!r}; use letters a-z/A-Z "
                "and at most one '...' per term"
            )
    used = set(s) & set(_LETTERS)
    spare = [c for c in _LETTERS if c not in used]
    n_ell = 0
    for term, shape in zip(inputs, shapes):
        named = len(term.replace("...", ""))
        if "..." in term:
            if named > len(shape):
                raise ValueError(
                    f"einsum: term {term!r} names {named} axes but its operand has shape {shape}"
                )
            n_ell = max(n_ell, len(shape) - named)
        elif named != len(shape):
            raise ValueError(
                f"einsum: term {term!r} has {named} subscript(s) but its operand has {len(shape)} "
                f"dimension(s) (shape {shape}); give one letter per axis, or use '...'"
            )
    if n_ell > len(spare):
        raise ValueError(
            "einsum: too many axes under '...' to label them with the letters left over; use "
            "fewer named subscripts or reshape the operands to fewer axes"
        )
    ell = spare[:n_ell]
    explicit = []
    for term, shape in zip(inputs, shapes):
        if "..." in term:
            k = len(shape) - len(term.replace("...", ""))
            term = term.replace("...", "".join(ell[n_ell - k:]))
        explicit.append(term)
    if arrow:
        if "..." in out:
            out = out.replace("...", "".join(ell))
        elif n_ell:
            raise ValueError(
                f"einsum: operands have {n_ell} axes under '...' but the output {out!r} of "
                f"{subscripts!r} has no '...'; add '...' to the output (or index the axes away)"
            )
        for c in out:
            if out.count(c) > 1:
                raise ValueError(f"einsum: output subscript {c!r} appears more than once in "
                                 f"{subscripts!r}; each output letter must be unique")
            if not any(c in t for t in explicit):
                raise ValueError(
                    f"einsum: output subscript {c!r} in {subscripts!r} does not appear in any input "
                    "term; every output letter must label an input axis"
                )
    else:
        counts: dict[str, int] = {}
        for t in inputs:
            for c in t.replace("...", ""):
                counts[c] = counts.get(c, 0) + 1
        out = "".join(ell) + "".join(sorted(c for c, k in counts.items() if k == 1))
    sizes: dict[str, int] = {}
    for term, shape in zip(explicit, shapes):
        for c in set(term):
            dims = {n for t, n in zip(term, shape) if t == c}
            if len(dims) > 1:
                raise ValueError(
                    f"einsum: subscript {c!r} is repeated in term {term!r} (a diagonal) over axes of "
                    f"different sizes {sorted(dims)} (shape {shape}); a diagonal needs equal sizes"
                )
        for c, n in zip(term, shape):
            m = sizes.get(c, 1)
            if n != 1 and m != 1 and n != m:
                raise ValueError(
                    f"einsum: subscript {c!r} labels axes of different sizes ({m} and {n}) in "
                    f"{subscripts!r} with operand shapes {', '.join(map(str, shapes))}; axes "
                    "sharing a letter must have equal sizes (or size 1, which broadcasts)"
                )
            sizes[c] = max(m, n)
    return explicit, out


class Einsum(Op):
    @staticmethod
    def forward(ctx, *operands, terms, out):
        ctx.terms, ctx.out = terms, out
        ctx.save_for_backward(*operands)
        spec = ",".join(terms) + "->" + out
        return np.einsum(spec, *operands, optimize=len(operands) > 1)

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        terms, out = ctx.terms, ctx.out
        sizes: dict[str, int] = {}
        for t, x in zip(terms, operands):
            for c, n in zip(t, x.shape):
                sizes[c] = max(sizes.get(c, 1), n)
        grads = []
        for k, need in enumerate(ctx.needs_input_grad):
            if not need:
                grads.append(None)
                continue
            # d out / d operand k: contract grad with every other operand onto operand k's term.
            # Letters of term k found nowhere else were summed in forward: they come back via a
            # vector of ones. A letter repeated in term k (a diagonal) gets a fresh letter per
            # repeat, tied to the first by an identity matrix, since einsum cannot write diagonals.
            args: list = [grad]
            subs = [out]
            for j, (t, x) in enumerate(zip(terms, operands)):
                if j != k:
                    args.append(x)
                    subs.append(t)
            have = set("".join(subs))
            dtype = grad.dtype
            target = []
            spare = iter(c for c in _LETTERS if c not in set("".join(terms) + out))
            for c in terms[k]:
                if c not in have:
                    args.append(np.ones(sizes[c], dtype=dtype))
                    subs.append(c)
                    have.add(c)
                if c in target:
                    f = next(spare)
                    args.append(np.eye(sizes[c], dtype=dtype))
                    subs.append(c + f)
                    c = f
                target.append(c)
            g = apply_any(Einsum, *args, terms=tuple(subs), out="".join(target))
            full = tuple(sizes[c] for c in terms[k])  # a size-1 axis of the others broadcast
            if g.shape != full:
                g = np.broadcast_to(g, full)
            grads.append(g)
        return tuple(grads)

    @staticmethod
    def jvp(ctx, *tangents):
        # Multilinear: the sum over operands of the einsum with that operand's tangent in its place
        operands = ctx.saved_tensors
        terms = []
        for k, t in enumerate(tangents):
            if t is not None:
                args = operands[:k] + (t,) + operands[k + 1:]
                terms.append(apply_any(Einsum, *args, terms=ctx.terms, out=ctx.out))
        return add_tangents(*terms)


@register(np.einsum, kind="custom", sampler="einsum", torch="torch.einsum")
def einsum(subscripts: Any, *operands: TensorLike) -> Tensor:
    """Einstein summation, as ``np.einsum``: explicit (``'ij,jk->ik'``) or implicit (``'ij,jk'``,
    output letters in alphabetical order) subscripts, ``...`` for broadcast axes, repeated letters
    for diagonals and traces (``'ii->i'``, ``'ii'``), size-1 broadcasting, and NumPy's sublist form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])``.

    Gradient: for each operand, an einsum of ``grad`` with the other operands onto that operand's
    subscripts (identity matrices rebuild diagonals, ones vectors restore summed axes), so it is
    differentiable again to any order.

    >>> import autograd_engine as ag
    >>> a = ag.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> ag.einsum("ii", a)
    Tensor(5., grad_fn=<Einsum>)
    >>> ag.einsum("ij,jk", a, a).sum().backward()
    >>> a.grad
    Tensor([[ 7., 11.],
            [ 9., 13.]])
    """
    if not isinstance(subscripts, str):
        subscripts, ops = _sublist_to_subscripts((subscripts, *operands))
        operands = tuple(ops)
    shapes = [np.shape(x._data if isinstance(x, Tensor) else x) for x in operands]
    terms, out = _parse_einsum(subscripts, shapes)
    args = [x if isinstance(x, Tensor) else np.asarray(x) for x in operands]
    return Einsum.apply(*args, terms=tuple(terms), out=out)


# ----- dot ------------------------------------------------------------------------------------------


@register(np.dot, kind="custom", sampler="dot", method=True)
def dot(x: TensorLike, y: TensorLike) -> Tensor:
    """Dot product with ``np.dot``'s rules: scalars multiply; 1-d·1-d is the inner product; 2-d·2-d
    is ``matmul``; N-d·1-d sums over the last axis of x; N-d·M-d sums the last axis of x with the
    second-to-last of y (no batch broadcasting: ``dot(a, b)[i, j, k, m] = sum(a[i, j, :] *
    b[k, :, m])``).

    Gradient: that of the matmul / einsum it reduces to.

    >>> import autograd_engine as ag
    >>> ag.dot(ag.Tensor([1.0, 2.0]), ag.Tensor([3.0, 4.0]))
    Tensor(11.)
    """
    xd = x._data if isinstance(x, Tensor) else np.asarray(x)
    yd = y._data if isinstance(y, Tensor) else np.asarray(y)
    if xd.ndim == 0 or yd.ndim == 0:
        from .elementwise import multiply

        return multiply(x, y)
    if yd.ndim <= 2 and xd.ndim <= 2 or yd.ndim == 1:
        if xd.shape[-1] != yd.shape[0 if yd.ndim == 1 else -2]:
            raise ValueError(
                f"dot: shapes {xd.shape} and {yd.shape} are not aligned: the last axis of x "
                f"({xd.shape[-1]}) must equal the {'only' if yd.ndim == 1 else 'second-to-last'} "
                f"axis of y ({yd.shape[0 if yd.ndim == 1 else -2]}); transpose an operand"
            )
        return matmul(x, y)
    if xd.shape[-1] != yd.shape[-2]:
        raise ValueError(
            f"dot: shapes {xd.shape} and {yd.shape} are not aligned: the last axis of x "
            f"({xd.shape[-1]}) must equal the second-to-last axis of y ({yd.shape[-2]})"
        )
    a = _LETTERS[: xd.ndim - 1]
    b = _LETTERS[xd.ndim - 1: xd.ndim - 1 + yd.ndim - 2]
    return einsum(f"{a}z,{b}zy->{a}{b}y", x, y)
