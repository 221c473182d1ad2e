# %% [markdown]
# # 5. Property-testing your own gradients
#
# Sooner or later you write an op the library does not have, as a subclass of `ag.Function` with
# a hand-written `backward`. A wrong `backward` does not crash: training just gets slightly worse,
# and nobody notices. This notebook shows how to catch such bugs with the tools in
# `autograd_engine.testing`:
#
# - `gradcheck(fn, inputs)` compares your `backward` with **central finite differences**
#   `(f(x + ε) − f(x − ε)) / 2ε` at every input element, and raises `GradcheckError` saying where
#   and by how much they disagree;
# - `gradgradcheck` does the same for the gradient of the gradient (second order);
# - `check_function` runs both over generated inputs in one call;
# - `autograd_engine.testing.strategies` has [Hypothesis](https://hypothesis.readthedocs.io)
#   strategies (`tensors`, `shapes`, `broadcastable_shapes`, ...) that generate many inputs of
#   different shapes and values, and **shrink** a failure to the simplest input that shows it.

# %%
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_engine as ag
from autograd_engine.testing import GradcheckError, gradcheck, gradgradcheck
from autograd_engine.testing.strategies import broadcastable_shapes, tensors

# deterministic examples, no example database written to disk, no time limit per example
quick = settings(derandomize=True, max_examples=40, deadline=None, database=None)

# %% [markdown]
# ## A custom op: `logcosh`
#
# `logcosh(x) = log(cosh(x))` is a smooth version of `|x|` used as a robust loss. Its derivative
# is `tanh(x)`. Written naively, `cosh` overflows for `|x| > 710`, so the forward uses the stable
# form `logaddexp(x, −x) − log 2`. That is exactly the kind of thing you would write a custom
# `Function` for.
#
# `forward` runs on NumPy arrays and saves what `backward` needs; `backward` gets the upstream
# gradient as a Tensor and returns one gradient per input, **in Tensor ops**, so it can itself be
# differentiated. Here is a first version, with a subtle bug: somebody "simplified" the
# derivative using `|x|`.

