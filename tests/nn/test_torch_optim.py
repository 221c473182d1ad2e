"""PyTorch oracle for optimizers (step-for-step trajectories in float64) and LR schedulers."""

import numpy as np
import pytest

import autograd_engine as ag
import nn

torch = pytest.importorskip("torch")

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True, "weight_decay": 0.05}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "alpha": 0.9}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5}),
]


def _problem(lib, params, step):
    """A smooth non-quadratic loss of two parameter tensors, different every step."""
    w, b = params
    rng = np.random.default_rng(step)
    x = rng.normal(size=(5, 3))
    if lib == "torch":
        xt = torch.tensor(x)
        return (torch.tanh(xt @ w.T + b) ** 2).sum() + (w ** 4).sum() * 0.1
    xa = ag.Tensor(x)
    return ((xa @ w.T + b).tanh() ** 2).sum() + (w ** 4).sum() * 0.1


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_trajectory_matches_torch(name, kw):
    rng = np.random.default_rng(0)
    w0, b0 = rng.normal(size=(4, 3)), rng.normal(size=4)
    pt = [torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    pa = [nn.Parameter(w0.copy()), nn.Parameter(b0.copy())]
    data_ids = [id(p.data) for p in pa]
    opt_t = getattr(torch.optim, name)(pt, **kw)
    opt_a = getattr(nn.optim, name)(pa, **kw)
    sign = -1.0 if kw.get("maximize") else 1.0  # maximize the negated (bounded) loss
    for step in range(25):
        opt_t.zero_grad()
        opt_a.zero_grad()
        (sign * _problem("torch", pt, step)).backward()
        (sign * _problem("ag", pa, step)).backward()
        opt_t.step()
        opt_a.step()
        for a, t in zip(pa, pt):
            np.testing.assert_allclose(a.data, t.detach().numpy(), atol=1e-6, rtol=0, err_msg=f"step {step}")
    for a, t in zip(pa, pt):
        np.testing.assert_allclose(a.data, t.detach().numpy(), atol=1e-10, rtol=1e-9)
    assert [id(p.data) for p in pa] == data_ids  # updated in place


def test_param_groups_with_per_group_options_and_skipped_params():
    rng = np.random.default_rng(1)
    w0, b0, c0 = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=2)
    pt = [torch.tensor(v, requires_grad=True) for v in (w0, b0, c0)]
    pa = [nn.Parameter(v.copy()) for v in (w0, b0, c0)]

    def groups(ps):
        return [{"params": [ps[0]], "lr": 0.05, "momentum": 0.5},
                {"params": [ps[1], ps[2]], "nesterov": True}]
    opt_t = torch.optim.SGD(groups(pt), lr=0.1, momentum=0.9)
    opt_a = nn.optim.SGD(groups(pa), lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt_a.param_groups] == [0.05, 0.1]
    for step in range(10):
        opt_t.zero_grad()
        opt_a.zero_grad()
        _problem("torch", pt[:2], step).backward()  # c never gets a gradient: skipped
        _problem("ag", pa[:2], step).backward()
        opt_t.step()
        opt_a.step()
    for a, t in zip(pa, pt):
        np.testing.assert_allclose(a.data, t.detach().numpy(), atol=1e-10)
    assert pa[2] not in opt_a.state or not opt_a.state[pa[2]]


def test_state_dict_roundtrip_continues_identically():
    rng = np.random.default_rng(2)
    w0, b0 = rng.normal(size=(4, 3)), rng.normal(size=4)
    pa = [nn.Parameter(w0.copy()), nn.Parameter(b0.copy())]
    opt = nn.optim.Adam(pa, lr=0.01, amsgrad=True)
    for step in range(3):
        opt.zero_grad()
        _problem("ag", pa, step).backward()
        opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0, 1] and sd["state"][0]["step"] == 3
    pb = [nn.Parameter(p.data.copy()) for p in pa]
    opt_b = nn.optim.Adam(pb, lr=0.5)
    opt_b.load_state_dict(sd)
    assert opt_b.param_groups[0]["lr"] == 0.01
    for step in range(3, 6):
        for ps, o in ((pa, opt), (pb, opt_b)):
            o.zero_grad()
            _problem("ag", ps, step).backward()
            o.step()
    for a, b in zip(pa, pb):
        np.testing.assert_array_equal(a.data, b.data)


