"""A node's layout is private to ``autograd_engine/function.py`` (issue: one owner for the node).

Everything else reaches a node through its named interface: ``next_functions``, ``inputs``,
``saved_tensors``, ``is_freed``, ... for tools; ``function.edges``/``edges_with``, ``LEAF`` and the
few attributes the ``Function`` docstring lists under "What the engine uses" for ``engine.py``.
These checks read the source, so they fail as soon as a module starts reading the layout again.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("autograd_engine", "nn", "viz")

#: The node's private state: read and written in function.py only.
LAYOUT = {"_meta", "_saved", "_out", "_out_meta", "_saved_versions", "_retained", "_rebuilt",
          "_output_names", "_non_differentiable"}
#: What the engine may read beyond the public interface (see Function's docstring).
ENGINE_ONLY = {"_plain", "_n_outputs"}
#: Forward mode runs ops it does not record with a ctx of its own (``forward_ad._ForwardCtx``,
#: not a node), which keeps what ``save_for_backward``/``mark_non_differentiable`` give it under
#: the same names.
OWN_CTX = {"autograd_engine/forward_ad.py": {"_saved", "_non_differentiable"}}


def _sources() -> list[pathlib.Path]:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    assert len(files) > 40, "the source walk found too few files to mean anything"
    return files


def _attribute_uses(path: pathlib.Path) -> list[tuple[str, int, str | None]]:
    """(attribute, line, enclosing class) for every ``x.attr`` in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []

    def visit(node: ast.AST, cls: str | None) -> None:
        if isinstance(node, ast.ClassDef):
            cls = node.name
        if isinstance(node, ast.Attribute):
            found.append((node.attr, node.lineno, cls))
        for child in ast.iter_child_nodes(node):
            visit(child, cls)

    visit(tree, None)
    return found


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_function_py_reads_a_nodes_layout(path):
    rel = str(path.relative_to(ROOT))
    if rel == "autograd_engine/function.py":
        return
    allowed = ENGINE_ONLY if rel == "autograd_engine/engine.py" else set()
    own = OWN_CTX.get(rel, set())
    bad = [f"line {line}: .{attr}" for attr, line, _ in _attribute_uses(path)
           if (attr in LAYOUT and attr not in own) or (attr in ENGINE_ONLY and attr not in allowed)]
    assert not bad, f"{rel} reads a node's private layout: {bad}"


def test_nothing_imports_private_names_from_function_py():
    bad, seen = [], 0
    for path in _sources():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("function"):
                seen += 1
                bad += [f"{path.relative_to(ROOT)}: {a.name}" for a in node.names
                        if a.name.startswith("_")]
    assert seen > 5, "found too few imports from function.py for the check to mean anything"
    assert not bad, f"private names of function.py imported elsewhere: {bad}"


def test_the_checks_see_a_violation(tmp_path):
    """The walker finds a layout read (so the test above can fail)."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f(node):\n    return node._meta, node.next_functions\n")
    assert ("_meta", 2, None) in _attribute_uses(probe)


def test_a_node_offers_no_list_methods_but_keeps_attributes_of_those_names():
    import numpy as np

    import autograd_engine as ag

    class Keep(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.index, ctx.count = 1, 2  # op state may use any name
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.count

    x = ag.Tensor(np.ones(2), requires_grad=True)
    node = Keep.apply(x).grad_fn
    for name in ("append", "extend", "pop", "sort", "copy"):
        assert not hasattr(node, name)
    with pytest.raises(AttributeError, match="next_functions"):
        node.append(None)
    assert (node.index, node.count) == (1, 2)
    (g,) = ag.grad(Keep.apply(x).sum(), x)
    np.testing.assert_array_equal(g.data, [2.0, 2.0])
