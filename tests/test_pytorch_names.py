"""PyTorch's names (autograd_engine/pytorch_names.py): each one, its errors, and, where PyTorch is
installed, the same values as PyTorch."""

import inspect

import numpy as np
import pytest

import autograd_engine as ag
import nn
from autograd_engine import Tensor
from autograd_engine.testing import gradcheck, gradgradcheck


def _x(*shape, seed=0):
    return Tensor(np.random.default_rng(seed).normal(size=shape), requires_grad=True)


# ----- dim= and keepdim= wherever axis= and keepdims= are --------------------------------------


def _axis_callables():
    """Every public function of ag and every Tensor method that takes axis or keepdims."""
    found = {}
    for name in dir(ag):
        obj = getattr(ag, name)
        if callable(obj) and not isinstance(obj, type) and not name.startswith("_"):
            found[f"ag.{name}"] = obj
    for name in dir(Tensor):
        obj = getattr(Tensor, name)
        if callable(obj) and not name.startswith("_") and not isinstance(obj, type):
            found[f"Tensor.{name}"] = obj
    out = {}
    for label, obj in found.items():
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            continue
        if {"axis", "keepdims", "axis1"} & set(params):
            out[label] = obj
    return out


AXIS_CALLABLES = _axis_callables()


def test_the_sweep_finds_the_ops():
    for label in ("ag.sum", "ag.softmax", "ag.concatenate", "ag.stack", "ag.flip", "ag.squeeze",
                  "ag.expand_dims", "ag.cumsum", "ag.split", "ag.argmax", "Tensor.argmax",
                  "Tensor.mean", "Tensor.all", "Tensor.any", "ag.swapaxes", "ag.logsumexp"):
        assert label in AXIS_CALLABLES, label


@pytest.mark.parametrize("label", sorted(AXIS_CALLABLES))
def test_every_op_taking_axis_takes_dim(label):
    fn = AXIS_CALLABLES[label]
    assert hasattr(fn, "__pytorch_keywords__"), f"{label} takes axis= but not dim="


REDUCTIONS = ["sum", "mean", "prod", "logsumexp", "argmax", "argmin", "all", "any"]
METHOD_ONLY = {"all", "any"}  # Tensor methods without an ag.<name> function


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("dim, keepdim", [(1, True), (0, False), ((0, 2), True), (-1, False)])
def test_reductions_with_dim_and_keepdim_equal_axis_and_keepdims(name, dim, keepdim):
    x = _x(2, 3, 4) if name not in ("all", "any") else Tensor(np.arange(24).reshape(2, 3, 4) % 3 > 0)
    if name in ("argmax", "argmin") and isinstance(dim, tuple):  # one axis only, as in NumPy and
        with pytest.raises(TypeError, match=name):  # PyTorch
            getattr(x, name)(dim=dim, keepdim=keepdim)
        return
    ours = getattr(x, name)(dim=dim, keepdim=keepdim)
    numpy = getattr(x, name)(axis=dim, keepdims=keepdim)
    assert ours.shape == numpy.shape and np.array_equal(ours.data, numpy.data)
    if name not in METHOD_ONLY:
        assert np.array_equal(getattr(ag, name)(x, dim=dim, keepdim=keepdim).data, numpy.data)


def test_dim_on_shape_ops_and_joins():
    x = _x(2, 1, 3)
    assert ag.softmax(x, dim=0).shape == ag.log_softmax(x, dim=0).shape == (2, 1, 3)
    np.testing.assert_allclose(ag.softmax(x, dim=0).data, ag.softmax(x, axis=0).data)
    np.testing.assert_allclose(x.log_softmax(dim=2).data, x.log_softmax(axis=2).data)
    np.testing.assert_allclose(x.cumsum(dim=2).data, np.cumsum(x.data, axis=2))
    assert x.squeeze(dim=1).shape == (2, 3) and ag.squeeze(x, dim=1).shape == (2, 3)
    assert x.expand_dims(dim=0).shape == (1, 2, 1, 3)
    assert ag.concatenate([x, x], dim=2).shape == (2, 1, 6) and ag.stack([x, x], dim=1).shape == (2, 2, 1, 3)
    np.testing.assert_array_equal(ag.flip(x, dims=(0, 2)).data, np.flip(x.data, axis=(0, 2)))
    assert ag.swapaxes(x, dim0=0, dim1=2).shape == (3, 1, 2)
    x.cumsum(dim=2).sum().backward()  # the wrapped ops still record
    assert x.grad.shape == x.shape