def test_optimizer_state_dict_from_torch_layout():
    """torch.optim's state_dict, converted to NumPy, loads and continues the same trajectory."""
    rng = np.random.default_rng(3)
    w0, b0 = rng.normal(size=(4, 3)), rng.normal(size=4)
    pt = [torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    opt_t = torch.optim.Adam(pt, lr=0.02)
    for step in range(3):
        opt_t.zero_grad()
        _problem("torch", pt, step).backward()
        opt_t.step()
    sd = opt_t.state_dict()
    converted = {
        "state": {i: {k: (v.numpy() if v.ndim else v.item()) for k, v in st.items()}
                  for i, st in sd["state"].items()},
        "param_groups": [dict(g) for g in sd["param_groups"]],
    }
    pa = [nn.Parameter(p.detach().numpy().copy()) for p in pt]
    opt_a = nn.optim.Adam(pa, lr=0.02)
    opt_a.load_state_dict(converted)
    for step in range(3, 6):
        opt_t.zero_grad()
        opt_a.zero_grad()
        _problem("torch", pt, step).backward()
        _problem("ag", pa, step).backward()
        opt_t.step()
        opt_a.step()
    for a, t in zip(pa, pt):
        np.testing.assert_allclose(a.data, t.detach().numpy(), atol=1e-10)


def test_zero_grad_modes_and_float32():
    p = nn.Parameter(np.ones(3, dtype=np.float32))
    opt = nn.optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    assert p.dtype == np.float32 and opt.state[p]["exp_avg"].dtype == np.float32
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.data, 0)
    opt.zero_grad()
    assert p.grad is None


def test_optimizer_errors():
    p = nn.Parameter(np.ones(3))
    with pytest.raises(ValueError, match="Nesterov"):
        nn.optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="learning rate"):
        nn.optim.Adam([p], lr=-1)
    with pytest.raises(ValueError, match="empty"):
        nn.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        nn.optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="more than one"):
        nn.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


SCHEDULERS = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 7}),
    ("CosineAnnealingLR", {"T_max": 5, "eta_min": 0.01}),
]


@pytest.mark.parametrize("name,kw", SCHEDULERS)
def test_scheduler_sequences_match_torch(name, kw):
    pt = [torch.zeros(2, requires_grad=True)]
    pa = [nn.Parameter(np.zeros(2))]
    groups_t = [{"params": pt, "lr": 0.1}]
    groups_a = [{"params": pa, "lr": 0.1}]
    opt_t = torch.optim.SGD(groups_t, lr=0.1)
    opt_a = nn.optim.SGD(groups_a, lr=0.1)
    sch_t = getattr(torch.optim.lr_scheduler, name)(opt_t, **kw)
    sch_a = getattr(nn.optim.lr_scheduler, name)(opt_a, **kw)
    assert sch_a.get_last_lr() == pytest.approx(sch_t.get_last_lr(), abs=1e-12)
    for _ in range(20):  # past T_max: the cosine goes back up, as in PyTorch
        opt_t.step()
        opt_a.step()
        sch_t.step()
        sch_a.step()
        assert sch_a.get_last_lr() == pytest.approx(sch_t.get_last_lr(), abs=1e-12)
        assert opt_a.param_groups[0]["lr"] == pytest.approx(opt_t.param_groups[0]["lr"], abs=1e-12)


def test_clip_grad_norm_and_value_match_torch():
    rng = np.random.default_rng(4)
    grads = [rng.normal(size=(3, 4)) * 3, rng.normal(size=5)]
    for norm_type, max_norm in ((2.0, 1.0), (1.0, 2.0), (float("inf"), 0.5), (2.0, 1e3)):
        pt = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
        pa = [nn.Parameter(np.zeros(g.shape)) for g in grads]
        for t, a, g in zip(pt, pa, grads):
            t.grad = torch.tensor(g)
            a.grad = g.copy()
        total_t = torch.nn.utils.clip_grad_norm_(pt, max_norm, norm_type)
        total_a = nn.utils.clip_grad_norm_(pa, max_norm, norm_type)
        assert float(total_a) == pytest.approx(float(total_t), rel=1e-12)
        for t, a in zip(pt, pa):
            np.testing.assert_allclose(a.grad.data, t.grad.numpy(), rtol=1e-12)
    pt = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    pa = [nn.Parameter(np.zeros(g.shape)) for g in grads]
    for t, a, g in zip(pt, pa, grads):
        t.grad = torch.tensor(g)
        a.grad = g.copy()
    torch.nn.utils.clip_grad_value_(pt, 0.7)
    nn.utils.clip_grad_value_(pa, 0.7)
    for t, a in zip(pt, pa):
        np.testing.assert_array_equal(a.grad.data, t.grad.numpy())
