"""A catalogue of bad arguments to every public function and constructor, one test per entry.

Walked from the public API (``ag.*`` factories and ops, ``nn`` layers, losses and functional forms,
optimizers and schedulers, ``DataLoader``, ``nn.init``, ``nn.utils``, ``save``/``load``, ``fit``):
each entry is a call, the exception type it must raise, and words its message must contain (the
function's name and the argument's name, and where it helps the shapes or the fix).

Where PyTorch has the same call, ``test_torch_raises_too`` checks that PyTorch raises as well
(PyTorch is the oracle: where it raises, we raise) and records which type it raises. Our type is
the Python convention (``TypeError`` for a wrong type, ``ValueError`` for a bad value or shape,
``IndexError`` for an index) where PyTorch raises its catch-all ``RuntimeError``. Entries with no
PyTorch counterpart say why in ``torch``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import autograd_engine as ag
import nn
import nn.functional as F


@dataclass(frozen=True)
class Case:
    id: str
    call: Callable[[], Any]
    error: type[BaseException]
    words: tuple[str, ...]
    # ``lambda torch: <the same call in PyTorch>`` and the type PyTorch raises, or a string that
    # says why there is no PyTorch counterpart.
    torch: Callable[[Any], Any] | str
    torch_error: type[BaseException] | None = None


def x4() -> ag.Tensor:
    return ag.ones(2, 3, 5, 5)


def w4(*shape: int) -> ag.Tensor:
    return ag.ones(*(shape or (4, 3, 3, 3)))


def param(*shape: int) -> nn.Parameter:
    return nn.Parameter(np.ones(shape or (3,)))


def tparam(torch: Any, *shape: int) -> Any:
    return torch.nn.Parameter(torch.ones(*(shape or (3,))))


def fit_call(**kwargs: Any) -> Any:
    model = nn.Linear(2, 1)
    args = dict(model=model, loss_fn=nn.MSELoss(),
                optimizer=nn.optim.SGD(model.parameters(), lr=0.1),
                train_loader=nn.data.DataLoader(np.ones((4, 2)), np.ones((4, 1)), batch_size=2),
                progress=False)
    args.update(kwargs)
    return nn.fit(**args)


def _tmp_file(name: str) -> str:
    import tempfile

    return os.path.join(tempfile.mkdtemp(), name)


NO_TORCH_FIT = "PyTorch has no fit(); its training loop is user code"
NO_TORCH_NPZ = "torch.save/torch.load pickle any object; nn.save writes numeric .npz only"

CASES: list[Case] = [
    # ----- factories ------------------------------------------------------------------------------
    Case("arange-step-zero", lambda: ag.arange(0, 5, 0), ValueError, ("arange", "step", "nonzero"),
         lambda torch: torch.arange(0, 5, 0), RuntimeError),
    Case("arange-step-sign", lambda: ag.arange(5, 0, 1), ValueError, ("arange", "step", "sign"),
         lambda torch: torch.arange(5, 0, 1), RuntimeError),
    Case("arange-inf", lambda: ag.arange(0, float("inf")), ValueError, ("arange", "stop", "finite"),
         lambda torch: torch.arange(0, float("inf")), RuntimeError),
    Case("arange-nan", lambda: ag.arange(0, float("nan")), ValueError, ("arange", "stop", "finite"),
         lambda torch: torch.arange(0, float("nan")), RuntimeError),
    Case("arange-str", lambda: ag.arange("5"), TypeError, ("arange", "start", "number"),
         lambda torch: torch.arange("5"), TypeError),
    Case("zeros-float-size", lambda: ag.zeros(2.5), TypeError, ("zeros", "shape", "int", "2.5"),
         lambda torch: torch.zeros(2.5), TypeError),
    Case("zeros-float-in-tuple", lambda: ag.zeros((2, 2.5)), TypeError, ("zeros", "shape", "int"),
         lambda torch: torch.zeros((2, 2.5)), TypeError),
    Case("zeros-str", lambda: ag.zeros("3"), TypeError, ("zeros", "shape", "int"),
         lambda torch: torch.zeros("3"), TypeError),
    Case("zeros-negative", lambda: ag.zeros(-1), ValueError, ("zeros", "shape", "negative"),
         lambda torch: torch.zeros(-1), RuntimeError),
    Case("ones-float-size", lambda: ag.ones(2, 2.5), TypeError, ("ones", "shape", "int"),
         lambda torch: torch.ones(2, 2.5), TypeError),
    Case("ones-negative", lambda: ag.ones(3, -2), ValueError, ("ones", "shape", "negative"),
         lambda torch: torch.ones(3, -2), RuntimeError),
    Case("randn-negative", lambda: ag.randn(-1), ValueError, ("randn", "shape", "negative"),
         lambda torch: torch.randn(-1), RuntimeError),
    Case("rand-float-size", lambda: ag.rand(2.5), TypeError, ("rand", "shape", "int"),
         lambda torch: torch.rand(2.5), TypeError),
    Case("full-float-size", lambda: ag.full(2.5, 1.0), TypeError, ("full", "shape", "int"),
         lambda torch: torch.full(2.5, 1.0), TypeError),
    Case("full-str-value", lambda: ag.full((2,), "a"), TypeError, ("full", "fill_value", "number"),
         lambda torch: torch.full((2,), "a"), TypeError),
    Case("eye-negative", lambda: ag.eye(-1), ValueError, ("eye", "n", "negative"),
         lambda torch: torch.eye(-1), RuntimeError),
    Case("eye-float", lambda: ag.eye(2.5), TypeError, ("eye", "n", "int"),
         lambda torch: torch.eye(2.5), TypeError),
    Case("linspace-negative-num", lambda: ag.linspace(0, 1, -1), ValueError,
         ("linspace", "num", "negative"), lambda torch: torch.linspace(0, 1, -1), RuntimeError),
    Case("linspace-float-num", lambda: ag.linspace(0, 1, 2.5), TypeError, ("linspace", "num", "int"),
         lambda torch: torch.linspace(0, 1, 2.5), TypeError),
    Case("randint-empty-range", lambda: ag.randint(5, 0, (3,)), ValueError,
         ("randint", "low", "high"), lambda torch: torch.randint(5, 0, (3,)), RuntimeError),
    Case("randint-negative-size", lambda: ag.randint(0, 3, (-1,)), ValueError,
         ("randint", "size", "negative"), lambda torch: torch.randint(0, 3, (-1,)), RuntimeError),
    Case("randint-float-high", lambda: ag.randint(0, 2.5, (2,)), TypeError,
         ("randint", "high", "int"), lambda torch: torch.randint(0, 2.5, (2,)), TypeError),
    Case("arange-complex", lambda: ag.arange(1j), TypeError, ("arange", "start", "number"),
         lambda torch: torch.arange(1j), RuntimeError),
    Case("manual-seed-str", lambda: ag.manual_seed("a"), TypeError, ("manual_seed", "seed", "int"),
         lambda torch: torch.manual_seed("a"), ValueError),
    Case("argmax-axis", lambda: ag.argmax(ag.ones((2, 3)), axis=5), IndexError,
         ("argmax", "axis 5"), lambda torch: torch.argmax(torch.ones(2, 3), dim=5), IndexError),
    Case("argmin-dim", lambda: ag.ones((2, 3)).argmin(dim=7), IndexError, ("argmin", "axis 7"),
         lambda torch: torch.ones(2, 3).argmin(dim=7), IndexError),
    Case("from-numpy-list", lambda: ag.from_numpy([1, 2]), TypeError, ("from_numpy", "ndarray"),
         lambda torch: torch.from_numpy([1, 2]), TypeError),
    Case("compile-not-callable", lambda: ag.compile(3), TypeError, ("compile", "function"),
         lambda torch: torch.compile(3), AssertionError),
    Case("compile-maxsize", lambda: ag.compile(lambda x: x, maxsize=0), ValueError,
         ("compile", "maxsize"), "torch.compile has no cache size argument"),
    Case("replayed-not-callable", lambda: ag.replayed(3), TypeError, ("replayed", "function"),
         "no PyTorch counterpart (marks a call that compiled code replays)"),
    Case("increment-version-array", lambda: ag.increment_version(np.zeros(2)), TypeError,
         ("increment_version", "Tensor"),
         lambda torch: torch.autograd.graph.increment_version(np.zeros(2)), RuntimeError),
    Case("set-grad-enabled-str", lambda: ag.set_grad_enabled("no"), TypeError,
         ("set_grad_enabled", "mode", "bool"), lambda torch: torch.set_grad_enabled("no"),
         TypeError),
    # ----- engine ops -----------------------------------------------------------------------------
    Case("conv2d-stride-zero", lambda: ag.conv2d(x4(), w4(), stride=0), ValueError,
         ("conv2d", "stride", ">= 1"),
         lambda torch: torch.nn.functional.conv2d(torch.ones(2, 3, 5, 5), torch.ones(4, 3, 3, 3),
                                                  stride=0), RuntimeError),
    Case("conv2d-padding-negative", lambda: ag.conv2d(x4(), w4(), padding=-1), ValueError,
         ("conv2d", "padding", ">= 0"),
         lambda torch: torch.nn.functional.conv2d(torch.ones(2, 3, 5, 5), torch.ones(4, 3, 3, 3),
                                                  padding=-1), RuntimeError),
    Case("conv2d-dilation-zero", lambda: ag.conv2d(x4(), w4(), dilation=0), ValueError,
         ("conv2d", "dilation", ">= 1"),
         lambda torch: torch.nn.functional.conv2d(torch.ones(2, 3, 5, 5), torch.ones(4, 3, 3, 3),
                                                  dilation=0), RuntimeError),
    Case("conv2d-groups-zero", lambda: ag.conv2d(x4(), w4(), groups=0), ValueError,
         ("conv2d", "groups", "positive"),
         lambda torch: torch.nn.functional.conv2d(torch.ones(2, 3, 5, 5), torch.ones(4, 3, 3, 3),
                                                  groups=0), RuntimeError),
    Case("conv2d-channels", lambda: ag.conv2d(x4(), w4(4, 2, 3, 3)), ValueError,
         ("conv2d", "channels", "(2, 3, 5, 5)", "(4, 2, 3, 3)"),
         lambda torch: torch.nn.functional.conv2d(torch.ones(2, 3, 5, 5), torch.ones(4, 2, 3, 3)),
         RuntimeError),
    Case("conv2d-kernel-too-big", lambda: ag.conv2d(x4(), w4(4, 3, 7, 7)), ValueError,
         ("conv2d", "kernel", "(7, 7)"),
         lambda torch: torch.nn.functional.conv2d(torch.ones(2, 3, 5, 5), torch.ones(4, 3, 7, 7)),
         RuntimeError),
    Case("conv2d-2d-input", lambda: ag.conv2d(ag.ones(5, 5), w4()), ValueError,
         ("conv2d", "x.shape=(5, 5)", "(N, C, H, W)"),
         lambda torch: torch.nn.functional.conv2d(torch.ones(5, 5), torch.ones(4, 3, 3, 3)),
         RuntimeError),
    Case("conv2d-bias-shape", lambda: ag.conv2d(x4(), w4(), ag.ones(3)), ValueError,
         ("conv2d", "bias", "(3,)"),
         lambda torch: torch.nn.functional.conv2d(torch.ones(2, 3, 5, 5), torch.ones(4, 3, 3, 3),
                                                  torch.ones(3)), RuntimeError),
    Case("max-pool2d-kernel-zero", lambda: ag.max_pool2d(x4(), 0), ValueError,
         ("max_pool2d", "kernel_size", ">= 1"),
         lambda torch: torch.nn.functional.max_pool2d(torch.ones(2, 3, 5, 5), 0), RuntimeError),
    Case("max-pool2d-stride-zero", lambda: ag.max_pool2d(x4(), 2, stride=0), ValueError,
         ("max_pool2d", "stride", ">= 1"),
         lambda torch: torch.nn.functional.max_pool2d(torch.ones(2, 3, 5, 5), 2, stride=0),
         RuntimeError),
    Case("max-pool2d-padding-big", lambda: ag.max_pool2d(x4(), 2, padding=2), ValueError,
         ("max_pool2d", "padding", "half"),
         lambda torch: torch.nn.functional.max_pool2d(torch.ones(2, 3, 5, 5), 2, padding=2),
         RuntimeError),
    Case("max-pool2d-kernel-too-big", lambda: ag.max_pool2d(x4(), 7), ValueError,
         ("max_pool2d", "kernel", "(2, 3, 5, 5)"),
         lambda torch: torch.nn.functional.max_pool2d(torch.ones(2, 3, 5, 5), 7), RuntimeError),
    Case("max-pool2d-2d-input", lambda: ag.max_pool2d(ag.ones(5, 5), 2), ValueError,
         ("max_pool2d", "input", "(5, 5)"),
         lambda torch: torch.nn.functional.max_pool2d(torch.ones(5, 5), 2), RuntimeError),
    Case("avg-pool2d-kernel-zero", lambda: ag.avg_pool2d(x4(), 0), ValueError,
         ("avg_pool2d", "kernel_size", ">= 1"),
         lambda torch: torch.nn.functional.avg_pool2d(torch.ones(2, 3, 5, 5), 0), RuntimeError),
    Case("avg-pool2d-padding-big", lambda: ag.avg_pool2d(x4(), 2, padding=2), ValueError,
         ("avg_pool2d", "padding", "half"),
         lambda torch: torch.nn.functional.avg_pool2d(torch.ones(2, 3, 5, 5), 2, padding=2),
         RuntimeError),
    Case("dropout-p", lambda: ag.dropout(ag.ones(3), 1.5), ValueError, ("dropout", "p", "1.5"),
         lambda torch: torch.nn.functional.dropout(torch.ones(3), 1.5), ValueError),
    Case("one-hot-negative", lambda: ag.one_hot(np.array([-1, 0]), 3), ValueError,
         ("one_hot", "indices", "[0, 3)"),
         lambda torch: torch.nn.functional.one_hot(torch.tensor([-1, 0]), 3), RuntimeError),
    Case("one-hot-float", lambda: ag.one_hot(np.array([1.0]), 3), TypeError,
         ("one_hot", "indices", "integer"),
         lambda torch: torch.nn.functional.one_hot(torch.tensor([1.0]), 3), RuntimeError),
    Case("one-hot-too-few-classes", lambda: ag.one_hot(np.array([5]), 3), ValueError,
         ("one_hot", "num_classes", "3"),
         lambda torch: torch.nn.functional.one_hot(torch.tensor([5]), 3), RuntimeError),
    Case("concatenate-empty", lambda: ag.concatenate([]), ValueError,
         ("concatenate", "at least one"),
         lambda torch: torch.cat([]), ValueError),
    Case("stack-shapes", lambda: ag.stack([ag.ones(2), ag.ones(3)]), ValueError,
         ("stack", "(2,)", "(3,)"),
         lambda torch: torch.stack([torch.ones(2), torch.ones(3)]), RuntimeError),
    Case("concatenate-shapes", lambda: ag.concatenate([ag.ones((2, 2)), ag.ones((3, 3))]),
         ValueError, ("concatenate", "(2, 2)", "(3, 3)"),
         lambda torch: torch.cat([torch.ones(2, 2), torch.ones(3, 3)]), RuntimeError),
    Case("split-zero", lambda: ag.split(ag.ones(4), 0), ValueError,
         ("split", "0 sections"),
         lambda torch: torch.ones(4).split(0), RuntimeError),
    Case("gelu-approximate", lambda: ag.gelu(ag.ones(2), approximate="foo"), ValueError,
         ("gelu", "approximate", "tanh"),
         lambda torch: torch.nn.functional.gelu(torch.ones(2), approximate="foo"), RuntimeError),
    Case("softmax-axis", lambda: ag.softmax(ag.ones((2, 3)), axis=5), IndexError,
         ("softmax", "axis", "5"),
         lambda torch: torch.softmax(torch.ones(2, 3), dim=5), IndexError),
    Case("sum-axis", lambda: ag.sum(ag.ones((2, 3)), axis=2), IndexError, ("sum", "axis", "2"),
         lambda torch: torch.sum(torch.ones(2, 3), dim=2), IndexError),
    Case("einsum-sizes", lambda: ag.einsum("ij,jk->ik", ag.ones((2, 3)), ag.ones((2, 3))),
         ValueError, ("einsum", "j"),
         lambda torch: torch.einsum("ij,jk->ik", torch.ones(2, 3), torch.ones(2, 3)),
         RuntimeError),
    Case("leaky-relu-slope-str", lambda: ag.leaky_relu(ag.ones(2), "a"), TypeError,
         ("leaky_relu", "slope", "number"),
         lambda torch: torch.nn.functional.leaky_relu(torch.ones(2), "a"), TypeError),
    Case("squeeze-axis", lambda: ag.squeeze(ag.ones((2, 3)), 5), IndexError,
         ("squeeze", "axis", "5"), lambda torch: torch.ones(2, 3).squeeze(5), IndexError),
    Case("expand-dims-axis", lambda: ag.expand_dims(ag.ones((2, 3)), 5), IndexError,
         ("expand_dims", "axis", "5"), lambda torch: torch.ones(2, 3).unsqueeze(5), IndexError),
    Case("swapaxes-axis", lambda: ag.swapaxes(ag.ones((2, 3)), 0, 5), IndexError,
         ("swapaxes", "axis", "5"), lambda torch: torch.ones(2, 3).transpose(0, 5), IndexError),
    Case("cumsum-axis", lambda: ag.cumsum(ag.ones((2, 3)), 5), IndexError, ("cumsum", "axis", "5"),
         lambda torch: torch.ones(2, 3).cumsum(5), IndexError),
    Case("concatenate-axis", lambda: ag.concatenate([ag.ones((2, 3))] * 2, 5), IndexError,
         ("concatenate", "axis", "5"), lambda torch: torch.cat([torch.ones(2, 3)] * 2, 5),
         IndexError),
    Case("logsumexp-axis", lambda: ag.logsumexp(ag.ones((2, 3)), 5), IndexError,
         ("logsumexp", "axis", "5"), lambda torch: torch.logsumexp(torch.ones(2, 3), 5),
         IndexError),
    Case("clip-str", lambda: ag.clip(ag.ones(2), "a"), TypeError, ("clip", "a_min", "number"),
         lambda torch: torch.ones(2).clamp("a"), TypeError),
    Case("var-ddof-str", lambda: ag.var(ag.ones(3), ddof="a"), TypeError, ("var", "ddof", "number"),
         lambda torch: torch.ones(3).var(correction="a"), TypeError),
    Case("std-ddof-str", lambda: ag.std(ag.ones(3), ddof="a"), TypeError,
         ("std", "ddof", "number"), lambda torch: torch.ones(3).std(correction="a"), TypeError),
    Case("matmul-0d", lambda: ag.matmul(ag.Tensor(1.0), ag.ones((2, 3))), ValueError,
         ("MatMul", "at least one dimension"),
         lambda torch: torch.matmul(torch.tensor(1.0), torch.ones(2, 3)), RuntimeError),
    Case("einsum-output-subscript", lambda: ag.einsum("ij->ijk", ag.ones((2, 3))), ValueError,
         ("einsum", "output subscript", "k"),
         lambda torch: torch.einsum("ij->ijk", torch.ones(2, 3)), RuntimeError),
    Case("split-uneven", lambda: ag.split(ag.ones(5), 2), ValueError, ("split", "2 sections", "5"),
         lambda torch: torch.ones(5).split([2, 2]), RuntimeError),
    Case("Tensor-int-requires-grad", lambda: ag.Tensor(np.ones(3, dtype=np.int64),
                                                       requires_grad=True),
         TypeError, ("Tensor", "floating-point", "int64"),
         lambda torch: torch.ones(3, dtype=torch.long).requires_grad_(), RuntimeError),
    Case("func-grad-argnums", lambda: ag.func.grad(lambda a: (a * a).sum(), argnums=5)(ag.ones(3)),
         ValueError, ("argnums", "5", "out of range"),
         lambda torch: torch.func.grad(lambda a: (a * a).sum(), argnums=5)(torch.ones(3)),
         RuntimeError),
    Case("func-grad-non-scalar", lambda: ag.func.grad(lambda a: a * a)(ag.ones(3)), ValueError,
         ("one-element", "(3,)", "sum"),
         lambda torch: torch.func.grad(lambda a: a * a)(torch.ones(3)), RuntimeError),
    Case("func-vjp-cotangent", lambda: ag.func.vjp(lambda a: a * a, ag.ones(3))[1](ag.ones(2)),
         ValueError, ("vjp", "cotangent", "(2,)", "(3,)"),
         lambda torch: torch.func.vjp(lambda a: a * a, torch.ones(3))[1](torch.ones(2)),
         RuntimeError),
    Case("func-jvp-tangent", lambda: ag.func.jvp(lambda a: a * a, (ag.ones(3),), (ag.ones(2),)),
         ValueError, ("jvp", "tangent", "(2,)", "(3,)"),
         lambda torch: torch.func.jvp(lambda a: a * a, (torch.ones(3),), (torch.ones(2),)),
         RuntimeError),
    Case("func-jacfwd-argnums", lambda: ag.func.jacfwd(lambda a: a * a, argnums=5)(ag.ones(3)),
         ValueError, ("jacfwd", "argnums", "5"),
         lambda torch: torch.func.jacfwd(lambda a: a * a, argnums=5)(torch.ones(3)), RuntimeError),
    Case("func-jacrev-argnums", lambda: ag.func.jacrev(lambda a: a * a, argnums=5)(ag.ones(3)),
         ValueError, ("jacrev", "argnums", "5"),
         lambda torch: torch.func.jacrev(lambda a: a * a, argnums=5)(torch.ones(3)), RuntimeError),
    Case("checkpoint-fn", lambda: ag.checkpoint(3, ag.ones(2)), TypeError,
         ("checkpoint", "fn", "callable"),
         lambda torch: __import__("torch.utils.checkpoint").utils.checkpoint.checkpoint(
             3, torch.ones(2), use_reentrant=False), TypeError),
    Case("checkpoint-sequential-segments",
         lambda: nn.checkpoint_sequential([nn.Tanh()], 2, ag.ones(2)), ValueError,
         ("checkpoint_sequential", "segments", "2"),
         lambda torch: __import__("torch.utils.checkpoint").utils.checkpoint.checkpoint_sequential(
             [torch.nn.Tanh()], 2, torch.ones(2), use_reentrant=False), ValueError),
    Case("func-hvp-v", lambda: ag.func.hvp(lambda a: (a * a).sum(), (ag.ones(3),), (ag.ones(2),)),
         ValueError, ("hvp", "v[0]", "(2,)", "(3,)"),
         lambda torch: torch.autograd.functional.hvp(lambda a: (a * a).sum(), (torch.ones(3),),
                                                     (torch.ones(2),)), RuntimeError),
    Case("grad-input-without-grad",
         lambda: ag.grad((ag.ones(3, requires_grad=True) * 2).sum(), ag.ones(3)), RuntimeError,
         ("grad", "input 0", "requires_grad"),
         lambda torch: torch.autograd.grad((torch.ones(3, requires_grad=True) * 2).sum(),
                                           torch.ones(3)), RuntimeError),
    Case("zeros-like-str", lambda: ag.zeros_like("abc"), TypeError, ("zeros_like", "numeric"),
         lambda torch: torch.zeros_like("abc"), TypeError),
    Case("ones-like-str", lambda: ag.ones_like("abc"), TypeError, ("ones_like", "numeric"),
         lambda torch: torch.ones_like("abc"), TypeError),
    Case("zeros-dtype", lambda: ag.zeros(2, dtype="foo"), TypeError, ("zeros", "dtype", "'foo'"),
         lambda torch: torch.zeros(2, dtype="foo"), TypeError),
    Case("eye-m-negative", lambda: ag.eye(2, -1), ValueError, ("eye", "m", "non-negative"),
         lambda torch: torch.eye(2, -1), RuntimeError),
    Case("broadcast-to-shape", lambda: ag.broadcast_to(ag.ones((2, 3)), (3, 3)), ValueError,
         ("BroadcastTo", "broadcast"),
         lambda torch: torch.ones(2, 3).broadcast_to((3, 3)), RuntimeError),
    Case("transpose-repeated-axes", lambda: ag.transpose(ag.ones((2, 3)), (0, 0)), ValueError,
         ("Transpose", "repeated axis"), lambda torch: torch.ones(2, 3).permute(0, 0),
         RuntimeError),
    Case("reshape-size", lambda: ag.reshape(ag.ones((2, 3)), (4, 2)), ValueError,
         ("Reshape", "size 6", "same number of elements"),
         lambda torch: torch.ones(2, 3).reshape(4, 2), RuntimeError),
    Case("dot-shapes", lambda: ag.dot(ag.ones(3), ag.ones(2)), ValueError,
         ("dot", "(3,)", "(2,)"), lambda torch: torch.dot(torch.ones(3), torch.ones(2)),
         RuntimeError),
    Case("astype-dtype", lambda: ag.astype(ag.ones(2), "foo"), TypeError,
         ("astype", "'foo'", "dtype"), lambda torch: torch.ones(2).to("foo"), RuntimeError),
    Case("flip-axis", lambda: ag.flip(ag.ones((2, 3)), 5), IndexError, ("flip", "axis", "5"),
         lambda torch: torch.ones(2, 3).flip(5), IndexError),
    Case("pad-negative", lambda: ag.pad(ag.ones((2, 3)), -1), ValueError,
         ("pad", "pad_width", "non-negative"),
         "PyTorch's F.pad crops with negative widths; ag.pad follows np.pad, which refuses them"),
    Case("func-jacobian-argnums", lambda: ag.func.jacobian(lambda a: a * a, argnums=5)(ag.ones(3)),
         ValueError, ("jacobian", "argnums", "5"),
         lambda torch: torch.func.jacrev(lambda a: a * a, argnums=5)(torch.ones(3)),
         RuntimeError),
    Case("func-hessian-argnums",
         lambda: ag.func.hessian(lambda a: (a * a).sum(), argnums=5)(ag.ones(3)), ValueError,
         ("argnums", "5", "out of range"),
         lambda torch: torch.func.hessian(lambda a: (a * a).sum(), argnums=5)(torch.ones(3)),
         RuntimeError),
    Case("func-value-and-grad-argnums",
         lambda: ag.func.value_and_grad(lambda a: (a * a).sum(), argnums="a")(ag.ones(3)),
         TypeError, ("value_and_grad", "argnums", "'a'"),
         lambda torch: torch.func.grad_and_value(lambda a: (a * a).sum(), argnums="a")(
             torch.ones(3)), RuntimeError),
    Case("where-condition-str", lambda: ag.where("abc", ag.ones(2), 0.0), TypeError,
         ("where", "condition", "boolean"),
         lambda torch: torch.where("abc", torch.ones(2), 0.0), TypeError),
    # ----- nn layers ------------------------------------------------------------------------------
    Case("Linear-negative", lambda: nn.Linear(-1, 3), ValueError,
         ("Linear", "in_features", "-1"), lambda torch: torch.nn.Linear(-1, 3), RuntimeError),
    Case("Linear-float", lambda: nn.Linear(2.5, 3), TypeError, ("Linear", "in_features", "int"),
         lambda torch: torch.nn.Linear(2.5, 3), TypeError),
    Case("Linear-forward-features", lambda: nn.Linear(3, 2)(ag.ones((4, 5))), ValueError,
         ("Linear", "(4, 5)", "3"),
         lambda torch: torch.nn.Linear(3, 2)(torch.ones(4, 5)), RuntimeError),
    Case("Conv2d-kernel-zero", lambda: nn.Conv2d(3, 4, 0), ValueError,
         ("Conv2d", "kernel_size", "positive"),
         lambda torch: torch.nn.Conv2d(3, 4, 0)(torch.ones(2, 3, 5, 5)), RuntimeError),
    Case("Conv2d-kernel-float", lambda: nn.Conv2d(3, 4, 2.5), TypeError,
         ("Conv2d", "kernel_size", "int"), lambda torch: torch.nn.Conv2d(3, 4, 2.5), TypeError),
    Case("Conv2d-kernel-triple", lambda: nn.Conv2d(3, 4, (1, 2, 3)), ValueError,
         ("Conv2d", "kernel_size", "pair"),
         lambda torch: torch.nn.Conv2d(3, 4, (1, 2, 3))(torch.ones(2, 3, 5, 5)), RuntimeError),
    Case("Conv2d-stride-zero", lambda: nn.Conv2d(3, 4, 3, stride=0), ValueError,
         ("Conv2d", "stride", "positive"),
         lambda torch: torch.nn.Conv2d(3, 4, 3, stride=0)(torch.ones(2, 3, 5, 5)), RuntimeError),
    Case("Conv2d-padding-negative", lambda: nn.Conv2d(3, 4, 3, padding=-1), ValueError,
         ("Conv2d", "padding", "negative"),
         lambda torch: torch.nn.Conv2d(3, 4, 3, padding=-1)(torch.ones(2, 3, 5, 5)), RuntimeError),
    Case("Conv2d-groups-zero", lambda: nn.Conv2d(3, 4, 3, groups=0), ValueError,
         ("Conv2d", "groups", "positive"), lambda torch: torch.nn.Conv2d(3, 4, 3, groups=0),
         ValueError),
    Case("Conv2d-groups-divide", lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError,
         ("Conv2d", "in_channels", "groups"), lambda torch: torch.nn.Conv2d(3, 4, 3, groups=2),
         ValueError),
    Case("Conv2d-padding-str", lambda: nn.Conv2d(3, 4, 3, padding="foo"), ValueError,
         ("Conv2d", "padding", "valid"), lambda torch: torch.nn.Conv2d(3, 4, 3, padding="foo"),
         ValueError),
    Case("Conv2d-negative-channels", lambda: nn.Conv2d(-1, 4, 3), ValueError,
         ("Conv2d", "in_channels", "-1"), lambda torch: torch.nn.Conv2d(-1, 4, 3), RuntimeError),
    Case("Conv2d-forward-channels", lambda: nn.Conv2d(2, 4, 3)(x4()), ValueError,
         ("conv2d", "channels", "(2, 3, 5, 5)"),
         lambda torch: torch.nn.Conv2d(2, 4, 3)(torch.ones(2, 3, 5, 5)), RuntimeError),
    Case("MaxPool2d-kernel-zero", lambda: nn.MaxPool2d(0), ValueError,
         ("MaxPool2d", "kernel_size", "positive"),
         lambda torch: torch.nn.MaxPool2d(0)(torch.ones(2, 3, 5, 5)), RuntimeError),
    Case("AvgPool2d-stride-zero", lambda: nn.AvgPool2d(2, stride=0), ValueError,
         ("AvgPool2d", "stride", "positive"),
         lambda torch: torch.nn.AvgPool2d(2, stride=0)(torch.ones(2, 3, 5, 5)), RuntimeError),
    Case("BatchNorm1d-negative", lambda: nn.BatchNorm1d(-1), ValueError,
         ("BatchNorm1d", "num_features", "-1"), lambda torch: torch.nn.BatchNorm1d(-1),
         RuntimeError),
    Case("BatchNorm1d-float", lambda: nn.BatchNorm1d(2.5), TypeError,
         ("BatchNorm1d", "num_features", "int"), lambda torch: torch.nn.BatchNorm1d(2.5),
         TypeError),
    Case("BatchNorm1d-forward-features", lambda: nn.BatchNorm1d(3)(ag.ones((4, 4))), ValueError,
         ("BatchNorm1d", "3", "(4, 4)"),
         lambda torch: torch.nn.BatchNorm1d(3)(torch.ones(4, 4)), RuntimeError),
    Case("BatchNorm1d-forward-1d", lambda: nn.BatchNorm1d(3)(ag.ones(3)), ValueError,
         ("BatchNorm1d", "(3,)"), lambda torch: torch.nn.BatchNorm1d(3)(torch.ones(3)), ValueError),
    Case("LayerNorm-negative", lambda: nn.LayerNorm(-1), ValueError,
         ("LayerNorm", "normalized_shape", "-1"), lambda torch: torch.nn.LayerNorm(-1),
         RuntimeError),
    Case("LayerNorm-forward", lambda: nn.LayerNorm(4)(ag.ones((2, 3))), ValueError,
         ("layer_norm", "normalized_shape", "(2, 3)"),
         lambda torch: torch.nn.LayerNorm(4)(torch.ones(2, 3)), RuntimeError),
    Case("Embedding-index-minus-one", lambda: nn.Embedding(5, 2)(np.array([-1])), IndexError,
         ("embedding", "index", "-1", "[0, 5)"),
         lambda torch: torch.nn.Embedding(5, 2)(torch.tensor([-1])), IndexError),
    Case("Embedding-index-too-big", lambda: nn.Embedding(5, 2)(np.array([0, 5])), IndexError,
         ("embedding", "index", "5", "[0, 5)"),
         lambda torch: torch.nn.Embedding(5, 2)(torch.tensor([0, 5])), IndexError),
    Case("Embedding-float-index", lambda: nn.Embedding(5, 2)(np.array([1.0])), TypeError,
         ("embedding", "indices", "integer"),
         lambda torch: torch.nn.Embedding(5, 2)(torch.tensor([1.0])), RuntimeError),
    Case("Embedding-padding-idx", lambda: nn.Embedding(5, 2, padding_idx=5), ValueError,
         ("Embedding", "padding_idx", "5"),
         lambda torch: torch.nn.Embedding(5, 2, padding_idx=5), AssertionError),
    Case("Embedding-negative", lambda: nn.Embedding(-1, 2), ValueError,
         ("Embedding", "num_embeddings", "-1"), lambda torch: torch.nn.Embedding(-1, 2),
         RuntimeError),
    Case("Dropout-p", lambda: nn.Dropout(1.5), ValueError, ("Dropout", "p", "1.5"),
         lambda torch: torch.nn.Dropout(1.5), ValueError),
    Case("Flatten-start-after-end", lambda: nn.Flatten(2, 1)(ag.ones((2, 3, 4))), ValueError,
         ("Flatten", "start_dim", "end_dim"),
         lambda torch: torch.nn.Flatten(2, 1)(torch.ones(2, 3, 4)), RuntimeError),
    Case("Flatten-dim-out-of-range", lambda: nn.Flatten(5)(ag.ones((2, 3))), IndexError,
         ("Flatten", "start_dim", "5", "(2, 3)"),
         lambda torch: torch.nn.Flatten(5)(torch.ones(2, 3)), IndexError),
    Case("Softmax-dim", lambda: nn.Softmax(dim=5)(ag.ones((2, 3))), IndexError,
         ("softmax", "axis", "5"), lambda torch: torch.nn.Softmax(dim=5)(torch.ones(2, 3)),
         IndexError),
    Case("GELU-approximate", lambda: nn.GELU("foo"), ValueError, ("GELU", "approximate", "tanh"),
         lambda torch: torch.nn.GELU("foo")(torch.ones(2)), RuntimeError),
    Case("MLP-sizes", lambda: nn.MLP([3]), ValueError, ("MLP", "sizes"),
         "PyTorch has no MLP module (torchvision.ops.MLP differs)"),
    Case("MLP-activation", lambda: nn.MLP([3, 2], activation="foo"), ValueError,
         ("MLP", "activation", "relu"), "PyTorch has no MLP module (torchvision.ops.MLP differs)"),
    Case("RNN-num-layers", lambda: nn.RNN(3, 4, num_layers=0), ValueError, ("RNN", "num_layers"),
         lambda torch: torch.nn.RNN(3, 4, num_layers=0), ValueError),
    Case("RNN-dropout", lambda: nn.RNN(3, 4, dropout=2), ValueError, ("RNN", "dropout"),
         lambda torch: torch.nn.RNN(3, 4, dropout=2), ValueError),
    Case("RNN-nonlinearity", lambda: nn.RNN(3, 4, nonlinearity="foo"), ValueError,
         ("RNN", "nonlinearity", "tanh"), lambda torch: torch.nn.RNN(3, 4, nonlinearity="foo"),
         ValueError),
    Case("RNN-hidden-size", lambda: nn.RNN(3, 0), ValueError, ("RNN", "hidden_size"),
         lambda torch: torch.nn.RNN(3, 0), ValueError),
    Case("LSTM-hidden-size", lambda: nn.LSTM(3, -1), ValueError, ("LSTM", "hidden_size"),
         lambda torch: torch.nn.LSTM(3, -1), ValueError),
    Case("RNN-forward-features", lambda: nn.RNN(3, 4)(ag.ones((2, 5, 2))), ValueError,
         ("RNN", "input_size=3", "2"),
         lambda torch: torch.nn.RNN(3, 4)(torch.ones(2, 5, 2)), RuntimeError),
    Case("RNN-forward-h0", lambda: nn.RNN(3, 4, batch_first=True)(ag.ones((2, 5, 3)),
                                                                  ag.ones((1, 3, 4))),
         ValueError, ("RNN", "(1, 2, 4)", "(1, 3, 4)"),
         lambda torch: torch.nn.RNN(3, 4, batch_first=True)(torch.ones(2, 5, 3),
                                                            torch.ones(1, 3, 4)), RuntimeError),
    Case("Sequential-not-module", lambda: nn.Sequential("a"), TypeError, ("Sequential", "Module"),
         lambda torch: torch.nn.Sequential("a"), TypeError),
    Case("ModuleList-not-module", lambda: nn.ModuleList(["a"]), TypeError, ("Module",),
         lambda torch: torch.nn.ModuleList(["a"]), TypeError),
    Case("Sequential-index", lambda: nn.Sequential(nn.ReLU())[3], IndexError,
         ("index", "3", "out of range"), lambda torch: torch.nn.Sequential(torch.nn.ReLU())[3],
         IndexError),
    Case("Module-train-str", lambda: nn.ReLU().train("yes"), ValueError, ("train", "mode"),
         lambda torch: torch.nn.ReLU().train("yes"), ValueError),
    Case("Module-register-buffer-dot", lambda: nn.ReLU().register_buffer("a.b", np.ones(1)),
         KeyError, ("register_buffer", "name", "."),
         lambda torch: torch.nn.ReLU().register_buffer("a.b", torch.ones(1)), KeyError),
    Case("Module-register-parameter-tensor",
         lambda: nn.ReLU().register_parameter("a", ag.ones(1)), TypeError,
         ("register_parameter", "Parameter"),
         lambda torch: torch.nn.ReLU().register_parameter("a", torch.ones(1)), TypeError),
    Case("Module-add-module-int", lambda: nn.ReLU().add_module("a", 3), TypeError,
         ("add_module", "Module"), lambda torch: torch.nn.ReLU().add_module("a", 3), TypeError),
    Case("Module-load-state-dict-shape",
         lambda: nn.Linear(3, 2).load_state_dict({"weight": np.ones((3, 3)), "bias": np.ones(2)}),
         RuntimeError, ("state_dict", "weight", "(3, 3)", "(2, 3)"),
         lambda torch: torch.nn.Linear(3, 2).load_state_dict({"weight": torch.ones(3, 3),
                                                             "bias": torch.ones(2)}),
         RuntimeError),
    Case("Module-load-state-dict-missing",
         lambda: nn.Linear(3, 2).load_state_dict({"weight": np.ones((2, 3))}), RuntimeError,
         ("state_dict", "missing", "bias"),
         lambda torch: torch.nn.Linear(3, 2).load_state_dict({"weight": torch.ones(2, 3)}),
         RuntimeError),
    Case("Module-load-state-dict-list", lambda: nn.Linear(3, 2).load_state_dict([1]), TypeError,
         ("load_state_dict", "state_dict"),
         lambda torch: torch.nn.Linear(3, 2).load_state_dict([1]), TypeError),
    Case("linear-features", lambda: F.linear(ag.ones((4, 5)), ag.ones((2, 3))), ValueError,
         ("linear", "(4, 5)", "(2, 3)", "in_features"),
         lambda torch: torch.nn.functional.linear(torch.ones(4, 5), torch.ones(2, 3)),
         RuntimeError),
    Case("linear-bias", lambda: F.linear(ag.ones((4, 3)), ag.ones((2, 3)), ag.ones(3)),
         ValueError, ("linear", "bias", "(2,)", "(3,)"),
         lambda torch: torch.nn.functional.linear(torch.ones(4, 3), torch.ones(2, 3),
                                                  torch.ones(3)), RuntimeError),
    Case("batch-norm-1d-input", lambda: F.batch_norm(ag.ones(3), None, None, training=True),
         ValueError, ("batch_norm", "(3,)"),
         lambda torch: torch.nn.functional.batch_norm(torch.ones(3), None, None, training=True),
         IndexError),
    Case("BatchNorm1d-train-one-sample", lambda: nn.BatchNorm1d(3)(ag.ones((1, 3))), ValueError,
         ("batch_norm", "more than 1 value per channel", "(1, 3)"),
         lambda torch: torch.nn.BatchNorm1d(3)(torch.ones(1, 3)), ValueError),
    Case("BatchNorm2d-3d-input", lambda: nn.BatchNorm2d(3)(ag.ones((2, 3, 4))), ValueError,
         ("BatchNorm2d", "4-D", "(2, 3, 4)"),
         lambda torch: torch.nn.BatchNorm2d(3)(torch.ones(2, 3, 4)), ValueError),
    Case("Parameter-int", lambda: nn.Parameter(np.ones(3, dtype=np.int64)), TypeError,
         ("floating-point", "int64"),
         lambda torch: torch.nn.Parameter(torch.ones(3, dtype=torch.long)), RuntimeError),
    Case("Linear-int-dtype", lambda: nn.Linear(2, 3, dtype=np.int64), TypeError,
         ("floating-point dtype", "int64"),
         lambda torch: torch.nn.Linear(2, 3, dtype=torch.long), RuntimeError),
    Case("LeakyReLU-slope-str", lambda: nn.LeakyReLU("a")(ag.ones(2)), TypeError,
         ("leaky_relu", "slope", "number"),
         lambda torch: torch.nn.LeakyReLU("a")(torch.ones(2)), TypeError),
    Case("Softmax-dim-str", lambda: nn.Softmax(dim="a")(ag.ones((2, 3))), TypeError,
         ("softmax", "axis", "'a'"), lambda torch: torch.nn.Softmax(dim="a")(torch.ones(2, 3)),
         TypeError),
    Case("Module-no-forward", lambda: nn.Module()(ag.ones(2)), TypeError, ("forward",),
         lambda torch: torch.nn.Module()(torch.ones(2)), NotImplementedError),
    Case("accuracy-shapes", lambda: nn.accuracy(np.ones((4, 3)), np.ones(5)), ValueError,
         ("accuracy", "(4, 3)", "(5,)"), "PyTorch has no accuracy(); torchmetrics is separate"),
    Case("ExponentialLR-gamma-str",
         lambda: nn.optim.lr_scheduler.ExponentialLR(nn.optim.SGD([param()], lr=1), "a"),
         TypeError, ("ExponentialLR", "gamma", "number"),
         lambda torch: torch.optim.lr_scheduler.ExponentialLR(
             torch.optim.SGD([tparam(torch)], lr=0.1), "a").step(), TypeError),
    Case("elu-alpha-str", lambda: F.elu(ag.ones(2), "a"), TypeError, ("elu", "alpha", "number"),
         lambda torch: torch.nn.functional.elu(torch.ones(2), "a"), TypeError),
    Case("log-softmax-dim", lambda: F.log_softmax(ag.ones(3), 5), IndexError,
         ("log_softmax", "axis", "5"), lambda torch: torch.nn.functional.log_softmax(torch.ones(3), 5),
         IndexError),
    Case("Module-requires-grad-str", lambda: nn.Linear(2, 2).requires_grad_("a"), TypeError,
         ("requires_grad_", "bool"), lambda torch: torch.nn.Linear(2, 2).requires_grad_("a"),
         TypeError),
    Case("Module-setattr-tensor-as-parameter",
         lambda: setattr(nn.Linear(2, 2), "weight", ag.ones((2, 2))), TypeError,
         ("weight", "nn.Parameter"),
         lambda torch: setattr(torch.nn.Linear(2, 2), "weight", torch.ones(2, 2)), TypeError),
    Case("Sequential-append-str", lambda: nn.Sequential().append("a"), TypeError,
         ("str", "Module subclass"), lambda torch: torch.nn.Sequential().append("a"), TypeError),
    Case("Sequential-setitem-str", lambda: nn.Sequential(nn.ReLU()).__setitem__(0, "a"),
         TypeError, ("str", "Module"),
         lambda torch: torch.nn.Sequential(torch.nn.ReLU()).__setitem__(0, "a"), TypeError),
    Case("ReLU-str-input", lambda: nn.ReLU()("abc"), TypeError, ("relu", "input", "numeric"),
         lambda torch: torch.nn.ReLU()("abc"), TypeError),
    Case("Tanh-str-input", lambda: nn.Tanh()(["a"]), TypeError, ("tanh", "input", "numeric"),
         lambda torch: torch.nn.Tanh()(["a"]), TypeError),
    Case("Sigmoid-str-input", lambda: nn.Sigmoid()("a"), TypeError,
         ("sigmoid", "input", "numeric"), lambda torch: torch.nn.Sigmoid()("a"), TypeError),
    Case("SiLU-str-input", lambda: nn.SiLU()("a"), TypeError, ("silu", "input", "numeric"),
         lambda torch: torch.nn.SiLU()("a"), TypeError),
    Case("softplus-str-input", lambda: F.softplus("a"), TypeError,
         ("softplus", "input", "numeric"), lambda torch: torch.nn.functional.softplus("a"),
         TypeError),
    Case("LogSoftmax-dim", lambda: nn.LogSoftmax(dim=5)(ag.ones((2, 3))), IndexError,
         ("log_softmax", "axis", "5"), lambda torch: torch.nn.LogSoftmax(dim=5)(torch.ones(2, 3)),
         IndexError),
    # ----- losses ---------------------------------------------------------------------------------
    Case("mse-loss-reduction", lambda: F.mse_loss(ag.ones(3), ag.ones(3), reduction="foo"),
         ValueError, ("mse_loss", "reduction", "foo"),
         lambda torch: torch.nn.functional.mse_loss(torch.ones(3), torch.ones(3), reduction="foo"),
         ValueError),
    Case("mse-loss-shapes", lambda: F.mse_loss(ag.ones(3), ag.ones(4)), ValueError,
         ("mse_loss", "target", "(4,)", "(3,)"),
         lambda torch: torch.nn.functional.mse_loss(torch.ones(3), torch.ones(4)), RuntimeError),
    Case("BCELoss-input-above-one", lambda: nn.BCELoss()(ag.Tensor([1.5]), ag.Tensor([1.0])),
         ValueError, ("binary_cross_entropy", "input", "between 0 and 1", "sigmoid"),
         lambda torch: torch.nn.BCELoss()(torch.tensor([1.5]), torch.tensor([1.0])), RuntimeError),
    Case("BCELoss-input-negative", lambda: nn.BCELoss()(ag.Tensor([-0.5]), ag.Tensor([1.0])),
         ValueError, ("binary_cross_entropy", "input", "between 0 and 1"),
         lambda torch: torch.nn.BCELoss()(torch.tensor([-0.5]), torch.tensor([1.0])),
         RuntimeError),
    Case("BCELoss-input-nan", lambda: nn.BCELoss()(ag.Tensor([np.nan]), ag.Tensor([1.0])),
         ValueError, ("binary_cross_entropy", "input", "between 0 and 1"),
         lambda torch: torch.nn.BCELoss()(torch.tensor([float("nan")]), torch.tensor([1.0])),
         RuntimeError),
    Case("BCELoss-target-out-of-range", lambda: nn.BCELoss()(ag.Tensor([0.5]), ag.Tensor([2.0])),
         ValueError, ("binary_cross_entropy", "target", "between 0 and 1"),
         lambda torch: torch.nn.BCELoss()(torch.tensor([0.5]), torch.tensor([2.0])),
         RuntimeError),
    Case("BCELoss-sizes", lambda: nn.BCELoss()(ag.full((4, 1), 0.5), ag.ones(4)), ValueError,
         ("binary_cross_entropy", "target", "(4,)", "(4, 1)"),
         lambda torch: torch.nn.BCELoss()(torch.full((4, 1), 0.5), torch.ones(4)), ValueError),
    Case("BCEWithLogitsLoss-sizes", lambda: nn.BCEWithLogitsLoss()(ag.ones((4, 1)), ag.ones(4)),
         ValueError, ("binary_cross_entropy_with_logits", "target", "(4,)", "(4, 1)"),
         lambda torch: torch.nn.BCEWithLogitsLoss()(torch.ones(4, 1), torch.ones(4)), ValueError),
    Case("BCEWithLogitsLoss-weight",
         lambda: nn.BCEWithLogitsLoss(weight=ag.ones(3))(ag.ones(4), ag.ones(4)), ValueError,
         ("binary_cross_entropy_with_logits", "weight", "(3,)", "(4,)"),
         lambda torch: torch.nn.BCEWithLogitsLoss(weight=torch.ones(3))(torch.ones(4),
                                                                        torch.ones(4)),
         RuntimeError),
    Case("BCEWithLogitsLoss-pos-weight",
         lambda: nn.BCEWithLogitsLoss(pos_weight=ag.ones(2))(ag.ones((4, 3)), ag.ones((4, 3))),
         ValueError, ("binary_cross_entropy_with_logits", "pos_weight", "(2,)"),
         lambda torch: torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(2))(torch.ones(4, 3),
                                                                            torch.ones(4, 3)),
         RuntimeError),
    Case("CrossEntropyLoss-float-class-targets",
         lambda: nn.CrossEntropyLoss()(ag.ones((4, 3)), ag.Tensor([0.0, 1.0, 2.0, 0.0])),
         TypeError, ("cross_entropy", "target", "integer", "(4,)", "(4, 3)", "astype"),
         lambda torch: torch.nn.CrossEntropyLoss()(torch.ones(4, 3),
                                                   torch.tensor([0.0, 1.0, 2.0, 0.0])),
         RuntimeError),
    Case("CrossEntropyLoss-float-targets-wrong-shape",
         lambda: nn.CrossEntropyLoss()(ag.ones((4, 3)), ag.ones((4, 2))), ValueError,
         ("cross_entropy", "target", "(4, 2)", "(4, 3)"),
         lambda torch: torch.nn.CrossEntropyLoss()(torch.ones(4, 3), torch.ones(4, 2)),
         RuntimeError),
    Case("CrossEntropyLoss-target-out-of-bounds",
         lambda: nn.CrossEntropyLoss()(ag.ones((4, 3)), np.array([0, 1, 3, 0])), IndexError,
         ("cross_entropy", "target", "3", "out of bounds"),
         lambda torch: torch.nn.CrossEntropyLoss()(torch.ones(4, 3), torch.tensor([0, 1, 3, 0])),
         IndexError),
    Case("CrossEntropyLoss-target-negative",
         lambda: nn.CrossEntropyLoss()(ag.ones((4, 3)), np.array([0, 1, -1, 0])), IndexError,
         ("cross_entropy", "target", "-1", "out of bounds"),
         lambda torch: torch.nn.CrossEntropyLoss()(torch.ones(4, 3), torch.tensor([0, 1, -1, 0])),
         IndexError),
    Case("CrossEntropyLoss-batch-size",
         lambda: nn.CrossEntropyLoss()(ag.ones((4, 3)), np.array([0, 1, 2])), ValueError,
         ("cross_entropy", "target", "(4, 3)", "(3,)"),
         lambda torch: torch.nn.CrossEntropyLoss()(torch.ones(4, 3), torch.tensor([0, 1, 2])),
         ValueError),
    Case("CrossEntropyLoss-weight",
         lambda: nn.CrossEntropyLoss(weight=np.ones(2))(ag.ones((4, 3)), np.array([0, 1, 2, 0])),
         ValueError, ("cross_entropy", "weight", "(2,)", "3"),
         lambda torch: torch.nn.CrossEntropyLoss(weight=torch.ones(2))(
             torch.ones(4, 3), torch.tensor([0, 1, 2, 0])), RuntimeError),
    Case("CrossEntropyLoss-label-smoothing",
         lambda: nn.CrossEntropyLoss(label_smoothing=1.5)(ag.ones((4, 3)), np.array([0, 1, 2, 0])),
         ValueError, ("cross_entropy", "label_smoothing", "1.5"),
         lambda torch: torch.nn.CrossEntropyLoss(label_smoothing=1.5)(
             torch.ones(4, 3), torch.tensor([0, 1, 2, 0])), RuntimeError),
    Case("CrossEntropyLoss-int-logits",
         lambda: nn.CrossEntropyLoss()(ag.Tensor(np.ones((4, 3), dtype=np.int64)),
                                       np.array([0, 1, 2, 0])),
         TypeError, ("cross_entropy", "floating"),
         lambda torch: torch.nn.CrossEntropyLoss()(torch.ones(4, 3, dtype=torch.long),
                                                   torch.tensor([0, 1, 2, 0])),
         NotImplementedError),
    Case("NLLLoss-float-targets", lambda: nn.NLLLoss()(ag.ones((4, 3)), ag.Tensor([0.0, 1.0, 2.0, 0.0])),
         TypeError, ("nll_loss", "target", "integer"),
         lambda torch: torch.nn.NLLLoss()(torch.ones(4, 3), torch.tensor([0.0, 1.0, 2.0, 0.0])),
         RuntimeError),
    Case("NLLLoss-target-out-of-bounds",
         lambda: nn.NLLLoss()(ag.ones((4, 3)), np.array([0, 1, 3, 0])), IndexError,
         ("nll_loss", "target", "3", "out of bounds"),
         lambda torch: torch.nn.NLLLoss()(torch.ones(4, 3), torch.tensor([0, 1, 3, 0])),
         IndexError),
    Case("HuberLoss-delta", lambda: nn.HuberLoss(delta=0)(ag.ones(2), ag.ones(2)), ValueError,
         ("huber_loss", "delta", "positive"),
         lambda torch: torch.nn.HuberLoss(delta=0)(torch.ones(2), torch.ones(2)), RuntimeError),
    Case("SmoothL1Loss-beta", lambda: nn.SmoothL1Loss(beta=-1)(ag.ones(2), ag.ones(2)),
         ValueError, ("smooth_l1_loss", "beta", "negative"),
         lambda torch: torch.nn.SmoothL1Loss(beta=-1)(torch.ones(2), torch.ones(2)), RuntimeError),
    Case("l1-loss-reduction", lambda: F.l1_loss(ag.ones(3), ag.ones(3), reduction="x"),
         ValueError, ("l1_loss", "reduction", "'x'"),
         lambda torch: torch.nn.functional.l1_loss(torch.ones(3), torch.ones(3), reduction="x"),
         ValueError),
    Case("cross-entropy-ignore-index-float",
         lambda: F.cross_entropy(ag.ones((2, 3)), np.array([0, 1]), ignore_index=1.5), TypeError,
         ("cross_entropy", "ignore_index", "int"),
         lambda torch: torch.nn.functional.cross_entropy(torch.ones(2, 3), torch.tensor([0, 1]),
                                                         ignore_index=1.5), TypeError),
    Case("MSELoss-reduction", lambda: nn.MSELoss(reduction="x"), ValueError,
         ("MSELoss", "reduction", "'x'"),
         lambda torch: torch.nn.MSELoss(reduction="x")(torch.ones(2), torch.ones(2)), ValueError),
    Case("L1Loss-reduction", lambda: nn.L1Loss(reduction="x"), ValueError,
         ("L1Loss", "reduction", "'x'"),
         lambda torch: torch.nn.L1Loss(reduction="x")(torch.ones(2), torch.ones(2)), ValueError),
    # ----- optimizers and schedulers --------------------------------------------------------------
    Case("SGD-lr-negative", lambda: nn.optim.SGD([param()], lr=-1), ValueError,
         ("learning rate", "-1"), lambda torch: torch.optim.SGD([tparam(torch)], lr=-1),
         ValueError),
    Case("SGD-lr-str", lambda: nn.optim.SGD([param()], lr="a"), TypeError, ("SGD", "lr", "number"),
         lambda torch: torch.optim.SGD([tparam(torch)], lr="a"), TypeError),
    Case("SGD-momentum-negative", lambda: nn.optim.SGD([param()], lr=1, momentum=-1), ValueError,
         ("momentum", "-1"), lambda torch: torch.optim.SGD([tparam(torch)], lr=1, momentum=-1),
         ValueError),
    Case("SGD-nesterov", lambda: nn.optim.SGD([param()], lr=1, nesterov=True), ValueError,
         ("nesterov", "momentum"),
         lambda torch: torch.optim.SGD([tparam(torch)], lr=1, nesterov=True), ValueError),
    Case("SGD-empty", lambda: nn.optim.SGD([], lr=1), ValueError, ("empty", "parameter"),
         lambda torch: torch.optim.SGD([], lr=1), ValueError),
    Case("SGD-single-tensor", lambda: nn.optim.SGD(param(), lr=1), TypeError,
         ("params", "iterable"), lambda torch: torch.optim.SGD(tparam(torch), lr=1), TypeError),
    Case("SGD-non-leaf", lambda: nn.optim.SGD([param() * 2], lr=1), ValueError, ("non-leaf",),
         lambda torch: torch.optim.SGD([tparam(torch) * 2], lr=1), ValueError),
    Case("SGD-str-param", lambda: nn.optim.SGD(["a"], lr=1), TypeError, ("params", "str"),
         lambda torch: torch.optim.SGD(["a"], lr=1), TypeError),
    Case("Adam-betas", lambda: nn.optim.Adam([param()], betas=(1.0, 0.999)), ValueError,
         ("beta", "1.0"), lambda torch: torch.optim.Adam([tparam(torch)], betas=(1.0, 0.999)),
         ValueError),
    Case("Adam-betas-short", lambda: nn.optim.Adam([param()], betas=(0.9,)), ValueError,
         ("Adam", "betas", "pair"),
         lambda torch: torch.optim.Adam([tparam(torch)], betas=(0.9,)), IndexError),
    Case("Adam-eps", lambda: nn.optim.Adam([param()], eps=-1), ValueError, ("epsilon", "-1"),
         lambda torch: torch.optim.Adam([tparam(torch)], eps=-1), ValueError),
    Case("RMSprop-alpha", lambda: nn.optim.RMSprop([param()], alpha=-1), ValueError,
         ("alpha", "-1"), lambda torch: torch.optim.RMSprop([tparam(torch)], alpha=-1), ValueError),
    Case("Adagrad-lr-decay", lambda: nn.optim.Adagrad([param()], lr_decay=-1), ValueError,
         ("lr_decay", "-1"), lambda torch: torch.optim.Adagrad([tparam(torch)], lr_decay=-1),
         ValueError),
    Case("add-param-group-str", lambda: nn.optim.SGD([param()], lr=1).add_param_group("a"),
         TypeError, ("param group", "dict"),
         lambda torch: torch.optim.SGD([tparam(torch)], lr=1).add_param_group("a"), TypeError),
    Case("Optimizer-load-state-dict-groups",
         lambda: nn.optim.SGD([param()], lr=1).load_state_dict({"state": {}, "param_groups": []}),
         ValueError, ("load_state_dict", "parameter groups"),
         lambda torch: torch.optim.SGD([tparam(torch)], lr=1).load_state_dict(
             {"state": {}, "param_groups": []}), ValueError),
    Case("Optimizer-load-state-dict-str",
         lambda: nn.optim.SGD([param()], lr=1).load_state_dict("a"), TypeError,
         ("load_state_dict", "state_dict", "dict"),
         lambda torch: torch.optim.SGD([tparam(torch)], lr=1).load_state_dict("a"),
         AttributeError),
    Case("StepLR-not-optimizer", lambda: nn.optim.lr_scheduler.StepLR("a", 1), TypeError,
         ("str", "optimizer"), lambda torch: torch.optim.lr_scheduler.StepLR("a", 1), TypeError),
    Case("StepLR-step-size-zero",
         lambda: nn.optim.lr_scheduler.StepLR(nn.optim.SGD([param()], lr=1), 0), ValueError,
         ("StepLR", "step_size", "positive"),
         lambda torch: torch.optim.lr_scheduler.StepLR(torch.optim.SGD([tparam(torch)], lr=1),
                                                       0).step(), ZeroDivisionError),
    Case("CosineAnnealingLR-T-max-zero",
         lambda: nn.optim.lr_scheduler.CosineAnnealingLR(nn.optim.SGD([param()], lr=1), 0),
         ValueError, ("CosineAnnealingLR", "T_max", "positive"),
         lambda torch: [torch.optim.lr_scheduler.CosineAnnealingLR(
             torch.optim.SGD([tparam(torch)], lr=1), 0).step() for _ in range(2)],
         ZeroDivisionError),
    Case("SGD-group-without-params", lambda: nn.optim.SGD([{"lr": 0.1}], lr=0.1), KeyError,
         ("add_param_group", "params"),
         lambda torch: torch.optim.SGD([{"lr": 0.1}], lr=0.1), KeyError),
    Case("Adam-lr-nan", lambda: nn.optim.Adam([param()], lr=float("nan")), ValueError,
         ("Adam", "learning rate", "nan"),
         lambda torch: torch.optim.Adam([tparam(torch)], lr=float("nan")), ValueError),
    Case("init-calculate-gain-slope", lambda: nn.init.calculate_gain("leaky_relu", "a"),
         ValueError, ("calculate_gain", "negative_slope"),
         lambda torch: torch.nn.init.calculate_gain("leaky_relu", "a"), ValueError),
    Case("DataLoader-0d", lambda: nn.data.DataLoader(np.float64(1.0)), ValueError,
         ("DataLoader", "leading"),
         lambda torch: torch.utils.data.TensorDataset(torch.tensor(1.0)), IndexError),
    Case("AdamW-betas", lambda: nn.optim.AdamW([param()], betas=(1.5, 0.9)), ValueError,
         ("AdamW", "beta", "1.5"),
         lambda torch: torch.optim.AdamW([tparam(torch)], betas=(1.5, 0.9)), ValueError),
    Case("init-xavier-normal-1d", lambda: nn.init.xavier_normal_(ag.ones(3)), ValueError,
         ("xavier_normal_", "2 dimensions"),
         lambda torch: torch.nn.init.xavier_normal_(torch.ones(3)), ValueError),
    Case("init-kaiming-normal-mode", lambda: nn.init.kaiming_normal_(ag.ones((3, 3)), mode="x"),
         ValueError, ("kaiming_normal_", "mode", "fan_in"),
         lambda torch: torch.nn.init.kaiming_normal_(torch.ones(3, 3), mode="x"), ValueError),
    # ----- data, init, utils ----------------------------------------------------------------------
    Case("DataLoader-batch-size-zero", lambda: nn.data.DataLoader(np.ones(4), batch_size=0),
         ValueError, ("DataLoader", "batch_size", "0"),
         lambda torch: torch.utils.data.DataLoader(
             torch.utils.data.TensorDataset(torch.ones(4)), batch_size=0), ValueError),
    Case("DataLoader-batch-size-float", lambda: nn.data.DataLoader(np.ones(4), batch_size=2.5),
         ValueError, ("DataLoader", "batch_size", "2.5"),
         lambda torch: torch.utils.data.DataLoader(
             torch.utils.data.TensorDataset(torch.ones(4)), batch_size=2.5), ValueError),
    Case("DataLoader-lengths", lambda: nn.data.DataLoader(np.ones(4), np.ones(3)), ValueError,
         ("DataLoader", "length", "[4, 3]"),
         lambda torch: torch.utils.data.TensorDataset(torch.ones(4), torch.ones(3)),
         AssertionError),
    Case("init-calculate-gain", lambda: nn.init.calculate_gain("foo"), ValueError,
         ("calculate_gain", "nonlinearity", "foo"),
         lambda torch: torch.nn.init.calculate_gain("foo"), ValueError),
    Case("init-kaiming-uniform-1d", lambda: nn.init.kaiming_uniform_(ag.ones(3)), ValueError,
         ("kaiming_uniform_", "tensor", "2 dimensions", "(3,)"),
         lambda torch: torch.nn.init.kaiming_uniform_(torch.ones(3)), ValueError),
    Case("init-kaiming-uniform-mode", lambda: nn.init.kaiming_uniform_(ag.ones((3, 3)), mode="foo"),
         ValueError, ("kaiming_uniform_", "mode", "fan_in"),
         lambda torch: torch.nn.init.kaiming_uniform_(torch.ones(3, 3), mode="foo"), ValueError),
    Case("init-xavier-uniform-1d", lambda: nn.init.xavier_uniform_(ag.ones(3)), ValueError,
         ("xavier_uniform_", "tensor", "2 dimensions"),
         lambda torch: torch.nn.init.xavier_uniform_(torch.ones(3)), ValueError),
    Case("init-uniform-range", lambda: nn.init.uniform_(ag.ones(3), 1, 0), ValueError,
         ("uniform_", "a", "b"), lambda torch: torch.nn.init.uniform_(torch.ones(3), 1, 0),
         RuntimeError),
    Case("init-normal-std", lambda: nn.init.normal_(ag.ones(3), 0, -1), ValueError,
         ("normal_", "std", "-1"), lambda torch: torch.nn.init.normal_(torch.ones(3), 0, -1),
         RuntimeError),
    Case("init-uniform-list", lambda: nn.init.uniform_([1.0], 0, 1), TypeError,
         ("uniform_", "tensor", "list"), lambda torch: torch.nn.init.uniform_([1.0], 0, 1),
         AttributeError),
    Case("init-constant-str", lambda: nn.init.constant_(ag.ones(3), "a"), TypeError,
         ("constant_", "val", "number"), lambda torch: torch.nn.init.constant_(torch.ones(3), "a"),
         TypeError),
    Case("clip-grad-norm-nonfinite",
         lambda: _clip_nonfinite(nn.utils.clip_grad_norm_), RuntimeError,
         ("clip_grad_norm_", "non-finite", "error_if_nonfinite"),
         lambda torch: _clip_nonfinite(torch.nn.utils.clip_grad_norm_, torch), RuntimeError),
    Case("clip-grad-norm-max-norm-str", lambda: nn.utils.clip_grad_norm_([_with_grad()], "a"),
         TypeError, ("clip_grad_norm_", "max_norm", "number"),
         lambda torch: torch.nn.utils.clip_grad_norm_([_with_grad(torch)], "a"), ValueError),
    Case("clip-grad-value-str", lambda: nn.utils.clip_grad_value_([_with_grad()], "a"),
         TypeError, ("clip_grad_value_", "clip_value", "number"),
         lambda torch: torch.nn.utils.clip_grad_value_([_with_grad(torch)], "a"), ValueError),
    # ----- save / load / fit ----------------------------------------------------------------------
    Case("save-list", lambda: nn.save([1, 2], _tmp_file("a.npz")), TypeError,
         ("nn.save", "Module"), NO_TORCH_NPZ),
    Case("load-missing-file", lambda: nn.load(_tmp_file("missing.npz")), FileNotFoundError,
         ("missing.npz",), lambda torch: torch.load(_tmp_file("missing.pt")), FileNotFoundError),
    Case("load-into-wrong-model", lambda: _load_into_wrong_model(), RuntimeError,
         ("nn.load", "size mismatch", "weight"), NO_TORCH_NPZ),
    Case("load-into-str", lambda: nn.load(_saved_linear(), into="model"), TypeError,
         ("nn.load", "into"), NO_TORCH_NPZ),
    Case("fit-epochs-negative", lambda: fit_call(epochs=-1), ValueError, ("fit", "epochs", "-1"),
         NO_TORCH_FIT),
    Case("fit-epochs-float", lambda: fit_call(epochs=2.5), TypeError, ("fit", "epochs", "int"),
         NO_TORCH_FIT),
    Case("fit-model-not-module", lambda: fit_call(model=lambda x: x), TypeError,
         ("fit", "model", "Module"), NO_TORCH_FIT),
    Case("fit-optimizer-not-optimizer", lambda: fit_call(optimizer="sgd"), TypeError,
         ("fit", "optimizer", "str"), NO_TORCH_FIT),
    Case("fit-loss-not-callable", lambda: fit_call(loss_fn="mse"), TypeError,
         ("fit", "loss_fn", "callable"), NO_TORCH_FIT),
    Case("fit-metric-unknown", lambda: fit_call(metrics=["foo"]), ValueError,
         ("fit", "metric", "foo"), NO_TORCH_FIT),
    Case("fit-clip-grad-norm-negative", lambda: fit_call(clip_grad_norm=-1.0), ValueError,
         ("fit", "clip_grad_norm", "-1"), NO_TORCH_FIT),
    Case("fit-loader-not-pairs", lambda: fit_call(train_loader=[ag.ones((2, 2))]), ValueError,
         ("fit", "batch", "pair"), NO_TORCH_FIT),
]


def _with_grad(torch: Any = None) -> Any:
    if torch is None:
        p = param(2)
        p.grad = np.array([1.0, 1.0])
        return p
    p = tparam(torch, 2)
    p.grad = torch.ones(2)
    return p


def _clip_nonfinite(clip: Callable, torch: Any = None) -> Any:
    p = _with_grad(torch)
    p.grad.data[0] = np.nan
    return clip([p], 1.0, error_if_nonfinite=True)


def _saved_linear() -> str:
    path = _tmp_file("linear.npz")
    nn.save(nn.Linear(3, 2), path)
    return path


def _load_into_wrong_model() -> Any:
    return nn.load(_saved_linear(), into=nn.Linear(4, 2))


def test_catalogue_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_argument_is_a_clear_error(case: Case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(case.error) as info:
            case.call()
    message = str(info.value)
    missing = [w for w in case.words if w.lower() not in message.lower()]
    assert not missing, f"{case.id}: message {message!r} does not mention {missing}"


TORCH_CASES = [c for c in CASES if callable(c.torch)]


@pytest.mark.parametrize("case", TORCH_CASES, ids=[c.id for c in TORCH_CASES])
def test_torch_raises_too(case: Case):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(case.torch_error):
            case.torch(torch)


def test_entries_without_torch_say_why():
    without = [case for case in CASES if not callable(case.torch)]
    assert without, "every entry has a torch counterpart: this test has nothing left to check"
    for case in without:
        assert isinstance(case.torch, str) and len(case.torch) > 20, case.id


# ----- warnings where PyTorch warns ---------------------------------------------------------------

TARGET_SIZE_LOSSES = {
    "mse_loss": F.mse_loss, "l1_loss": F.l1_loss, "huber_loss": F.huber_loss,
    "smooth_l1_loss": F.smooth_l1_loss,
}


@pytest.mark.parametrize("name", sorted(TARGET_SIZE_LOSSES))
@pytest.mark.parametrize("shapes", [((4, 1), (4,)), ((4,), (1,)), ((2, 3), (3,))])
def test_losses_warn_when_target_size_differs_from_input_size(name, shapes):
    """PyTorch's UserWarning: (4, 1) against (4,) broadcasts to (4, 4), almost always a bug."""
    in_shape, t_shape = shapes
    with pytest.warns(UserWarning, match=r"target size.*different to the input size") as record:
        TARGET_SIZE_LOSSES[name](ag.ones(in_shape), ag.ones(t_shape))
    message = str(record[0].message)
    assert str(t_shape) in message and str(in_shape) in message
    torch = pytest.importorskip("torch")
    with pytest.warns(UserWarning, match="different to the input size"):
        getattr(torch.nn.functional, name)(torch.ones(in_shape), torch.ones(t_shape))


