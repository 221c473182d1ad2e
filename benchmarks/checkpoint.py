"""checkpoint: memory and time of gradient checkpointing on a 32-layer MLP.

A 32-layer MLP (``nn.Linear(64, 64)`` + an activation, float64, batch 1024): one training step
(forward, squared-output loss, backward). ``plain`` runs it as is; ``ours`` wraps the 64 modules in
``nn.checkpoint_sequential(model, 8, x)`` (8 = √64 segments). Both give the same gradients
(checked: the loss and the sum of all parameter gradients are compared). What the plain run keeps
per layer depends on the activation: with ReLU (or tanh), which saves its output, one array (the
next layer's input); with GELU, which saves its input, two. Checkpointing keeps the segments'
inputs and, during backward, one segment's activations plus the gradients in flight, so its
ratio is lower the more a layer saves.

``python3 -m benchmarks.checkpoint`` first measures, in this one process, the activation memory
of a step for several numbers of segments: the peak of NumPy's allocations during the step
(``tracemalloc``) minus what was allocated before it (parameters, input), as a ratio to the plain
run's (target: at most 0.4 with √n segments), with the time of the step, for ReLU and for GELU
MLPs; then times ``plain`` and ``ours`` (ReLU) with the harness (fresh interleaved processes)
for the time overhead, which should be about one extra forward pass. ``python3 -m benchmarks``
runs only the timing.
"""

from __future__ import annotations

import math
import time
import tracemalloc

import numpy as np

NAME = "checkpoint"
TITLE = "32-layer ReLU MLP (64 wide, batch 1024, float64) step, plain vs checkpoint_sequential(8)"
REFERENCE = "plain"
LOSS_RTOL = 1e-12
DEPTH, WIDTH, BATCH = 32, 64, 1024
MEMORY_TARGET = 0.4


def make_inputs(depth: int = DEPTH, width: int = WIDTH, batch: int = BATCH, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    inp = {"x": rng.standard_normal((batch, width))}
    for k in range(depth):
        inp[f"w{k}"] = rng.standard_normal((width, width)) * math.sqrt(2.0 / width)
        inp[f"b{k}"] = np.zeros(width)
    return inp


def _model(inp: dict, activation: str = "relu"):
    import autograd_engine as ag
    import nn

    depth = sum(1 for k in inp if k.startswith("w"))
    width = inp["x"].shape[1]
    layers = []
    for k in range(depth):
        lin = nn.Linear(width, width, dtype=np.float64)
        lin.weight = nn.Parameter(ag.Tensor(inp[f"w{k}"]))
        lin.bias = nn.Parameter(ag.Tensor(inp[f"b{k}"]))
        layers += [lin, nn.ReLU() if activation == "relu" else nn.GELU()]
    return nn.Sequential(*layers)


def _step_fn(inp: dict, segments: int | None, activation: str = "relu"):
    import autograd_engine as ag
    import nn

    model = _model(inp, activation)
    x = ag.Tensor(inp["x"])
    params = list(model.parameters())

    def step() -> tuple[float, float]:
        for p in params:
            p.grad = None
        y = model(x) if not segments else nn.checkpoint_sequential(model, segments, x)
        loss = (y * y).mean()
        loss.backward()
        return loss.item(), float(sum(p.grad.data.sum() for p in params))

    return step


def setup_plain(inp: dict):
    return _step_fn(inp, None)


def setup_ours(inp: dict):
    return _step_fn(inp, round(math.sqrt(2 * sum(1 for k in inp if k.startswith("w")))))


IMPLS = {"plain": setup_plain, "ours": setup_ours}


def activation_memory(inp: dict, segments: int | None, activation: str = "relu",
                      repeats: int = 3) -> tuple[int, float]:
    """Peak bytes NumPy allocated during one step beyond what was allocated before it, and the
    step's best time (s) over ``repeats`` (timed without tracemalloc, which slows allocations)."""
    step = _step_fn(inp, segments, activation)
    step()  # warm-up: .grad arrays exist from here on in both runs
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - before, min(times)


def memory_table(inp: dict, segment_counts=(2, 4, 6, 8, 16, 32),
                 activation: str = "relu") -> list[dict]:
    """One row per number of segments (None: plain), with ratios to the plain run."""
    rows = []
    base_mem, base_t = activation_memory(inp, None, activation)
    rows.append({"segments": None, "bytes": base_mem, "ratio": 1.0, "time": base_t,
                 "time_ratio": 1.0})
    for s in segment_counts:
        mem, t = activation_memory(inp, s, activation)
        rows.append({"segments": s, "bytes": mem, "ratio": mem / base_mem, "time": t,
                     "time_ratio": t / base_t})
    return rows


def main() -> int:
    import sys

    from benchmarks.__main__ import machine
    from benchmarks._harness import main_for

    inp = make_inputs()
    n_modules = 2 * DEPTH
    sqrt_n = round(math.sqrt(n_modules))
    print(f"# {machine()}")
    for activation in ("relu", "gelu"):
        print(f"== checkpoint: activation memory of one step, {DEPTH}-layer {activation} MLP (width "
              f"{WIDTH}, batch {BATCH}, float64), {n_modules} modules; one process, tracemalloc")
        print(f"  {'segments':>9} {'activation MiB':>15} {'vs plain':>9} {'step (best of 3)':>17} "
              f"{'vs plain':>9}")
        rows = memory_table(inp, activation=activation)
        for r in rows:
            name = "plain" if r["segments"] is None else str(r["segments"])
            print(f"  {name:>9} {r['bytes'] / 2**20:>15.1f} {r['ratio']:>8.2f}× "
                  f"{r['time'] * 1e3:>14.1f} ms {r['time_ratio']:>8.2f}×")
        got = next(r for r in rows if r["segments"] == sqrt_n)["ratio"]
        verdict = "met" if got <= MEMORY_TARGET else "NOT met"
        print(f"  target <= {MEMORY_TARGET}x the plain run's activation memory with √n = {sqrt_n} "
              f"segments: {verdict} ({got:.2f}×)\n")
    return main_for(sys.modules[__name__], sys.argv[1:])


if __name__ == "__main__":
    import sys

    sys.exit(main())
