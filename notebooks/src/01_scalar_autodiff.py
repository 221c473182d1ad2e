# %% [markdown]
# # 1. Scalar autodiff: one neuron, by hand and by the engine
#
# A neuron computes `o = tanh(x1*w1 + x2*w2 + b)`. Training it means knowing how `o` changes when
# each input or weight changes: the partial derivatives `do/dx1`, `do/dw1`, ... Reverse-mode
# automatic differentiation (backpropagation) gets all of them in one backward sweep.
#
# In this notebook we
# 1. compute the derivatives **by hand** with the chain rule,
# 2. check them with finite differences,
# 3. let `autograd_engine` compute them, and
# 4. look at the **graph** the engine recorded, with each node's value and gradient.

# %%
import math

import autograd_engine as ag
import viz

# %% [markdown]
# ## By hand
#
# The forward pass, step by step, in plain Python floats. (The bias is picked so that `n` is a
# round-ish number and `o = tanh(n) = 1/sqrt(2)`.)

# %%
x1, x2 = 2.0, 0.0        # inputs
w1, w2 = -3.0, 1.0       # weights
b = 6.8813735870195432   # bias

x1w1 = x1 * w1
x2w2 = x2 * w2
n = x1w1 + x2w2 + b
o = math.tanh(n)
print(f"x1*w1 = {x1w1}, x2*w2 = {x2w2}, n = {n:.4f}, o = tanh(n) = {o:.4f}")

# %% [markdown]
# Now backwards, from `o` to the leaves. Each step multiplies the gradient that arrived from above
# (the *upstream* gradient) by the *local* derivative of one operation:
#
# | step | local derivative | gradient |
# |---|---|---|
# | `o = tanh(n)` | `do/dn = 1 - tanh(n)^2` | `do/dn = 1 - o^2` |
# | `n = x1w1 + x2w2 + b` | `+` passes the gradient through unchanged | `do/dx1w1 = do/dx2w2 = do/db = do/dn` |
# | `x1w1 = x1 * w1` | `*` sends each input the *other* input | `do/dx1 = w1 * do/dx1w1`, `do/dw1 = x1 * do/dx1w1` |

# %%
do_dn = 1 - o**2
do_db = do_dx1w1 = do_dx2w2 = do_dn
do_dx1, do_dw1 = w1 * do_dx1w1, x1 * do_dx1w1
do_dx2, do_dw2 = w2 * do_dx2w2, x2 * do_dx2w2
by_hand = {"x1": do_dx1, "w1": do_dw1, "x2": do_dx2, "w2": do_dw2, "b": do_db}
for name, g in by_hand.items():
    print(f"do/d{name:2s} = {g:+.4f}")

# %% [markdown]
# `do/dw2` is 0 because `x2` is 0: wiggling `w2` changes nothing. A quick sanity check of any
# derivative is a **central finite difference**, `(f(v + h) - f(v - h)) / 2h`:

# %%
def neuron(x1, w1, x2, w2, b):
    return math.tanh(x1 * w1 + x2 * w2 + b)

point = {"x1": x1, "w1": w1, "x2": x2, "w2": w2, "b": b}
h = 1e-6
for name in point:
    up, down = dict(point), dict(point)
    up[name] += h
    down[name] -= h
    numeric = (neuron(**up) - neuron(**down)) / (2 * h)
    print(f"do/d{name:2s}: by hand {by_hand[name]:+.6f}   finite difference {numeric:+.6f}")

# %% [markdown]
# ## By the engine
#
# The same computation with 0-d `ag.Tensor`s (scalars). `requires_grad=True` asks the engine to
# record every operation applied to the tensor; `backward()` then walks that record in reverse and
# fills in `.grad` on every leaf. Naming tensors is optional; the names show up in the graph below.

# %%
tx1 = ag.Tensor(x1, requires_grad=True, name="x1")
tx2 = ag.Tensor(x2, requires_grad=True, name="x2")
tw1 = ag.Tensor(w1, requires_grad=True, name="w1")
tw2 = ag.Tensor(w2, requires_grad=True, name="w2")
tb = ag.Tensor(b, requires_grad=True, name="b")

tx1w1 = tx1 * tw1
tx1w1.name = "x1*w1"
tx2w2 = tx2 * tw2
tx2w2.name = "x2*w2"
tn = tx1w1 + tx2w2 + tb
tn.name = "n"
to = tn.tanh()
to.name = "o"

viz.retain_grads(to)  # also keep the gradients of intermediates (x1*w1, n, ...) for the picture
to.backward()

for name, t in [("x1", tx1), ("w1", tw1), ("x2", tx2), ("w2", tw2), ("b", tb)]:
    print(f"do/d{name:2s}: engine {t.grad.item():+.6f}   by hand {by_hand[name]:+.6f}")

# %% [markdown]
# ## The graph
#
# `viz.draw_graph(o)` draws what the engine recorded. Read it top to bottom, the direction of the
# forward pass (small graphs are drawn left to right, deeper ones top to bottom to fit the page):
#
# - **boxes** are values (tensors): name, `data` (the forward value) and `grad` (`do/d` that value,
#   filled in by `backward`). Blue headers are inputs that require grad, the green box with a thick
#   border is the output;
# - **ellipses** are operations, named as the engine names them (`Mul`, `Add`, `Tanh`). `backward`
#   visits them bottom to top, multiplying by each one's local derivative, exactly as in the table
#   above. To watch it do so one node at a time, see `viz.step_through` in
#   [notebook 11](11_watch_backprop.ipynb).
#
# Check a few numbers against the hand computation: `grad` of `n` is `1 - 0.7071² = 0.5`; the `Add`
# nodes hand that 0.5 unchanged to both of their inputs; the `Mul` node sends `x1` the value of
# `w1` times 0.5 = -1.5. The unnamed box is `x1*w1 + x2*w2` (Python adds left to right).

# %%
viz.draw_graph(to)

# %% [markdown]
# ## Gradients add up when a value is used twice
#
# If a value feeds two operations, its gradient is the **sum** of what comes back along both paths
# (the multivariable chain rule). In `y = a*b + a`, `a` reaches `y` through the product (local
# derivative `b`) and directly (local derivative 1), so `dy/da = b + 1`: at `a = 3, b = −2` that
# is −1. Getting this right is the classic bug in hand-written autodiff; the engine adds up every
# path before passing a gradient on. In the graph, the two arrows leaving `a` are the two paths.

# %%
a = ag.Tensor(3.0, requires_grad=True, name="a")
b = ag.Tensor(-2.0, requires_grad=True, name="b")
y = a * b + a
y.name = "y"
y.backward(retain_graph=True)  # keep the graph: the drawing then shows every node's gradient
print("dy/da =", a.grad.item(), "  dy/db =", b.grad.item())
viz.draw_graph(y)

# %% [markdown]
# `.grad` also accumulates across calls to `backward` (as in PyTorch), which is why training loops
# zero the gradients before each step.
#
# **Next:** [02 — tensors and broadcasting](02_tensors_broadcasting_mlp.ipynb), where the scalars
# become arrays and the neuron becomes a network.
