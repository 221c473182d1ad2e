"""Everything the API contract promises exists, is documented with an example, and is swept."""

import inspect

import pytest

import autograd_engine as ag
import nn
import viz
from autograd_engine import Tensor

DESIGN_OPS = """add subtract multiply divide power negative matmul dot einsum exp log log1p sqrt abs
sin cos tanh sigmoid relu leaky_relu elu gelu silu softplus maximum minimum where clip sum mean var
std max min prod logsumexp softmax log_softmax cumsum reshape transpose swapaxes expand_dims squeeze
broadcast_to concatenate stack split pad flip conv2d max_pool2d avg_pool2d dropout one_hot""".split()

DESIGN_API = """tensor zeros ones full zeros_like ones_like arange eye linspace randn rand randint
manual_seed grad no_grad enable_grad set_grad_enabled is_grad_enabled Function detect_anomaly""".split()

TENSOR_ATTRS = "data grad requires_grad is_leaf grad_fn name shape ndim size dtype T".split()
TENSOR_METHODS = """backward detach requires_grad_ retain_grad register_hook numpy item tolist astype
sum mean var std max min prod exp log sqrt tanh sigmoid relu reshape transpose swapaxes squeeze
expand_dims clip cumsum dot""".split()

NN_API = """Parameter Module Sequential ModuleList Linear Conv2d MaxPool2d AvgPool2d Flatten Dropout
BatchNorm1d BatchNorm2d LayerNorm Embedding RNN LSTM MLP ReLU LeakyReLU Tanh Sigmoid GELU SiLU
Softmax LogSoftmax MSELoss L1Loss HuberLoss CrossEntropyLoss NLLLoss BCEWithLogitsLoss functional
init optim utils data save load fit""".split()


@pytest.mark.parametrize("name", DESIGN_OPS)
def test_every_design_op_is_registered_documented_and_exported(name):
    assert name in ag.REGISTRY, f"{name} is not in the registry, so the sweep does not cover it"
    fn = getattr(ag, name)
    assert fn is ag.REGISTRY[name].fn
    doc = inspect.getdoc(fn) or ""
    assert ">>>" in doc, f"ag.{name} has no runnable example in its docstring"


@pytest.mark.parametrize("name", DESIGN_API)
def test_design_api_exists_with_docs(name):
    obj = getattr(ag, name)
    assert ">>>" in (inspect.getdoc(obj) or ""), f"ag.{name} has no runnable example"


def test_func_and_testing_api():
    for name in "grad value_and_grad vjp jvp jacobian hessian hvp".split():
        assert ">>>" in (inspect.getdoc(getattr(ag.func, name)) or ""), name
    from autograd_engine.testing import gradcheck, gradgradcheck, strategies

    for obj in (gradcheck, gradgradcheck, strategies.tensors, strategies.shapes,
                strategies.broadcastable_shapes):
        assert inspect.getdoc(obj)


def test_tensor_attributes_and_methods():
    t = Tensor([[1.0, 2.0]], requires_grad=True)
    for name in TENSOR_ATTRS:
        getattr(t, name)
    for name in TENSOR_METHODS:
        assert callable(getattr(t, name)), name


@pytest.mark.parametrize("name", NN_API)
def test_nn_api_exists(name):
    assert hasattr(nn, name), f"nn.{name} is missing"


def test_viz_api_exists():
    for name in ("draw_graph", "to_dot", "render", "plot_grad_flow"):
        assert ">>>" in (inspect.getdoc(getattr(viz, name)) or ""), name


# Ops whose gradient is not differentiable again (register(..., gradgrad=False)); each must say so
# in its docstring. None today: a new entry is a deliberate, documented exception.
NO_SECOND_ORDER: set[str] = set()


def test_every_registered_op_claims_second_order():
    # DESIGN: gradients are twice differentiable unless the docstring says otherwise. (The sweep's
    # gradgradcheck proves the claim for every op that makes it.)
    no_gradgrad = {n for n, s in ag.REGISTRY.items() if s.differentiable and not s.gradgrad}
    assert no_gradgrad == NO_SECOND_ORDER, (
        f"ops claiming no second order: {sorted(no_gradgrad)}; list them in NO_SECOND_ORDER "
        "and say so in their docstrings")
    for name in no_gradgrad:
        assert "second" in (inspect.getdoc(ag.REGISTRY[name].fn) or "").lower(), name


def test_every_registered_op_is_mapped_to_torch_even_without_torch():
    # test_torch_oracle.py needs torch to run, so its own completeness check vanishes without it:
    # read its ADAPTERS and SKIPPED tables from the source instead (one list, checked everywhere);
    # the other ops name their counterpart in @register(torch=...).
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).parent / "test_torch_oracle.py").read_text())
    tables = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in ("ADAPTERS", "SKIPPED"):
                    tables[target.id] = {k.value for k in node.value.keys
                                         if isinstance(k, ast.Constant)}
    assert set(tables) == {"ADAPTERS", "SKIPPED"}, \
        "test_torch_oracle.py lost its ADAPTERS/SKIPPED tables"
    named = {n for n, spec in ag.REGISTRY.items() if spec.torch}
    unmapped = sorted(set(ag.REGISTRY) - named - tables["ADAPTERS"] - tables["SKIPPED"])
    assert not unmapped, (f"name a torch counterpart in @register(torch=...), or add an adapter "
                          f"(or a reason to skip) to test_torch_oracle.py: {unmapped}")
    assert not named & tables["ADAPTERS"], "an op has both @register(torch=...) and an adapter"
    assert all(spec.torch.startswith("torch.") for spec in ag.REGISTRY.values() if spec.torch)


def test_tensor_methods_and_operators_come_from_one_place():
    # each op's @register names its Tensor methods and operators; tensor_methods attaches them
    from autograd_engine import tensor_methods

    for spec in ag.REGISTRY.values():
        for name, value in {**spec.methods, **spec.operators}.items():
            assert getattr(Tensor, name) is value, (spec.name, name)
    for name, value in tensor_methods.EXTRA.items():
        assert Tensor.__dict__[name] is value, name
    assert Tensor.__dict__["__add__"].__name__ == "__add__"


def test_a_tensor_name_given_twice_is_an_error(monkeypatch):
    from autograd_engine import tensor_methods

    monkeypatch.setitem(tensor_methods.EXTRA, "exp", lambda self: None)
    with pytest.raises(RuntimeError, match=r"Tensor.exp is given by op 'exp' and by EXTRA"):
        tensor_methods.attach()
    assert Tensor.exp is ag.REGISTRY["exp"].fn  # nothing was attached
