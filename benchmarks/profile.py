"""Profile one implementation of a workload with cProfile (sorted by tottime).

``python3 -m benchmarks.profile tensor_mlp [--impl ours] [--steps 20] [--top 25]``

Runs the first step and one warm-up step unprofiled, then profiles ``--steps`` steps in this
process and prints the top functions by their own time (``tottime``).

``--gc`` instead times the steps with Python's cyclic garbage collector on (as users run) and
off, and reports how many collections of each generation ran per step and how long they took:
for graphs of many small nodes the collector, scanning live objects that are not garbage, can
cost more than the engine itself.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import pstats
import statistics
import sys
import time


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m benchmarks.profile", description=__doc__.splitlines()[0])
    p.add_argument("workload")
    p.add_argument("--impl", default="ours")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--sort", default="tottime")
    p.add_argument("--gc", action="store_true", help="time the collector's share instead")
    a = p.parse_args(argv)
    mod = importlib.import_module(f"benchmarks.{a.workload}")
    step = mod.IMPLS[a.impl](mod.make_inputs())
    step()
    step()
    if a.gc:
        return _gc_share(a.workload, a.impl, step, a.steps)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(a.steps):
        step()
    prof.disable()
    stats = pstats.Stats(prof, stream=sys.stdout)
    print(f"# {a.workload} / {a.impl}: {a.steps} steps")
    stats.strip_dirs().sort_stats(a.sort).print_stats(a.top)
    return 0


def _gc_share(workload: str, impl: str, step, steps: int) -> int:
    collections = [0, 0, 0]
    spent = [0.0]
    started = [0.0]

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            spent[0] += time.perf_counter() - started[0]
            collections[info["generation"]] += 1

    def timed() -> list[float]:
        times = []
        for _ in range(steps):
            t = time.perf_counter()
            step()
            times.append(time.perf_counter() - t)
        return times

    gc.callbacks.append(watch)
    try:
        on = timed()
    finally:
        gc.callbacks.remove(watch)
    gc.disable()
    try:
        off = timed()
    finally:
        gc.enable()
    per = [c / steps for c in collections]
    print(f"# {workload} / {impl}: {steps} steps, median step time")
    print(f"  collector on : {statistics.median(on) * 1e3:9.2f} ms   "
          f"(collections per step: gen0 {per[0]:.1f}, gen1 {per[1]:.1f}, gen2 {per[2]:.2f}; "
          f"{spent[0] / steps * 1e3:.2f} ms in them)")
    print(f"  collector off: {statistics.median(off) * 1e3:9.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
