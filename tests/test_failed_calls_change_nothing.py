"""A call that raises changes nothing: optimizer ``step()`` and ``load_state_dict``, Module
``load_state_dict``, ``nn.load`` and ``nn.fit`` leave parameters, buffers, gradients and state as
they were before the call.

``fit``'s choice: arguments are checked before training starts; an exception raised during
training (a bad batch, a failing loss or metric, ...) puts parameters, buffers, gradients, the
optimizer's state and the scheduler's back as they were before the call (the issue's "a failed
call changes nothing"); a ``KeyboardInterrupt`` (stopping by hand) keeps the training done so far.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile

import numpy as np
import pytest

import autograd_engine as ag
import nn

OPTIMIZERS = {
    "SGD": lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9),
    "Adam": lambda ps: nn.optim.Adam(ps, lr=0.1),
    "AdamW": lambda ps: nn.optim.AdamW(ps, lr=0.1),
    "RMSprop": lambda ps: nn.optim.RMSprop(ps, lr=0.1, momentum=0.5, centered=True),
    "Adagrad": lambda ps: nn.optim.Adagrad(ps, lr=0.1),
}


def model_and_optimizer(name: str = "Adam") -> tuple[nn.Module, nn.optim.Optimizer]:
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    opt = OPTIMIZERS[name](list(model.parameters()))
    # one real step so that the optimizer has state (moments, step counts) to protect
    loss = model(ag.randn(5, 3)).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return model, opt


def snapshot(model: nn.Module, opt: nn.optim.Optimizer) -> dict:
    return {
        "model": {k: v.copy() for k, v in model.state_dict().items()},
        "grads": [None if p.grad is None else p.grad.data.copy() for p in model.parameters()],
        "opt": copy.deepcopy(opt.state_dict()),
    }


def assert_same(before: dict, model: nn.Module, opt: nn.optim.Optimizer) -> None:
    after = snapshot(model, opt)
    assert before["model"].keys() == after["model"].keys()
    for k in before["model"]:
        np.testing.assert_array_equal(after["model"][k], before["model"][k], err_msg=k)
    for a, b in zip(after["grads"], before["grads"]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)
    assert after["opt"]["param_groups"] == before["opt"]["param_groups"]
    assert after["opt"]["state"].keys() == before["opt"]["state"].keys()
    for i, st in before["opt"]["state"].items():
        assert st.keys() == after["opt"]["state"][i].keys()
        for k, v in st.items():
            np.testing.assert_array_equal(after["opt"]["state"][i][k], v, err_msg=f"{i}.{k}")


# ----- optimizer step -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_step_with_a_wrongly_shaped_gradient_in_the_middle_changes_nothing(name):
    model, opt = model_and_optimizer(name)
    for p in model.parameters():
        p.grad = np.ones(p.shape)
    last = list(model.parameters())[-1]  # the first ones would be updated before it is reached
    last.grad.data = np.ones(last.shape[0] + 1)  # the documented escape hatch skips the check
    before = snapshot(model, opt)
    with pytest.raises(RuntimeError, match=rf"{name}\.step.*shape.*nothing was updated"):
        opt.step()
    assert_same(before, model, opt)


def test_step_after_a_parameter_was_resized_changes_nothing():
    a, b = nn.Parameter(np.ones(3)), nn.Parameter(np.ones(2))
    opt = nn.optim.SGD([a, b], lr=0.1)
    a.grad, b.grad = np.ones(3), np.ones(2)
    b.data = np.ones(4)  # the gradient no longer fits
    with pytest.raises(RuntimeError, match=r"shape \(4,\).*gradient has shape \(2,\)"):
        opt.step()
    np.testing.assert_array_equal(a.data, np.ones(3))


def test_step_with_a_complex_gradient_changes_nothing():
    model, opt = model_and_optimizer("SGD")
    for p in model.parameters():
        p.grad = np.ones(p.shape)
    last = list(model.parameters())[-1]
    last.grad.data = np.ones(last.shape, dtype=np.complex128)
    before = snapshot(model, opt)
    with pytest.raises(TypeError, match="SGD.step.*complex128.*nothing was updated"):
        opt.step()
    assert_same(before, model, opt)


def test_step_with_a_non_numeric_option_in_a_later_group_changes_nothing():
    a, b = nn.Parameter(np.ones(3)), nn.Parameter(np.ones(3))
    opt = nn.optim.Adam([{"params": [a]}, {"params": [b]}], lr=0.1)
    a.grad, b.grad = np.ones(3), np.ones(3)
    opt.param_groups[1]["lr"] = "0.1"
    with pytest.raises(TypeError, match=r"Adam.step.*param_groups\[1\]\['lr'\].*number"):
        opt.step()
    np.testing.assert_array_equal(a.data, np.ones(3))
    assert opt.state.get(a, {}) == {}


# ----- load_state_dict ----------------------------------------------------------------------------


def test_module_load_state_dict_with_a_bad_entry_in_the_middle_changes_nothing():
    model, opt = model_and_optimizer()
    other, _ = model_and_optimizer()
    other.apply(lambda m: [p.data.__setitem__(..., 7.0) for p in m.parameters(recurse=False)])
    sd = other.state_dict()
    keys = list(sd)
    sd[keys[len(keys) // 2]] = np.ones(17)  # the entries before it are fine
    before = snapshot(model, opt)
    with pytest.raises(RuntimeError, match="size mismatch"):
        model.load_state_dict(sd)
    assert_same(before, model, opt)
    sd[keys[len(keys) // 2]] = np.array(["a"] * 4)
    with pytest.raises(TypeError):
        model.load_state_dict(sd)
    assert_same(before, model, opt)
    del sd[keys[-1]]
    sd[keys[len(keys) // 2]] = other.state_dict()[keys[len(keys) // 2]]
    with pytest.raises(RuntimeError, match="Missing key"):
        model.load_state_dict(sd)
    assert_same(before, model, opt)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_load_state_dict_with_a_bad_entry_changes_nothing(name):
    model, opt = model_and_optimizer(name)
    _, other = model_and_optimizer(name)
    sd = other.state_dict()
    sd["param_groups"][0]["lr"] = 123.0
    last = max(sd["state"])
    key = next(k for k, v in sd["state"][last].items() if isinstance(v, np.ndarray))
    sd["state"][last][key] = np.ones(17)  # options and earlier state entries are fine
    before = snapshot(model, opt)
    with pytest.raises(ValueError, match="shape"):
        opt.load_state_dict(sd)
    assert_same(before, model, opt)
    with pytest.raises(TypeError):
        opt.load_state_dict([sd])
    assert_same(before, model, opt)


# ----- nn.load ------------------------------------------------------------------------------------


def test_nn_load_into_a_mismatching_model_or_optimizer_changes_nothing():
    model, opt = model_and_optimizer()
    d = tempfile.mkdtemp()
    small = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 3))
    nn.save(small, os.path.join(d, "small.npz"))
    nn.save(nn.optim.Adam(small.parameters()), os.path.join(d, "opt.npz"))
    with open(os.path.join(d, "broken.npz"), "wb") as f:
        f.write(b"PK\x03\x04 not a zip")
    before = snapshot(model, opt)
    with pytest.raises(RuntimeError, match="nn.load.*does not match"):
        nn.load(os.path.join(d, "small.npz"), into=model)
    with pytest.raises(ValueError, match="optimizer state"):
        nn.load(os.path.join(d, "opt.npz"), into=model)
    with pytest.raises(ValueError, match="nn.load"):
        nn.load(os.path.join(d, "broken.npz"), into=model)
    with pytest.raises(ValueError, match="does not hold optimizer state"):
        nn.load(os.path.join(d, "small.npz"), into=opt)
    assert_same(before, model, opt)
    # an optimizer file of the right layout whose last state entry has the wrong shape
    _, twin_opt = model_and_optimizer()
    sd = twin_opt.state_dict()
    sd["param_groups"][0]["lr"] = 99.0
    sd["state"][max(sd["state"])]["exp_avg"] = np.ones(17)
    arrays = {f"state/{i}/{k}": np.asarray(v) for i, st in sd["state"].items()
              for k, v in st.items()}
    np.savez(os.path.join(d, "bad_opt.npz"), __nn_format__=np.array("nn.optimizer.v1"),
             __param_groups__=np.array(json.dumps(sd["param_groups"])), **arrays)
    with pytest.raises(ValueError, match="does not match the optimizer.*shape"):
        nn.load(os.path.join(d, "bad_opt.npz"), into=opt)
    assert_same(before, model, opt)


# ----- fit ----------------------------------------------------------------------------------------


def fit_setup(bad_batch_at: int | None = None):
    model, opt = model_and_optimizer("Adam")
    sched = nn.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    X = np.random.default_rng(1).normal(size=(16, 3)).astype(np.float32)
    y = np.random.default_rng(2).integers(0, 2, size=16)
    batches = list(nn.data.DataLoader(X, y, batch_size=4))
    if bad_batch_at is not None:
        batches[bad_batch_at] = (batches[bad_batch_at][0], np.full(4, 5))  # class 5 of 2
    return model, opt, sched, batches


@pytest.mark.parametrize("bad_batch_at", [0, 3])
def test_fit_that_raises_mid_epoch_puts_everything_back(bad_batch_at):
    model, opt, sched, batches = fit_setup(bad_batch_at)
    before = snapshot(model, opt)
    sched_before = copy.deepcopy(sched.state_dict())
    with pytest.raises(IndexError, match="out of bounds"):
        nn.fit(model, nn.CrossEntropyLoss(), opt, batches, epochs=3, scheduler=sched,
               progress=False)
    assert_same(before, model, opt)
    assert sched.state_dict() == sched_before
    # and it still trains afterwards, exactly like a fresh copy that never saw the failure
    good = fit_setup()
    batches[bad_batch_at] = good[3][bad_batch_at]
    h1 = nn.fit(model, nn.CrossEntropyLoss(), opt, batches, epochs=2, scheduler=sched,
                progress=False)
    h2 = nn.fit(good[0], nn.CrossEntropyLoss(), good[1], good[3], epochs=2, scheduler=good[2],
                progress=False)
    assert h1["loss"] == h2["loss"] and h1["lr"] == h2["lr"]


def test_fit_that_raises_in_a_later_epoch_or_in_validation_puts_everything_back():
    model, opt, sched, batches = fit_setup()
    before = snapshot(model, opt)
    bad_val = [(batches[0][0], np.full(4, 9))]
    with pytest.raises(IndexError):
        nn.fit(model, nn.CrossEntropyLoss(), opt, batches, epochs=2, val_loader=bad_val,
               progress=False)
    assert_same(before, model, opt)

    calls = []

    def metric(out, target):
        calls.append(1)
        if len(calls) > 6:  # fails in the second epoch
            raise ValueError("metric failed")
        return 0.0

    with pytest.raises(ValueError, match="metric failed"):
        nn.fit(model, nn.CrossEntropyLoss(), opt, batches, epochs=3, metrics=[metric],
               progress=False)
    assert_same(before, model, opt)


def test_fit_with_bad_arguments_changes_nothing():
    model, opt, sched, batches = fit_setup()
    before = snapshot(model, opt)
    for kwargs, error in [(dict(epochs=-1), ValueError), (dict(epochs=1.5), TypeError),
                          (dict(metrics=["nope"]), ValueError), (dict(clip_grad_norm=0), ValueError),
                          (dict(train_loader=5), TypeError), (dict(scheduler="step"), TypeError)]:
        args = dict(model=model, loss_fn=nn.CrossEntropyLoss(), optimizer=opt,
                    train_loader=batches, progress=False)
        args.update(kwargs)
        with pytest.raises(error, match="fit"):
            nn.fit(**args)
        assert_same(before, model, opt)


def test_fit_interrupted_by_hand_keeps_the_training_done_so_far():
    model, opt, sched, batches = fit_setup()
    before = snapshot(model, opt)

    def interrupting():
        yield from batches[:2]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        nn.fit(model, nn.CrossEntropyLoss(), opt, interrupting(), epochs=1, progress=False)
    w0 = before["model"]["0.weight"]
    assert not np.array_equal(model.state_dict()["0.weight"], w0)
