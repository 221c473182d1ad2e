"""nn.save / nn.load with .safetensors files (the safetensors package's NumPy API)."""

from __future__ import annotations

import json
import struct
import sys

import numpy as np
import pytest

import autograd_engine as ag
import nn

st = pytest.importorskip("safetensors.numpy")


def _model():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                          nn.Linear(3 * 4 * 4, 2))
    model(ag.randn(4, 1, 6, 6).astype(np.float32))  # running statistics and the batch counter move
    return model.eval()


def test_module_round_trip_keeps_values_and_dtypes(tmp_path):
    model = _model()
    model.append(nn.Linear(2, 2, dtype=np.float64))
    path = tmp_path / "model.safetensors"
    nn.save(model, path)
    raw = st.load_file(str(path))  # a plain safetensors file: the state_dict's names and arrays
    state = model.state_dict()
    assert set(raw) == set(state)
    for k, v in state.items():
        v = np.asarray(v.data if isinstance(v, ag.Tensor) else v)
        assert raw[k].dtype == v.dtype and raw[k].shape == v.shape, k
        np.testing.assert_array_equal(raw[k], v)
    assert raw["1.num_batches_tracked"].dtype == np.int64 and raw["5.weight"].dtype == np.float64

    other = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                          nn.Linear(3 * 4 * 4, 2), nn.Linear(2, 2, dtype=np.float64))
    nn.load(path, other).eval()
    x = ag.randn(2, 1, 6, 6).astype(np.float32)
    np.testing.assert_array_equal(other(x).data, model(x).data)
    loaded = nn.load(path)
    assert set(loaded) == set(state) and loaded["1.running_var"].dtype == np.float32


def test_optimizer_state_and_flat_dicts_round_trip(tmp_path):
    model = nn.Linear(3, 2)
    opt = nn.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    for _ in range(2):
        opt.zero_grad()
        (model(ag.randn(4, 3).astype(np.float32)) ** 2).sum().backward()
        opt.step()
    path = tmp_path / "opt.safetensors"
    nn.save(opt, path)
    fresh = nn.optim.Adam(nn.Linear(3, 2).parameters(), lr=0.5)
    nn.load(path, fresh)
    a, b = opt.state_dict(), fresh.state_dict()
    assert b["param_groups"][0]["betas"] == [0.8, 0.9] and b["param_groups"][0]["lr"] == 0.01
    for idx, state in a["state"].items():
        for k, v in state.items():
            np.testing.assert_array_equal(np.asarray(b["state"][idx][k]), np.asarray(v))

    arrays = {"f16": np.arange(3, dtype=np.float16), "i32": np.arange(4, dtype=np.int32).reshape(2, 2),
              "flag": np.array([True, False]), "scalar": np.array(2.5), "u8": np.arange(3, dtype=np.uint8)}
    flat = tmp_path / "arrays.safetensors"
    nn.save(arrays, flat)
    back = nn.load(flat)
    assert type(back) is dict and set(back) == set(arrays)
    for k, v in arrays.items():
        assert back[k].dtype == v.dtype and back[k].shape == v.shape
        np.testing.assert_array_equal(back[k], v)


def test_what_does_not_fit_is_refused_and_nothing_written(tmp_path):
    path = tmp_path / "bad.safetensors"
    with pytest.raises(TypeError, match="only numeric arrays"):
        nn.save({"nested": {"a": np.zeros(2)}}, path)
    with pytest.raises(TypeError, match="only numeric arrays"):
        nn.save({"name": "text"}, path)
    assert not path.exists()
    path.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{broken}")
    with pytest.raises(ValueError, match="not a valid .safetensors file"):
        nn.load(path)
    # a forged header declaring 40 GB of data in a file of a few bytes: refused before allocating
    header = json.dumps({"w": {"dtype": "F32", "shape": [100000, 100000],
                               "data_offsets": [0, 40_000_000_000]}}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + bytes(16))
    with pytest.raises(ValueError, match="not a valid .safetensors file"):
        nn.load(path)
    model = nn.Linear(3, 2)
    good = tmp_path / "linear.safetensors"
    nn.save(model, good)
    with pytest.raises(RuntimeError, match="does not match"):
        nn.load(good, nn.Linear(4, 2))
    with pytest.raises(ValueError, match="not hold optimizer state"):
        nn.load(good, nn.optim.SGD(model.parameters(), lr=0.1))


def test_missing_package_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r"autograd_engine\[safetensors\]"):
        nn.save(nn.Linear(3, 2), tmp_path / "m.safetensors")


def test_torch_reads_our_file_and_we_read_torchs(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    ours = _model()
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.BatchNorm2d(3), torch.nn.ReLU(),
                                 torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 2))
    path = tmp_path / "ours.safetensors"
    nn.save(ours, path)
    theirs.load_state_dict(st_torch.load_file(str(path)), strict=True)
    theirs.eval()
    x = ag.randn(2, 1, 6, 6).astype(np.float32)
    np.testing.assert_allclose(theirs(torch.tensor(x.data)).detach().numpy(), ours(x).data,
                               atol=1e-5)

    # and back: torch trains a little, saves, and our model loads it
    theirs.train()
    theirs(torch.randn(8, 1, 6, 6))
    theirs.eval()
    back = tmp_path / "theirs.safetensors"
    st_torch.save_file(theirs.state_dict(), str(back))
    fresh = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                          nn.Linear(3 * 4 * 4, 2))
    nn.load(back, fresh).eval()
    assert int(fresh[1].num_batches_tracked.data) == int(theirs[1].num_batches_tracked)
    np.testing.assert_allclose(fresh(x).data, theirs(torch.tensor(x.data)).detach().numpy(),
                               atol=1e-5)