@pytest.mark.parametrize("name", sorted(TARGET_SIZE_LOSSES))
def test_losses_do_not_warn_for_equal_sizes(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TARGET_SIZE_LOSSES[name](ag.ones((4, 1)), np.ones((4, 1)))


def test_cross_entropy_accepts_float_probabilities_of_the_input_shape_like_torch():
    torch = pytest.importorskip("torch")
    logits = np.random.default_rng(0).normal(size=(4, 3))
    probs = np.full((4, 3), 1 / 3)
    ours = F.cross_entropy(ag.Tensor(logits), ag.Tensor(probs)).item()
    theirs = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(probs)).item()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_clip_grad_norm_with_nonfinite_gradients_matches_torch(bad):
    """``error_if_nonfinite=False`` (the default): the grads are scaled by ``max_norm / total``
    anyway, as PyTorch does (NaN gives NaN everywhere, inf gives NaN there and 0 elsewhere)."""
    torch = pytest.importorskip("torch")
    p = param(2)
    p.grad = np.array([bad, 1.0])
    total = nn.utils.clip_grad_norm_([p], 1.0)
    q = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
    q.grad = torch.tensor([bad, 1.0], dtype=torch.float64)
    expected = torch.nn.utils.clip_grad_norm_([q], 1.0)
    np.testing.assert_array_equal(p.grad.data, q.grad.numpy())
    np.testing.assert_array_equal(total.item(), expected.item())


