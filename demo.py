"""The main job: autodiff on scalars and tensors, then a small CNN trained and visualised.

Run from the repository root with ``bash scripts/demo.sh`` (or ``python3 -m demo``). It prints a
scalar and a tensor example, trains a convolutional network on scikit-learn's bundled 8x8 digits
with ``nn.fit`` (progress bar), and writes pictures to ``demo_output/`` (``--out`` to change):

- ``neuron_graph.svg``     one tanh neuron: every value and gradient (micrograd-style);
- ``cnn_graph.svg``        the CNN's autograd graph for one batch, grouped by module;
- ``cnn_graph_colored.svg`` the same, coloured by gradient magnitude;
- ``training.png``         loss and accuracy per epoch;
- ``predictions.png``      test digits with the network's guesses;
- ``grad_flow.png``        mean/max |grad| per parameter (``viz.plot_grad_flow``).

Every graph is also written as Graphviz DOT text (``*.dot``). Without Graphviz's ``dot`` program
the demo still writes the DOT files and the PNG plots, and says how to install Graphviz.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

import numpy as np

import autograd_engine as ag
import nn
import viz

DEFAULT_OUT = Path("demo_output")
INSTALL_EXTRAS = 'pip install -e ".[demo]"'


def scalar_demo() -> None:
    """micrograd's sanity-check expression, built from 0-d Tensors."""
    a = ag.Tensor(-4.0, requires_grad=True, name="a")
    b = ag.Tensor(2.0, requires_grad=True, name="b")
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    print(f"scalar expression: g = {g.item():.4f}   dg/da = {a.grad.item():.4f}   "
          f"dg/db = {b.grad.item():.4f}")


def tensor_demo() -> None:
    """A tensor expression with broadcasting, and a second derivative."""
    ag.manual_seed(0)
    x = ag.randn(4, 3, requires_grad=True)
    w = ag.randn(3, 2, requires_grad=True)
    b = ag.zeros(2, requires_grad=True)
    loss = (x @ w + b).tanh().logsumexp(axis=1).mean()
    loss.backward()
    print(f"tensor expression: loss = {loss.item():.6f}")
    print("  dloss/dw =\n" + np.array2string(w.grad.data, precision=4))
    print("  dloss/db =", np.array2string(b.grad.data, precision=4))

    t = ag.Tensor(0.5, requires_grad=True)
    (d1,) = ag.grad(t.sin() * t, t, create_graph=True)
    (d2,) = ag.grad(d1, t)
    print(f"d/dt (t sin t) at 0.5 = {d1.item():.6f}, second derivative = {d2.item():.6f}")


# ----- writing pictures ------------------------------------------------------------------------


class Writer:
    """Writes graphs (DOT always, SVG when Graphviz is installed) and figures into one folder."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.written: list[Path] = []
        self.missing_dot = False
        out.mkdir(parents=True, exist_ok=True)

    def graph(self, name: str, roots, **options) -> None:
        dot_path = self.out / f"{name}.dot"
        dot_path.write_text(viz.to_dot(roots, **options))
        self.written.append(dot_path)
        try:
            self.written.append(viz.render(roots, self.out / f"{name}.svg", **options))
        except viz.GraphvizNotFoundError as err:
            if not self.missing_dot:
                print(f"\nNote: {err}\nThe graphs are written as DOT text only; render one later "
                      f"with `dot -Tsvg {dot_path} -o {dot_path.with_suffix('.svg')}`.\n")
            self.missing_dot = True

    def figure(self, name: str, fig) -> None:
        path = self.out / f"{name}.png"
        fig.savefig(path, dpi=100)
        self.written.append(path)


def neuron() -> tuple[ag.Tensor, ag.Tensor, ag.Tensor]:
    """micrograd's neuron ``o = tanh(x1*w1 + x2*w2 + b)``, every node named; returns o, x1, w1."""
    x1, x2 = ag.Tensor(2.0, requires_grad=True, name="x1"), ag.Tensor(0.0, requires_grad=True, name="x2")
    w1, w2 = ag.Tensor(-3.0, requires_grad=True, name="w1"), ag.Tensor(1.0, requires_grad=True, name="w2")
    b = ag.Tensor(6.8813735870195432, requires_grad=True, name="b")
    n = x1 * w1 + x2 * w2 + b
    n.name = "n"
    o = n.tanh()
    o.name = "o"
    return o, x1, w1


def neuron_graph(writer: Writer) -> None:
    """o = tanh(x1*w1 + x2*w2 + b): values and gradients on every node."""
    o, x1, w1 = neuron()
    viz.retain_grads(o)
    o.backward()
    print(f"neuron: o = tanh(x1*w1 + x2*w2 + b) = {o.item():.4f}, do/dx1 = {x1.grad.item():.4f}, "
          f"do/dw1 = {w1.grad.item():.4f}")
    writer.graph("neuron_graph", o, title="o = tanh(x1*w1 + x2*w2 + b): data and grad of every node")


# ----- the CNN ---------------------------------------------------------------------------------


