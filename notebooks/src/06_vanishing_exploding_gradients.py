# %% [markdown]
# # 6. Vanishing and exploding gradients
#
# Backpropagation multiplies local derivatives layer by layer. In a deep network that is a long
# product, and long products either shrink towards 0 or blow up unless every factor stays close
# to 1. The gradient reaching the first layers then **vanishes** (those layers stop learning) or
# **explodes** (one step throws the weights to infinity and the loss becomes NaN).
#
# We make both happen in an 8-layer network on two-moons, and look at them three ways:
# `viz.plot_grad_flow` (a bar per parameter), the autograd graph **coloured by gradient
# magnitude**, and the training curves. Then we fix them: ReLU with He initialisation for the
# first, **gradient clipping** (`nn.utils.clip_grad_norm_`) for the second.

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons

import autograd_engine as ag
import nn
import viz

plt.rcParams["figure.dpi"] = 80
X, y = make_moons(n_samples=256, noise=0.15, random_state=0)
X = X.astype(np.float32)
DEPTH, WIDTH = 8, 32


def deep_net(activation, init=None):
    """DEPTH hidden layers of WIDTH units. init: None (PyTorch's default), 'he', or a std."""
    ag.manual_seed(0)
    model = nn.MLP([2] + [WIDTH] * DEPTH + [2], activation=activation)
    for name, p in model.named_parameters():
        if init == "he" and name.endswith("weight"):
            nn.init.kaiming_normal_(p, nonlinearity="relu")
        elif isinstance(init, float) and name.endswith("weight"):
            nn.init.normal_(p, std=init)
        elif init is not None:
            nn.init.zeros_(p)
    return model


def one_backward(model):
    """Loss on the whole data set and its backward pass; returns the loss."""
    loss = nn.CrossEntropyLoss()(model(ag.Tensor(X)), y)
    viz.retain_grads(loss)  # keep intermediate gradients too, for the coloured graph
    loss.backward()
    return loss

# %% [markdown]
# ## Vanishing: a deep sigmoid network
#
# The derivative of the sigmoid is at most 1/4, so each sigmoid layer multiplies the gradient by
# something smaller than 1/4 (times the weights). Compare with a ReLU network initialised with
# He's scheme (`nn.init.kaiming_normal_`), which is designed so that the signal keeps its size
# through ReLU layers: ReLU's derivative is exactly 1 where the unit is active.
#
# `viz.plot_grad_flow(model)` draws, for each weight matrix from the input (left) to the output
# (right), the mean (dark) and max (light) of `|grad|` on a log scale.

# %%
sigmoid_net = deep_net("sigmoid")
sigmoid_loss = one_backward(sigmoid_net)
relu_net = deep_net("relu", init="he")
one_backward(relu_net)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
viz.plot_grad_flow(sigmoid_net, ax=ax1, include_bias=False,
                   title=f"{DEPTH} sigmoid layers (default init)")
viz.plot_grad_flow(relu_net, ax=ax2, include_bias=False, title=f"{DEPTH} ReLU layers (He init)")
limits = ax1.get_ylim() + ax2.get_ylim()
for ax in (ax1, ax2):  # the same y range on both, so the bars compare directly
    ax.set_ylim(min(limits), max(limits))
fig.tight_layout()
plt.show()

for name, model in [("sigmoid", sigmoid_net), ("ReLU + He", relu_net)]:
    stats = viz.grad_flow_stats(model, include_bias=False)
    print(f"{name:10s} mean |grad|: first layer {stats[0]['mean']:.1e}, "
          f"last layer {stats[-1]['mean']:.1e}  (ratio {stats[-1]['mean'] / stats[0]['mean']:.0e})")

# %% [markdown]
# On the left the bars shrink by nearly a factor of 10 per layer from the output back to the
# input: the first layer's gradient is about ten million times smaller than the last one's
# (printed above). With any learning rate that suits the last layer, the first layers barely
# move. On the right the bars
# are level: every layer gets a gradient of the same size.
#
# ## The same thing, on the graph
#
# `viz.draw_graph(loss, color_by_grad=True)` fills every tensor by its mean `|grad|` on a log
# colour scale (legend at the top right), and prints each tensor's gradient norm `‖grad‖`: **dark
# blue is vanishing, red is exploding**. We called
# `viz.retain_grads(loss)` before `backward`, so intermediate activations have gradients to show,
# not only the parameters. Read it from the bottom (the loss, where the gradient starts at 1)
# upwards: the colour cools from yellow to dark blue as the gradient passes each sigmoid.
# The graph is drawn top to bottom (`rankdir="TB"`) because a deep chain is tall, not wide.

# %%
viz.draw_graph(sigmoid_loss, model=sigmoid_net, color_by_grad=True, rankdir="TB",
               title="8-layer sigmoid MLP, coloured by mean |grad|")

# %% [markdown]
# ## What it does to training
#
# Same data, same optimiser (SGD with momentum), 30 epochs each. The sigmoid network's loss stays
# at `ln 2 ≈ 0.69`, the loss of guessing 50/50: its early layers never learn a useful
# representation. The ReLU network with He initialisation fits the data.
#
# Initialisation matters as much as the activation: the third curve is the same ReLU network
# with the default initialisation (PyTorch's, which scales weights by `1/sqrt(3·fan_in)`, too
# small for ReLU). Its signal shrinks layer by layer, so its gradients start tiny too, and it
# only starts learning late, if at all.

