# %% [markdown]
# # 4. Higher-order gradients and `autograd_engine.func`
#
# Every backward rule in `autograd_engine` is written with operators and NumPy functions, which on
# Tensors are the same differentiable ops as the forward pass (an ordinary backward runs the rules
# on plain arrays instead, for speed). When `backward` runs with `create_graph=True` it therefore
# *records* the gradient computation as a new graph, and that graph can be differentiated again:
# second, third, ... derivatives come for free.
#
# `autograd_engine.func` wraps this in function transforms in the style of JAX and
# `torch.func`: `grad`, `value_and_grad`, `jacobian`/`jacrev`, `jacfwd`, `hessian`, `hvp`, `vjp`,
# `jvp`. They take a Python function of Tensors and return a new function. This notebook uses them
# for derivatives of a curve, Newton's method, and Jacobians; then compares forward and reverse
# mode, and trades memory for time with gradient checkpointing.

# %%
import matplotlib.pyplot as plt
import numpy as np

import autograd_engine as ag
from autograd_engine import func

plt.rcParams["figure.dpi"] = 80

# %% [markdown]
# ## Derivatives of derivatives
#
# First with the low-level API: `ag.grad(..., create_graph=True)` returns a gradient that is
# itself part of a graph, so we can call `ag.grad` on it again. For `f(x) = x³` at `x = 2`:
# `f' = 3x² = 12`, `f'' = 6x = 12`, `f''' = 6`.

# %%
x = ag.Tensor(2.0, requires_grad=True)
y = x**3
(d1,) = ag.grad(y, x, create_graph=True)
(d2,) = ag.grad(d1, x, create_graph=True)
(d3,) = ag.grad(d2, x)
print(f"f = {y.item()}, f' = {d1.item()}, f'' = {d2.item()}, f''' = {d3.item()}")

# %% [markdown]
# `func.grad(f)` does the same as a function transform, and composes: `func.grad(func.grad(f))`
# is `f''`. For an *elementwise* function, the gradient of `f(x).sum()` with respect to a vector
# `x` is the vector of `f'(x_i)`, so one call differentiates at 300 points at once. Below:
# `f(x) = sin(x)·x` and its first two derivatives, next to the formulas
# `f' = cos(x)·x + sin(x)` and `f'' = 2cos(x) − sin(x)·x` (dashed black, on top).

# %%
def f(x):
    return x.sin() * x

def summed(fn):
    return lambda x: fn(x).sum()

df = func.grad(summed(f))            # x -> f'(x), elementwise
d2f = func.grad(summed(df))          # x -> f''(x)

xs = ag.Tensor(np.linspace(-6, 6, 300))
t = xs.data
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(t, f(xs).data, label="f(x) = x sin x")
ax.plot(t, df(xs).data, label="f'(x)  (func.grad)")
ax.plot(t, d2f(xs).data, label="f''(x) (grad of grad)")
ax.plot(t, np.cos(t) * t + np.sin(t), "k--", lw=0.8)
ax.plot(t, 2 * np.cos(t) - np.sin(t) * t, "k--", lw=0.8, label="formulas")
ax.set(xlabel="x")
ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
fig.tight_layout()
plt.show()
print("max error of f'' vs formula:",
      np.abs(d2f(xs).data - (2 * np.cos(t) - np.sin(t) * t)).max())

# %% [markdown]
# ## Hessians
#
# `func.hessian(f)(x)` is the matrix of second partial derivatives `d²f / dx_i dx_j`. Take
# Rosenbrock's banana function, a classic hard test for optimisers: a long curved valley with
# its minimum at `(1, 1)`,
#
# `f(x, y) = (1 − x)² + 100 (y − x²)²`.
#
# Its Hessian by hand: `f_xx = 2 − 400y + 1200x²`, `f_xy = f_yx = −400x`, `f_yy = 200`.
# Compare with the engine at `(−1.2, 1)`:

