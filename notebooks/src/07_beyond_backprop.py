# %% [markdown]
# # 7. Beyond plain backprop: feedback alignment and the straight-through estimator
#
# A custom `ag.Function` lets you decide what its backward pass sends upstream. It does not have
# to be the true gradient. Two well-known tricks do this on purpose:
#
# - **Feedback alignment** (Lillicrap et al., 2016): backprop sends the error back through `Wᵀ`,
#   the transpose of the forward weights, which a brain could not know. Feedback alignment
#   replaces `Wᵀ` by a **fixed random matrix** `B`. Surprisingly, the network still learns: the
#   forward weights rotate until `B` becomes a useful stand-in for `Wᵀ`.
# - **Straight-through estimator** (STE; Bengio et al., 2013): a step function such as `sign(x)`
#   has derivative 0 almost everywhere, so nothing before it would learn. The STE uses `sign` in
#   the forward pass but pretends, in the backward pass, that it was the identity (clipped to
#   `|x| ≤ 1`). This is how binary and quantised networks are trained.
#
# We compare both with ordinary backprop on the same task: a one-hidden-layer network (64 → 16
# → 10) on scikit-learn's 8×8 digits, same initial weights, same optimiser, same batches.

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import autograd_engine as ag
import nn

plt.rcParams["figure.dpi"] = 80
digits = load_digits()
X = (digits.data / 16.0).astype(np.float32)  # (1797, 64): the 8x8 images, flattened
y = digits.target
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0,
                                                    stratify=y)
HIDDEN, EPOCHS = 16, 20

# %% [markdown]
# ## Feedback alignment as a custom `Function`
#
# A linear layer computes `y = x Wᵀ + b`. Its true backward pass is
# `dx = dy W`, `dW = dyᵀ x`, `db = Σ dy` (with a batch of row vectors; this `dy W` is the
# `Wᵀ e` of the column-vector notation above). `FALinear` keeps the last two (each layer still learns
# from its own input and the error it receives) but sends `dy B` to the layer below, where `B` is
# a fixed random matrix with `W`'s shape. `B` is passed as a keyword parameter, so the engine
# treats it as a constant and never computes a gradient for it; the layer stores it as a buffer.

# %%
class FALinearFunction(ag.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, feedback):
        ctx.save_for_backward(x)
        ctx.feedback = feedback
        return x @ weight.T + bias

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        grad_x = grad @ ag.Tensor(ctx.feedback)  # backprop would use: grad @ weight
        return grad_x, grad.T @ x, grad.sum(axis=0)


class FALinear(nn.Linear):
    """nn.Linear whose backward sends the error through a fixed random matrix."""

    def __init__(self, in_features, out_features, rng):
        super().__init__(in_features, out_features)
        bound = 1 / np.sqrt(in_features)
        self.register_buffer("feedback", rng.uniform(-bound, bound, (out_features, in_features))
                             .astype(np.float32))

    def forward(self, x):
        return FALinearFunction.apply(x, self.weight, self.bias, feedback=self.feedback.data)

# %% [markdown]
# ## The straight-through estimator as a custom `Function`
#
# Two versions of the same binary activation `sign(x)` (±1): one with its true gradient (zero),
# one with the straight-through gradient `grad · 1[|x| ≤ 1]`. The forward passes are identical.

# %%
import inspect

print(inspect.getsource(nn.rules.SignSTE.forward))
print(inspect.getsource(nn.rules.SignSTE.backward))

# %% [markdown]
# This pair now lives in the library: `nn.rules.SignSTE` (straight-through) and
# `nn.rules.SignFunction` (true gradient), wrapped as a layer by
# `nn.rules.SignActivation(straight_through=True/False)`. Feedback alignment is
# `nn.rules.FeedbackAlignment`, a learning rule that applies the `Function` above to every
# `nn.Linear` of a model (notebook 8).

# %% [markdown]
# ## Five networks, one task
#
# 1. **backprop**: `Linear → Tanh → Linear`, the reference;
# 2. **feedback alignment**: the same with `FALinear` layers;
# 3. **readout only**: the same as 1, but the first layer is frozen at its random initial
#    weights. This is what you get when *no* useful signal reaches the first layer, the baseline
#    the two tricks must beat;
# 4. **binary, STE**: `Linear → sign → Linear`, trained with the straight-through estimator;
# 5. **binary, true gradient**: the same with sign's true gradient: the first layer receives 0.
#
# `ag.manual_seed(0)` before each model gives every network the same initial weights. We train
# one epoch at a time so we can measure how well feedback alignment's `B` lines up with `Wᵀ`
# after each epoch (below).

