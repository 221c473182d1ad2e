"""op_overhead_256: the op_overhead chain (1000 ops mul, add, tanh + backward) on (256, 256).

Same code as ``op_overhead.py``; here the arrays are large, so the engine should add little to
NumPy's own work. Run: ``python3 -m benchmarks.op_overhead_256 [--quick]``.
"""

from __future__ import annotations

from benchmarks import op_overhead as _base

NAME = "op_overhead_256"
TITLE = "the op_overhead chain of 1000 ops forward + backward on shape (256, 256), float32"
REFERENCE = "numpy"
LOSS_RTOL = 1e-4
TARGET = {"metric": "ratio", "vs": "numpy", "max": 1.3, "text": "<= 1.3x NumPy by hand"}
IMPLS = _base.IMPLS
ops_per_step = _base.ops_per_step


def make_inputs(shape: tuple = (256, 256), n_ops: int = _base.N_OPS, seed: int = 0) -> dict:
    return _base.make_inputs(shape=shape, n_ops=n_ops, seed=seed)


if __name__ == "__main__":
    import sys

    from benchmarks._harness import main_for

    sys.exit(main_for(sys.modules[__name__]))