# %%
def rosenbrock(p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2

p0 = ag.Tensor([-1.2, 1.0])
H = func.hessian(rosenbrock)(p0)
x0, y0 = p0.data
H_hand = np.array([[2 - 400 * y0 + 1200 * x0**2, -400 * x0], [-400 * x0, 200.0]])
print("engine:\n", H.data, "\nby hand:\n", H_hand)

# %% [markdown]
# The Hessian costs one backward pass per input (here 2). For many inputs you rarely need the
# whole matrix, only its product with a vector. `func.hvp` computes `H v` with two backward passes,
# whatever the size of `x`:

# %%
v = ag.Tensor([1.0, -1.0])
print("hvp:", func.hvp(rosenbrock, p0, v).data, "  H @ v:", H.data @ v.data)

# %% [markdown]
# ## Newton's method
#
# Gradient descent steps along `−∇f`, with a learning rate small enough not to blow up in the
# steep walls of the valley, so it crawls along the flat valley floor. **Newton's method** uses
# the curvature: it jumps to the minimum of the local quadratic model,
# `p ← p − H⁻¹ ∇f`, which rescales every direction by how curved it is.
#
# Both start from the classic point `(−1.2, 1)`. Newton takes a handful of steps; gradient descent
# gets 2,000.

# %%
value_and_grad = func.value_and_grad(rosenbrock)
hess = func.hessian(rosenbrock)

def newton(p, steps):
    path = [p.data.copy()]
    for _ in range(steps):
        _, g = value_and_grad(p)
        p = ag.Tensor(p.data - np.linalg.solve(hess(p).data, g.data))
        path.append(p.data.copy())
    return np.array(path)

def gradient_descent(p, steps, lr):
    path = [p.data.copy()]
    for _ in range(steps):
        _, g = value_and_grad(p)
        p = ag.Tensor(p.data - lr * g.data)
        path.append(p.data.copy())
    return np.array(path)

newton_path = newton(p0, 7)
gd_path = gradient_descent(p0, 2000, lr=1e-3)
for name, path in [("Newton, 7 steps", newton_path), ("gradient descent, 2000 steps", gd_path)]:
    final = path[-1]
    print(f"{name:30s} ends at ({final[0]:.4f}, {final[1]:.4f}), "
          f"f = {rosenbrock(ag.Tensor(final)).item():.2e}")

# %% [markdown]
# On the plot, darker means lower `f` (log colour scale); the valley is the dark curved band.
# Gradient descent (orange) drops into the valley, then creeps along its flat floor and after
# 2,000 steps is still short of the minimum (the star). Newton (black dots) uses 7 steps. It is
# not a straight path: the quadratic model is only right near the current point, so one step
# overshoots far below the valley before the next lands near `(1, 1)`. Plain Newton can also
# diverge or head for a saddle point; practical methods add a line search or a trust region.

# %%
gx, gy = np.meshgrid(np.linspace(-1.6, 1.6, 200), np.linspace(-3.5, 2.3, 200))
fz = (1 - gx) ** 2 + 100 * (gy - gx**2) ** 2
fig, ax = plt.subplots(figsize=(5.5, 5))
cs = ax.contourf(gx, gy, np.log10(fz + 1e-3), levels=20, cmap="viridis")
fig.colorbar(cs, ax=ax, label="log10 f")
ax.plot(*gd_path.T, ".-", color="tab:orange", ms=2, lw=1.5, label="gradient descent (2000 steps)")
ax.plot(*newton_path.T, "o-", color="k", mfc="w", ms=5, lw=1.2, label="Newton (7 steps)")
ax.plot(1, 1, "r*", ms=14, label="minimum (1, 1)")
ax.set(xlabel="x", ylabel="y", title="Rosenbrock: Newton vs gradient descent")
ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Jacobians
#
# For a function from vectors to vectors, `func.jacobian(f)(x)` is the matrix `J[i, j] =
# df_i/dx_j` (reverse mode: one backward pass per output). A classic check: softmax, whose
# Jacobian is `diag(s) − s sᵀ` with `s = softmax(x)`. Every row sums to 0, because the outputs
# always sum to 1.

# %%
xv = ag.Tensor([1.0, 2.0, 0.5])
J = func.jacobian(lambda x: ag.softmax(x))(xv)
s = ag.softmax(xv).data
print(np.round(J.data, 4))
print("matches diag(s) - s s^T:", np.allclose(J.data, np.diag(s) - np.outer(s, s)),
      "  row sums:", np.round(J.data.sum(axis=1), 12))

# %% [markdown]
# The Jacobian of polar coordinates `(r, θ) → (r cos θ, r sin θ)` has determinant `r`: the factor
# in `dx dy = r dr dθ`.

# %%
def polar(q):
    r, theta = q[0], q[1]
    return ag.stack([r * theta.cos(), r * theta.sin()])

q = ag.Tensor([2.0, np.pi / 3])
Jp = func.jacobian(polar)(q)
print(np.round(Jp.data, 4), "  det =", round(float(np.linalg.det(Jp.data)), 6), " r =", q.data[0])

# %% [markdown]
# ## Vector-Jacobian and Jacobian-vector products
#
# Reverse mode naturally computes `uᵀ J` (a **VJP**: one backward pass for any number of inputs),
# which is why a scalar loss gets all its parameter gradients in one pass. `func.jvp` computes
# `J v` (the derivative in one input direction) in **forward mode**: the tangent `v` rides along
# with the values through one forward pass, each op applying its `jvp` rule (written next to its
# `backward`). Both agree with the explicit Jacobian:

# %%
u = ag.Tensor([1.0, 0.0])      # picks out row 0 of J
out, vjp_fn = func.vjp(polar, q)
(uJ,) = vjp_fn(u)
_, Jv = func.jvp(polar, (q,), (ag.Tensor([0.0, 1.0]),))  # picks out column 1 of J
print("u^T J =", uJ.data, " row 0 of J:   ", Jp.data[0])
print("J v   =", Jv.data, " column 1 of J:", Jp.data[:, 1])

# %% [markdown]
# ## Forward or reverse: tall and wide Jacobians
#
# A Jacobian of `f: ℝⁿ → ℝᵐ` takes `n` JVPs (`func.jacfwd`, one per input direction) or `m` VJPs
# (`func.jacrev` = `func.jacobian`, one per output). So forward mode wins for *tall* Jacobians
# (few inputs, many outputs) and reverse mode for *wide* ones (many inputs, few outputs: a loss
# and its parameters). Below, `f(x) = tanh(W₂ tanh(W₁ x))` with 64 outputs and a growing number
# of inputs (left), then 64 inputs and a growing number of outputs (right); best of 3 timings.

# %%
import time

rng = np.random.default_rng(0)

def mlp(n_in, n_out, hidden=32):
    w1 = ag.Tensor(rng.standard_normal((hidden, n_in)) / np.sqrt(n_in))
    w2 = ag.Tensor(rng.standard_normal((n_out, hidden)) / np.sqrt(hidden))
    return lambda x: (w2 @ (w1 @ x).tanh()).tanh()

def best_time(fn, x, repeats=3):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - t0)
    return min(times)

