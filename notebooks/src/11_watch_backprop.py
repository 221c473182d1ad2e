# %% [markdown]
# # 11. Watch backprop
#
# Backpropagation is the chain rule applied node by node, in reverse order: each node receives the
# gradient of the loss with respect to its output (the *upstream* gradient), multiplies it by its
# own *local* derivative with respect to each input, and sends the products on. An input used by
# several nodes adds up what it receives.
#
# `viz.step_through(loss)` lets you watch exactly that on your own graph. It runs one backward pass
# through the engine (with temporary hooks; no `.grad` changes) and returns a player: *next*,
# *prev*, *play* and a slider step through the nodes in the order the engine runs them. At each
# step the running node is highlighted (orange), its incoming gradient, local derivatives and the
# products it sends are written above the graph, and finished nodes turn green (yellow: a gradient
# still being summed). The player is plain HTML with a small script: it works in Jupyter without
# an extension and offline, and `.save("backprop.html")` writes it to a file for a browser.
#
# We watch three things: the chain rule on one neuron, the 2-4-1 XOR network of the article
# *Backpropagation Explained* trained with the engine, and a saliency map (the gradient of a class
# score with respect to the input image) on scikit-learn's digits.

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

import autograd_engine as ag
import nn
import viz

# %% [markdown]
# ## 1. The chain rule on one neuron
#
# `o = tanh(x1*w1 + x2*w2 + b)`, micrograd's example. `print(player)` lists every step as a
# chain-rule line: `d o/d x1 = d o/d x1·w1 · d x1·w1/d x1 = 0.5 · -3 = -1.5` reads "the gradient
# arriving at the product `x1·w1` (0.5) times the product's local derivative with respect to `x1`
# (which is `w1` = -3)". Unnamed intermediates get names made of their inputs.

# %%
x1 = ag.Tensor(2.0, requires_grad=True, name="x1")
x2 = ag.Tensor(0.0, requires_grad=True, name="x2")
w1 = ag.Tensor(-3.0, requires_grad=True, name="w1")
w2 = ag.Tensor(1.0, requires_grad=True, name="w2")
b = ag.Tensor(6.8813735870195432, requires_grad=True, name="b")
n = x1 * w1 + x2 * w2 + b
n.name = "n"
o = n.tanh()
o.name = "o"

player = viz.step_through(o)
print(player)

# %% [markdown]
# The same steps, to click through. Step 1 is the `Tanh` node: its local derivative is
# `1 - tanh(n)² = 0.5`. The two `Add` nodes pass 0.5 on unchanged (local derivative 1), and each
# `Mul` node sends each input the *other* input's value times 0.5.

# %%
player

# %% [markdown]
# Nothing was written to the tensors: `step_through` used `ag.grad`, which returns gradients
# instead of accumulating them. The player's numbers are the engine's, as `backward` confirms:

# %%
print("x1.grad before backward:", x1.grad)
o.backward()
print({t.name: round(t.grad.item(), 6) for t in (x1, w1, x2, w2, b)})

# %% [markdown]
# `mode="forward"` walks the same graph the other way: inputs first, each node computing its value.

# %%
viz.step_through(x1 * w1 + b, mode="forward")

# %% [markdown]
# ## 2. The 2-4-1 XOR network of *Backpropagation Explained*
#
# That article trains a network with 2 inputs, 4 sigmoid hidden units and 1 sigmoid output on
# XOR, with hand-written backpropagation in NumPy: `delta = (a - y) * σ'(z)` at the output,
# `delta = (delta @ Wᵀ) * σ'(z)` going back, `ΔW = aᵀ @ delta / m`. Those are the gradients of the
# loss `mean((a - y)²) / 2`, which is what we give the engine. (The seed uses a learning rate of
# 0.1 for 10,000 epochs; with these starting weights 1.0 for 5,000 epochs gets there faster.)

