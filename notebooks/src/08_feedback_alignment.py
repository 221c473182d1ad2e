# %% [markdown]
# # 8. The feedback family: feedback alignment, direct feedback alignment, sign symmetry
#
# Backprop sends the error at layer `l + 1` back to layer `l` through `W_{l+1}ᵀ`, the transpose
# of the forward weights. A brain cannot easily do that: the backward path would need a copy of
# every forward synapse (the *weight transport problem*). Three rules in `nn.rules` drop it:
#
# | rule | the error reaching hidden layer `l` | paper |
# |---|---|---|
# | `Backprop` | `δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ f'(a_l)` | Rumelhart et al. 1986 |
# | `FeedbackAlignment` | `δ_l = (B_{l+1}ᵀ δ_{l+1}) ⊙ f'(a_l)`, `B` fixed and random | Lillicrap et al. 2016 |
# | `SignSymmetry` | `B = sign(W)`: the signs of the forward weights, not their sizes | Liao et al. 2016 |
# | `DirectFeedbackAlignment` | `δ_l = (e B_l) ⊙ f'(a_l)`: the *output* error `e`, straight to every layer | Nøkland 2016 |
#
# Each layer still computes `ΔW_l ∝ -δ_l h_{l-1}ᵀ` from its own input; only the error differs.
# Every rule has `step(model, loss_fn, x, y)`, which fills `.grad`, so `nn.fit(..., rule=...)`
# and any optimizer work unchanged. We train the same 64-64-64-10 tanh network on the 8×8
# digits with each, from the same initial weights and batches.

# %%
import inspect

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
SIZES, EPOCHS = [64, 64, 64, 10], 20

# %% [markdown]
# ## Feedback alignment is a custom `Function`
#
# `FeedbackAlignment.step` runs the model with a forward hook on every `nn.Linear` that swaps
# its output for this `Function`: the forward pass is the usual `x Wᵀ`, the backward pass sends
# `grad · B` to the input instead of `grad · W`. `B` is passed as a keyword, so the engine treats
# it as a constant.

# %%
print(inspect.getsource(rules.FeedbackLinearFunction))

# %% [markdown]
# ## Training with each rule
#
# After every epoch we record the test accuracy and two angles:
#
# - for FA and sign symmetry, the angle between each feedback matrix `B` and the forward weights
#   `W` it stands in for (90° = unrelated);
# - for every rule, the angle between the update it gives the *first* layer and backprop's
#   gradient on the same batch (under 90° = still a descent direction).

# %%
def angle(a, b):
    a, b = np.ravel(a), np.ravel(b)
    return float(np.degrees(np.arccos(np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)),
                                              -1, 1))))


def first_layer_update(model, rule, x, y):
    model.zero_grad()
    rule.step(model, nn.CrossEntropyLoss(), x, y)
    g = model[0].weight.grad.data.copy()
    model.zero_grad()
    return g


make = {"Backprop": rules.Backprop, "FeedbackAlignment": lambda: rules.FeedbackAlignment(seed=0),
        "SignSymmetry": rules.SignSymmetry,
        "DirectFeedbackAlignment": lambda: rules.DirectFeedbackAlignment(seed=0)}
test_loader = nn.data.DataLoader(X_test, y_test, batch_size=500)
xb, yb = X_train[:256], y_train[:256]
acc, update_angle, matrix_angle = {}, {}, {}
for name, new_rule in make.items():
    ag.manual_seed(0)
    model, rule = nn.MLP(SIZES, activation="tanh"), new_rule()
    loader = nn.data.DataLoader(X_train, y_train, batch_size=32, shuffle=True, seed=0)
    opt = nn.optim.Adam(model.parameters(), lr=2e-3)
    acc[name], update_angle[name], matrix_angle[name] = [], [], []
    for epoch in range(EPOCHS + 1):
        if epoch:
            hist = nn.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=1, rule=rule,
                          val_loader=test_loader, metrics=["accuracy"], progress=False)
            acc[name].append(hist["val_accuracy"][0])
        bp = first_layer_update(model, rules.Backprop(), xb, yb)
        update_angle[name].append(angle(first_layer_update(model, rule, xb, yb), bp))
        if hasattr(rule, "feedback_matrix") and name != "DirectFeedbackAlignment":
            matrix_angle[name].append([angle(rule.feedback_matrix(model[i]), model[i].weight.data)
                                       for i in (2, 4)])
    print(f"{name:24s} test accuracy {acc[name][-1]:.1%}")

# %% [markdown]
# ## Results
#
# **Left:** all four rules learn the task; the three without weight transport end within a
# point or so of backprop. **Middle:** why feedback alignment works. Its `B`s never change, yet
# the angle between `B` and `W` falls from 90° during training: the forward weights *move towards*
# the fixed feedback until the errors `B` sends are useful ones. Sign symmetry starts aligned (it
# copies the signs), so it needs no such adjustment. **Right:** the first layer's update under
# FA and DFA starts almost orthogonal to backprop's gradient and ends well below 90°, so each
# step still goes downhill.

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
epochs = np.arange(1, EPOCHS + 1)
for name in make:
    axes[0].plot(epochs, acc[name], lw=2, label=f"{name} ({acc[name][-1]:.1%})")
    axes[2].plot(np.arange(EPOCHS + 1), update_angle[name], lw=2, label=name)
for name, style in (("FeedbackAlignment", "-"), ("SignSymmetry", "--")):
    a = np.array(matrix_angle[name])
    for j, layer in enumerate(("W₂", "W₃")):
        axes[1].plot(np.arange(EPOCHS + 1), a[:, j], style, lw=2, label=f"{name}, B vs {layer}")
axes[0].set(xlabel="epoch", ylabel="test accuracy", ylim=(0.85, 1), title="digits, 64-64-64-10")
axes[1].set(xlabel="epoch", ylabel="degrees", ylim=(0, 95), title="angle between B and W")
axes[2].set(xlabel="epoch", ylabel="degrees", ylim=(0, 95),
            title="first-layer update vs backprop")
for ax in axes:
    ax.legend(fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Direct feedback alignment skips the chain
#
# DFA's hidden layers get the output error through their own random matrix, so nothing has to
# travel layer by layer: the step uses `nn.rules.LinearTaps` to cut the graph between layers and
# calls `backward(e @ B_l)` on each hidden layer separately. All layers could update at once, in
# parallel, as soon as the output error is known. Its `step` is short enough to read whole:

# %%
print(inspect.getsource(rules.DirectFeedbackAlignment.step))

# %% [markdown]
# Next: [notebook 9](09_energy_and_local_rules.ipynb), rules that learn from the equilibrium of
# a dynamical system (equilibrium propagation, predictive coding) or from purely layer-local
# objectives (forward-forward). The full comparison of every rule is in the README's
# "Learning rules" section (`python3 -m benchmarks.rules`).
