"""PyTorch oracle for losses: values and input gradients for every option and reduction."""

import numpy as np
import pytest

import autograd_engine as ag
import nn
import nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

REDUCTIONS = ["mean", "sum", "none"]


def compare(ours_fn, theirs_fn, x, *rest, atol=1e-10, grad_rest=False):
    xt = torch.tensor(x, requires_grad=True)
    xa = ag.Tensor(x, requires_grad=True)
    rt = [torch.tensor(r, requires_grad=grad_rest and np.asarray(r).dtype.kind == "f")
          if isinstance(r, np.ndarray) else r for r in rest]
    ra = [ag.Tensor(r, requires_grad=grad_rest and np.asarray(r).dtype.kind == "f")
          if isinstance(r, np.ndarray) else r for r in rest]
    lt, la = theirs_fn(xt, *rt), ours_fn(xa, *ra)
    assert la.shape == tuple(lt.shape)
    assert la.dtype == x.dtype
    np.testing.assert_allclose(la.data, lt.detach().numpy(), atol=atol, rtol=1e-7)
    w = np.random.default_rng(0).normal(size=la.shape)
    (lt * torch.tensor(w)).sum().backward()
    (la * ag.Tensor(w)).sum().backward()
    np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), atol=atol, rtol=1e-7)
    for a, t in zip(ra, rt):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            np.testing.assert_allclose(a.grad.data, t.grad.numpy(), atol=atol, rtol=1e-7)


rng = np.random.default_rng(42)
X = rng.normal(size=(6, 4)) * 3
Y = rng.normal(size=(6, 4))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(reduction):
    compare(lambda a, b: F.mse_loss(a, b, reduction), lambda a, b: TF.mse_loss(a, b, reduction=reduction),
            X, Y, grad_rest=True)
    compare(lambda a, b: F.l1_loss(a, b, reduction), lambda a, b: TF.l1_loss(a, b, reduction=reduction),
            X, Y, grad_rest=True)
    for delta in (0.5, 1.0, 2.0):
        compare(lambda a, b, d=delta: nn.HuberLoss(reduction, delta=d)(a, b),
                lambda a, b, d=delta: TF.huber_loss(a, b, reduction=reduction, delta=d), X, Y, grad_rest=True)
        compare(lambda a, b, d=delta: F.smooth_l1_loss(a, b, reduction, beta=d),
                lambda a, b, d=delta: TF.smooth_l1_loss(a, b, reduction=reduction, beta=d), X, Y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
def test_cross_entropy(reduction, smoothing, weighted, ignore):
    C = 5
    logits = rng.normal(size=(8, C)) * 4
    target = rng.integers(0, C, size=8)
    if ignore:
        target[[1, 4]] = 3 if weighted else -100
    ignore_index = 3 if (ignore and weighted) else -100
    weight = rng.uniform(0.2, 2.0, size=C) if weighted else None
    kw = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    compare(lambda a, t: nn.CrossEntropyLoss(weight=weight, **kw)(a, t),
            lambda a, t: TF.cross_entropy(a, t, weight=None if weight is None else torch.tensor(weight),
                                          **kw), logits, target)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_spatial_and_unbatched(reduction):
    logits = rng.normal(size=(2, 4, 3, 5))
    target = rng.integers(0, 4, size=(2, 3, 5))
    target[0, 1, 2] = -100
    compare(lambda a, t: F.cross_entropy(a, t, reduction=reduction, label_smoothing=0.1),
            lambda a, t: TF.cross_entropy(a, t, reduction=reduction, label_smoothing=0.1), logits, target)
    compare(lambda a, t: F.cross_entropy(a, t, reduction=reduction),
            lambda a, t: TF.cross_entropy(a, t, reduction=reduction), rng.normal(size=4), np.array(2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probability_targets(reduction):
    logits = rng.normal(size=(5, 3))
    probs = rng.dirichlet(np.ones(3), size=5)
    w = np.array([0.5, 1.0, 2.0])
    compare(lambda a, t: F.cross_entropy(a, t, weight=w, reduction=reduction, label_smoothing=0.1),
            lambda a, t: TF.cross_entropy(a, t, weight=torch.tensor(w), reduction=reduction,
                                          label_smoothing=0.1), logits, probs, grad_rest=True)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1e4, -1e4, 0.0], [-1e30, 1e30, 5.0]])
    target = np.array([1, 0])
    compare(lambda a, t: F.cross_entropy(a, t), lambda a, t: TF.cross_entropy(a, t), logits, target)
    loss = F.cross_entropy(ag.Tensor(logits.astype(np.float32)), target)
    assert np.isfinite(loss.item()) and loss.dtype == np.float32