def test_dims_means_axis_only_for_flip():
    with pytest.raises(TypeError, match="unexpected keyword argument 'dims'"):
        _x(2, 3).sum(dims=0)


@pytest.mark.parametrize("call", [
    lambda x: x.sum(axis=1, dim=1),
    lambda x: x.sum(1, dim=1),
    lambda x: ag.mean(x, 0, dim=0),
    lambda x: x.mean(keepdims=True, keepdim=True),
    lambda x: ag.softmax(x, axis=0, dim=0),
    lambda x: ag.var(x, 0, 1, dim=0, correction=1),
    lambda x: x.argmax(axis=1, dim=1),
])
def test_both_spellings_of_one_argument_is_a_type_error(call):
    x = _x(2, 3)
    before = x.data.copy()
    both = r"got both \w+ \(NumPy's name\) and \w+ \(PyTorch's name\).*pass one"
    with pytest.raises(TypeError, match=both):
        call(x)
    np.testing.assert_array_equal(x.data, before)
    assert x.grad is None


def test_unknown_keywords_next_to_dim_are_still_refused():
    x = _x(2, 3)
    for call in (lambda: x.sum(dim=1, foo=2), lambda: x.max(dim=1, foo=2),
                 lambda: ag.split(x, 1, dim=0, f=1)):
        with pytest.raises(TypeError, match="unexpected keyword argument"):
            call()


def test_max_and_min_with_dim_return_values_and_indices():
    x = Tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0] and indices.dtype == np.int64
    out = ag.min(x, dim=0, keepdim=True)
    assert out.values.shape == (1, 3) and out.indices.tolist() == [[0, 1, 0]]
    assert x.max(1).tolist() == [5.0, 7.0]  # NumPy's spelling: values only
    assert x.max(keepdim=True).shape == (1, 1)  # no dim: the whole tensor's value, as torch
    values.sum().backward()
    assert x.grad.tolist() == [[0, 1, 0], [1, 0, 0]]
    with pytest.raises(TypeError, match=r"max: with dim= .* one int dim.*axis=\(0, 1\)"):
        x.max(dim=(0, 1))


def test_var_and_std_with_dim_are_unbiased_like_pytorch():
    x = _x(4, 3)
    np.testing.assert_allclose(x.var(dim=0).data, np.var(x.data, axis=0, ddof=1))
    np.testing.assert_allclose(ag.std(x, dim=1, keepdim=True).data,
                               np.std(x.data, axis=1, ddof=1, keepdims=True))
    np.testing.assert_allclose(x.var(dim=0, correction=0).data, np.var(x.data, axis=0))
    np.testing.assert_allclose(x.std(dim=0, unbiased=False).data, np.std(x.data, axis=0))
    np.testing.assert_allclose(x.var(0).data, np.var(x.data, axis=0))  # NumPy's spelling: ddof=0
    np.testing.assert_allclose(x.var(correction=1).data, np.var(x.data, ddof=1))
    assert gradcheck(lambda t: t.std(dim=0), [x])


def test_split_with_dim_takes_piece_sizes_like_pytorch():
    x = ag.arange(10.0).reshape(2, 5)
    assert [p.shape for p in ag.split(x, 2, dim=1)] == [(2, 2), (2, 2), (2, 1)]
    assert [p.shape for p in ag.split(x, [1, 4], dim=1)] == [(2, 1), (2, 4)]
    assert [p.shape for p in ag.split(x, 5, axis=1)] == [(2, 1)] * 5  # NumPy's: 5 sections
    with pytest.raises(ValueError, match=r"sizes of the pieces.*add up to 5.*got \[1, 2\]"):
        ag.split(x, [1, 2], dim=1)
    with pytest.raises(ValueError, match="size of each piece and must be positive"):
        ag.split(x, 0, dim=1)


