# %% [markdown]
# # 9. Energy-based and local rules: equilibrium propagation, predictive coding, forward-forward
#
# Backprop computes the error of every layer in one backward sweep. The rules here never do:
#
# - **Equilibrium propagation** (Scellier & Bengio 2017): a network with symmetric connections
#   *settles* to an equilibrium; then the output is nudged towards the target and the network
#   settles again. Each synapse learns from the difference of its two pre/post products.
# - **Predictive coding** (Whittington & Bogacz 2017): every layer predicts the next; the
#   prediction errors relax by local dynamics and each weight learns from the error next to it.
# - **Forward-forward** (Hinton 2022) and **SymBa** (Lee & Song 2023): no error signal crosses a
#   layer at all. Each layer learns to give high "goodness" to real data (image + its label) and
#   low goodness to negative data (image + a wrong label).
#
# Equilibrium propagation and forward-forward need their own architecture, and say so:

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
try:
    rules.EquilibriumPropagation().step(nn.MLP([64, 10]), nn.CrossEntropyLoss(), X[:2], [0, 1])
except TypeError as err:
    print("TypeError:", err)

# %% [markdown]
# ## Equilibrium propagation: the update becomes the gradient as β → 0
#
# `rules.EnergyNet` settles by `s_l ← tanh(W_l s_{l-1} + b_l + W_{l+1}ᵀ s_{l+1})`: the same `W`
# carries signals up and down. The rule's update is
# `(1/β) (∂E/∂θ(s^β) - ∂E/∂θ(s⁰))`; Scellier & Bengio prove it tends to the true gradient of the
# loss at the free equilibrium as the nudge `β` shrinks. We check that on a small net, with the
# true gradient from central differences through the relaxation, for one-sided nudging and for
# the symmetric (±β) nudging of Laborieux et al. 2021, whose error shrinks like `β²`.

# %%
ag.manual_seed(0)
small = rules.EnergyNet([3, 5, 2], steps=150, dtype=np.float64)
xs, ys = np.random.default_rng(0).normal(size=(4, 3)), np.array([0, 1, 1, 0])
W = small.forward_layers[0].weight


def loss_at_equilibrium():
    return float(nn.CrossEntropyLoss()(small(xs), ys).item())


true = np.zeros(W.shape)
for idx in np.ndindex(*W.shape):
    old = W.data[idx]
    W.data[idx] = old + 1e-6
    up = loss_at_equilibrium()
    W.data[idx] = old - 1e-6
    true[idx] = (up - loss_at_equilibrium()) / 2e-6
    W.data[idx] = old

betas = np.logspace(-3, 0, 7)
errors = {}
for symmetric in (False, True):
    errors[symmetric] = []
    for beta in betas:
        small.zero_grad()
        rules.EquilibriumPropagation(beta=beta, nudged_steps=150, symmetric=symmetric).step(
            small, nn.CrossEntropyLoss(), xs, ys)
        errors[symmetric].append(np.linalg.norm(W.grad.data - true) / np.linalg.norm(true))
fig, ax = plt.subplots(figsize=(5, 3.4))
ax.loglog(betas, errors[False], "o-", label="one-sided nudge (+β)")
ax.loglog(betas, errors[True], "s-", label="symmetric nudge (±β)")
ax.set(xlabel="β", ylabel="relative error vs true gradient", title="EqProp → gradient as β → 0")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Predictive coding: the error travels one layer per inference step
#
# `PredictiveCoding` starts every value node at its feedforward prediction, clamps the output to
# a target a small step down the loss, and relaxes. After `k` inference steps the error has
# reached `k` layers below the output; layers further down get no update yet (plotted as 90°).
# We measure the angle between each layer's update and backprop's gradient as inference
# proceeds, for the original rule (solid) and with Millidge et al.'s fixed predictions (dashed,
# whose equilibrium *is* backprop: 0° from the step the error arrives). The original rule
# settles a few degrees away from backprop, because the relaxed nodes also change the
# predictions that the errors are measured against.

# %%
ag.manual_seed(0)
mlp = nn.MLP([64, 64, 64, 10], activation="tanh")
xb, yb = X_train[:128], y_train[:128]


def updates(rule):
    mlp.zero_grad()
    rule.step(mlp, nn.CrossEntropyLoss(), xb, yb)
    return [mlp[i].weight.grad.data.copy() for i in (0, 2, 4)]


def angle(a, b):
    a, b = a.ravel(), b.ravel()
    if not a.any():
        return 90.0
    return float(np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b),
                                              -1, 1))))