# %%
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
Y = np.array([[0], [1], [1], [0]], dtype=float)

rng = np.random.default_rng(0)
W1 = ag.Tensor(rng.standard_normal((2, 4)), requires_grad=True, name="W1")
b1 = ag.Tensor(rng.standard_normal((1, 4)), requires_grad=True, name="b1")
W2 = ag.Tensor(rng.standard_normal((4, 1)), requires_grad=True, name="W2")
b2 = ag.Tensor(rng.standard_normal((1, 1)), requires_grad=True, name="b2")
params = [W1, b1, W2, b2]


def forward(x):
    h = (ag.Tensor(x, name="x") @ W1 + b1).sigmoid()
    h.name = "h"
    out = (h @ W2 + b2).sigmoid()
    out.name = "a"
    return out


def seed_gradients(x, y):
    """The article's hand-written backpropagation, for one step."""
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    z1 = x @ W1.data + b1.data
    a1 = sig(z1)
    z2 = a1 @ W2.data + b2.data
    a2 = sig(z2)
    m = x.shape[0]
    delta2 = (a2 - y) * sig(z2) * (1 - sig(z2))
    delta1 = (delta2 @ W2.data.T) * sig(z1) * (1 - sig(z1))
    return [x.T @ delta1 / m, delta1.sum(0, keepdims=True) / m, a1.T @ delta2 / m,
            delta2.sum(0, keepdims=True) / m]


loss = ((forward(X) - ag.Tensor(Y)) ** 2).mean() / 2
loss.backward()
for p, g in zip(params, seed_gradients(X, Y)):
    print(f"{p.name}: engine and seed agree to {np.abs(p.grad.data - g).max():.1e}")

# %%
opt = nn.optim.SGD(params, lr=1.0)
losses = []
for epoch in range(5000):
    opt.zero_grad()
    loss = ((forward(X) - ag.Tensor(Y)) ** 2).mean() / 2
    loss.backward()
    opt.step()
    losses.append(loss.item())
print(f"loss {losses[0]:.4f} -> {losses[-1]:.5f}; outputs", np.round(forward(X).data.ravel(), 3))

# %% [markdown]
# Now watch one backward pass of the trained network on the whole batch (written out, so that `h`
# and `a` keep their names in the picture). On tensors the player shows shapes and norms: the gradient reaching `h` is a (4, 4) matrix, and `b1`'s (1, 4)
# gradient is the sum over the batch that broadcasting calls for.

# %%
h = (ag.Tensor(X, name="x") @ W1 + b1).sigmoid()
h.name = "h"
a = (h @ W2 + b2).sigmoid()
a.name = "a"
loss = ((a - ag.Tensor(Y, name="y")) ** 2).mean() / 2
loss.name = "loss"
viz.step_through(loss)

# %% [markdown]
# To see every number, build the same network from scalars, one example at a time (here the input
# (1, 0), target 1), with the trained weights. Each hidden unit is `h_j = σ(x1·w1j + x2·w2j +
# b_j)`. Step through it: the gradient reaching the output is small because the network is
# already right, and the hidden units' gradients are what `W2` makes of it.

# %%
def scalar_net(x, y):
    s = lambda v, name: ag.Tensor(float(v), requires_grad=True, name=name)  # noqa: E731
    w = [[s(W1.data[i, j], f"w{i + 1}{j}") for j in range(4)] for i in range(2)]
    bs = [s(b1.data[0, j], f"b{j}") for j in range(4)]
    v = [s(W2.data[j, 0], f"v{j}") for j in range(4)]
    c = s(b2.data[0, 0], "c")
    xs = [ag.Tensor(float(x[0]), name="x1"), ag.Tensor(float(x[1]), name="x2")]
    hs = []
    for j in range(4):
        h = (xs[0] * w[0][j] + xs[1] * w[1][j] + bs[j]).sigmoid()
        h.name = f"h{j}"
        hs.append(h)
    z = hs[0] * v[0]
    for j in range(1, 4):
        z = z + hs[j] * v[j]
    a = (z + c).sigmoid()
    a.name = "a"
    loss = (a - y) ** 2 / 2
    loss.name = "loss"
    return loss, [t for row in w for t in row] + bs + v + [c]