# %%
def make(kind):
    ag.manual_seed(0)
    if kind == "feedback alignment":
        rng = np.random.default_rng(1)
        return nn.Sequential(FALinear(64, HIDDEN, rng), nn.Tanh(), FALinear(HIDDEN, 10, rng))
    act = {"binary, STE": nn.rules.SignActivation(straight_through=True),
           "binary, true gradient": nn.rules.SignActivation(straight_through=False)}.get(
        kind, nn.Tanh())
    model = nn.Sequential(nn.Linear(64, HIDDEN), act, nn.Linear(HIDDEN, 10))
    if kind == "readout only":
        model[0].weight.requires_grad_(False)
        model[0].bias.requires_grad_(False)
    return model


def alignment_angle(model):
    """Angle (degrees) between the error sent to the hidden layer by feedback alignment (e B)
    and the one backprop would send (e W), over the test set."""
    out = model(ag.Tensor(X_test))
    (e,) = ag.grad(nn.CrossEntropyLoss()(out, y_test), out)  # error at the output
    fa, bp = (e.data @ model[2].feedback.data).ravel(), (e.data @ model[2].weight.data).ravel()
    return np.degrees(np.arccos(fa @ bp / (np.linalg.norm(fa) * np.linalg.norm(bp))))


kinds = ["backprop", "feedback alignment", "readout only", "binary, STE",
         "binary, true gradient"]
results, angles = {}, []
train_loader = nn.data.DataLoader(X_train, y_train, batch_size=32, shuffle=True, seed=0)
test_loader = nn.data.DataLoader(X_test, y_test, batch_size=500)
for kind in kinds:
    model = make(kind)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = nn.optim.SGD(params, lr=0.05, momentum=0.9)
    accuracy = []
    if kind == "feedback alignment":
        angles.append(alignment_angle(model))  # before training
    for _ in range(EPOCHS):
        hist = nn.fit(model, nn.CrossEntropyLoss(), opt, train_loader, epochs=1,
                      val_loader=test_loader, metrics=["accuracy"], progress=False)
        accuracy.append(hist["val_accuracy"][0])
        if kind == "feedback alignment":
            angles.append(alignment_angle(model))
    results[kind] = accuracy
    print(f"{kind:22s} test accuracy after {EPOCHS} epochs: {accuracy[-1]:.1%}")

# %% [markdown]
# ## Results
#
# **Left:** test accuracy per epoch. Feedback alignment ends within about 1.5 points of backprop,
# though it starts slower, and far above *readout only*: its first layer really learns from
# random feedback. The binary network trained with the STE is about two points behind (its hidden
# layer carries only 16 bits per image), while the same binary network with the true gradient is
# stuck: its first layer never changes, and 16 random binary features are not enough.
#
# **Right:** why feedback alignment works. The angle between the error that `B` sends back and
# the one backprop would send (through `W`) starts near 90° (epoch 0: the initial `W` and `B` are
# unrelated random matrices) and drops within a
# few epochs: the forward weights `W` adapt until `B` points the same way as `Wᵀ`, well under
# 90°, so each update is a descent direction for the loss. (The exact numbers depend on the
# random seeds; the drop does not.)

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.4), gridspec_kw={"width_ratios": [1.6, 1]})
epochs = np.arange(1, EPOCHS + 1)
styles = {"backprop": "-", "feedback alignment": "-", "readout only": ":",
          "binary, STE": "--", "binary, true gradient": ":"}
for kind, acc in results.items():
    ax1.plot(epochs, acc, styles[kind], lw=2, label=f"{kind} ({acc[-1]:.0%})")
ax1.set(xlabel="epoch", ylabel="test accuracy", ylim=(0, 1), xticks=range(0, EPOCHS + 1, 5),
        title=f"digits, 64 → {HIDDEN} → 10")
ax1.legend(fontsize=8, loc="lower right")
ax2.plot(np.arange(0, EPOCHS + 1), angles, "o-", ms=3, color="tab:orange")
ax2.axhline(90, color="grey", ls=":", lw=1)
ax2.set(xlabel="epoch", ylabel="degrees", ylim=(0, 100),
        title="angle between e·B and e·W (FA)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## What this shows about the engine
#
# Nothing in the engine had to change. `backward` of a custom `Function` may return anything of
# the right shape; the engine routes it upstream like any other gradient, and `nn.fit`, the
# optimisers, `nn.Module` buffers and `viz` work unchanged. The same mechanism implements
# gradient reversal layers, stop-gradient, synthetic gradients or any learning rule you can write
# as "what do I send to my inputs".
#
# The library's learning rules (`nn.rules`) take this further: the feedback family in
# [notebook 8](08_feedback_alignment.ipynb), energy-based and local rules in
# [notebook 9](09_energy_and_local_rules.ipynb), backprop-free and decoupled training in
# [notebook 10](10_backprop_free_and_decoupled.ipynb). Back to the
# [first notebook](01_scalar_autodiff.ipynb), or see the [README](../README.md).