bp = updates(rules.Backprop())
steps = [0, 1, 2, 3, 5, 10, 20, 40]
fig, ax = plt.subplots(figsize=(6, 3.4))
for fixed, style in ((False, "-"), (True, "--")):
    curves = np.array([[angle(u, b) for u, b in zip(updates(rules.PredictiveCoding(
        steps=k, inference_rate=0.2, fixed_predictions=fixed)), bp)] for k in steps])
    for j in range(3):
        ax.plot(steps, curves[:, j], style, marker="o", ms=3, color=f"C{j}",
                label=f"layer {j + 1}" + (", fixed predictions" if fixed else ""))
ax.set(xlabel="inference steps", ylabel="angle to backprop (°)", ylim=(-2, 95),
       title="predictive coding on the 64-64-64-10 net")
ax.legend(fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Training on digits
#
# Equilibrium propagation on `EnergyNet([64, 64, 64, 10])`, predictive coding on the usual
# `nn.MLP`, forward-forward and SymBa on `ForwardForwardNet([64, 64, 64], classes=10)` (its
# input is the image with the label appended; the prediction is the label with the highest
# total goodness). Same batches, Adam, 10 epochs.

# %%
setups = {
    "Backprop": (lambda: nn.MLP([64, 64, 64, 10], activation="tanh"), rules.Backprop(), 2e-3),
    "EquilibriumPropagation": (lambda: rules.EnergyNet([64, 64, 64, 10], steps=15),
                               rules.EquilibriumPropagation(beta=0.5, nudged_steps=6), 2e-3),
    "PredictiveCoding": (lambda: nn.MLP([64, 64, 64, 10], activation="tanh"),
                         rules.PredictiveCoding(steps=10), 2e-3),
    "ForwardForward": (lambda: rules.ForwardForwardNet([64, 64, 64], classes=10),
                       rules.ForwardForward(), 3e-3),
    "SymBa": (lambda: rules.ForwardForwardNet([64, 64, 64], classes=10), rules.SymBa(), 3e-3),
}
test_loader = nn.data.DataLoader(X_test, y_test, batch_size=500)
curves, models = {}, {}
for name, (build, rule, lr) in setups.items():
    ag.manual_seed(0)
    model = build()
    loader = nn.data.DataLoader(X_train, y_train, batch_size=32, shuffle=True, seed=0)
    hist = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.Adam(model.parameters(), lr=lr), loader,
                  epochs=10, rule=rule, val_loader=test_loader, metrics=["accuracy"],
                  progress=False)
    curves[name], models[name] = hist["val_accuracy"], model
    print(f"{name:24s} test accuracy {curves[name][-1]:.1%}")

# %% [markdown]
# **Left:** all of them learn digits; forward-forward is the slowest starter (each layer only
# learns to tell real from fake pairs, and the classifier emerges from that). **Right:** what a
# forward-forward layer has learned: the goodness of the second layer for test images paired with
# their true label (positive) and with the most tempting wrong label (negative). SymBa's loss
# widens the gap between the two directly; the overlap that remains is where it misclassifies.
# In the benchmark (`python3 -m benchmarks.rules`, 30 epochs) SymBa also ends ahead of the
# original threshold loss.

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.5))
for name, acc in curves.items():
    ax1.plot(np.arange(1, 11), acc, lw=2, label=f"{name} ({acc[-1]:.1%})")
ax1.set(xlabel="epoch", ylabel="test accuracy", ylim=(0.5, 1), title="digits")
ax1.legend(fontsize=8)
net = models["SymBa"]
with ag.no_grad():
    scores = net(X_test).data.copy()
    scores[np.arange(len(y_test)), y_test] = -np.inf
    pos = net.goodness(net.layer_outputs(net.embed(X_test, y_test))[1]).data
    neg = net.goodness(net.layer_outputs(net.embed(X_test, scores.argmax(1)))[1]).data
bins = np.linspace(0, max(pos.max(), neg.max()), 40)
ax2.hist(pos, bins, alpha=0.6, label="image + true label")
ax2.hist(neg, bins, alpha=0.6, label="image + best wrong label")
ax2.set(xlabel="goodness of layer 2 (SymBa)", ylabel="test images", title="positive vs negative")
ax2.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Next: [notebook 10](10_backprop_free_and_decoupled.ipynb), rules with no backward pass at all
# (SPSA, forward gradients) and rules whose layers do not wait for the backward pass (synthetic
# and delayed gradients).
