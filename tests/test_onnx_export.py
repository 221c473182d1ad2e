"""ag.onnx.export: exported models run in onnxruntime and agree with the engine (1e-5 in float32)."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import autograd_engine as ag
import nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

ATOL = 1e-5


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _engine(fn, xs):
    if isinstance(fn, nn.Module):
        fn.eval()
    with ag.no_grad():
        return [np.asarray(t.data) for t in _flat(fn(*[ag.Tensor(x) for x in xs]))]


def _onnx(path, xs):
    session = ort.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: x for i, x in zip(session.get_inputs(), xs)})


def _check(fn, xs, path, other=None, **kw):
    """Export on ``xs``, compare on ``xs`` and (dynamic batch) on the inputs ``other``."""
    proto = ag.onnx.export(fn, [ag.Tensor(x) for x in xs], path, **kw)
    for inputs in [xs] + ([other] if other is not None else []):
        want = _engine(fn, inputs)
        got = _onnx(path, inputs)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape and g.dtype == w.dtype
            np.testing.assert_allclose(g, w, atol=ATOL, rtol=1e-5)
    return proto


def _rand(*shape, low=None, seed=0):
    x = np.random.default_rng(seed + len(shape)).standard_normal(shape).astype(np.float32)
    return np.abs(x) + low if low is not None else x


@pytest.fixture
def path(tmp_path):
    return tmp_path / "model.onnx"


# ----- models ----------------------------------------------------------------------------------


def test_mlp(path):
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 16),
                          nn.Tanh(), nn.Linear(16, 3), nn.LogSoftmax(dim=1))
    proto = _check(model, [_rand(4, 6)], path, other=[_rand(9, 6, seed=1)])
    assert [i.name for i in proto.graph.initializer][:2] == ["0.weight", "0.bias"]
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    onnx.checker.check_model(onnx.load(os.fspath(path)), full_check=True)


def test_cnn_conv_pool_batchnorm_flatten_linear(path):
    ag.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, stride=2, padding=2, dilation=2, groups=4), nn.BatchNorm2d(8),
        nn.LeakyReLU(0.1), nn.AvgPool2d(3, stride=1, padding=1), nn.Flatten(), nn.Linear(8 * 2 * 2, 5))
    model.train()
    model(ag.Tensor(_rand(8, 3, 8, 8, seed=3)))  # running statistics away from 0 and 1
    proto = _check(model, [_rand(2, 3, 8, 8)], path, other=[_rand(5, 3, 8, 8, seed=1)])
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("Conv") == 2 and "MaxPool" in ops and "AveragePool" in ops
    names = {i.name for i in proto.graph.initializer}
    assert {"0.weight", "0.bias", "1.weight", "4.weight", "9.weight"} <= names


@pytest.mark.parametrize("batch_first", [False, True])
def test_lstm(path, batch_first):
    ag.manual_seed(0)
    lstm = nn.LSTM(3, 5, num_layers=2, batch_first=batch_first)
    shape = (2, 4, 3)  # (N, L, features) if batch_first else (L, N, features)
    other = (6, 4, 3) if batch_first else (2, 6, 3)
    # the batch is axis 1 of a sequence-first input
    _check(lstm, [_rand(*shape)], path, other=[_rand(*other, seed=1)],
           batch_axis=0 if batch_first else 1)


def test_rnn_and_model_around_lstm(path):
    ag.manual_seed(0)

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(20, 4)
            self.rnn = nn.RNN(4, 6, batch_first=True, bidirectional=True)
            self.lstm = nn.LSTM(12, 5, batch_first=True)
            self.head = nn.Linear(5, 3)

        def forward(self, idx):
            h, _ = self.rnn(self.emb(idx))
            out, (h_n, c_n) = self.lstm(h)
            return self.head(out), c_n

    idx = np.random.default_rng(0).integers(0, 20, size=(2, 7))
    other = np.random.default_rng(1).integers(0, 20, size=(3, 7))
    _check(Tagger(), [idx], path, other=[other])


def test_batch_size_is_fixed_when_asked(path):
    model = nn.Linear(3, 2)
    proto = ag.onnx.export(model, ag.randn(4, 3), path, batch_axis=None)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 4
    with pytest.raises(Exception):  # noqa: B017 - onnxruntime's own error type
        _onnx(path, [np.zeros((5, 3), np.float32)])


# ----- one op at a time --------------------------------------------------------------------------

C = np.float32(0.5)
OPS = {
    "add_broadcast_const": (lambda x: x + _rand(5) * 2 + 1.0, [(3, 5)]),
    "sub_rsub": (lambda x: 1.0 - x - x[:1], [(3, 5)]),
    "mul_div": (lambda x, y: x * y / (y * y + 1.0) * 3, [(3, 5), (3, 5)]),
    "rdiv_neg": (lambda x: -(2.0 / (x + 3.0)), [(3, 5)]),
    "pow": (lambda x: (x.abs() + 0.5) ** 1.5 + x ** 2, [(3, 5)]),
    "exp_log_sqrt_abs": (lambda x: x.exp() + (x.abs() + 0.1).log() + (x.abs() + 0.1).sqrt(),
                         [(3, 5)]),
    "log1p_sin_cos": (lambda x: ag.log1p(x.abs()) + ag.sin(x) * ag.cos(x), [(3, 5)]),
    "relu_leaky_elu": (lambda x: ag.relu(x) + ag.leaky_relu(x, 0.2) + ag.elu(x, 0.7), [(3, 5)]),
    "gelu_silu": (lambda x: ag.gelu(x) + ag.gelu(x, approximate="tanh") + ag.silu(x), [(3, 5)]),
    "sigmoid_tanh_softplus": (lambda x: ag.sigmoid(x) * ag.tanh(x) + ag.softplus(x), [(3, 5)]),
    "erf": (lambda x: ag.erf(x), [(3, 5)]),
    "softmax": (lambda x: ag.softmax(x, axis=1) + ag.log_softmax(x, axis=-1), [(3, 4, 5)]),
    "sum_mean": (lambda x: x.sum(axis=1) + x.mean(axis=(1, 2))[:, None] + x.sum(),
                 [(3, 4, 5)]),
    "max_min": (lambda x: x.max(axis=1) - ag.min(x, axis=(1, 2), keepdims=True)[:, 0], [(3, 4, 5)]),
    "var_std": (lambda x: ag.var(x, axis=-1) + ag.std(x, axis=-1, ddof=1), [(3, 4, 5)]),
    "logsumexp_prod": (lambda x: ag.logsumexp(x, axis=1) + ag.prod(x, axis=1), [(3, 4, 5)]),
    "cumsum": (lambda x: ag.cumsum(x, axis=1), [(3, 4)]),
    "reshape_flatten": (lambda x: x.reshape(x.shape[0], -1) @ _rand(20, 2), [(3, 4, 5)]),
    "transpose_swapaxes": (lambda x: x.transpose(1, 0, 2) * 2 + ag.swapaxes(x, 0, 1) + x.T.T
                           .transpose(1, 0, 2), [(3, 4, 5)]),
    "expand_dims_squeeze": (lambda x: ag.squeeze(ag.expand_dims(x, 1), 1) + ag.expand_dims(x, -1)
                            .sum(axis=-1), [(3, 5)]),
    "broadcast_to": (lambda x: ag.broadcast_to(x[:, None, :], (x.shape[0], 4, 5)), [(3, 5)]),
    "concatenate_stack": (lambda x, y: ag.concatenate([x, y * 2], axis=1) + ag.stack([x, y], axis=1)
                          .reshape(x.shape[0], -1), [(3, 5), (3, 5)]),
    "split": (lambda x: ag.split(x, [1, 3], axis=1)[1] * ag.split(x, 5, axis=1)[2], [(3, 5)]),
    "getitem_slices": (lambda x: x[:, 1:3, ::2] + x[:, -2:, ::2] + x[:, ::-2][:, :2, :3], [(3, 4, 5)]),
    "getitem_int_none_ellipsis": (lambda x: x[:, 0][None] + x[..., 1, :][None, :, None][:, :, 0],
                                  [(3, 4, 5)]),
    "getitem_two_ints": (lambda x: x[:, 1, 2] * x[:, -1, 0] + x[:, 0, 1], [(3, 4, 5)]),
    "where_maximum_minimum_clip": (lambda x: ag.where(_rand(3, 5) > 0, x, 0.0) + ag.maximum(x, C)
                                   + ag.minimum(x, -C) + ag.clip(x, -0.3, 0.4), [(3, 5)]),
    "pad_flip": (lambda x: ag.flip(ag.pad(x, ((0, 0), (1, 2)), constant_values=1.5), 1), [(3, 5)]),
    "matmul_einsum": (lambda x, y: x @ y.T + ag.einsum("ij,kj->ik", x, y), [(3, 5), (3, 5)]),
    "astype": (lambda x: x.astype(np.float64).astype(np.float32) * 2, [(3, 5)]),
    "layer_norm": (nn.LayerNorm(5), [(3, 4, 5)]),
    "batch_norm_1d": (nn.BatchNorm1d(5), [(3, 5)]),
    "dropout_eval": (nn.Dropout(0.3), [(3, 5)]),
    "conv_no_bias": (nn.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 0), bias=False),
                     [(2, 2, 6, 5)]),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op(name, path):
    fn, shapes = OPS[name]
    xs = [_rand(*s, seed=k) for k, s in enumerate(shapes)]
    other = [_rand(*((s[0] + 2,) + s[1:]), seed=k + 7) for k, s in enumerate(shapes)]
    if name == "where_maximum_minimum_clip":  # the condition is a constant of the example's shape
        other = None
    _check(fn, xs, path, other=other, batch_axis=None if other is None else 0)


@pytest.mark.parametrize("name", ["relu_leaky_elu", "sigmoid_tanh_softplus", "softmax", "var_std",
                                  "exp_log_sqrt_abs", "layer_norm"])
def test_float64_models(name, path):
    """float64 too (onnxruntime lacks float64 kernels for a few ops: LeakyRelu, Elu and Softplus
    are exported as other ops for float64; Erf, hence exact gelu, has none)."""
    fn, shapes = OPS[name]
    if isinstance(fn, nn.Module):
        fn = nn.LayerNorm(shapes[0][-1], dtype=np.float64)
    xs = [_rand(*s, seed=k).astype(np.float64) * 30 for k, s in enumerate(shapes)]
    _check(fn, xs, path, other=[x[:1] for x in xs])


def test_means_over_the_batch_divide_by_the_batch_size(path):
    def fn(x, y):
        centred = x - x.mean(axis=0)  # Sum, then Div by the batch size: computed in the model
        return centred, nn.MSELoss()(ag.sigmoid(x), y), x.sum() * (1.0 / x.shape[0])

    _check(fn, [_rand(4, 3), _rand(4, 3, seed=1)], path,
           other=[_rand(7, 3, seed=2), _rand(7, 3, seed=3)])


def test_constants_computed_from_the_data_are_refused_with_a_dynamic_batch(path):
    with pytest.raises(ValueError, match="changes for other input values"):
        ag.onnx.export(lambda x: x - float(x.data.mean()), ag.randn(4, 3), path)
    with pytest.raises(ValueError, match="not one repeated value"):
        ag.onnx.export(lambda x: x * ag.Tensor((x.data > 0).astype(np.float64)), ag.randn(4, 3),
                       path)
    with pytest.raises(ValueError, match="Where in HuberLoss"):
        ag.onnx.export(lambda x, y: nn.HuberLoss(delta=10.0)(x, y),
                       (ag.randn(4, 3), ag.randn(4, 3)), path)
    assert not path.exists()
    # with fixed shapes too: a constant computed from the data would be the example's
    with pytest.raises(ValueError, match="hard-code"):
        ag.onnx.export(lambda x: x - float(x.data.mean()), ag.randn(4, 3), path, batch_axis=None)
    with pytest.raises(ValueError, match="different graph"):
        ag.onnx.export(lambda x: x * 2 if x.data[0, 0] > x.data[-1, -1] else x + 3,
                       ag.Tensor([[1.0, 0.0]]), path, batch_axis=None)
    _check(lambda x: x - float(np.pi), [_rand(4, 3)], path, batch_axis=None)


# ----- refusals and the user's objects ---------------------------------------------------------


class Cube(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        return (grad,)


def test_ops_without_a_translation_are_refused_all_at_once(path):
    model = nn.Linear(3, 4)

    def fn(x):
        y = Cube.apply(model(x))
        return nn.functional.cross_entropy(y, np.array([0, 1])) + Cube.apply(y).sum()

    with pytest.raises(ValueError, match="cannot export") as info:
        ag.onnx.export(fn, ag.randn(2, 3), path, batch_axis=None)
    message = str(info.value)
    assert "Cube" in message and "CrossEntropy" in message and "nothing was written" in message
    assert message.count("Cube") == 1  # each op named once
    assert not path.exists()


def test_integer_input_used_in_arithmetic_is_refused(path):
    def fn(x, idx):
        return x * idx.astype(np.float32)  # not recorded: idx cannot require grad

    with pytest.raises(ValueError, match="input_1"):
        ag.onnx.export(fn, (ag.randn(2, 3), np.ones((2, 3), dtype=np.int64)), path)


def test_flags_and_modes_are_restored(path):
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.BatchNorm1d(4))
    model[0].bias.requires_grad = False
    x = ag.randn(2, 3)
    model.train()
    model[2].eval()  # a frozen batch norm inside a model in training mode
    ag.onnx.export(model, x, path)
    assert model.training and model[1].training and not model[2].training
    assert model[0].weight.requires_grad and not model[0].bias.requires_grad
    assert not x.requires_grad


def test_outputs_that_are_inputs_or_repeated(path):
    def fn(x):
        y = x * 2
        return x, y, y

    proto = _check(fn, [_rand(2, 3)], path, other=[_rand(4, 3)])
    assert [o.name for o in proto.graph.output] == ["output_0", "output_1", "output_2"]


def test_unrecorded_outputs_are_refused(path):
    model = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="argmax"):
        ag.onnx.export(lambda x: model(x).argmax(axis=1), ag.randn(2, 3), path)

    def under_no_grad(x):
        with ag.no_grad():
            return model(x)

    with pytest.raises(ValueError, match="not\\s+recorded"):
        ag.onnx.export(under_no_grad, ag.randn(2, 3), path)
    assert not path.exists()


def test_conv_with_constant_or_input_weights(path):
    w = _rand(4, 2, 3, 3, seed=5)
    b = _rand(4, seed=6)
    _check(lambda x: ag.conv2d(x, w, b, padding=1), [_rand(2, 2, 6, 6)], path,
           other=[_rand(3, 2, 6, 6, seed=1)])
    proto = _check(lambda x, w: ag.conv2d(x, w, stride=2), [_rand(2, 2, 6, 6), w], path,
                   batch_axis=None)
    assert [n.op_type for n in proto.graph.node] == ["Conv"]


def test_names_and_bad_arguments(path):
    model = nn.Linear(3, 2)
    proto = ag.onnx.export(model, ag.randn(2, 3), path, input_names=["features"],
                           output_names=["logits"])
    assert proto.graph.input[0].name == "features" and proto.graph.output[0].name == "logits"
    with pytest.raises(ValueError, match="input_names"):
        ag.onnx.export(model, ag.randn(2, 3), path, input_names=["a", "b"])
    with pytest.raises(TypeError, match="outputs must be Tensors"):
        ag.onnx.export(lambda x: "no", ag.randn(2, 3), path)
    with pytest.raises(ValueError, match="batch_axis"):
        ag.onnx.export(model, ag.randn(2, 3), path, batch_axis=2)


def test_missing_onnx_package_says_how_to_install(path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"autograd_engine\[onnx\]"):
        ag.onnx.export(nn.Linear(3, 2), ag.randn(2, 3), path)
