"""Module mechanics: registration order, traversal, modes, hooks, state_dict, repr, scope."""

import copy

import numpy as np
import pytest

import autograd_engine as ag
import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(3, dtype=np.float32))
        self.register_buffer("count", np.zeros(1, dtype=np.int64))
        self.inner = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
        self.head = nn.Linear(4, 2)
        self.register_buffer("scratch", np.zeros(2), persistent=False)

    def forward(self, x):
        return self.head(self.inner(x * self.scale))


def test_registration_order_and_traversal():
    m = Block()
    assert [n for n, _ in m.named_parameters()] == [
        "scale", "inner.0.weight", "inner.0.bias", "head.weight", "head.bias"]
    assert list(m.state_dict()) == [
        "scale", "count", "inner.0.weight", "inner.0.bias", "head.weight", "head.bias"]
    assert [n for n, _ in m.named_modules()] == ["", "inner", "inner.0", "inner.1", "head"]
    assert [type(c).__name__ for c in m.children()] == ["Sequential", "Linear"]
    assert len(list(m.modules())) == 5
    assert [n for n, _ in m.named_buffers()] == ["count", "scratch"]


def test_shared_parameters_appear_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2


def test_attribute_reassignment_and_deletion():
    m = Block()
    m.head = nn.Linear(4, 5)
    assert m.head.out_features == 5
    with pytest.raises(TypeError, match="nn.Parameter or None"):
        m.scale = np.ones(3)
    m.scale = None
    assert "scale" not in dict(m.named_parameters())
    del m.head
    assert "head" not in dict(m.named_children())

    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.ones(1))

    with pytest.raises(AttributeError, match="super"):
        Bad()


def test_train_eval_return_self_and_propagate():
    m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.BatchNorm1d(2))
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    assert m.train() is m
    assert all(x.training for x in m.modules())


def test_zero_grad_and_requires_grad():
    m = Block()
    m(ag.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all((p.grad.data == 0).all() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_state_dict_is_a_snapshot_and_round_trips():
    a, b = Block(), Block()
    sd = a.state_dict()
    a.head.weight.data[...] = 7
    assert not (sd["head.weight"] == 7).all()
    w_id = id(b.head.weight.data)
    b.load_state_dict(sd)
    np.testing.assert_array_equal(b.head.weight.data, sd["head.weight"])
    assert id(b.head.weight.data) == w_id  # copied in place
    assert "scratch" not in sd


def test_load_state_dict_casts_to_parameter_dtype():
    m = nn.Linear(3, 2)  # float32
    sd = {k: v.astype(np.float64) for k, v in m.state_dict().items()}
    sd["weight"][...] = 0.1
    m.load_state_dict(sd)
    assert m.weight.dtype == np.float32
    np.testing.assert_allclose(m.weight.data, 0.1, rtol=1e-6)


def test_load_state_dict_errors_list_keys():
    m = Block()
    sd = m.state_dict()
    del sd["head.bias"]
    sd["extra.weight"] = np.zeros(3)
    sd["inner.0.weight"] = np.zeros((5, 3))
    before = m.head.weight.data.copy()
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict(sd)
    msg = str(err.value)
    assert '"head.bias"' in msg and '"extra.weight"' in msg
    assert "size mismatch for inner.0.weight" in msg and "(5, 3)" in msg and "(4, 3)" in msg
    np.testing.assert_array_equal(m.head.weight.data, before)  # nothing modified
    del sd["inner.0.weight"]
    sd["inner.0.weight"] = m.inner[0].weight.data.copy()
    missing, unexpected = m.load_state_dict(sd, strict=False)
    assert missing == ["head.bias"] and unexpected == ["extra.weight"]


def test_repr_tree():
    m = Block()
    assert repr(m) == (
        "Block(\n"
        "  (inner): Sequential(\n"
        "    (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "    (1): ReLU()\n"
        "  )\n"
        "  (head): Linear(in_features=4, out_features=2, bias=True)\n"
        ")"
    )
    assert repr(nn.Conv2d(1, 2, 3, padding=1)) == \
        "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert repr(nn.BatchNorm2d(4)) == \
        "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    assert repr(nn.LSTM(3, 4, batch_first=True)) == "LSTM(3, 4, batch_first=True)"


def test_forward_hooks_modify_and_remove():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out * 2)
    out = lin(ag.ones(3, 2))
    np.testing.assert_allclose(out.data, np.broadcast_to(2 * lin.bias.data, (3, 2)), rtol=1e-6)
    assert calls == [(3, 2)]
    h1.remove()
    h2.remove()
    out = lin(ag.ones(1, 2))
    np.testing.assert_allclose(out.data, lin.weight.data.sum(axis=1)[None] + lin.bias.data, rtol=1e-6)
    assert calls == [(3, 2)]


def test_call_enters_scope_of_each_module():
    m = Block()
    out = m(ag.ones(1, 3))
    node = out.grad_fn
    assert node.scope[0] is m and node.scope[-1] is m.head
    inner_nodes = []
    stack, seen = [out.grad_fn], set()
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        inner_nodes.append(n)
        stack.extend(e[0] for e in n.next_functions
                     if e is not None and not isinstance(e[0], ag.Tensor))
    assert any(m.inner[0] in n.scope and m.inner in n.scope for n in inner_nodes)


def test_sequential_and_modulelist_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.Linear)
    assert [n for n, _ in seq[1:].named_children()] == ["1", "2"]
    seq.append(nn.Sigmoid())
    assert seq(ag.ones(4, 2)).shape == (4, 1)
    ml = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
    ml.insert(0, nn.Tanh())
    ml += [nn.ReLU()]
    assert [type(x).__name__ for x in ml] == ["Tanh", "Linear", "Linear", "ReLU"]
    assert [n for n, _ in ml.named_parameters()] == ["1.weight", "1.bias", "2.weight", "2.bias"]
    with pytest.raises(IndexError):
        ml[10]
    with pytest.raises(TypeError):
        ml(ag.ones(1))


