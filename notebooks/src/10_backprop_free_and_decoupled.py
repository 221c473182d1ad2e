# %% [markdown]
# # 10. Backprop-free and decoupled training
#
# Two ways to get rid of the backward pass, or of waiting for it:
#
# | rule | the update | paper |
# |---|---|---|
# | `SPSA` | `(L(θ+cΔ) - L(θ-cΔ)) / 2c · Δ`, `Δ` random signs: two loss values, no derivative | Spall 1992 |
# | `MGD` | `(L(θ+cΔ) - L(θ)) / c · Δ` summed over several perturbations: the hardware form | McCaughan et al. 2023 |
# | `ForwardGradient` | `(∇L·v) v`, `v ~ N(0, I)`: one directional derivative (a JVP) | Baydin et al. 2022 |
# | `SyntheticGradients` | each layer updates with a *predicted* gradient `M_l(h_l, y)` | Jaderberg et al. 2017 |
# | `DelayedGradients` | module `k` uses the gradient its neighbour sent `K - k` steps ago | Huo et al. 2018 |
#
# All are unbiased (the first three) or consistent (the last two) estimates of the gradient;
# what they pay is variance or staleness. We measure both, then train with each.

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import autograd_engine as ag
import nn
from nn import rules

plt.rcParams["figure.dpi"] = 80
digits = load_digits()
X = (digits.data / 16.0).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, digits.target, test_size=0.25,
                                                    random_state=0, stratify=digits.target)
SIZES = [64, 64, 64, 10]

# %% [markdown]
# ## How good is one estimate?
#
# Perturbing all ~9 000 weights at once gives an estimate whose variance grows with that number:
# one draw is almost orthogonal to the gradient. Perturbing the *activities* instead (each
# `nn.Linear` output, a different direction for every example) estimates each layer's output
# gradient from 138 numbers per example, and each layer then forms its weight update locally,
# `ĝ_{a_l}ᵀ h_{l-1}` (node perturbation; Ren et al. 2023 for forward gradients). The cosine with
# the true gradient, on one batch of 64, as the number of perturbations per step grows:

# %%
ag.manual_seed(0)
model = nn.MLP(SIZES, activation="tanh", dtype=np.float64)
xb, yb = X_train[:64].astype(np.float64), y_train[:64]
loss_fn = nn.CrossEntropyLoss()


def flat_update(rule):
    model.zero_grad()
    rule.step(model, loss_fn, xb, yb)
    return np.concatenate([p.grad.data.ravel() for p in model.parameters()])


true = flat_update(rules.Backprop())
counts = [1, 4, 16, 64]
estimators = {
    "SPSA, weights": lambda k: rules.SPSA(perturbations=k, perturb="weights", epsilon=1e-3),
    "SPSA, activities": lambda k: rules.SPSA(perturbations=k, epsilon=1e-3),
    "forward gradient, weights": lambda k: rules.ForwardGradient(directions=k, perturb="weights"),
    "forward gradient, activities": lambda k: rules.ForwardGradient(directions=k),
}
fig, ax = plt.subplots(figsize=(6, 3.4))
for name, make in estimators.items():
    estimates = [flat_update(make(k)) for k in counts]
    cos = [g @ true / (np.linalg.norm(g) * np.linalg.norm(true)) for g in estimates]
    ax.plot(counts, cos, "o-", label=name)
ax.set(xscale="log", xticks=counts, xticklabels=counts, ylim=(0, 1),
       xlabel="perturbations / directions per step", ylabel="cosine with the true gradient")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# SPSA's central difference and the forward gradient's exact directional derivative give the
# same estimator up to the distribution of the direction, and the curves agree. Activity
# perturbation is what makes both usable on this network. `ForwardGradient` takes its directional
# derivative with `autograd_engine.func.jvp`, which carries tangents through one forward pass
# (forward-mode AD): no backward pass at all.
#
# ## Training
#
# Same network, initial weights and batches; 8 epochs with Adam. Zeroth-order rules have
# settings from `benchmarks/rules.py` (4 perturbations per step, learning rate 3e-3).