sizes = [2, 8, 32, 64]
tall = {"jacfwd": [], "jacrev": []}
wide = {"jacfwd": [], "jacrev": []}
for k in sizes:
    f_tall, f_wide = mlp(k, 64), mlp(64, k)
    x_tall, x_wide = ag.Tensor(rng.standard_normal(k)), ag.Tensor(rng.standard_normal(64))
    assert np.allclose(func.jacfwd(f_tall)(x_tall).data, func.jacrev(f_tall)(x_tall).data)
    for name in ("jacfwd", "jacrev"):
        transform = getattr(func, name)
        tall[name].append(best_time(transform(f_tall), x_tall))
        wide[name].append(best_time(transform(f_wide), x_wide))

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
for ax, data, what in ((ax1, tall, "inputs n (64 outputs)"), (ax2, wide, "outputs m (64 inputs)")):
    for name, style in (("jacfwd", "o-"), ("jacrev", "s--")):
        ax.plot(sizes, np.array(data[name]) * 1e3, style, label=f"func.{name}")
    ax.set(xlabel=what, xscale="log", yscale="log")
    ax.set_xticks(sizes, [str(k) for k in sizes])
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.legend(fontsize=8)
ax1.set(ylabel="time for the whole Jacobian (ms)", title="tall: forward mode wins")
ax2.set(title="wide: reverse mode wins")
fig.tight_layout()
plt.show()