xor_loss, xor_params = scalar_net(X[2], Y[2, 0])
xor_player = viz.step_through(xor_loss)
xor_player

# %% [markdown]
# The last step of the player and the engine's `.grad` agree, number for number:

# %%
xor_loss.backward()
shown = {}
for step in xor_player.steps:
    shown.update(step.values)
print(all(abs(shown[p.name] - p.grad.item()) < 1e-12 for p in xor_params),
      {p.name: round(p.grad.item(), 5) for p in xor_params[-5:]})
xor_player.save("xor_backprop.html")  # open it in any browser

# %% [markdown]
# ## 3. A saliency map: the gradient with respect to the input
#
# Backprop does not stop at the weights: it reaches the input too. The gradient of a class score
# with respect to the input image says which pixels would change the score most: a *saliency
# map* (Simonyan et al., 2013). We train a small MLP on scikit-learn's 8×8 digits, then ask for
# `d score/d image` with `ag.grad`.

# %%
digits = load_digits()
Xd = (digits.data / 16.0).astype(np.float32)
yd = digits.target
ag.manual_seed(0)
mlp = nn.MLP([64, 32, 10], activation="relu")
nn.fit(mlp, nn.CrossEntropyLoss(), nn.optim.Adam(mlp.parameters(), lr=0.01),
       nn.data.DataLoader(Xd[:1500], yd[:1500], batch_size=64, shuffle=True, seed=0), epochs=25,
       progress=False)
with ag.no_grad():
    acc = (mlp(ag.Tensor(Xd[1500:])).data.argmax(1) == yd[1500:]).mean()
print(f"test accuracy {acc:.1%}")

# %%
fig, axes = plt.subplots(2, 6, figsize=(9, 3.4))
for col, i in enumerate(range(1500, 1506)):
    image = ag.Tensor(Xd[i:i + 1], requires_grad=True, name="image")
    scores = mlp(image)
    label = int(scores.data.argmax())
    (saliency,) = ag.grad(scores[0, label], image)
    axes[0, col].imshow(Xd[i].reshape(8, 8), cmap="gray_r")
    axes[0, col].set_title(f"says {label}" + ("" if label == yd[i] else f" (is {yd[i]})"),
                           fontsize=9)
    axes[1, col].imshow(np.abs(saliency.data).reshape(8, 8), cmap="hot")
    for ax in axes[:, col]:
        ax.axis("off")
axes[0, 0].text(-3, 4, "image", rotation=90, va="center")
axes[1, 0].text(-3, 4, "|d score/d pixel|", rotation=90, va="center", fontsize=8)
fig.suptitle("saliency: which pixels move the winning class score most")
fig.tight_layout()

# %% [markdown]
# Each map shows `|d score/d pixel|`: bright pixels, ink or blank, are those whose change would
# move the winning score most. For a small MLP on 8×8 images the maps are noisy and spread out,
# so read them as "these pixels matter", not as an explanation (averaging the maps of noisy copies
# of the image, SmoothGrad, is the usual next step). The backward pass that computed one map,
# node by node: from the class score back through the two `Linear` layers and the ReLU to
# the image.

# %%
image = ag.Tensor(Xd[1500:1501], requires_grad=True, name="image")
score = mlp(image)[0, int(yd[1500])]
score.name = "score"
viz.step_through(score, model=mlp)

# %% [markdown]
# **Where next:** [notebook 6](06_vanishing_exploding_gradients.ipynb) colours whole graphs by the
# size of their gradients, and [notebook 7](07_beyond_backprop.ipynb) replaces the backward pass
# by something else.