# %%
def train(model, epochs=30, lr=0.05, clip=None):
    loader = nn.data.DataLoader(X, y, batch_size=32, shuffle=True, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow warnings when it diverges
        return nn.fit(model, nn.CrossEntropyLoss(),
                      nn.optim.SGD(model.parameters(), lr=lr, momentum=0.9), loader,
                      epochs=epochs, metrics=["accuracy"], clip_grad_norm=clip, progress=False)


runs = {
    "sigmoid (default init)": train(deep_net("sigmoid")),
    "ReLU (He init)": train(deep_net("relu", init="he")),
    "ReLU (default init)": train(deep_net("relu")),
}
fig, ax = plt.subplots(figsize=(8, 3))
for label, hist in runs.items():
    ax.plot(np.arange(1, len(hist["loss"]) + 1), hist["loss"],
            label=f"{label}: final accuracy {hist['accuracy'][-1]:.0%}")
ax.axhline(np.log(2), color="grey", ls=":", lw=1)
ax.text(30, np.log(2) + 0.02, "ln 2 (chance)", ha="right", va="bottom", fontsize=8, color="grey")
ax.set(xlabel="epoch", ylabel="training loss", title=f"{DEPTH}-layer MLPs on two moons")
ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Exploding: weights that are too large
#
# Now the opposite. Drawing every weight with standard deviation 0.5 (He would use
# `sqrt(2/32) = 0.25`) makes each ReLU layer *double* the size of the signal on average, and
# the gradient grows the same way on its way back. Below, the same network is trained twice with
# the same learning rate, and we record the total gradient norm before each step.
#
# `nn.utils.clip_grad_norm_(params, max_norm)` rescales all gradients together so that their
# joint norm is at most `max_norm`, and returns the norm before clipping. With `max_norm=inf` it
# only measures, which is what the unclipped run uses. `nn.fit(..., clip_grad_norm=1.0)` does the
# same inside the training loop.

# %%
def train_recording_norms(max_norm, epochs=20):
    model = deep_net("relu", init=0.5)
    opt = nn.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    losses, norms = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(epochs):
            for xb, yb in nn.data.DataLoader(X, y, batch_size=32, shuffle=True, seed=len(losses)):
                loss = loss_fn(model(xb), yb)
                losses.append(loss.item())
                if not np.isfinite(losses[-1]):
                    return losses, norms
                opt.zero_grad()
                loss.backward()
                norms.append(nn.utils.clip_grad_norm_(model.parameters(), max_norm).item())
                opt.step()
    return losses, norms


unclipped = train_recording_norms(float("inf"))
clipped = train_recording_norms(1.0)
print("gradient norms, first 8 steps without clipping:", np.array2string(
    np.array(unclipped[1][:8]), precision=1, max_line_width=200))
print("                               with clipping:   ", np.array2string(
    np.array(clipped[1][:8]), precision=1, max_line_width=200))
print(f"without clipping: {len(unclipped[0])} steps, last loss {unclipped[0][-1]}")
print(f"with clipping:    {len(clipped[0])} steps, mean loss over the first 16 steps "
      f"{np.mean(clipped[0][:16]):.3f}, over the last 16 steps {np.mean(clipped[0][-16:]):.3f}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2))
ax1.plot(unclipped[1], "o-", ms=3, color="tab:red", label="no clipping (stops: loss = NaN)")
ax1.plot(clipped[1], color="tab:blue", lw=1, label="clip_grad_norm_(…, 1.0)")
ax1.axhline(1.0, color="k", ls=":", lw=1)
ax1.set(yscale="log", xlabel="step", ylabel="gradient norm before clipping",
        title="total gradient norm")
ax1.legend(fontsize=8)
ax2.plot(unclipped[0], "o-", ms=3, color="tab:red", label="no clipping")
ax2.plot(clipped[0], color="tab:blue", lw=0.6, alpha=0.5, label="clipped at 1.0 (per batch)")
per_epoch = np.convolve(clipped[0], np.ones(16) / 16, mode="valid")  # 16 batches = one epoch
ax2.plot(np.arange(15, len(clipped[0])), per_epoch, color="tab:blue", lw=2,
         label="clipped, mean over 16 batches")
ax2.set(yscale="log", xlabel="step", ylabel="training loss (batch)", title="training loss")
ax2.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Without clipping (red), the first gradient norms are already in the hundreds; each step makes
# the weights larger, the next gradient is larger still, and after ten steps the activations
# overflow and the loss is NaN (the run stops there; `nn.fit` would stop too, with a warning
# that suggests clipping). With clipping (blue) the raw norms are just as large at first, but
# every step is scaled down to length 1, so the weights change by a bounded amount per step.
# The raw norms still sit above the dotted line for most of training (nearly every step is
# clipped), yet the loss falls from about 26 to about 0.1 (thick line: the mean over one epoch;
# single batches are noisy).
#
# Clipping treats the symptom (it caps the step size), not the cause: a better initialisation,
# normalisation layers (`nn.BatchNorm1d`, `nn.LayerNorm`) or residual connections keep gradients
# healthy in the first place. It is still the standard safety net for RNNs and transformers.
#
# **Next:** [07 — beyond plain backprop](07_beyond_backprop.ipynb).
