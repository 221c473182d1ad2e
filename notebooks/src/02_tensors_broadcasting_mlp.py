# %% [markdown]
# # 2. Tensors and broadcasting: a vectorised MLP on two moons
#
# Notebook 1 differentiated one neuron, one scalar at a time. Real networks process a whole
# **batch** at once: inputs are arrays of shape `(N, features)`, a layer is one matrix product
# plus a bias, and the engine differentiates the array expression as a whole.
#
# Here we
# 1. see how **broadcasting** works in the forward pass and how the engine undoes it in the
#    backward pass,
# 2. train an `nn.MLP` on scikit-learn's two-moons data with `nn.fit`,
# 3. plot the **training curve** from `fit`'s history and the **decision boundary**, and
# 4. draw the graph of one training step, where each box is now a whole tensor.

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

import autograd_engine as ag
import nn
import viz

plt.rcParams["figure.dpi"] = 80  # keeps the stored pictures small
ag.manual_seed(0)

# %% [markdown]
# ## Broadcasting, forward and backward
#
# A dense layer computes `h = x @ W.T + b` for a batch `x` of shape `(N, in)`, a weight `W` of
# shape `(out, in)` (PyTorch's layout) and a bias `b` of shape `(out,)`. The product has shape
# `(N, out)`; NumPy's broadcasting rules stretch `b` along the batch axis so that every row gets
# the same bias.
#
# In the backward pass a stretched value receives one gradient per copy, so its gradient is the
# **sum over the broadcast axis**. The engine does that for every op (it "unbroadcasts"): `b.grad`
# has `b`'s shape, and equals the column sums of the upstream gradient.

# %%
x = ag.randn(5, 3)                                  # a batch of 5 samples with 3 features
W = ag.randn(4, 3, requires_grad=True)              # 4 output units
b = ag.zeros(4, requires_grad=True)

h = x @ W.T + b          # (5, 3) @ (3, 4) + (4,)  ->  (5, 4)
loss = h.tanh().sum()
loss.backward()
print("h:", h.shape, "  W.grad:", W.grad.shape, "  b.grad:", b.grad.shape)

# the same gradients by hand: dloss/dh = 1 - tanh(h)^2, then sum over the batch for b
dh = 1 - np.tanh(h.data) ** 2
print("b.grad matches the column sums of dloss/dh:", np.allclose(b.grad.data, dh.sum(axis=0)))
print("W.grad matches dh.T @ x:                   ", np.allclose(W.grad.data, dh.T @ x.data))

# %% [markdown]
# ## Data: two interleaving half-moons
#
# 400 points in 2-D, two classes that no straight line separates. We keep a quarter aside to
# check that the model generalises.

# %%
X, y = make_moons(n_samples=400, noise=0.2, random_state=0)
X = X.astype(np.float32)  # nn layers are float32 by default, like PyTorch
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, random_state=0)

fig, ax = plt.subplots(figsize=(4.5, 3.2))
ax.scatter(*X_train.T, c=y_train, cmap="coolwarm", s=12, edgecolor="k", linewidth=0.3)
ax.set(title="two moons (training set)", xlabel="$x_1$", ylabel="$x_2$")
plt.show()

# %% [markdown]
# ## The model and the training loop
#
# `nn.MLP([2, 32, 32, 2], activation="tanh")` is a `Sequential` of `Linear(2, 32)`, `Tanh`,
# `Linear(32, 32)`, `Tanh`, `Linear(32, 2)`: two logits per point, one per class. `nn.fit` runs
# the usual loop for every mini-batch (`zero_grad`, forward, `CrossEntropyLoss`, `backward`,
# `Adam.step`) and returns a history of per-epoch averages. (It shows a progress bar by default;
# we switch it off here to keep the stored notebook small.)

# %%
model = nn.MLP([2, 32, 32, 2], activation="tanh")
print(model)

train_loader = nn.data.DataLoader(X_train, y_train, batch_size=32, shuffle=True, seed=0)
val_loader = nn.data.DataLoader(X_val, y_val, batch_size=100)
history = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.Adam(model.parameters(), lr=0.01),
                 train_loader, epochs=60, val_loader=val_loader, metrics=["accuracy"],
                 progress=False)
print(f"final: train loss {history['loss'][-1]:.3f}, val loss {history['val_loss'][-1]:.3f}, "
      f"val accuracy {history['val_accuracy'][-1]:.1%}")

# %% [markdown]
# ## What the training did
#
# **Left:** the loss per epoch (log scale). The training loss is averaged over the epoch's
# mini-batches; the validation loss is measured on the held-out points after each epoch. Both fall
# for the first ~20 epochs; after that the training loss keeps falling while the validation loss
# stops improving and drifts up a little: the network has started to fit the noise of its
# training points (mild over-fitting; stopping around epoch 20, or weight decay, would avoid it).
# **Right:** the decision boundary. We evaluate the model on a grid covering the plane and colour
# each cell by the predicted probability of class 1 (red) vs class 0 (blue); the black line is
# where both classes are equally likely. The dots are the validation points, which the model
# never trained on.

# %%
xx, yy = np.meshgrid(np.linspace(-1.6, 2.6, 150), np.linspace(-1.1, 1.6, 150))
grid = np.c_[xx.ravel(), yy.ravel()].astype(np.float32)
model.eval()
with ag.no_grad():  # no graph is recorded: faster, and nothing to free
    prob = ag.softmax(model(ag.Tensor(grid)), axis=1).data[:, 1].reshape(xx.shape)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
epochs = np.arange(1, len(history["loss"]) + 1)
ax1.plot(epochs, history["loss"], label="training")
ax1.plot(epochs, history["val_loss"], label="validation")
ax1.set(title="cross-entropy loss per epoch", xlabel="epoch", ylabel="loss", yscale="log")
ax1.legend()
cs = ax2.contourf(xx, yy, prob, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.8)
ax2.contour(xx, yy, prob, levels=[0.5], colors="k", linewidths=1)
ax2.scatter(*X_val.T, c=y_val, cmap="coolwarm", s=14, edgecolor="k", linewidth=0.4)
ax2.set(title="decision boundary (black: p = 0.5)", xlabel="$x_1$", ylabel="$x_2$")
fig.colorbar(cs, ax=ax2, label="p(class 1)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The graph of one training step
#
# Boxes now stand for whole tensors and show their name, shape and dtype instead of a value.
# Amber headers are the model's parameters (named by `named_parameters()`), grey is data. The
# blue frames group the operations by the module that ran them (`0` is the first `Linear`, `1`
# the first `Tanh`, ...), because `nn.Module.__call__` records the module with every op it
# creates. `nn.Linear` runs `x @ W.T + b` as one fused `Linear` op; its backward sums the bias
# gradient over the 32 rows of the batch, the broadcasting rule from the top of this notebook.
# The output box shows the loss value.

# %%
xb, yb = next(iter(train_loader))
model.train()
loss = nn.CrossEntropyLoss()(model(xb), yb)
loss.backward()
viz.draw_graph(loss, model=model, title="one mini-batch of MLP([2, 32, 32, 2]) + cross-entropy")

# %% [markdown]
# **Next:** [03 — a small CNN on digits](03_cnn_digits.ipynb).
