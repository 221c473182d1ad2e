"""rules: every learning rule of ``nn.rules`` trains the same network on the same data.

Digits (scikit-learn's 8×8 images, 64-64-64-10 tanh) and two-moons (2-64-64-64-2 tanh): for each
seed, every rule starts from the same initial forward weights (``ag.manual_seed(seed)`` before the
model is built; rules that need extra modules add them after the forward layers; forward-forward's
network differs from the start, its first layer also reads the label), sees the same
batches in the same order (``DataLoader(..., seed=seed)``) for the same number of epochs, with
Adam. Only the learning rate and the rule's own settings differ, chosen per rule (see ``RULES``).

Printed per rule: test accuracy (mean ± std over seeds), wall time of one training run, and the
cosine between the rule's update and backprop's gradient for each forward layer's weights, on one
batch after training (1.00 = backprop's direction; "—" where backprop through the model does not
exist, e.g. equilibrium propagation's relaxation).

Run: ``python3 -m benchmarks.rules [--quick] [--rules FA,DFA] [--seeds N]``. The last line printed
is one JSON object ``{"rules": {"<RuleClassName>": {"accuracy": mean, "seconds": s}, ...}}``.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, as the targets say; must precede numpy's import

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402

import autograd_engine as ag  # noqa: E402
import nn  # noqa: E402
from nn import rules as R  # noqa: E402

DIGITS = (64, 64, 64, 10)
MOONS = (2, 64, 64, 64, 2)


@dataclass
class Entry:
    """One rule of the comparison: how to build its model and rule, and its optimizer settings."""

    rule: Callable[[int], R.Rule]
    model: Callable[[tuple], nn.Module] = lambda sizes: nn.MLP(sizes, activation="tanh")
    lr: float = 2e-3
    batch: int = 32
    epochs: dict = field(default_factory=lambda: {"quick": 30, "full": 60})


def _ff_net(sizes: tuple) -> nn.Module:
    return R.ForwardForwardNet(sizes[:-1], classes=sizes[-1])


RULES: dict[str, Entry] = {
    "Backprop": Entry(lambda s: R.Backprop()),
    "FeedbackAlignment": Entry(lambda s: R.FeedbackAlignment(seed=s)),
    "DirectFeedbackAlignment": Entry(lambda s: R.DirectFeedbackAlignment(seed=s)),
    "SignSymmetry": Entry(lambda s: R.SignSymmetry()),
    "SPSA": Entry(lambda s: R.SPSA(perturbations=4, epsilon=1e-2, seed=s), lr=3e-3),
    "ForwardGradient": Entry(lambda s: R.ForwardGradient(directions=2, seed=s)),
    "EquilibriumPropagation": Entry(lambda s: R.EquilibriumPropagation(beta=0.5, nudged_steps=6),
                                    model=lambda sizes: R.EnergyNet(sizes, steps=15)),
    "PredictiveCoding": Entry(lambda s: R.PredictiveCoding(steps=10)),
    "ActivationRelaxation": Entry(lambda s: R.ActivationRelaxation(steps=10)),
    "ForwardForward": Entry(lambda s: R.ForwardForward(seed=s), model=_ff_net, lr=3e-3),
    "SymBa": Entry(lambda s: R.SymBa(seed=s), model=_ff_net, lr=3e-3),
    "DifferenceTargetPropagation": Entry(lambda s: R.DifferenceTargetPropagation(seed=s),
                                         model=lambda sizes: R.DTPNet(sizes)),
    "SyntheticGradients": Entry(lambda s: R.SyntheticGradients(),
                                model=lambda sizes: R.DNINet(sizes, classes=sizes[-1])),
    "DelayedGradients": Entry(lambda s: R.DelayedGradients()),
    "MeProp": Entry(lambda s: R.MeProp(k=16)),
    "MGD": Entry(lambda s: R.MGD(perturbations=4, epsilon=1e-2, seed=s), lr=3e-3),
}


def load(name: str) -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_digits, make_moons
    from sklearn.model_selection import train_test_split

    if name == "digits":
        d = load_digits()
        X, y = (d.data / 16.0).astype(np.float32), d.target
    else:
        X, y = make_moons(n_samples=1000, noise=0.2, random_state=0)
        X = X.astype(np.float32)
    return tuple(train_test_split(X, y, test_size=0.25, random_state=0, stratify=y))


def forward_weights(model: nn.Module) -> list:
    """The weights of the layers that compute the prediction (not a rule's helper modules)."""
    layers = getattr(model, "forward_layers", None)
    layers = list(layers) if layers is not None else R.linear_layers(model, "benchmark")
    return [m.weight for m in layers]


def alignment(model: nn.Module, rule: R.Rule, x: np.ndarray, y: np.ndarray) -> list | None:
    """Cosine between the rule's update and backprop's gradient, per forward layer's weight."""
    loss_fn = nn.CrossEntropyLoss()
    weights = forward_weights(model)
    try:
        out = model(x)
        if not out.requires_grad:
            return None
        bp = ag.grad(loss_fn(out, y), weights, allow_unused=True)
    except (RuntimeError, TypeError):
        return None
    model.zero_grad()
    rule.step(model, loss_fn, x, y)
    cos = []
    for w, g in zip(weights, bp):
        a = None if w.grad is None else w.grad.data.ravel()
        b = None if g is None else g.data.ravel()
        if a is None or b is None or not a.any() or not b.any():
            cos.append(float("nan"))
        else:
            cos.append(float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))))
    model.zero_grad()
    return cos


