"""Smoke test of benchmarks/: each workload runs our implementation once on tiny sizes, untimed.

Also checks our first-step loss against the hand-written NumPy one (the same check the benchmark
makes), and drives the harness once end to end (fresh worker processes). Nothing is timed here:
speed is measured by ``python3 -m benchmarks``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TINY = {
    "tensor_mlp": {"batch": 8, "sizes": (20, 16, 16, 4)},
    "scalar_mlp": {"n_samples": 12, "sizes": (2, 4, 4, 1)},
    "scalar_graph": {"n_samples": 6, "sizes": (2, 3, 3, 1)},
    "op_overhead": {"shape": (4,), "n_ops": 30},
    "op_overhead_256": {"shape": (8, 8), "n_ops": 30},
    "deep_chain": {"n": 300},
    "cnn": {"batch": 2, "size": 8, "channels": (1, 4, 8), "n_classes": 3},
    "memory": {"batch": 4, "sizes": (20, 16, 16, 4)},
}


def _first(result):
    return result if isinstance(result, tuple) else (result, None)


@pytest.mark.parametrize("name", sorted(TINY))
def test_workload_runs_ours_once(name):
    mod = importlib.import_module(f"benchmarks.{name}")
    inputs = mod.make_inputs(**TINY[name])
    loss, gcheck = _first(mod.IMPLS["ours"](inputs)())
    assert np.isfinite(loss)
    ref_name = "numpy" if "numpy" in mod.IMPLS else None
    if ref_name:
        ref_loss, ref_gcheck = _first(mod.IMPLS[ref_name](inputs)())
        assert loss == pytest.approx(ref_loss, rel=mod.LOSS_RTOL)
        if gcheck is not None:
            assert gcheck == pytest.approx(ref_gcheck, rel=mod.LOSS_RTOL * 10)
    if hasattr(mod, "ops_per_step"):
        assert mod.ops_per_step(inputs) > 0


def test_scalar_graph_counts_the_demos_ops():
    mod = importlib.import_module("benchmarks.scalar_graph")
    # layer 1: 16 x (2 mul + 2 add + relu), layer 2: 16 x (16 + 16 + 1), layer 3: 16 + 16 per
    # sample; loss: 3 per sample + 100 adds + 1 mul; L2: 337 mul + 337 add + 1 mul; total: 1 add
    assert mod.ops_per_step(mod.make_inputs()) == 100 * (80 + 528 + 32) + 300 + 101 + 675 + 1


def test_ours_nn_variant_matches_numpy():
    mod = importlib.import_module("benchmarks.tensor_mlp")
    inputs = mod.make_inputs(**TINY["tensor_mlp"])
    step = mod.IMPLS["ours_nn"](inputs)
    ref = mod.IMPLS["numpy"](inputs)()
    assert step() == pytest.approx(ref, rel=mod.LOSS_RTOL)


def test_harness_end_to_end():
    from benchmarks import _harness

    mod = importlib.import_module("benchmarks.op_overhead")
    lines = []
    res = _harness.run_workload(mod, quick=True, impls=["numpy", "ours"], rounds=1,
                                sizes=TINY["op_overhead"], out=lines.append)
    assert res["rows"]["ours"]["status"] == "ready", res["rows"]["ours"]
    assert res["rows"]["numpy"]["ratio"] == 1.0
    assert not res["mismatches"]
    assert any("== op_overhead" in line for line in lines)