# %% [markdown]
# The Hessian of a scalar function is the Jacobian of its gradient, which is square; `func.hessian`
# computes it forward over reverse (`jacfwd(jacrev(f))`, as `torch.func` does), and `func.hvp`
# gives `H v` without forming `H`: one forward pass carrying the tangent `v`, then a backward
# pass that carries it too.

# %%
def rosen(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

p0, v = ag.Tensor([0.5, -0.3]), ag.Tensor([1.0, 2.0])
H = func.hessian(rosen)(p0)
print(np.round(H.data, 4), "  H v =", func.hvp(rosen, p0, v).data, " check:", H.data @ v.data)

# %% [markdown]
# ## Checkpointing: memory for time
#
# Backpropagation keeps every activation of the forward pass until backward needs it, so memory
# grows with depth. `ag.checkpoint(fn, *args)` keeps only `fn`'s inputs and runs `fn` again when
# backward reaches it; `nn.checkpoint_sequential(model, k, x)` does this for `k` segments of a
# `Sequential`. The gradients are exactly the same (the same operations on the same arrays).
# Below, a 32-layer GELU MLP (batch 256, width 32): the peak memory NumPy allocates during a
# training step (measured with `tracemalloc`), and the step's time, for different numbers of
# segments. Few segments keep few boundaries but recompute long stretches; many segments keep many
# boundaries; about `√64 = 8` segments of the 64 modules is the sweet spot. The price is one more
# forward pass plus, on arrays this small, Python work per segment (the first run records a graph
# to find the parameters, and the random state is saved), so the time grows with the segments.

# %%
import tracemalloc

import nn

ag.manual_seed(0)
layers = []
for _ in range(32):
    layers += [nn.Linear(32, 32, dtype=np.float64), nn.GELU()]
model = nn.Sequential(*layers)
xb = ag.Tensor(rng.standard_normal((256, 32)))

def step(segments):
    y = model(xb) if segments is None else nn.checkpoint_sequential(model, segments, xb)
    (y * y).mean().backward()

def measure(segments):
    step(segments)  # warm-up: the .grad arrays exist from here on
    elapsed = best_time(lambda _: step(segments), None)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    step(segments)
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return peak / 2**20, elapsed

plain_mem, plain_time = measure(None)
counts = [2, 4, 8, 16, 32]
mems, times = zip(*[measure(k) for k in counts])

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2))
ax1.plot(counts, mems, "o-", label="checkpoint_sequential")
ax1.axhline(plain_mem, color="k", ls="--", label="no checkpointing")
ax1.set(xscale="log", xlabel="segments", ylabel="peak memory of a step (MiB)",
        title="memory", ylim=(0, None))
ax2.plot(counts, np.array(times) / plain_time, "o-", color="tab:red")
ax2.axhline(1.0, color="k", ls="--")
ax2.set(xscale="log", xlabel="segments", ylabel="time / time without", title="time",
        ylim=(0, None))
for ax in (ax1, ax2):
    ax.set_xticks(counts, [str(k) for k in counts])
    ax.xaxis.set_minor_locator(plt.NullLocator())
ax1.legend(fontsize=8)
fig.tight_layout()
plt.show()
print(f"8 segments: {mems[2] / plain_mem:.2f}x the memory, {times[2] / plain_time:.2f}x the time")

# %% [markdown]
# **Next:** [05 — property-testing your own gradients](05_testing_your_gradients.ipynb).