class SmallCNN(nn.Module):
    """Two conv/ReLU/max-pool blocks (8x8 -> 4x4 -> 2x2) and a linear classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 2 * 2, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def train_cnn(writer: Writer, epochs: int) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, no window
        import matplotlib.pyplot as plt
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as err:
        print(f"\nSkipping the CNN: {err.name} is missing. Install the demo's extras with\n"
              f"  {INSTALL_EXTRAS}\n(bash scripts/demo.sh does this).")
        return

    digits = load_digits()
    X = (digits.images / 16.0).astype(np.float32)[:, None]  # (1797, 1, 8, 8), NCHW
    y = digits.target
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0,
                                                        stratify=y)
    ag.manual_seed(0)
    model = SmallCNN()
    n_params = sum(p.size for p in model.parameters())
    print(f"\nTraining a CNN ({n_params:,} parameters) on {len(X_train)} 8x8 digits "
          f"from scikit-learn, {epochs} epochs:")
    start = time.perf_counter()
    history = nn.fit(
        model, nn.CrossEntropyLoss(), nn.optim.Adam(model.parameters(), lr=3e-3),
        nn.data.DataLoader(X_train, y_train, batch_size=64, shuffle=True, seed=0), epochs=epochs,
        val_loader=nn.data.DataLoader(X_test, y_test, batch_size=500), metrics=["accuracy"],
    )
    print(f"trained in {time.perf_counter() - start:.1f} s: test accuracy "
          f"{history['val_accuracy'][-1]:.1%} on {len(X_test)} held-out digits")

    # training curves
    epochs_axis = np.arange(1, len(history["loss"]) + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.3))
    ax1.plot(epochs_axis, history["loss"], "o-", ms=3, label="training")
    ax1.plot(epochs_axis, history["val_loss"], "o-", ms=3, label="test")
    ax1.set(title="cross-entropy loss", xlabel="epoch", ylabel="loss")
    ax1.legend()
    ax2.plot(epochs_axis, history["accuracy"], "o-", ms=3, label="training")
    ax2.plot(epochs_axis, history["val_accuracy"], "o-", ms=3, label="test")
    ax2.set(title="accuracy", xlabel="epoch", ylim=(0, 1))
    ax2.legend(loc="lower right")
    fig.suptitle("SmallCNN on scikit-learn digits (nn.fit history)")
    fig.tight_layout()
    writer.figure("training", fig)
    plt.close(fig)

    # predictions on test digits, mistakes first
    model.eval()
    with ag.no_grad():
        pred = model(ag.Tensor(X_test)).data.argmax(axis=1)
    order = np.concatenate([np.flatnonzero(pred != y_test), np.flatnonzero(pred == y_test)])[:24]
    fig, axes = plt.subplots(3, 8, figsize=(8, 3.6))
    for ax, i in zip(axes.flat, order):
        ax.imshow(X_test[i, 0], cmap="gray_r")
        ok = pred[i] == y_test[i]
        ax.set_title(f"{pred[i]}" if ok else f"{pred[i]} (true {y_test[i]})", fontsize=9,
                     color="tab:green" if ok else "tab:red")
        ax.axis("off")
    fig.suptitle(f"test digits: the network's guess (red = wrong; {int((pred != y_test).sum())} "
                 f"of {len(y_test)} wrong)")
    fig.tight_layout()
    writer.figure("predictions", fig)
    plt.close(fig)

    # one batch: the graph grouped by module, and the gradient flow
    model.train()
    loss = nn.CrossEntropyLoss()(model(ag.Tensor(X_test[:16])), y_test[:16])
    viz.retain_grads(loss)
    loss.backward()
    # top to bottom: a deep chain of modules is tall, and SVG viewers scroll vertically
    writer.graph("cnn_graph", loss, model=model, rankdir="TB",
                 title="SmallCNN + cross-entropy on a batch of 16 digits, grouped by module")
    writer.graph("cnn_graph_colored", loss, model=model, color_by_grad=True, rankdir="TB",
                 title="the same graph coloured by mean |grad| (blue small, red large)")
    fig, ax = plt.subplots(figsize=(6, 4))
    viz.plot_grad_flow(model, ax=ax, title="gradient flow through SmallCNN (one batch)")
    fig.tight_layout()
    writer.figure("grad_flow", fig)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python3 -m demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder for the pictures (default: {DEFAULT_OUT}/)")
    parser.add_argument("--epochs", type=int, default=15, help="training epochs (default: 15)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    scalar_demo()
    tensor_demo()
    writer = Writer(args.out)
    neuron_graph(writer)
    try:  # tiny matrices: BLAS threads only add overhead (and oversubscribe a busy machine)
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(limits=1, user_api="blas")
    except ImportError:
        limit = contextlib.nullcontext()
    with limit:
        train_cnn(writer, args.epochs)

    print(f"\nWrote {len(writer.written)} files to {args.out.resolve()}/:")
    for path in writer.written:
        print(f"  {path.name:24s} {path.stat().st_size / 1000:7.1f} KB")
    if writer.missing_dot:
        print("SVG graphs were skipped because Graphviz's `dot` is not installed (see the note "
              "above); the .dot files hold the same graphs.")
    print(f"Done in {time.perf_counter() - start:.1f} s. Next: the notebooks in notebooks/ "
          "(start with 01_scalar_autodiff.ipynb).")


if __name__ == "__main__":
    main()
