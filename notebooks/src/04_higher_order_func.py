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
# `torch.func`: `grad`, `value_and_grad`, `jacobian`, `hessian`, `hvp`, `vjp`, `jvp`. They take
# a Python function of Tensors and return a new function. This notebook uses them for
# derivatives of a curve, Newton's method, and Jacobians.

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
# `J v` (the derivative in one input direction); here it is built from two reverse passes. Both
# agree with the explicit Jacobian:

# %%
u = ag.Tensor([1.0, 0.0])      # picks out row 0 of J
out, vjp_fn = func.vjp(polar, q)
(uJ,) = vjp_fn(u)
_, Jv = func.jvp(polar, (q,), (ag.Tensor([0.0, 1.0]),))  # picks out column 1 of J
print("u^T J =", uJ.data, " row 0 of J:   ", Jp.data[0])
print("J v   =", Jv.data, " column 1 of J:", Jp.data[:, 1])

# %% [markdown]
# **Next:** [05 — property-testing your own gradients](05_testing_your_gradients.ipynb).
