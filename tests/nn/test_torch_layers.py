"""PyTorch oracle: same weights => same outputs, input gradients and parameter gradients."""

import numpy as np
import pytest

import autograd_engine as ag
import nn

torch = pytest.importorskip("torch")

F64 = np.float64


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def check(ours, theirs, *inputs, atol=1e-10, rtol=1e-7, grad_inputs=True, seed=0):
    """Load theirs' state into ours, run both on ``inputs`` and compare everything."""
    ours.load_state_dict(theirs.state_dict())
    ours_names = [k for k, _ in ours.named_parameters()]
    assert ours_names == [k for k, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    t_in, a_in = [], []
    for x in inputs:
        if x is None:
            t_in.append(None)
            a_in.append(None)
        elif isinstance(x, tuple):
            t_in.append(tuple(torch.tensor(v, requires_grad=True) for v in x))
            a_in.append(tuple(ag.Tensor(v, requires_grad=True) for v in x))
        elif np.asarray(x).dtype.kind == "f" and grad_inputs:
            t_in.append(torch.tensor(x, requires_grad=True))
            a_in.append(ag.Tensor(x, requires_grad=True))
        else:
            t_in.append(torch.tensor(x))
            a_in.append(ag.Tensor(x))
    t_out = _flat(theirs(*t_in))
    a_out = _flat(ours(*a_in))
    assert len(t_out) == len(a_out)
    rng = np.random.default_rng(seed)
    t_loss, a_loss = 0, 0
    for t, a in zip(t_out, a_out):
        assert a.shape == tuple(t.shape)
        assert a.dtype == F64
        np.testing.assert_allclose(a.data, t.detach().numpy(), atol=atol, rtol=rtol)
        w = rng.normal(size=a.shape)
        t_loss = t_loss + (t * torch.tensor(w)).sum()
        a_loss = a_loss + (a * ag.Tensor(w)).sum()
    t_loss.backward()
    a_loss.backward()
    for (name, pa), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert pa.grad is not None, name
        np.testing.assert_allclose(pa.grad.data, pt.grad.numpy(), atol=atol, rtol=rtol, err_msg=name)
    for ti, ai in zip(_flat(t_in), _flat(a_in)):
        if ti is not None and ti.requires_grad:
            np.testing.assert_allclose(ai.grad.data, ti.grad.numpy(), atol=atol, rtol=rtol)
    for (name, ba), (_, bt) in zip(ours.named_buffers(), theirs.named_buffers()):
        np.testing.assert_allclose(ba.data, bt.numpy(), atol=atol, rtol=rtol, err_msg=name)


def randn(*shape, seed=1):
    return np.random.default_rng(seed).normal(size=shape)


@pytest.mark.parametrize("bias", [True, False])
def test_linear(bias):
    check(nn.Linear(5, 3, bias=bias, dtype=F64), torch.nn.Linear(5, 3, bias=bias).double(),
          randn(4, 5))
    check(nn.Linear(5, 3, dtype=F64), torch.nn.Linear(5, 3).double(), randn(2, 3, 5))
    check(nn.Linear(5, 3, dtype=F64), torch.nn.Linear(5, 3).double(), randn(5))


@pytest.mark.parametrize("kw", [
    {}, {"stride": 2, "padding": 1}, {"dilation": 2}, {"groups": 2, "padding": (1, 2)},
    {"bias": False, "stride": (2, 1)},
])
def test_conv2d(kw):
    check(nn.Conv2d(4, 6, 3, dtype=F64, **kw), torch.nn.Conv2d(4, 6, 3, **kw).double(),
          randn(2, 4, 9, 8))


@pytest.mark.parametrize("cls,kw", [
    ("MaxPool2d", {"kernel_size": 2}), ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("AvgPool2d", {"kernel_size": 2}), ("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}),
])
def test_pooling(cls, kw):
    check(getattr(nn, cls)(**kw), getattr(torch.nn, cls)(**kw), randn(2, 3, 7, 6))


def test_flatten_and_activations():
    check(nn.Flatten(), torch.nn.Flatten(), randn(2, 3, 4))
    check(nn.Flatten(0, 1), torch.nn.Flatten(0, 1), randn(2, 3, 4))
    x = randn(4, 5) * 3
    for ours, theirs in [
        (nn.ReLU(), torch.nn.ReLU()), (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
        (nn.Tanh(), torch.nn.Tanh()), (nn.Sigmoid(), torch.nn.Sigmoid()), (nn.GELU(), torch.nn.GELU()),
        (nn.GELU("tanh"), torch.nn.GELU("tanh")), (nn.SiLU(), torch.nn.SiLU()),
        (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)), (nn.LogSoftmax(dim=0), torch.nn.LogSoftmax(dim=0)),
        (nn.Identity(), torch.nn.Identity()),
    ]:
        check(ours, theirs, x)


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
def test_batchnorm1d_train_then_eval(shape, momentum):
    ours = nn.BatchNorm1d(3, momentum=momentum, dtype=F64)
    theirs = torch.nn.BatchNorm1d(3, momentum=momentum).double()
    with torch.no_grad():
        theirs.weight.normal_()
        theirs.bias.normal_()
    for seed in range(3):  # running statistics accumulate the same way
        check(ours, theirs, randn(*shape, seed=seed) * 2 + 1)
        ours.zero_grad()
        theirs.zero_grad()
    ours.eval()
    theirs.eval()
    check(ours, theirs, randn(*shape, seed=7))
    assert int(ours.num_batches_tracked.item()) == 3


def test_batchnorm2d_and_variants():
    check(nn.BatchNorm2d(3, dtype=F64), torch.nn.BatchNorm2d(3).double(), randn(2, 3, 4, 5))
    check(nn.BatchNorm2d(3, affine=False, dtype=F64), torch.nn.BatchNorm2d(3, affine=False).double(),
          randn(2, 3, 4, 5))
    ours = nn.BatchNorm2d(3, track_running_stats=False, dtype=F64)
    theirs = torch.nn.BatchNorm2d(3, track_running_stats=False).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    check(ours.eval(), theirs.eval(), randn(2, 3, 4, 5))


def test_layernorm_and_embedding():
    check(nn.LayerNorm(5, dtype=F64), torch.nn.LayerNorm(5).double(), randn(3, 5) * 4 + 2)
    ln_t = torch.nn.LayerNorm((4, 5)).double()
    with torch.no_grad():
        ln_t.weight.normal_()
        ln_t.bias.normal_()
    check(nn.LayerNorm((4, 5), dtype=F64), ln_t, randn(2, 4, 5))
    idx = np.array([[1, 2, 0, 4], [4, 4, 3, 0]])
    check(nn.Embedding(6, 3, dtype=F64), torch.nn.Embedding(6, 3).double(), idx)
    emb_t = torch.nn.Embedding(6, 3, padding_idx=0).double()
    with torch.no_grad():
        emb_t.weight[0] = 5.0  # a non-zero padding row still gets no gradient
    check(nn.Embedding(6, 3, padding_idx=0, dtype=F64), emb_t, idx)


@pytest.mark.parametrize("kw", [
    {}, {"num_layers": 2}, {"bidirectional": True}, {"batch_first": True, "num_layers": 2},
    {"nonlinearity": "relu", "bias": False},
])
def test_rnn(kw):
    ours = nn.RNN(3, 4, dtype=F64, **kw)
    theirs = torch.nn.RNN(3, 4, **kw).double()
    x = randn(5, 2, 3)
    check(ours, theirs, x)
    d = 2 if kw.get("bidirectional") else 1
    n = x.shape[0] if kw.get("batch_first") else x.shape[1]
    h0 = randn(kw.get("num_layers", 1) * d, n, 4, seed=3)
    check(ours, theirs, x, h0)


@pytest.mark.parametrize("kw", [
    {}, {"num_layers": 2}, {"bidirectional": True, "num_layers": 2}, {"batch_first": True},
])
def test_lstm(kw):
    ours = nn.LSTM(3, 4, dtype=F64, **kw)
    theirs = torch.nn.LSTM(3, 4, **kw).double()
    x = randn(6, 2, 3)
    check(ours, theirs, x)
    d = 2 if kw.get("bidirectional") else 1
    k = kw.get("num_layers", 1) * d
    n = x.shape[0] if kw.get("batch_first") else x.shape[1]
    check(ours, theirs, x, (randn(k, n, 4, seed=3), randn(k, n, 4, seed=4)))


def test_rnn_unbatched():
    check(nn.LSTM(3, 4, dtype=F64), torch.nn.LSTM(3, 4).double(), randn(5, 3))
    check(nn.RNN(3, 4, dtype=F64), torch.nn.RNN(3, 4).double(), randn(5, 3), randn(1, 4))


def test_mlp_matches_torch_sequential():
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8),
                                 torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    check(nn.MLP([2, 8, 8, 3], activation=nn.Tanh, dtype=F64), theirs, randn(4, 2))


def test_small_cnn_state_dict_from_torch():
    def make(lib, **kw):
        return lib.Sequential(
            lib.Conv2d(1, 4, 3, padding=1, **kw), lib.BatchNorm2d(4, **kw), lib.ReLU(), lib.MaxPool2d(2),
            lib.Flatten(), lib.Linear(4 * 4 * 4, 10, **kw),
        )
    theirs = make(torch.nn).double()
    ours = make(nn, dtype=F64)
    check(ours, theirs, randn(3, 1, 8, 8))
    check(ours.eval(), theirs.eval(), randn(3, 1, 8, 8, seed=5))


def test_float32_state_dict_from_torch_float32():
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2))
    ours = nn.MLP([4, 6, 2])
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = randn(3, 4).astype(np.float32)
    out = ours(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, theirs(torch.tensor(x)).detach().numpy(), atol=1e-5)
    assert all(p.dtype == np.float32 for p in ours.parameters())