def test_dim_results_match_pytorch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(1).normal(size=(3, 4, 5))
    x, t = Tensor(a), torch.tensor(a)
    for name in ("sum", "mean", "prod", "logsumexp", "var", "std", "softmax", "log_softmax",
                 "cumsum", "argmax", "argmin"):
        kwargs = {"dim": 1} if name in ("softmax", "log_softmax", "cumsum") else {"dim": 1, "keepdim": True}
        np.testing.assert_allclose(getattr(x, name)(**kwargs).data, getattr(t, name)(**kwargs).numpy(),
                                   rtol=1e-12, err_msg=name)
    for name in ("max", "min"):
        ours, theirs = getattr(x, name)(dim=2), getattr(t, name)(dim=2)
        np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    for ours, theirs in zip(ag.split(x, [1, 3], dim=1), torch.split(t, [1, 3], dim=1)):
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    np.testing.assert_array_equal(ag.cat([x, x], dim=2).data, torch.cat([t, t], dim=2).numpy())
    np.testing.assert_array_equal(ag.flip(x, dims=(0, 1)).data, torch.flip(t, dims=(0, 1)).numpy())


# ----- Tensor methods ---------------------------------------------------------------------------


def test_dtype_methods():
    x = Tensor([1.5, -2.5], requires_grad=True)
    assert (x.float().dtype, x.double().dtype, x.long().dtype, x.int().dtype, x.bool().dtype) == (
        np.float32, np.float64, np.int64, np.int32, np.bool_)
    assert x.long().tolist() == [1, -2] and not x.long().requires_grad
    (x.float() * 3).sum().backward()  # float <-> float casts are differentiable
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [3.0, 3.0]


def test_view_clone_unsqueeze_permute_numel_dim():
    x = _x(2, 3, 4)
    assert x.view(-1, 4).shape == (6, 4) and x.view((4, 6)).shape == (4, 6) and x.view(24).shape == (24,)
    with pytest.raises(TypeError, match="view: reinterpreting.*takes a shape"):
        x.view(np.float32)
    c = x.clone()
    assert c.grad_fn is not None and not np.shares_memory(c.data, x.data)
    np.testing.assert_array_equal(c.data, x.data)
    assert gradcheck(lambda t: t.clone() * t, [_x(3)]) and gradgradcheck(lambda t: t.clone() * t, [_x(3)])
    assert x.unsqueeze(1).shape == (2, 1, 3, 4) and x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert x.permute(2, 0, 1).shape == (4, 2, 3) and x.permute((1, 2, 0)).shape == (3, 4, 2)
    with pytest.raises(ValueError, match=r"permute: got 2 dims \(1, 0\) for a tensor of shape \(2, 3, 4\)"):
        x.permute(1, 0)
    x.permute(2, 0, 1).unsqueeze(0).sum().backward()
    assert x.grad.shape == x.shape
    assert x.numel() == 24 and isinstance(x.numel(), int) and x.dim() == 3
    assert x.contiguous() is x and x.cpu() is x and x.device == "cpu"


def test_size_keeps_numpys_meaning_and_calling_it_teaches():
    x = ag.zeros(3, 5)
    assert x.size == 15 and isinstance(x.size, int) and x.size * 2 == 30 and str(x.size) == "15"
    with pytest.raises(TypeError, match=r"NumPy's element count \(an int: 15\).*x\.shape\[0\] \(= 3\)"):
        x.size(0)
    with pytest.raises(TypeError, match=r"use x\.shape\[-1\] \(= 5\)"):
        x.size(-1)
    with pytest.raises(TypeError, match=r"use x\.shape \(\(3, 5\)\) for the shape, or x\.numel\(\)"):
        x.size()