# %%
class LogCoshBuggy(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(x, -x) - np.log(2.0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.abs().tanh()       # BUG: should be tanh(x)


x = ag.Tensor([0.5, 1.0, 2.0], requires_grad=True)
LogCoshBuggy.apply(x).sum().backward()
print("gradient at positive inputs:", x.grad.data, "  tanh:", np.tanh(x.data))

# %% [markdown]
# On the positive inputs someone happened to try, the gradient is right. `gradcheck` at a few
# hand-picked points may or may not include a negative one; here it does, and it says exactly
# which entry is wrong, with the analytic (your `backward`) and numeric values side by side.
# `gradcheck` wants float64 inputs, because finite differences in float32 are too noisy.
# (It contracts the output with an upstream gradient, random by default so that every output
# element matters; `grad_outputs=[ones]` makes the numbers plain derivatives: `tanh(−1) ≈ −0.76`.)

# %%
x = ag.Tensor([0.5, -1.0, 2.0], requires_grad=True)
try:
    gradcheck(LogCoshBuggy.apply, [x], grad_outputs=[ag.ones(3)])
except GradcheckError as err:
    print(err)

# %% [markdown]
# ## Let Hypothesis pick the inputs
#
# Rather than hoping our hand-picked points cover the bad case, we state a **property** ("the
# backward agrees with finite differences") and let Hypothesis try many tensors: scalars and
# arrays of up to 3 dimensions, values in [−3, 3] by default. When it finds a failure it
# *shrinks* it: the report below is not some random 3-d array but the simplest failing input,
# a scalar at −1. (The numbers differ from the cell above because of the random upstream
# gradient; what matters is the sign.)

# %%
@quick
@given(tensors(requires_grad=True))
def test_logcosh_buggy(x):
    assert gradcheck(LogCoshBuggy.apply, [x])


try:
    test_logcosh_buggy()
except GradcheckError as err:
    print("Hypothesis found a failing input.")
    print(getattr(err, "__notes__", [""])[0])  # Hypothesis attaches the example as a note
    print(str(err).splitlines()[0])

# %% [markdown]
# ## The fix, checked to second order
#
# With `tanh(x)` the property holds for every input Hypothesis tries. Because `backward` uses
# Tensor ops (`x.tanh()`), the engine can differentiate it again, and `gradgradcheck` verifies the
# second derivative `1 − tanh²(x)` too, with no extra code.

# %%
class LogCosh(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(x, -x) - np.log(2.0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.tanh()


def logcosh(x):
    """log(cosh(x)), stable for large |x|. Gradient: tanh(x)."""
    return LogCosh.apply(x)


@quick
@given(tensors(requires_grad=True))
def test_logcosh(x):
    assert gradcheck(logcosh, [x])
    assert gradgradcheck(logcosh, [x])


test_logcosh()
print("logcosh: first and second derivatives pass on 40 generated tensors")
big = ag.Tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
logcosh(big).sum().backward()
print("stable at ±1000:", logcosh(big).data, " gradient:", big.grad.data)

# %% [markdown]
# ## The one-liner: `check_function`
#
# `autograd_engine.testing.check_function` packages the pattern above: give it your `Function`
# (or any function of Tensors) and, per positional argument, a shape or a Hypothesis strategy.
# It draws inputs, runs `gradcheck` (and `gradgradcheck` with `gradgrad=True`), optionally
# compares the forward pass with a NumPy `reference`, and raises with the minimal failing
# example. Below: the fixed op passes on `(3, 4)` tensors and on arrays of any shape from the
# `arrays()` strategy; the buggy one fails.

# %%
from autograd_engine.testing import check_function
from autograd_engine.testing.strategies import arrays

check_function(LogCosh, (3, 4), gradgrad=True, reference=lambda x: np.log(np.cosh(x)),
               max_examples=20)
check_function(LogCosh, arrays(), gradgrad=True, max_examples=20)
print("LogCosh passes check_function")
try:
    check_function(LogCoshBuggy, arrays(), max_examples=20)
except GradcheckError as err:
    print("LogCoshBuggy fails:", str(err).splitlines()[0][:90], "...")

# %% [markdown]
# ## Several inputs and broadcasting
#
# Ops with several inputs are where shapes go wrong. `lerp(a, b, w) = a + w (b − a)` takes three
# tensors that only need to *broadcast* together. Its backward returns gradients of the broadcast
# (output) shape, and the engine sums them back to each input's own shape, as it does for the
# built-in ops.
#
# The strategy `broadcastable_shapes(num_shapes=3)` draws triples of compatible shapes such as
# `(2, 1, 3)`, `(3,)` and `()`; `st.data()` lets the test draw a tensor for each. The property now
# also checks that every gradient has the shape of its input.

# %%
class Lerp(ag.Function):
    @staticmethod
    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        return a + w * (b - a)

    @staticmethod
    def backward(ctx, grad):
        a, b, w = ctx.saved_tensors
        return grad * (1 - w), grad * w, grad * (b - a)


@quick
@given(st.data())
def test_lerp(data):
    shapes = data.draw(broadcastable_shapes(num_shapes=3), label="shapes")
    a, b, w = (data.draw(tensors(shape=s, requires_grad=True)) for s in shapes)
    assert gradcheck(Lerp.apply, [a, b, w])
    Lerp.apply(a, b, w).sum().backward()
    assert [t.grad.shape for t in (a, b, w)] == [t.shape for t in (a, b, w)]


test_lerp()
print("lerp: gradients and their shapes pass on 40 generated shape triples")

# %% [markdown]
# ## In your own test suite
#
# The same functions, saved in a `tests/test_my_ops.py` and run by `pytest`, keep your ops honest
# as you change them. A few practical notes:
#
# - Use `tensors(domain=(low, high))` (or a `Domain` with `avoid=` points) to stay inside your
#   op's domain and away from its kinks, where finite differences are meaningless.
# - `tensors(..., distinct=True)` avoids ties for ops like `max` or `sort`.
# - Every built-in op of `autograd_engine` is checked this way by `tests/test_ops_sweep.py`.
#
# ```python
# from hypothesis import given
# from autograd_engine.testing import check_function, gradcheck, gradgradcheck
# from autograd_engine.testing.strategies import tensors
#
# @given(tensors(requires_grad=True))
# def test_logcosh(x):
#     assert gradcheck(logcosh, [x]) and gradgradcheck(logcosh, [x])
#
# def test_logcosh_short():
#     check_function(LogCosh, (3, 4), gradgrad=True, reference=lambda x: np.log(np.cosh(x)))
# ```
#
# **Next:** [06 — vanishing and exploding gradients](06_vanishing_exploding_gradients.ipynb).