def test_dropout_matches_torch_statistics():
    ag.manual_seed(0)
    x = np.ones((200, 200))
    y = nn.Dropout(0.3)(ag.Tensor(x, requires_grad=True))
    kept = y.data != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / 0.7)
    check(nn.Dropout(0.3).eval(), torch.nn.Dropout(0.3).eval(), randn(4, 5))


def test_default_init_statistics_match_torch():
    """Same distributions as PyTorch's defaults (bounds), not the same random numbers."""
    ag.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    assert np.abs(lin.weight.data).max() <= bound and np.abs(lin.weight.data).max() > 0.95 * bound
    assert np.abs(lin.bias.data).max() <= bound
    conv = nn.Conv2d(8, 16, 3)
    b = 1 / np.sqrt(8 * 9)
    assert np.abs(conv.weight.data).max() <= b and np.abs(conv.weight.data).max() > 0.95 * b
    lstm = nn.LSTM(10, 25)
    assert all(np.abs(p.data).max() <= 1 / 5 for p in lstm.parameters())
    emb = nn.Embedding(1000, 50)
    assert abs(emb.weight.data.std() - 1) < 0.02


def test_torch_state_dict_saved_as_npz_loads_with_nn_load(tmp_path):
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.BatchNorm2d(3), torch.nn.ReLU(),
                                 torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 2))
    theirs(torch.randn(4, 1, 6, 6))  # non-trivial running statistics
    theirs.eval()
    path = tmp_path / "from_torch.npz"
    np.savez(path, **{k: v.numpy() for k, v in theirs.state_dict().items()})
    ours = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                         nn.Linear(3 * 4 * 4, 2))
    nn.load(path, ours).eval()
    x = randn(2, 1, 6, 6).astype(np.float32)
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), atol=1e-5)