def test_cross_entropy_second_order():
    x = ag.Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    xt = torch.tensor(x.data, requires_grad=True)
    t = np.array([0, 3, 1])
    (g,) = ag.grad(F.cross_entropy(x, t, label_smoothing=0.1), [x], create_graph=True)
    (gt,) = torch.autograd.grad(TF.cross_entropy(xt, torch.tensor(t), label_smoothing=0.1), [xt],
                                create_graph=True)
    (g * g).sum().backward()
    (gt * gt).sum().backward()
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(reduction, weighted):
    logp = np.log(rng.dirichlet(np.ones(4), size=7))
    target = rng.integers(0, 4, size=7)
    target[2] = -100
    w = rng.uniform(0.5, 2, size=4) if weighted else None
    compare(lambda a, t: nn.NLLLoss(weight=w, reduction=reduction)(a, t),
            lambda a, t: TF.nll_loss(a, t, weight=None if w is None else torch.tensor(w),
                                     reduction=reduction), logp, target)
    logp4 = np.log(rng.dirichlet(np.ones(3), size=(2, 4)).transpose(0, 2, 1))
    compare(lambda a, t: F.nll_loss(a, t, reduction=reduction),
            lambda a, t: TF.nll_loss(a, t, reduction=reduction), logp4, rng.integers(0, 3, size=(2, 4)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits(reduction):
    x = rng.normal(size=(5, 3)) * 5
    x[0, 0], x[1, 1] = 200.0, -200.0
    t = rng.uniform(size=(5, 3))
    w = rng.uniform(0.5, 2, size=(5, 3))
    pw = np.array([0.5, 1.0, 3.0])
    compare(lambda a, b: nn.BCEWithLogitsLoss(reduction=reduction)(a, b),
            lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction=reduction), x, t, grad_rest=True)
    compare(lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=w, pos_weight=pw,
                                                            reduction=reduction),
            lambda a, b: TF.binary_cross_entropy_with_logits(
                a, b, weight=torch.tensor(w), pos_weight=torch.tensor(pw), reduction=reduction),
            x, t, grad_rest=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce(reduction):
    p = rng.uniform(0.01, 0.99, size=(4, 3))
    t = rng.integers(0, 2, size=(4, 3)).astype(np.float64)
    compare(lambda a, b: nn.BCELoss(reduction=reduction)(a, b),
            lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction), p, t)


def test_float32_losses_stay_float32_with_float64_targets():
    x = ag.Tensor(rng.normal(size=(4, 3)).astype(np.float32), requires_grad=True)
    y64 = rng.normal(size=(4, 3))
    for loss in (F.mse_loss(x, y64), F.l1_loss(x, y64), F.huber_loss(x, y64),
                 F.binary_cross_entropy_with_logits(x, (y64 > 0).astype(float)),
                 F.cross_entropy(x, np.array([0, 1, 2, 0]), weight=np.ones(3)),
                 F.nll_loss(x, np.array([0, 1, 2, 0]))):
        assert loss.dtype == np.float32
        x.grad = None
        loss.backward()
        assert x.grad.dtype == np.float32


def test_loss_errors():
    x = ag.Tensor(rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(x, x, reduction="avg")
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(x, np.array([0, 1, 3, 0]))
    with pytest.raises(TypeError, match="integers"):
        F.nll_loss(x, np.array([0.0, 1.0, 2.0, 0.0]))
    with pytest.raises(ValueError, match="probability targets"):
        F.cross_entropy(x, np.array([0.0, 1.0, 2.0, 0.0]).reshape(4, 1))
    with pytest.raises(ValueError, match="shape"):
        F.cross_entropy(x, np.array([0, 1]))