def test_to():
    x = ag.tensor([1, 2])
    assert x.to("cpu") is x and x.to(device="cpu") is x and x.to("cpu:0") is x
    assert x.to(ag.float32).dtype == np.float32 and x.to("float64").dtype == np.float64
    assert x.to("cpu", ag.float64).dtype == np.float64 and x.to(dtype=np.float32).dtype == np.float32
    assert x.to(ag.zeros(1, dtype=np.float32)).dtype == np.float32
    assert x.to("cpu", non_blocking=True) is x
    c = x.to("cpu", copy=True)
    assert c is not x and not np.shares_memory(c.data, x.data)
    w = Tensor([1.0], requires_grad=True)
    w.to(ag.float32).sum().backward()
    assert w.grad.tolist() == [1.0]
    for device in ("cuda", "cuda:0", "mps"):
        with pytest.raises(RuntimeError, match=f"CPU only.*no '{device}' device.*use 'cpu'"):
            x.to(device)
    with pytest.raises(TypeError, match="neither a device.*nor a dtype"):
        x.to("gpu0")
    with pytest.raises(TypeError, match="unexpected keyword.*'devise'"):
        x.to(devise="cpu")


def test_to_accepts_a_torch_device():
    torch = pytest.importorskip("torch")
    x = ag.zeros(2)
    assert x.to(torch.device("cpu")) is x
    with pytest.raises(RuntimeError, match="no 'cuda' device"):
        x.to(torch.device("cuda"))


def test_format():
    assert f"{ag.tensor(2.0) / 3:.4f}" == "0.6667"
    assert f"{Tensor([[0.5]]):.1%}" == "50.0%"
    assert f"{ag.tensor(7):03d}" == "007"
    x = ag.tensor([1.0, 2.0])
    assert f"{x}" == str(x) == repr(x)
    with pytest.raises(TypeError, match=r"format: only one-element tensors.*shape \(2,\).*x.tolist\(\)"):
        format(x, ".2f")


# ----- module-level names -----------------------------------------------------------------------


def test_dtype_names():
    assert ag.zeros(1, dtype=ag.float32).dtype == ag.float32 == np.float32
    assert ag.tensor([1]).dtype == ag.int64 == ag.long
    assert (ag.float64, ag.double, ag.int32, ag.int, ag.bool, ag.float) == (
        np.float64, np.float64, np.int32, np.int32, np.bool_, np.float32)
    namespace = {}
    exec("from autograd_engine import *", namespace)
    assert "float32" in namespace and "long" in namespace
    assert not {"bool", "float", "int"} & set(namespace)  # the builtins stay themselves


def test_from_numpy_shares_memory_and_dtype():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    t = ag.from_numpy(a)
    assert t.dtype == np.int32 and np.shares_memory(t.data, a)
    a[0, 0] = 9
    t.data[1, 2] = -1
    assert t.tolist() == [[9, 1, 2], [3, 4, -1]] and a[1, 2] == -1
    assert ag.from_numpy(np.ones((), np.float32)).shape == ()
    with pytest.raises(TypeError, match="from_numpy: expected an np.ndarray, got list"):
        ag.from_numpy([1, 2])
    with pytest.raises(TypeError, match="from_numpy: cannot share an array of dtype <U1"):
        ag.from_numpy(np.array(["a"]))


def test_cat_argmax_argmin():
    a, b = _x(2, 3), _x(2, 1)
    assert ag.cat([a, b], dim=1).shape == (2, 4) and ag.cat([a, a]).shape == (4, 3)
    ag.cat([a, b], 1).sum().backward()
    assert b.grad.shape == (2, 1)
    assert ag.argmax(Tensor([[1.0, 3.0], [4.0, 2.0]]), dim=1).tolist() == [1, 0]
    assert ag.argmin(np.array([3, 1, 2])).item() == 1


def test_inference_mode():
    x = Tensor([1.0], requires_grad=True)
    with ag.inference_mode():
        assert not ag.is_grad_enabled() and not (x * 2).requires_grad
    assert ag.is_grad_enabled()
    with ag.inference_mode(False):
        assert (x * 2).requires_grad
    with ag.no_grad(), ag.inference_mode(False):
        assert not ag.is_grad_enabled()  # inference_mode(False) does not turn grad mode on

    @ag.inference_mode
    def bare(t):
        return t * 2

    @ag.inference_mode()
    def called(t):
        return t * 2

    assert not bare(x).requires_grad and not called(x).requires_grad and bare.__name__ == "bare"
    with pytest.raises(KeyError), ag.inference_mode():
        {}["missing"]  # noqa: B018 - raises inside the block
    assert ag.is_grad_enabled()


