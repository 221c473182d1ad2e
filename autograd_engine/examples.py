"""Custom functions by example: writing your own op with :class:`autograd_engine.Function`.

Subclass ``ag.Function`` with two static methods, as with ``torch.autograd.Function``:

* ``forward(ctx, *args, **params)`` runs on **NumPy arrays** (Tensor arguments arrive as their
  arrays) and returns an array, or a tuple of arrays for several outputs. Keep what backward needs
  with ``ctx.save_for_backward(*arrays)``; other state goes in attributes (``ctx.k = k``).
* ``backward(ctx, *grads)`` runs on **Tensors**: one upstream gradient per output in, one
  gradient per positional input out (``None`` for inputs without one). Write it with Tensor ops and
  your op is differentiable twice (``create_graph=True``, ``func.hessian``) for free.
  ``ctx.saved_tensors`` returns what forward saved: an input's array comes back as that input
  Tensor, the op's own output as the output Tensor, anything else as a constant.
* Call it with ``MyOp.apply(*args, **params)``. The engine sums broadcast axes and casts dtypes of
  returned gradients for you; it raises if ``backward`` returns the wrong number of gradients or a
  gradient whose shape does not fit the input.

This page is a module so that every example below runs as a doctest.

**A straight-through estimator.** Rounding has zero gradient almost everywhere; the STE passes the
gradient through as if the op were the identity, here only where ``|x| <= limit`` (the clipped STE
of binarised networks; a keyword parameter, with the mask kept on ``ctx``):

>>> import numpy as np
>>> import autograd_engine as ag
>>> class ClippedRoundSTE(ag.Function):
...     @staticmethod
...     def forward(ctx, x, limit=2.0):
...         ctx.inside = np.abs(x) <= limit
...         return np.round(x)
...     @staticmethod
...     def backward(ctx, grad):
...         return grad * ctx.inside
>>> x = ag.Tensor([0.4, 1.6, -2.2], requires_grad=True)
>>> y = ClippedRoundSTE.apply(x)
>>> (y * ag.Tensor([1.0, 2.0, 3.0])).sum().backward()
>>> y, x.grad
(Tensor([ 0.,  2., -2.], grad_fn=<ClippedRoundSTE>), Tensor([1., 2., 0.]))

**Gradient clipping by value inside backward.** The identity in forward, but the gradient flowing
back through it is clipped to ``[-bound, bound]`` (a keyword parameter, stored on ``ctx``):

>>> class ClipGradient(ag.Function):
...     @staticmethod
...     def forward(ctx, x, bound=1.0):
...         ctx.bound = bound
...         return x
...     @staticmethod
...     def backward(ctx, grad):
...         return ag.clip(grad, -ctx.bound, ctx.bound)
>>> x = ag.Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (ClipGradient.apply(x, bound=0.5) * ag.Tensor([0.1, -2.0, 4.0])).sum().backward()
>>> x.grad
Tensor([ 0.1, -0.5,  0.5])

**Saving the output for a differentiable backward.** ``exp`` reuses its output; since
``saved_tensors`` hands it back as the output Tensor, the gradient is itself differentiable:

>>> class MyExp(ag.Function):
...     @staticmethod
...     def forward(ctx, x):
...         out = np.exp(x)
...         ctx.save_for_backward(out)
...         return out
...     @staticmethod
...     def backward(ctx, grad):
...         (out,) = ctx.saved_tensors
...         return grad * out
>>> x = ag.Tensor(1.0, requires_grad=True)
>>> (dx,) = ag.grad(MyExp.apply(x), x, create_graph=True)
>>> (d2x,) = ag.grad(dx, x)
>>> bool(np.isclose(d2x.item(), np.e))
True

**Several outputs, and skipping work with ``needs_input_grad``.** ``backward`` gets one gradient per
output (zeros for an output that was not used) and should return ``None`` where
``ctx.needs_input_grad`` is False:

>>> class ScaledSinCos(ag.Function):
...     @staticmethod
...     def forward(ctx, x, scale):
...         ctx.save_for_backward(x, scale)
...         return np.sin(x) * scale, np.cos(x) * scale
...     @staticmethod
...     def backward(ctx, grad_sin, grad_cos):
...         x, scale = ctx.saved_tensors
...         gx = gs = None
...         if ctx.needs_input_grad[0]:
...             gx = (grad_sin * x.cos() - grad_cos * x.sin()) * scale
...         if ctx.needs_input_grad[1]:
...             gs = (grad_sin * x.sin() + grad_cos * x.cos()).sum()
...         return gx, gs
>>> x = ag.Tensor([0.0, 1.0], requires_grad=True)
>>> s, c = ScaledSinCos.apply(x, ag.Tensor(2.0))   # the scale does not require grad
>>> s.sum().backward()                            # c unused: its gradient is zero
>>> np.allclose(x.grad.data, 2 * np.cos([0.0, 1.0]))
True

**Outputs without a gradient.** Mark integer-like outputs with ``ctx.mark_non_differentiable``
(outputs of integer dtype never get one anyway):

>>> class SortWithIndices(ag.Function):
...     @staticmethod
...     def forward(ctx, x):
...         order = np.argsort(x)
...         ranks = order.astype(x.dtype)        # float, but not differentiable
...         ctx.mark_non_differentiable(ranks)
...         ctx.order = order
...         return x[order], ranks
...     @staticmethod
...     def backward(ctx, grad, grad_ranks):
...         return grad[np.argsort(ctx.order)]   # undo the permutation
>>> x = ag.Tensor([3.0, 1.0, 2.0], requires_grad=True)
>>> values, ranks = SortWithIndices.apply(x)
>>> values.requires_grad, ranks.requires_grad
(True, False)
>>> (values * ag.Tensor([1.0, 10.0, 100.0])).sum().backward()
>>> x.grad
Tensor([100.,   1.,  10.])

**The same rule on arrays, at NumPy speed.** A ``backward`` that uses only operators, array
methods and ``np.*`` functions works on plain arrays too (Tensors dispatch NumPy functions to the
engine). Declare it with ``backward_on_arrays = True``: an ordinary backward then passes arrays
(and ``saved_tensors`` gives arrays), which skips a Tensor per intermediate gradient, while
``create_graph=True`` still passes Tensors, so the rule stays differentiable. Every built-in op is
written this way:

>>> class Softsign(ag.Function):
...     backward_on_arrays = True
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x / (1 + np.abs(x))
...     @staticmethod
...     def backward(ctx, grad):
...         (x,) = ctx.saved_tensors              # an array, or a Tensor under create_graph
...         return grad / (1 + np.abs(x)) ** 2
>>> x = ag.Tensor([-1.0, 3.0], requires_grad=True)
>>> (g,) = ag.grad(Softsign.apply(x).sum(), x, create_graph=True)
>>> g
Tensor([0.25  , 0.0625], grad_fn=<Div>)
>>> ag.grad(g.sum(), x)[0]                       # differentiable again
Tensor([ 0.25    , -0.03125])

**Property-testing your op.** :func:`autograd_engine.testing.check_function` runs ``gradcheck``
(and ``gradgradcheck`` with ``gradgrad=True``) over inputs drawn with Hypothesis: give a shape or
a strategy from :mod:`autograd_engine.testing.strategies` per argument. Put it in a test:

>>> from autograd_engine.testing import check_function
>>> from autograd_engine.testing.strategies import shapes, tensors
>>> check_function(MyExp, tensors(shapes(max_dims=2), domain=(-2, 2), requires_grad=True),
...                gradgrad=True, reference=np.exp, max_examples=10)
>>> check_function(ClipGradient, (3,), params={"bound": 10.0}, max_examples=5)
"""
