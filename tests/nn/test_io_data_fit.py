"""nn.save/nn.load (and their refusals), DataLoader, fit, init."""

import pickle
import warnings

import numpy as np
import pytest

import autograd_engine as ag
import nn


def _model():
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


# ----- save / load -----

def test_module_round_trip(tmp_path):
    a, b = _model(), _model()
    a(ag.randn(5, 3))  # move BatchNorm's running stats
    nn.save(a, tmp_path / "m.npz")
    assert nn.load(tmp_path / "m.npz", b) is b
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb
        np.testing.assert_array_equal(va, vb)
        assert va.dtype == vb.dtype
    sd = nn.load(tmp_path / "m.npz")
    assert list(sd) == list(a.state_dict())


def test_path_without_suffix(tmp_path):
    nn.save(nn.Linear(2, 2), tmp_path / "model")
    assert list(nn.load(tmp_path / "model")) == ["weight", "bias"]


def test_optimizer_round_trip(tmp_path):
    model = _model()
    opt = nn.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    for _ in range(2):
        opt.zero_grad()
        model(ag.randn(6, 3)).sum().backward()
        opt.step()
    nn.save(opt, tmp_path / "opt.npz")
    opt2 = nn.optim.Adam(model.parameters(), lr=1.0)
    nn.load(tmp_path / "opt.npz", opt2)
    assert opt2.param_groups[0]["lr"] == 0.01 and tuple(opt2.param_groups[0]["betas"]) == (0.8, 0.9)
    p0 = next(iter(model.parameters()))
    assert opt2.state[p0]["step"] == 2
    np.testing.assert_array_equal(opt2.state[p0]["exp_avg"], opt.state[p0]["exp_avg"])


def test_dict_round_trip_and_refusing_objects(tmp_path):
    nn.save({"a": np.arange(3), "b": ag.Tensor([1.0])}, tmp_path / "d.npz")
    d = nn.load(tmp_path / "d.npz")
    np.testing.assert_array_equal(d["a"], np.arange(3))
    with pytest.raises(TypeError, match="numeric"):
        nn.save({"a": np.array([object()], dtype=object)}, tmp_path / "x.npz")
    with pytest.raises(TypeError):
        nn.save([1, 2], tmp_path / "x.npz")


class _Boom:
    def __reduce__(self):
        return (RuntimeError, ("pickle payload executed",))


def test_refuses_pickled_file(tmp_path):
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps({"weight": _Boom()}))
    with pytest.raises(ValueError, match="refusing"):
        nn.load(path)


def test_refuses_object_arrays(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, weight=np.array([_Boom()], dtype=object))  # np.savez pickles object arrays
    with pytest.raises(ValueError, match="refusing"):
        nn.load(path)
    with pytest.raises(ValueError, match="refusing"):
        nn.load(path, nn.Linear(1, 1))


def test_refuses_truncated_and_foreign_files(tmp_path):
    good = tmp_path / "good.npz"
    nn.save(_model(), good)
    data = good.read_bytes()
    bad = tmp_path / "trunc.npz"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="refusing"):
        nn.load(bad)
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(ValueError, match="refusing"):
        nn.load(text)
    npy = tmp_path / "arr.npy"
    np.save(npy, np.zeros(3))
    with pytest.raises(ValueError, match="npy"):
        nn.load(npy)


def test_refuses_mismatched_model(tmp_path):
    path = tmp_path / "m.npz"
    nn.save(_model(), path)
    other = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    before = other[0].weight.data.copy()
    with pytest.raises(RuntimeError, match="does not match") as err:
        nn.load(path, other)
    assert "size mismatch for 0.weight" in str(err.value) and "Unexpected key" in str(err.value)
    np.testing.assert_array_equal(other[0].weight.data, before)
    opt_path = tmp_path / "o.npz"
    nn.save(nn.optim.SGD(_model().parameters(), lr=0.1), opt_path)
    with pytest.raises(ValueError, match="optimizer state"):
        nn.load(opt_path, _model())
    with pytest.raises(ValueError, match="does not hold optimizer"):
        nn.load(path, nn.optim.SGD(_model().parameters(), lr=0.1))


# ----- DataLoader -----

