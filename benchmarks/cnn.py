"""cnn: conv(1→16,3,pad 1)-ReLU-maxpool2-conv(16→32,3,pad 1)-ReLU-maxpool2-linear(32·7·7→10).

Batch 64 of 1×28×28 images, softmax cross-entropy, one SGD step, float32. The reference is
PyTorch. "NumPy by hand" is a plain im2col (NHWC inside, ``sliding_window_view`` + one matmul per
conv, col2im by nine strided adds). Each step also returns ``sum(|grad of conv1's weight|)``,
compared across implementations like the loss: it checks the whole backward pass.

Ours uses the engine's ``conv2d``/``max_pool2d`` (where they are missing, it reports "not
available"). Run: ``python3 -m benchmarks.cnn [--quick]``.
"""

from __future__ import annotations

import numpy as np

from benchmarks._common import sgd_step

NAME = "cnn"
TITLE = ("conv(1→16,3,p1)-ReLU-pool2-conv(16→32,3,p1)-ReLU-pool2-linear(1568→10), batch 64 of "
         "1×28×28, CE, SGD, float32")
REFERENCE = "torch"
LOSS_RTOL = 1e-4
TARGET = {"metric": "ratio", "vs": "torch", "max": 3.0, "text": "<= 3x PyTorch"}
LR = 0.01


def make_inputs(batch: int = 64, size: int = 28, channels: tuple = (1, 16, 32), n_classes: int = 10,
                seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    c0, c1, c2 = channels
    feat = c2 * (size // 4) ** 2

    def u(fan_in, shape):
        b = 1 / np.sqrt(fan_in)
        return rng.uniform(-b, b, shape).astype(np.float32)

    return {
        "x": rng.standard_normal((batch, c0, size, size), dtype=np.float32),
        "y": rng.integers(0, n_classes, batch),
        "w1": u(c0 * 9, (c1, c0, 3, 3)), "b1": u(c0 * 9, c1),
        "w2": u(c1 * 9, (c2, c1, 3, 3)), "b2": u(c1 * 9, c2),
        "w3": u(feat, (n_classes, feat)), "b3": u(feat, n_classes),
    }


def _params(inp: dict) -> list[np.ndarray]:
    return [inp[k].copy() for k in ("w1", "b1", "w2", "b2", "w3", "b3")]


# ----- NumPy by hand: plain im2col, NHWC inside -----
def _conv_fwd(xh, wm, b):
    """3x3, stride 1, pad 1 conv of NHWC ``xh`` with ``wm`` (F, C*9): (out NHWC, cols)."""
    n, h, w, _ = xh.shape
    xp = np.pad(xh, ((0, 0), (1, 1), (1, 1), (0, 0)))
    cols = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(1, 2)).reshape(n * h * w, -1)
    out = cols @ wm.T
    out += b
    return out.reshape(n, h, w, -1), cols


def _col2im(dcols, shape):
    n, h, w, c = shape
    d = dcols.reshape(n, h, w, c, 3, 3)
    dxp = np.zeros((n, h + 2, w + 2, c), dcols.dtype)
    for i in range(3):
        for j in range(3):
            dxp[:, i:i + h, j:j + w, :] += d[..., i, j]
    return dxp[:, 1:-1, 1:-1, :]


def _pool_fwd(a):
    n, h, w, c = a.shape
    r = a.reshape(n, h // 2, 2, w // 2, 2, c)
    return r.max(axis=(2, 4)), r


def _pool_bwd(g, r, p):
    n, h2, _, w2, _, c = r.shape
    mask = r == p[:, :, None, :, None, :]
    return (mask * g[:, :, None, :, None, :]).reshape(n, h2 * 2, w2 * 2, c)


def setup_numpy(inp: dict):
    xh = np.ascontiguousarray(inp["x"].transpose(0, 2, 3, 1))
    y = inp["y"]
    w1, b1, w2, b2, w3, b3 = _params(inp)
    w1m, w2m = w1.reshape(len(w1), -1), w2.reshape(len(w2), -1)  # views: updated in place below
    n = len(y)
    rows = np.arange(n)

    def step():
        a1, cols1 = _conv_fwd(xh, w1m, b1)
        np.maximum(a1, 0, out=a1)
        p1, r1 = _pool_fwd(a1)
        a2, cols2 = _conv_fwd(p1, w2m, b2)
        np.maximum(a2, 0, out=a2)
        p2, r2 = _pool_fwd(a2)
        flat = p2.transpose(0, 3, 1, 2).reshape(n, -1)  # PyTorch's (C, H, W) flattening order
        z = flat @ w3.T + b3
        zmax = z.max(axis=1, keepdims=True)
        e = np.exp(z - zmax)
        s = e.sum(axis=1, keepdims=True)
        loss = -(z[rows, y] - zmax[:, 0] - np.log(s[:, 0])).mean()
        g = e / s
        g[rows, y] -= 1
        g /= n
        dw3, db3 = g.T @ flat, g.sum(axis=0)
        gp2 = (g @ w3).reshape(p2.shape[0], p2.shape[3], p2.shape[1], p2.shape[2]).transpose(0, 2, 3, 1)
        ga2 = _pool_bwd(gp2, r2, p2)
        ga2 *= a2 > 0
        g2 = ga2.reshape(-1, ga2.shape[-1])
        dw2, db2 = g2.T @ cols2, g2.sum(axis=0)
        gp1 = _col2im(g2 @ w2m, p1.shape)
        ga1 = _pool_bwd(gp1, r1, p1)
        ga1 *= a1 > 0
        g1 = ga1.reshape(-1, ga1.shape[-1])
        dw1, db1 = g1.T @ cols1, g1.sum(axis=0)
        gcheck = float(np.abs(dw1).sum())
        for p, d in ((w1m, dw1), (b1, db1), (w2m, dw2), (b2, db2), (w3, dw3), (b3, db3)):
            p -= LR * d
        return float(loss), gcheck

    return step


# ----- ours -----
def setup_ours(inp: dict):
    import autograd_engine as ag

    conv2d, max_pool2d = ag.conv2d, ag.max_pool2d  # AttributeError until they exist
    x = ag.Tensor(inp["x"])
    y = inp["y"]
    rows = np.arange(len(y))
    w1, b1, w2, b2, w3, b3 = params = [ag.Tensor(p, requires_grad=True) for p in _params(inp)]

    def step():
        h = max_pool2d(ag.relu(conv2d(x, w1, b1, padding=1)), 2)
        h = max_pool2d(ag.relu(conv2d(h, w2, b2, padding=1)), 2)
        z = h.reshape(h.shape[0], -1) @ w3.T + b3
        loss = -ag.mean(ag.log_softmax(z, axis=-1)[rows, y])
        loss.backward()
        gcheck = float(np.abs(w1.grad.data).sum())
        sgd_step(params, LR)
        return loss.item(), gcheck

    return step


def setup_ours_compiled(inp: dict):
    """``ours`` with the forward and backward through ag.compile (traced once, then NumPy code)."""
    import autograd_engine as ag

    x = ag.Tensor(inp["x"])
    y = inp["y"]
    rows = np.arange(len(y))
    w1, b1, w2, b2, w3, b3 = params = [ag.Tensor(p, requires_grad=True) for p in _params(inp)]

    @ag.compile
    def forward_backward():
        h = ag.max_pool2d(ag.relu(ag.conv2d(x, w1, b1, padding=1)), 2)
        h = ag.max_pool2d(ag.relu(ag.conv2d(h, w2, b2, padding=1)), 2)
        z = h.reshape(h.shape[0], -1) @ w3.T + b3
        loss = -ag.mean(ag.log_softmax(z, axis=-1)[rows, y])
        loss.backward()
        return loss

    def step():
        loss = forward_backward()
        gcheck = float(np.abs(w1.grad.data).sum())
        sgd_step(params, LR)
        return loss.item(), gcheck

    return step


def _ours_import_guard(setup):
    def wrapped(inp):
        try:
            return setup(inp)
        except AttributeError as exc:  # ag.conv2d / ag.max_pool2d not written yet
            raise ImportError(f"not available in autograd_engine yet: {exc}") from exc

    return wrapped


# ----- PyTorch -----
def setup_torch(inp: dict):
    import torch
    import torch.nn.functional as F

    x, y = torch.from_numpy(inp["x"]), torch.from_numpy(inp["y"])
    w1, b1, w2, b2, w3, b3 = params = [torch.tensor(p, requires_grad=True) for p in _params(inp)]
    opt = torch.optim.SGD(params, lr=LR)

    def step():
        opt.zero_grad()
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2, padding=1)), 2)
        loss = F.cross_entropy(F.linear(h.flatten(1), w3, b3), y)
        loss.backward()
        gcheck = w1.grad.abs().sum().item()
        opt.step()
        return loss.item(), gcheck

    return step