def test_deepcopy_is_independent():
    m = Block()
    c = copy.deepcopy(m)
    c.head.weight.data[...] = 0
    assert not (m.head.weight.data == 0).all()
    assert isinstance(c.head.weight, nn.Parameter)


def test_parameter_shares_tensor_data():
    t = ag.Tensor(np.ones(3, dtype=np.float32))
    p = nn.Parameter(t)
    assert p.data is t.data and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\nTensor(")
    # The memory is shared, so is its version counter: a graph that saved p sees writes through t.
    y = (p * p).sum()
    t += 1.0
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()
    assert not nn.Parameter(t, requires_grad=False).requires_grad


def test_dtype_is_kept_end_to_end():
    for dtype in (np.float32, np.float64):
        model = nn.Sequential(nn.Conv2d(1, 2, 3, dtype=dtype), nn.BatchNorm2d(2, dtype=dtype), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 3 * 3, 4, dtype=dtype),
                              nn.LayerNorm(4, dtype=dtype))
        x = np.random.default_rng(0).normal(size=(2, 1, 8, 8))  # float64 input is cast to the layer dtype
        out = model(x)
        assert out.dtype == dtype
        nn.functional.cross_entropy(out, np.array([0, 3])).backward()
        assert all(p.grad.dtype == dtype for p in model.parameters())
        assert all(b.dtype == dtype for n, b in model.named_buffers() if "running" in n)


def test_layer_error_messages():
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(3, 2)(ag.ones(2, 4))
    with pytest.raises(ValueError, match="channels"):
        nn.BatchNorm1d(3)(ag.ones(4, 2))
    with pytest.raises(ValueError, match="more than 1 value"):
        nn.BatchNorm1d(3)(ag.ones(1, 3))
    with pytest.raises(ValueError, match="input_size"):
        nn.LSTM(3, 4)(ag.ones(5, 2, 2))
    with pytest.raises(TypeError, match="integers"):
        nn.Embedding(3, 2)(np.array([0.5]))
    with pytest.raises(ValueError, match="unknown activation"):
        nn.MLP([2, 3], activation="swishy")