def run(name: str, entry: Entry, data: tuple, sizes: tuple, seed: int, epochs: int,
        align: bool = False) -> dict:
    X_train, X_test, y_train, y_test = data
    ag.manual_seed(seed)
    model = entry.model(sizes)
    rule = entry.rule(seed)
    opt = nn.optim.Adam(model.parameters(), lr=entry.lr)
    loader = nn.data.DataLoader(X_train, y_train, batch_size=entry.batch, shuffle=True, seed=seed)
    start = time.perf_counter()
    hist = nn.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=epochs, progress=False,
                  rule=rule)
    seconds = time.perf_counter() - start
    model.eval()
    with ag.no_grad():
        acc = nn.accuracy(model(X_test), y_test)
    model.train()
    result = {"accuracy": acc, "seconds": seconds, "stopped": hist.stopped_early}
    if align:
        result["alignment"] = alignment(model, rule, X_train[:256], y_train[:256])
    return result


def _fmt_align(cos: list | None) -> str:
    if cos is None:
        return "—"
    return " ".join("  —  " if np.isnan(c) else f"{c:+.2f}" for c in cos)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer epochs and seeds (< 2 minutes)")
    p.add_argument("--rules", default="", help="comma-separated rule class names (default: all)")
    p.add_argument("--seeds", type=int, default=None, help="seeds on digits (default 2 / 5)")
    p.add_argument("--epochs", type=int, default=None, help="override every rule's epochs")
    p.add_argument("--limit", type=int, default=None,
                   help="train on the first N training examples only (smoke tests)")
    args = p.parse_args(argv)
    mode = "quick" if args.quick else "full"
    n_seeds = args.seeds or (2 if args.quick else 5)
    names = [n for n in args.rules.split(",") if n] or list(RULES)
    unknown = [n for n in names if n not in RULES]
    if unknown:
        p.error(f"unknown rule(s) {unknown}; choose from {list(RULES)}")
    digits, moons = load("digits"), load("moons")
    if args.limit:
        digits, moons = ((d[0][:args.limit], d[1], d[2][:args.limit], d[3]) for d in (digits, moons))
    print(f"# rules benchmark ({mode}): digits {DIGITS} x {n_seeds} seeds, moons {MOONS} x 1 seed,"
          " Adam, tanh; accuracy on the held-out 25 %")
    header = (f"{'rule':28s} {'digits acc':>15s} {'s/run':>7s} {'moons acc':>10s} "
              f"{'epochs':>6s}  cos(update, backprop) per layer")
    print(header)
    print("-" * len(header))
    summary = {}
    for name in names:
        entry = RULES[name]
        epochs = args.epochs or entry.epochs[mode]
        runs = [run(name, entry, digits, DIGITS, seed, epochs, align=(seed == 0))
                for seed in range(n_seeds)]
        moon = run(name, entry, moons, MOONS, 0, max(1, epochs // 2))
        accs = np.array([r["accuracy"] for r in runs])
        secs = float(np.mean([r["seconds"] for r in runs]))
        print(f"{name:28s} {accs.mean():7.1%} ± {accs.std():4.1%} {secs:7.1f} "
              f"{moon['accuracy']:10.1%} {epochs:6d}  {_fmt_align(runs[0]['alignment'])}",
              flush=True)
        summary[name] = {"accuracy": round(float(accs.mean()), 4), "seconds": round(secs, 2)}
    result = {"rules": summary}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