# ----- MyGrad -----
def setup_mygrad(inp: dict):
    import mygrad as mg
    from mygrad.nnet.activations import relu
    from mygrad.nnet.layers import conv_nd, max_pool
    from mygrad.nnet.losses import softmax_crossentropy

    x, y = inp["x"], inp["y"]
    w1, b1, w2, b2, w3, b3 = params = [mg.Tensor(p) for p in _params(inp)]

    def step():
        h = max_pool(relu(conv_nd(x, w1, stride=1, padding=1) + b1.reshape(1, -1, 1, 1)), (2, 2), (2, 2))
        h = max_pool(relu(conv_nd(h, w2, stride=1, padding=1) + b2.reshape(1, -1, 1, 1)), (2, 2), (2, 2))
        z = mg.matmul(h.reshape(h.shape[0], -1), w3.T) + b3
        loss = softmax_crossentropy(z, y)
        loss.backward()
        gcheck = float(np.abs(w1.grad).sum())
        for p in params:
            p.data -= LR * p.grad
        value = loss.item()
        loss.null_grad()
        return value, gcheck

    return step


IMPLS = {
    "torch": setup_torch,
    "numpy": setup_numpy,
    "ours": _ours_import_guard(setup_ours),
    "compiled": _ours_import_guard(setup_ours_compiled),
    "mygrad": setup_mygrad,
}

if __name__ == "__main__":
    import sys

    from benchmarks._harness import main_for

    sys.exit(main_for(sys.modules[__name__]))
