"""A training script written from memory of PyTorch runs unchanged except for its imports.

The body of ``pytorch_script`` is what one would write for torch; only the three import lines at
the top of the module differ (``torch`` -> ``autograd_engine``, ``torch.nn`` -> ``nn``,
``torch.utils.data`` -> ``nn.data``). The same body runs under real PyTorch when it is installed,
and both must learn the task.
"""

import numpy as np
import pytest

import autograd_engine as torch  # import torch
import nn  # from torch import nn
import nn.functional as F  # import torch.nn.functional as F
from nn import optim  # from torch import optim
from nn.data import DataLoader, TensorDataset  # from torch.utils.data import DataLoader, ...


def pytorch_script(torch, nn, F, optim, DataLoader, TensorDataset):
    # ---------------- from here on: PyTorch as remembered, not one change ----------------
    torch.manual_seed(0)
    device = "cpu"

    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 1, 8, 8)).astype(np.float32)
    y = (X[:, 0, :, :4].mean(axis=(1, 2)) > 0).astype(np.int64)  # is the left half bright?
    X_train = torch.from_numpy(X[:192]).float()
    y_train = torch.from_numpy(y[:192]).long()
    X_test, y_test = torch.tensor(X[192:]).float(), torch.tensor(y[192:].tolist())
    assert y_test.dtype == torch.int64 and X_train.dtype == torch.float32

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, kernel_size=3, padding=1)
            self.fc1 = nn.Linear(4 * 4 * 4, 32)
            self.fc2 = nn.Linear(32, 2)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv(x)), 2)
            x = x.view(-1, 64)
            x = F.relu(self.fc1(x))
            return self.fc2(x)

    model = Net().to(device)
    model = model.float()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)

    losses = []
    for epoch in range(8):
        model.train()
        running = 0.0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            out = model(xb)
            loss = criterion(out, yb)
            loss.backward()
            optimizer.step()
            running += loss.item() * xb.shape[0]
        losses.append(running / len(loader.dataset))
        print(f"epoch {epoch}: loss {loss:.4f}")

    model.eval()
    with torch.no_grad():
        logits = model(X_test.to(device))
        probs = F.softmax(logits, dim=1)
        pred = logits.argmax(dim=1)
        correct = (pred == y_test).sum().item()
        accuracy = (pred == y_test).float().mean().item()
    assert correct == round(accuracy * len(y_test))
    assert (probs.sum(dim=1) - 1).abs().max().item() < 1e-5
    best, idx = probs.max(dim=1)
    assert (idx == pred).all()
    features = torch.cat([logits, probs], dim=1)
    assert features.shape == (len(y_test), 4)
    assert X_test.unsqueeze(1).shape == (64, 1, 1, 8, 8) and X_test.permute(0, 2, 3, 1).shape[-1] == 1
    assert X_test.numel() == 64 * 64 and X_test.dim() == 4
    w = model.fc2.weight.clone().detach()
    assert w.shape == (2, 32) and w.device == model.fc2.weight.device

    @torch.inference_mode()
    def predict(x):
        return model(x).argmax(dim=1)

    assert not predict(X_test).requires_grad and (predict(X_test) == pred).all()
    return losses, accuracy
    # ---------------- end of the PyTorch script ----------------


def test_a_pytorch_script_runs_unchanged_except_imports(capsys):
    losses, accuracy = pytorch_script(torch, nn, F, optim, DataLoader, TensorDataset)
    assert losses[-1] < 0.5 * losses[0], losses
    assert accuracy > 0.75, accuracy
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 8 and printed[0].startswith("epoch 0: loss 0.")


def test_the_same_script_runs_under_pytorch():
    real = pytest.importorskip("torch")
    from torch.utils.data import DataLoader as TorchLoader
    from torch.utils.data import TensorDataset as TorchDataset

    threads = real.get_num_threads()
    real.set_num_threads(1)  # tiny tensors: threads only contend for the shared cores
    try:
        losses, accuracy = pytorch_script(real, real.nn, real.nn.functional, real.optim,
                                          TorchLoader, TorchDataset)
    finally:
        real.set_num_threads(threads)
    assert losses[-1] < 0.5 * losses[0] and accuracy > 0.75, (losses, accuracy)