def test_clip_grad_norm_that_raises_changes_no_gradient():
    p = param(2)
    p.grad = np.array([np.inf, 1.0])
    with pytest.raises(RuntimeError):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(p.grad.data, [np.inf, 1.0])


# ----- the walk: every public function and constructor has an entry ------------------------------

# Modules and their functional forms share their checks, so an entry for one covers both.
SAME_CHECKS = {
    "binary_cross_entropy": "BCELoss", "binary_cross_entropy_with_logits": "BCEWithLogitsLoss",
    "huber_loss": "HuberLoss", "smooth_l1_loss": "SmoothL1Loss", "nll_loss": "NLLLoss",
    "layer_norm": "LayerNorm", "relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid",
    "silu": "SiLU", "cat": "concatenate", "clamp": "clip",
}
NOT_IN_CATALOGUE = {
    # covered for every registered op by tests/test_bad_input.py (wrong shapes, non-numeric
    # arguments, bad axes), so ops added later are covered too
    **{name: "elementwise or reduction op: swept from ag.REGISTRY in test_bad_input.py"
       for name, spec in ag.REGISTRY.items() if spec.kind in ("elementwise", "reduction")},
    # issue 15 items 3 and 6 (grad mode, custom Functions) are another engineer's
    "Function": "custom Functions: issue 15 item 6", "apply_any": "custom Functions: item 6",
    "enable_grad": "grad mode: item 3", "no_grad": "grad mode: item 3",
    "is_grad_enabled": "takes no arguments",
    "inference_mode": "grad mode: takes only a bool-like mode, as no_grad",
    "TracingError": "an exception class, raised by ag.compile",
    **{name: "a dtype (NumPy's scalar type), as torch.float32" for name in
       ("float32", "float64", "int32", "int64", "double", "long")},
    "scope": "grad mode: item 3", "detect_anomaly": "takes only a bool-like mode",
    "default_generator": "takes no arguments",
    "Identity": "accepts and ignores any arguments, as PyTorch's nn.Identity",
    "History": "a dict of lists, built by fit",
    "RemovableHandle": "made by register_*_hook, not by users",
    "LRScheduler": "abstract base class (subclasses define get_lr)",
}


