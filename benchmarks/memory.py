"""memory: peak RSS of tensor_mlp at batch 1024, each implementation in a fresh process.

Every implementation runs tensor_mlp (MLP 784-512-512-10, float32) at batch 1024, its first
step, a warm-up step and three more, alone in a new interpreter; the figure is the process's peak
resident set size (``VmHWM``), which includes the interpreter, NumPy and whatever the library
imports.
``baseline`` is a process that only loads NumPy and the inputs (no steps): the floor.

Run: ``python3 -m benchmarks.memory [--quick]``.
"""

from __future__ import annotations

from benchmarks import tensor_mlp as _mlp

NAME = "memory"
TITLE = "peak RSS of tensor_mlp at batch 1024, fresh process per implementation (3 steps)"
REFERENCE = "numpy"
LOSS_RTOL = _mlp.LOSS_RTOL
TARGET = {"metric": "ratio", "vs": "numpy", "max": 1.2, "text": "<= 1.2x NumPy by hand"}
MODE = "memory"
STEPS = 3


def make_inputs(batch: int = 1024, sizes: tuple = _mlp.SIZES, seed: int = 0) -> dict:
    return _mlp.make_inputs(batch=batch, sizes=sizes, seed=seed)


def setup_baseline(inp: dict):
    return lambda: float("nan")


IMPLS = {"baseline": setup_baseline, **_mlp.IMPLS}

if __name__ == "__main__":
    import sys

    from benchmarks._harness import main_for

    sys.exit(main_for(sys.modules[__name__]))