def test_tensor_of_python_ints_is_int64_like_pytorch():
    assert ag.tensor([0, 1, 2]).dtype == np.int64 and ag.tensor(3).dtype == np.int64
    assert ag.tensor([1, 2.5]).dtype == np.float64 and ag.tensor([True]).dtype == np.bool_
    assert ag.tensor(np.array([1, 2], dtype=np.int32)).dtype == np.int32  # arrays keep theirs
    assert ag.tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert Tensor([0, 1, 2]).dtype == np.float64  # the constructor, like torch.Tensor, makes floats
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        ag.tensor([1, 2], requires_grad=True)
    logits = _x(3, 4)
    loss = nn.CrossEntropyLoss()(logits, ag.tensor([0, 3, 1]))  # usable as class labels
    loss.backward()
    assert logits.grad.shape == (3, 4)


def test_pytorch_names_match_torch_dtypes():
    torch = pytest.importorskip("torch")
    for ours, theirs in ((ag.tensor([0, 1]), torch.tensor([0, 1])),
                         (ag.tensor([True]), torch.tensor([True]))):
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    t = ag.tensor([1.5, 2.0])
    for m in ("float", "double", "long", "int", "bool"):
        assert str(getattr(t, m)().dtype) == str(getattr(torch.tensor([1.5, 2.0]), m)().dtype).replace(
            "torch.", "")


# ----- nn: Module.to, TensorDataset, DataLoader over datasets ------------------------------------


def test_module_to_float_double_cpu():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    params = list(model.parameters())
    model(ag.ones(5, 3, dtype=np.float32)).sum().backward()
    assert model.to("cpu") is model and model.cpu() is model
    assert model.double() is model
    assert list(model.parameters()) == params  # the same Parameter objects, converted in place
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float64)}
    assert {p.grad.dtype for p in model.parameters()} == {np.dtype(np.float64)}
    buffers = dict(model.named_buffers())
    assert buffers["1.running_mean"].dtype == np.float64
    assert buffers["1.num_batches_tracked"].dtype == np.int64
    out = model(ag.ones(5, 3))
    assert out.dtype == np.float64
    opt.zero_grad()
    out.sum().backward()
    opt.step()  # the optimizer made before the conversion keeps working
    assert model.float()[0].weight.dtype == np.float32
    assert model.to(ag.float64)[0].weight.dtype == np.float64
    with pytest.raises(RuntimeError, match="no 'cuda' device"):
        model.to("cuda")
    with pytest.raises(TypeError, match="Sequential.to: modules convert only to floating-point dtypes"):
        model.to(ag.int64)
    assert model[0].weight.dtype == np.float64  # failed calls change nothing


def test_tensor_dataset():
    X, y = np.arange(10.0).reshape(5, 2), [0, 1, 0, 1, 1]
    ds = nn.data.TensorDataset(X, y)
    assert len(ds) == 5 and np.shares_memory(ds.tensors[0].data, X) and ds.tensors[1].dtype == np.int64
    xi, yi = ds[2]
    assert xi.tolist() == [4.0, 5.0] and yi.item() == 0 and yi.dtype == np.int64
    assert [t.shape for t in ds[1:3]] == [(2, 2), (2,)]
    with pytest.raises(ValueError, match=r"TensorDataset: .*same length.*\[\(5, 2\), \(4,\)\]"):
        nn.data.TensorDataset(X, y[:4])
    with pytest.raises(ValueError, match="at least one"):
        nn.data.TensorDataset()