def _public_callables() -> list[str]:
    import nn.optim.lr_scheduler as lr_scheduler

    found = []
    for module, names in [
        (ag, ag.__all__), (nn, nn.__all__), (nn.init, nn.init.__all__),
        (nn.utils, nn.utils.__all__), (lr_scheduler, lr_scheduler.__all__),
        (F, [n for n in dir(F) if getattr(getattr(F, n), "__module__", "") == "nn.functional"]),
        (nn.optim, [n for n in dir(nn.optim) if not n.startswith("_")]),
        (ag.func, [n for n in dir(ag.func)
                   if getattr(getattr(ag.func, n), "__module__", "") == "autograd_engine.func"]),
    ]:
        found += [n for n in names if not n.startswith("_") and callable(getattr(module, n))
                  and not isinstance(getattr(module, n), type(ag))]
    return sorted(set(found))


def _has_entry(name: str) -> bool:
    keys = {name, SAME_CHECKS.get(name, name)}
    ids = [c.id.lower().removeprefix("init-").removeprefix("func-") for c in CASES]
    return any(i == k or i.startswith(k + "-")
               for k in (k.lower().replace("_", "-").strip("-") for k in keys) for i in ids)


def test_every_public_function_and_constructor_has_an_entry():
    missing = [n for n in _public_callables() if not _has_entry(n) and n not in NOT_IN_CATALOGUE]
    assert not missing, f"public names with no bad-argument entry: {missing}"