def test_dataloader_batches_shuffle_and_len():
    X = np.arange(20).reshape(10, 2).astype(np.float64)
    y = np.arange(10)
    loader = nn.data.DataLoader(X, y, batch_size=4)
    assert len(loader) == 3
    batches = list(loader)
    assert [b[0].shape for b in batches] == [(4, 2), (4, 2), (2, 2)]
    np.testing.assert_array_equal(np.concatenate([b[1].data for b in batches]), y)
    assert len(nn.data.DataLoader(X, y, batch_size=4, drop_last=True)) == 2
    s1 = [b[1].data.tolist() for b in nn.data.DataLoader(X, y, batch_size=4, shuffle=True, seed=3)]
    s2 = [b[1].data.tolist() for b in nn.data.DataLoader(X, y, batch_size=4, shuffle=True, seed=3)]
    assert s1 == s2 and sorted(sum(s1, [])) == list(range(10))
    shuffled = nn.data.DataLoader(X, y, batch_size=10, shuffle=True, seed=3)
    e1, e2 = (next(iter(shuffled))[1].data.tolist() for _ in range(2))
    assert e1 != e2  # a new order every epoch
    for xb, yb in nn.data.DataLoader(X, y, batch_size=3, shuffle=True, seed=0):
        np.testing.assert_array_equal(xb.data[:, 0] / 2, yb.data)  # rows stay paired
    assert nn.data.DataLoader(X, y, dtype=np.float32, batch_size=2).arrays[0].dtype == np.float32
    with pytest.raises(ValueError, match="length"):
        nn.data.DataLoader(X, y[:5])


# ----- fit -----

def test_fit_history_validation_scheduler():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(128, 2)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    ag.manual_seed(0)
    model = nn.MLP([2, 16, 2])
    opt = nn.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    sched = nn.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    train = nn.data.DataLoader(X[:96], y[:96], batch_size=16, shuffle=True, seed=0)
    val = nn.data.DataLoader(X[96:], y[96:], batch_size=32)
    hist = nn.fit(model, nn.CrossEntropyLoss(), opt, train, epochs=4, val_loader=val,
                  metrics=["accuracy"], scheduler=sched, progress=False)
    assert set(hist) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(v) == 4 for v in hist.values())
    assert hist["lr"] == [0.2, 0.2, 0.1, 0.1]
    assert hist.stopped_early is None
    assert model.training


def test_fit_with_progress_bar_runs(capsys):
    X = np.zeros((8, 2), dtype=np.float32)
    y = np.zeros((8, 1), dtype=np.float32)
    model = nn.Linear(2, 1)
    hist = nn.fit(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1),
                  nn.data.DataLoader(X, y, batch_size=4), epochs=2)
    assert len(hist["loss"]) == 2


def test_fit_stops_on_nan_loss():
    X = np.ones((8, 2), dtype=np.float32)
    X[5] = np.nan
    y = np.zeros((8, 1), dtype=np.float32)
    model = nn.Linear(2, 1)
    with pytest.warns(RuntimeWarning, match=r"loss became nan at epoch 1, batch 2"):
        hist = nn.fit(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1),
                      nn.data.DataLoader(X, y, batch_size=4), epochs=3, progress=False)
    assert hist.stopped_early and hist["loss"] == []
    assert np.isfinite(model.weight.data).all()  # the NaN batch was not applied


def test_fit_custom_metric_and_bad_batches():
    X = np.zeros((4, 2), dtype=np.float32)
    y = np.zeros((4, 1), dtype=np.float32)
    model = nn.Linear(2, 1)

    def mae(out, target):
        return float(np.abs(out.data - target.data).mean())

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hist = nn.fit(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1),
                      nn.data.DataLoader(X, y, batch_size=2), epochs=1, metrics={"mae": mae},
                      progress=False)
    assert "mae" in hist
    with pytest.raises(ValueError, match="pair"):
        nn.fit(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1),
               nn.data.DataLoader(X, batch_size=2), epochs=1, progress=False)


# ----- init -----

def test_init_in_place_seeded_and_dtype():
    w = nn.Parameter(np.zeros((50, 40), dtype=np.float32))
    data_id = id(w.data)
    ag.manual_seed(1)
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    first = w.data.copy()
    ag.manual_seed(1)
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    np.testing.assert_array_equal(first, w.data)
    assert id(w.data) == data_id and w.dtype == np.float32
    assert abs(w.data.std() - np.sqrt(2 / 40)) < 0.02
    nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain("tanh"))
    assert np.abs(w.data).max() <= 5 / 3 * np.sqrt(6 / 90)
    nn.init.kaiming_uniform_(w, mode="fan_out")
    assert np.abs(w.data).max() <= np.sqrt(2 / (1 + 0.0)) * np.sqrt(3 / 50)
    nn.init.xavier_normal_(w)
    assert abs(w.data.std() - np.sqrt(2 / 90)) < 0.01
    nn.init.uniform_(w, 2, 3)
    assert w.data.min() >= 2 and w.data.max() < 3
    nn.init.normal_(w, 5, 0.1)
    assert abs(w.data.mean() - 5) < 0.01
    nn.init.constant_(w, 0.25)
    assert (w.data == 0.25).all()
    nn.init.zeros_(w)
    nn.init.ones_(w)
    assert (w.data == 1).all()
    with pytest.raises(ValueError, match="fan"):
        nn.init.xavier_uniform_(nn.Parameter(np.zeros(3)))