def test_data_loader_over_datasets():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 3
    by_arrays = [(a.tolist(), b.tolist())
                 for a, b in nn.data.DataLoader(X, y, batch_size=4, shuffle=True, seed=1)]
    ds = nn.data.TensorDataset(X, y)
    by_dataset = [(a.tolist(), b.tolist())
                  for a, b in nn.data.DataLoader(ds, batch_size=4, shuffle=True, seed=1)]
    assert by_arrays == by_dataset and len(by_arrays) == 3

    class Pairs:  # a map-style dataset, as PyTorch users write them
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return Tensor(X[i]), int(y[i])

    loader = nn.data.DataLoader(Pairs(), batch_size=4, shuffle=True, seed=1, num_workers=0)
    by_custom = [(a.tolist(), b.tolist()) for a, b in loader]
    assert by_custom == by_arrays and len(loader) == 3 and isinstance(loader.dataset, Pairs)
    xb, yb = next(iter(loader))
    assert xb.dtype == np.float64 and yb.dtype == np.int64
    assert next(iter(nn.data.DataLoader(Pairs(), batch_size=2, dtype=np.float32)))[0].dtype == np.float32
    single = nn.data.DataLoader(nn.data.TensorDataset(X), batch_size=5)
    assert [b.shape for b in single] == [(5, 2), (5, 2)]

    class Dicts(Pairs):
        def __getitem__(self, i):
            return {"x": X[i]}

    with pytest.raises(TypeError, match="samples must be arrays.*got a dict"):
        next(iter(nn.data.DataLoader(Dicts(), batch_size=2)))
    with pytest.raises(TypeError, match="pass one dataset"):
        nn.data.DataLoader(Pairs(), y)
    hist = nn.fit(nn.Linear(2, 3), nn.CrossEntropyLoss(), nn.optim.SGD(nn.Linear(2, 3).parameters(), lr=0.1),
                  nn.data.DataLoader(Pairs(), batch_size=4, dtype=np.float32), epochs=1, progress=False)
    assert len(hist["loss"]) == 1


def test_transpose_of_two_axes_of_a_3d_tensor_names_swapaxes():
    x = ag.zeros(2, 3, 4)
    with pytest.raises(ValueError, match=r"transpose: axes \(0, 1\) must list each of the input's 3 "
                                         r"axes once.*PyTorch's transpose\(0, 1\).*swapaxes\(0, 1\)"):
        x.transpose(0, 1)
    with pytest.raises(ValueError, match=r"axes \(0,\) must list each"):
        ag.transpose(x, (0,))
    assert x.swapaxes(0, 1).shape == (3, 2, 4) and x.transpose(1, 0, 2).shape == (3, 2, 4)


def test_flatten_clamp_t_pow():
    x = _x(2, 3, 4)
    assert ag.flatten(x, 1).shape == (2, 12) and x.flatten().shape == (24,)
    assert x.flatten(0, 1).shape == (6, 4) and x.flatten(-2).shape == (2, 12)
    assert x.flatten("C").shape == (24,) and ag.flatten(ag.tensor(3.0)).shape == (1,)
    assert ag.flatten(ag.zeros(2, 0, 3), 1).shape == (2, 0)
    with pytest.raises(ValueError, match=r"flatten: start_dim=3 is out of range.*\[-3, 2\]"):
        x.flatten(3)
    with pytest.raises(ValueError, match=r"flatten: start_dim \(2\) comes after end_dim \(1\)"):
        x.flatten(2, 1)
    ag.flatten(x, 1).sum().backward()
    assert x.grad.shape == x.shape
    y = Tensor([-2.0, 0.5, 2.0], requires_grad=True)
    assert y.clamp(min=0).tolist() == [0.0, 0.5, 2.0] and ag.clamp(y, -1, 1).tolist() == [-1.0, 0.5, 1.0]
    y.clamp(max=1).sum().backward()
    assert y.grad.tolist() == [1.0, 1.0, 0.0]
    assert ag.zeros(2, 3).t().shape == (3, 2) and ag.zeros(3).t().shape == (3,)
    with pytest.raises(ValueError, match=r"t: expects a tensor of at most 2 dimensions.*swapaxes"):
        x.t()
    assert np.allclose(x.pow(2).data, x.data**2)


def test_flatten_clamp_match_pytorch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(2).normal(size=(2, 3, 4, 5))
    for args in ((), (1,), (1, 2), (-3, -1), (0, 0)):
        assert ag.flatten(Tensor(a), *args).shape == tuple(torch.flatten(torch.tensor(a), *args).shape)
    np.testing.assert_array_equal(Tensor(a).clamp(-0.5, 0.5).data, torch.tensor(a).clamp(-0.5, 0.5).numpy())
