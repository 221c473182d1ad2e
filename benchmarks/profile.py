"""Profile one implementation of a workload with cProfile (sorted by tottime).

``python3 -m benchmarks.profile tensor_mlp [--impl ours] [--steps 20] [--top 25]``

Runs the first step and one warm-up step unprofiled, then profiles ``--steps`` steps in this
process and prints the top functions by their own time (``tottime``).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import pstats
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m benchmarks.profile", description=__doc__.splitlines()[0])
    p.add_argument("workload")
    p.add_argument("--impl", default="ours")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--sort", default="tottime")
    a = p.parse_args(argv)
    mod = importlib.import_module(f"benchmarks.{a.workload}")
    step = mod.IMPLS[a.impl](mod.make_inputs())
    step()
    step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(a.steps):
        step()
    prof.disable()
    stats = pstats.Stats(prof, stream=sys.stdout)
    print(f"# {a.workload} / {a.impl}: {a.steps} steps")
    stats.strip_dirs().sort_stats(a.sort).print_stats(a.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
