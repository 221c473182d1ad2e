# %% [markdown]
# # 3. A small CNN on handwritten digits, and its graph grouped by module
#
# scikit-learn ships a small digits data set (`load_digits`): 1,797 grey-scale images of 8×8
# pixels, no download needed. We train a two-layer convolutional network on it with `nn.Conv2d`,
# `nn.MaxPool2d` and `nn.fit`, look at what it learned and where it fails, and then draw its
# autograd graph **grouped by module**, collapsing the parts we do not want to see.

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import autograd_engine as ag
import nn
import viz

plt.rcParams["figure.dpi"] = 80
ag.manual_seed(0)

# %% [markdown]
# ## Data
#
# Pixels range from 0 to 16; we scale them to [0, 1] and add a channel axis, because convolution
# layers take images as `(N, C, H, W)` (PyTorch's layout). A quarter of the images is held out.

# %%
digits = load_digits()
X = (digits.images / 16.0).astype(np.float32)[:, None]  # (1797, 1, 8, 8)
y = digits.target
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0,
                                                    stratify=y)
print("train", X_train.shape, " test", X_test.shape)

fig, axes = plt.subplots(1, 10, figsize=(8, 1.2))
for ax, img, label in zip(axes, X_train, y_train):
    ax.imshow(img[0], cmap="gray_r")
    ax.set_title(f"label {label}", fontsize=9)
    ax.axis("off")
fig.tight_layout(pad=0.3)
plt.show()

# %% [markdown]
# ## The model
#
# Two blocks of *3×3 convolution → ReLU → 2×2 max-pooling* shrink the image from 8×8 to 4×4 to
# 2×2 while the number of channels grows from 1 to 8 to 16; a `Linear` layer maps the remaining
# 16·2·2 = 64 numbers to 10 class scores. Giving the two halves names (`features`, `classifier`)
# pays off in the graph later.

# %%
class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 2 * 2, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


model = SmallCNN()
print(model)
print("parameters:", sum(p.size for p in model.parameters()))

# %% [markdown]
# ## Training
#
# Fifteen epochs of Adam on mini-batches of 64 take a few seconds on a laptop CPU. (`nn.fit`
# shows a progress bar by default; it is off here to keep the stored notebook small.)

# %%
history = nn.fit(
    model, nn.CrossEntropyLoss(), nn.optim.Adam(model.parameters(), lr=3e-3),
    nn.data.DataLoader(X_train, y_train, batch_size=64, shuffle=True, seed=0), epochs=15,
    val_loader=nn.data.DataLoader(X_test, y_test, batch_size=500), metrics=["accuracy"],
    progress=False,
)
print(f"test accuracy after {len(history['loss'])} epochs: {history['val_accuracy'][-1]:.1%}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 2.8))
epochs = np.arange(1, len(history["loss"]) + 1)
ax1.plot(epochs, history["loss"], label="training")
ax1.plot(epochs, history["val_loss"], label="test")
ax1.set(title="cross-entropy loss", xlabel="epoch")
ax1.legend()
ax2.plot(epochs, history["accuracy"], label="training")
ax2.plot(epochs, history["val_accuracy"], label="test")
ax2.set(title="accuracy", xlabel="epoch", ylim=(0, 1))
ax2.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# Both curves level off: training and test accuracy end close together, so the small network is
# not over-fitting. (The training numbers are averages over each epoch while the weights were
# still changing, which is why they can sit slightly below the test numbers.)
#
# ## What it learned, and where it fails
#
# **Top row:** the eight 3×3 filters of the first convolution (red = positive weight, blue =
# negative). Trained on tiny 8×8 images for a few seconds they are rough, but several have a
# clear positive/negative split, i.e. they respond to a light-to-dark edge in one direction.
# **Bottom row:** test images the network gets wrong, with the true label and
# the prediction. Many of them are ambiguous even to a person at 8×8 pixels.

# %%
model.eval()
with ag.no_grad():
    pred = model(ag.Tensor(X_test)).data.argmax(axis=1)
wrong = np.flatnonzero(pred != y_test)
print(f"{len(wrong)} of {len(y_test)} test images misclassified")

filters = model.features[0].weight.data[:, 0]  # (8, 3, 3)
lim = np.abs(filters).max()
fig, axes = plt.subplots(2, 8, figsize=(8, 2.4))
for ax, f in zip(axes[0], filters):
    ax.imshow(f, cmap="coolwarm", vmin=-lim, vmax=lim)
    ax.axis("off")
axes[0, 0].set_title("conv1 filters", loc="left", fontsize=9)
for ax, i in zip(axes[1], wrong[:8]):
    ax.imshow(X_test[i, 0], cmap="gray_r")
    ax.set_title(f"true {y_test[i]}, said {pred[i]}", fontsize=8)
    ax.axis("off")
for ax in axes[1, len(wrong[:8]):]:
    ax.axis("off")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The graph, grouped by module
#
# Every `nn.Module` call records itself with the ops it creates, so `viz` can draw the graph of a
# loss with one frame per module, named by its path in the model (`features.0`, `classifier.1`).
# The full graph of this CNN has about 40 nodes: readable, but wide. Two options keep it small:
#
# - `collapse=[...]` draws the listed modules (paths, or type names such as `"Sequential"`) as
#   single 3-D boxes that list the ops and parameters inside;
# - `max_nodes=` collapses automatically, innermost modules first, when a graph is too big (the
#   default limit is 500 nodes, so big models never produce an unreadable picture).
#
# First the bird's-eye view, every `Sequential` collapsed. We draw the graph of the loss on a
# small batch of 16 test images:

# %%
model.train()
xb, yb = ag.Tensor(X_test[:16]), y_test[:16]
loss = nn.CrossEntropyLoss()(model(xb), yb)
loss.backward()
viz.draw_graph(loss, model=model, collapse=["Sequential"])

# %% [markdown]
# The grey `data` box on the left is not the `(16, 1, 8, 8)` images but a `(1, 9, 1024)` matrix:
# `conv2d` works by cutting the image into 3×3 windows (*im2col*: 9 pixels × 16 images × 8 × 8
# positions) and multiplying them by the filters. The images do not require a gradient, so the
# engine does not record that cutting step, and the graph starts at its result.
#
# Now one level deeper: only the two convolutions collapsed. Each ReLU, pooling and the
# classifier's `Flatten` (a `Reshape`) and `Linear` appear with the shape of what they produce:
# 16 × 8 × 8 × 8 after the first convolution, down to 16 × 10 scores. Parameters (amber) sit in
# the frame of the module that owns them.

# %%
viz.draw_graph(loss, model=model, collapse=["Conv2d"])

# %% [markdown]
# **Next:** [04 — higher-order gradients and `autograd_engine.func`](04_higher_order_func.ipynb).
