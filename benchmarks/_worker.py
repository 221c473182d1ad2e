"""One implementation of one workload, alone in a fresh process (started by ``_harness``).

Protocol on stdin/stdout, one JSON object per line:

- on start: load the inputs (an ``.npz`` written by the parent), call the implementation's
  setup, run the first step (its loss is checked against the reference) and, when it is quick,
  one warm-up step (a step returns the loss, or ``(loss, gradient checksum)``); print
  ``{"status": "ready", "loss": ..., "step_s": ...}`` or
  ``{"status": "unavailable" | "error", "msg": ...}`` and exit. A setup raises
  ImportError when its library (or an op of our engine) is not available.
- ``run N``: time N steps, print ``{"times": [...]}``.
- ``quit``: print ``{"maxrss_kib": ...}`` (peak resident set size of this process) and exit.

Only the standard library, NumPy and the workload module are imported here, so that the peak
RSS of a process is what the implementation itself costs.
"""

from __future__ import annotations

import importlib
import json
import math
import resource
import sys
import time
import traceback

import numpy as np


def _emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def peak_rss_kib() -> int:
    """Peak RSS of this process in KiB: ``VmHWM`` (reset by exec, unlike ``ru_maxrss``, which a
    child inherits from a bigger parent on Linux), else ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str]) -> int:
    module_name, impl, inputs_path = argv
    mod = importlib.import_module(f"benchmarks.{module_name}")
    with np.load(inputs_path) as f:
        inputs = {k: f[k] for k in f.files}
    try:
        step = mod.IMPLS[impl](inputs)
        t0 = time.perf_counter()
        first = step()
        loss, gcheck = first if isinstance(first, tuple) else (first, None)
        loss = float(loss)
        t = time.perf_counter() - t0
        if t < 1.0:  # warm-up step (caches, lazy imports, allocator)
            t0 = time.perf_counter()
            step()
            t = time.perf_counter() - t0
    except ImportError as exc:  # the library (or the engine's op) is not there
        _emit({"status": "unavailable", "msg": f"{type(exc).__name__}: {exc}"})
        return 0
    except BaseException as exc:  # noqa: BLE001 - any failure is a result to report
        tb = traceback.format_exc(limit=3)
        _emit({"status": "error", "msg": f"{type(exc).__name__}: {str(exc)[:200]}", "tb": tb[-1500:]})
        return 0
    _emit({"status": "ready", "loss": loss if math.isfinite(loss) else str(loss), "step_s": t,
           "gcheck": None if gcheck is None else float(gcheck)})

    perf = time.perf_counter
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "run":
            times = []
            for _ in range(int(cmd[1])):
                t0 = perf()
                step()
                times.append(perf() - t0)
            _emit({"times": times})
        elif cmd[0] == "quit":
            break
    _emit({"maxrss_kib": peak_rss_kib()})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