# %%
setups = {
    "Backprop": (lambda: nn.MLP(SIZES, activation="tanh"), rules.Backprop(), 2e-3),
    "SPSA": (lambda: nn.MLP(SIZES, activation="tanh"),
             rules.SPSA(perturbations=4, epsilon=1e-2), 3e-3),
    "MGD": (lambda: nn.MLP(SIZES, activation="tanh"), rules.MGD(perturbations=4, epsilon=1e-2),
            3e-3),
    "ForwardGradient": (lambda: nn.MLP(SIZES, activation="tanh"),
                        rules.ForwardGradient(directions=2), 2e-3),
    "SyntheticGradients": (lambda: rules.DNINet(SIZES, classes=10), rules.SyntheticGradients(),
                           2e-3),
    "DelayedGradients": (lambda: nn.MLP(SIZES, activation="tanh"), rules.DelayedGradients(),
                         2e-3),
}
test_loader = nn.data.DataLoader(X_test, y_test, batch_size=500)
true_grad_probe = ag.Tensor(X_test[:200])
curves, synthetic_quality = {}, []
for name, (build, rule, lr) in setups.items():
    ag.manual_seed(0)
    net = build()
    loader = nn.data.DataLoader(X_train, y_train, batch_size=32, shuffle=True, seed=0)
    opt = nn.optim.Adam(net.parameters(), lr=lr)
    curves[name] = []
    for epoch in range(8):
        hist = nn.fit(net, loss_fn, opt, loader, epochs=1, rule=rule, val_loader=test_loader,
                      metrics=["accuracy"], progress=False)
        curves[name].append(hist["val_accuracy"][0])
        if name == "SyntheticGradients":  # how well M_2 predicts the gradient at h_2
            h = true_grad_probe
            for i in range(2):
                h = net.layer(i, h)
            h = h.detach().requires_grad_(True)
            (g,) = ag.grad(loss_fn(net.layer(2, h), y_test[:200]), h)
            pred = net.synthetic_gradient(1, h, y_test[:200]).data.ravel()
            synthetic_quality.append(pred @ g.data.ravel() /
                                     (np.linalg.norm(pred) * np.linalg.norm(g.data) + 1e-12))
    print(f"{name:20s} test accuracy {curves[name][-1]:.1%}")

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.5))
for name, acc in curves.items():
    ax1.plot(np.arange(1, 9), acc, lw=2, label=f"{name} ({acc[-1]:.1%})")
ax1.set(xlabel="epoch", ylabel="test accuracy", ylim=(0.5, 1), title="digits, 64-64-64-10")
ax1.legend(fontsize=8)
ax2.plot(np.arange(1, 9), synthetic_quality, "o-", color="C4")
ax2.set(xlabel="epoch", ylabel="cosine", ylim=(0, 1),
        title="synthetic vs true gradient at the last hidden layer")
fig.tight_layout()
plt.show()

# %% [markdown]
# The perturbation rules trail backprop: each step's estimate is noisy, so they need more
# epochs (the README's table gives them 30). Synthetic gradients start behind, because the
# synthesisers start at zero and the hidden layers get no signal until the synthesisers have
# learned something; after that the prediction stays well aligned with the true gradient (right,
# a cosine of roughly 0.7 to 0.85 on test images, while the true gradient keeps changing as
# the network learns) and the network catches up. Delayed gradients barely notice a delay of
# two steps: Huo et al. prove convergence for exactly this kind of staleness.
#
# ## Every rule, one budget
#
# `benchmarks/rules.py` holds each rule's setup; here all of them train for 6 epochs on one seed
# (the README table: 30 epochs, 2 seeds, `python3 -m benchmarks.rules --quick`).

# %%
from benchmarks import rules as bench  # noqa: E402  (the repository root is on the path)

data = bench.load("digits")
results = {name: bench.run(name, entry, data, bench.DIGITS, seed=0, epochs=6)
           for name, entry in bench.RULES.items()}
names = sorted(results, key=lambda n: results[n]["accuracy"])
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 5), sharey=True)
ax1.barh(names, [results[n]["accuracy"] for n in names], color="C0")
ax1.set(xlim=(0.5, 1), xlabel="test accuracy after 6 epochs")
ax2.barh(names, [results[n]["seconds"] for n in names], color="C1")
ax2.set(xlabel="seconds for 6 epochs (one core)")
fig.tight_layout()
plt.show()

# %% [markdown]
# Back to the [README](../README.md), or to [notebook 8](08_feedback_alignment.ipynb) for the
# feedback family.
