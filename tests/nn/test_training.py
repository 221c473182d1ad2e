"""Training from scratch: an MLP on two-moons and a small CNN on the 8x8 digits."""

import numpy as np
import pytest

import autograd_engine as ag
import nn

datasets = pytest.importorskip("sklearn.datasets")


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # Tiny matrices: OpenBLAS threads only add contention (badly so on a busy 2-core machine).
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(1):
        yield


def _evaluate(model, X, y):
    model.eval()
    with ag.no_grad():
        return nn.accuracy(model(X), y)


def test_mlp_two_moons():
    X, y = datasets.make_moons(1000, noise=0.1, random_state=0)
    X = X.astype(np.float32)
    ag.manual_seed(0)
    model = nn.MLP([2, 32, 32, 2])
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    train = nn.data.DataLoader(X[:800], y[:800], batch_size=32, shuffle=True, seed=0)
    hist = nn.fit(model, nn.CrossEntropyLoss(), opt, train, epochs=30, metrics=["accuracy"],
                  progress=False)
    assert hist["loss"][-1] < hist["loss"][0]
    assert _evaluate(model, X[800:], y[800:]) >= 0.97


def test_small_cnn_digits():
    digits = datasets.load_digits()
    X = (digits.images / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8)
    y = digits.target
    perm = np.random.default_rng(0).permutation(len(X))
    X, y = X[perm], y[perm]
    ag.manual_seed(0)
    cnn = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.1), nn.Linear(16 * 2 * 2, 10),
    )
    opt = nn.optim.AdamW(cnn.parameters(), lr=0.01)
    sched = nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=8)
    train = nn.data.DataLoader(X[:1400], y[:1400], batch_size=64, shuffle=True, seed=0)
    val = nn.data.DataLoader(X[1400:], y[1400:], batch_size=256)
    hist = nn.fit(cnn, nn.CrossEntropyLoss(), opt, train, epochs=8, val_loader=val,
                  metrics=["accuracy"], scheduler=sched, progress=False)
    assert hist["val_accuracy"][-1] >= 0.95
    assert _evaluate(cnn, X[1400:], y[1400:]) >= 0.95
    assert all(p.dtype == np.float32 for p in cnn.parameters())


def test_lstm_learns_to_sum_a_sequence():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(512, 6, 1)).astype(np.float32)
    y = X.sum(axis=(1, 2))[:, None]

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(1, 16, batch_first=True)
            self.head = nn.Linear(16, 1)

        def forward(self, x):
            out, (h, c) = self.lstm(x)
            return self.head(h[-1])

    ag.manual_seed(0)
    net = Net()
    opt = nn.optim.Adam(net.parameters(), lr=0.02)
    hist = nn.fit(net, nn.MSELoss(), opt, nn.data.DataLoader(X, y, batch_size=32, shuffle=True, seed=0),
                  epochs=6, progress=False)
    assert hist["loss"][-1] < 0.1 * hist["loss"][0]
