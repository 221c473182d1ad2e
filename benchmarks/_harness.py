"""Runs a workload: every implementation in its own fresh process, interleaved, then a table.

A workload module (``benchmarks/<name>.py``) defines:

- ``NAME``, ``TITLE`` (one line: what is measured), ``REFERENCE`` (the implementation ratios are
  taken against), ``IMPLS`` (ordered ``{name: setup}``; ``setup(inputs) -> step`` builds the
  implementation from the shared NumPy inputs and returns a zero-argument ``step()`` that runs one
  timed repetition and returns the loss as a float; it raises ImportError when its library is
  not installed or an op of our engine does not exist yet),
- ``make_inputs(**sizes) -> dict[str, np.ndarray]`` (data and initial weights from a fixed NumPy
  seed: every implementation starts from exactly these arrays),
- ``LOSS_RTOL`` (how closely first-step losses must agree with the reference's),
- optionally ``ops_per_step(inputs) -> int`` (then times are also reported per op),
  ``MODE = "memory"`` (peak RSS instead of time), and ``TARGET`` (the project's goal for
  our implementations: ``{"metric": "ratio" | "per_op_us", "vs": impl, "max": value, "text": ...}``)
  and ``QUICK_SKIP`` (implementations too slow for ``--quick``).

A step slower than the per-implementation cap (12 s, quick 4 s) is not repeated: the first step's
time is its only sample (marked in the table).

Timing: each implementation's worker is started once (fresh interpreter), runs its first step
(the loss that is compared) and a warm-up step, then the workers are asked in turn, A B C A B C,
to time a batch of steps, for several rounds. Only one worker runs at a time; the others wait on
their stdin. Medians and min-max are over all timed steps; the ratio is median / reference median.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
QUICK = {"rounds": 3, "budget": 0.12, "cap": 4.0, "mem_rounds": 1}
THREADS = 0  # 0: leave the thread counts of NumPy's BLAS and PyTorch at their defaults
FULL = {"rounds": 5, "budget": 0.4, "cap": 12.0, "mem_rounds": 2}


@dataclass
class Row:
    impl: str
    status: str = "pending"  # ready | unavailable | error
    msg: str = ""
    loss: float | None = None
    times: list[float] = field(default_factory=list)
    maxrss_kib: list[int] = field(default_factory=list)
    step_s: float = 0.0
    gcheck: float | None = None
    first_only: bool = False

    @property
    def value(self) -> float | None:
        """The figure compared: median seconds per step, or median peak RSS in MiB."""
        if self.times:
            return statistics.median(self.times)
        if self.maxrss_kib:
            return statistics.median(self.maxrss_kib) / 1024
        return None


class Worker:
    """One implementation in a fresh ``python -m benchmarks._worker`` process."""

    def __init__(self, module: str, impl: str, inputs_path: str) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        if THREADS:  # pin BLAS / OpenMP (PyTorch) threads; default: the libraries' own choice
            for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                env[var] = str(THREADS)
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._worker", module, impl, inputs_path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True,
            cwd=ROOT, env=env,
        )

    def read(self) -> dict:
        while True:
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait()
                self.stderr.seek(0)
                tail = self.stderr.read()[-800:]
                return {"status": "error", "msg": f"worker died (exit {self.proc.returncode}): {tail}"}
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except json.JSONDecodeError:
                    pass  # a library printed something that looks like JSON; skip it

    def send(self, cmd: str) -> dict:
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self) -> dict:
        try:
            reply = self.send("quit")
        except (BrokenPipeError, OSError):
            reply = {}
        self.proc.wait()
        self.stderr.close()
        return reply


def _start(mod: ModuleType, impl: str, inputs_path: str, row: Row) -> Worker | None:
    w = Worker(mod.NAME, impl, inputs_path)
    ready = w.read()
    row.status = ready.get("status", "error")
    if row.status != "ready":
        row.msg = ready.get("msg", "")
        w.proc.wait()
        return None
    loss = float(ready["loss"])
    row.loss = None if loss != loss else loss  # NaN: the implementation has no loss to compare
    row.step_s = ready["step_s"]
    row.gcheck = ready.get("gcheck")
    return w


def run_workload(
    mod: ModuleType, quick: bool = False, impls: list[str] | None = None,
    rounds: int | None = None, sizes: dict | None = None, out: Any = print,
) -> dict:
    """Measure one workload and print its table; returns the results as a dict."""
    cfg = dict(QUICK if quick else FULL)
    if rounds is not None:
        cfg["rounds"] = cfg["mem_rounds"] = rounds
    names = [n for n in mod.IMPLS if impls is None or n in impls]
    if quick and impls is None:
        names = [n for n in names if n not in getattr(mod, "QUICK_SKIP", ())]
    inputs = mod.make_inputs(**(sizes or {}))
    rows = {n: Row(n) for n in names}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="agbench-") as tmp:
        path = os.path.join(tmp, "inputs.npz")
        np.savez(path, **inputs)
        if getattr(mod, "MODE", "time") == "memory":
            _measure_memory(mod, names, rows, path, cfg["mem_rounds"])
        else:
            _measure_time(mod, names, rows, path, cfg)
    ops = mod.ops_per_step(inputs) if hasattr(mod, "ops_per_step") else None
    result = _report(mod, rows, ops, out)
    result["seconds"] = time.perf_counter() - started
    return result


def _measure_time(mod: ModuleType, names: list[str], rows: dict, path: str, cfg: dict) -> None:
    workers: dict[str, Worker] = {}
    try:
        for n in names:  # started one after the other: setup and warm-up never overlap
            w = _start(mod, n, path, rows[n])
            if w is not None:
                workers[n] = w
        plan = {}
        for n in workers:
            t = max(rows[n].step_s, 1e-7)
            if t > cfg["cap"]:  # too slow to repeat: its first step (no warm-up) is the sample
                rows[n].times.append(t)
                rows[n].first_only = True
                continue
            reps = max(1, min(2000, int(cfg["budget"] / t)))
            n_rounds = max(1, min(cfg["rounds"], int(cfg["cap"] / (t * reps))))
            plan[n] = (reps, n_rounds)
        for r in range(cfg["rounds"]):
            for n, w in workers.items():
                if n not in plan:
                    continue
                reps, n_rounds = plan[n]
                if r >= n_rounds:
                    continue
                reply = w.send(f"run {reps}")
                if "times" not in reply:
                    rows[n].status, rows[n].msg = "error", reply.get("msg", "no reply")
                    continue
                rows[n].times.extend(reply["times"])
    finally:
        for w in workers.values():
            w.close()


def _measure_memory(mod: ModuleType, names: list[str], rows: dict, path: str, n_rounds: int) -> None:
    for _ in range(n_rounds):
        for n in names:  # A B C A B C, one fresh process each time
            if rows[n].status in ("unavailable", "error"):
                continue
            w = _start(mod, n, path, rows[n])
            if w is None:
                continue
            reply = w.send(f"run {getattr(mod, 'STEPS', 3)}")
            if "times" not in reply:
                rows[n].status, rows[n].msg = "error", reply.get("msg", "no reply")
            final = w.close()
            if "maxrss_kib" in final:
                rows[n].maxrss_kib.append(final["maxrss_kib"])


# ----------------------------------------------------------------------------------------------
def fmt_time(s: float) -> str:
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} µs"


def _report(mod: ModuleType, rows: dict[str, Row], ops: int | None, out: Any) -> dict:
    memory = getattr(mod, "MODE", "time") == "memory"
    ref_name = mod.REFERENCE
    ref = rows.get(ref_name)
    ref_value = ref.value if ref is not None else None
    ref_loss = ref.loss if ref is not None and ref.loss is not None else None
    if ref_loss is None:  # compare with the first implementation that produced a loss
        for r in rows.values():
            if r.loss is not None:
                ref_loss, ref_name_loss = r.loss, r.impl
                break
    else:
        ref_name_loss = ref_name

    out(f"\n== {mod.NAME}: {mod.TITLE}")
    unit_hdr = "peak RSS" if memory else "median / step"
    hdr = f"  {'impl':<10} {unit_hdr:>14} {'min – max':>24} {'vs ' + ref_name:>12}"
    if ops:
        hdr += f" {'µs/op':>9}"
    hdr += "   first loss"
    out(hdr)
    res: dict[str, Any] = {"workload": mod.NAME, "title": mod.TITLE, "reference": ref_name,
                           "memory": memory, "ops_per_step": ops, "rows": {}, "mismatches": []}
    for r in rows.values():
        entry: dict[str, Any] = {"status": r.status, "msg": r.msg, "loss": r.loss, "gcheck": r.gcheck}
        res["rows"][r.impl] = entry
        if r.status != "ready" or r.value is None:
            label = "not installed / not available" if r.status == "unavailable" else "FAILED"
            out(f"  {r.impl:<10} {label}: {r.msg[:150]}")
            continue
        v = r.value
        entry["value"] = v
        entry["ratio"] = v / ref_value if ref_value else None
        if memory:
            lo, hi = min(r.maxrss_kib) / 1024, max(r.maxrss_kib) / 1024
            cells = f"{v:>10.1f} MiB {lo:>9.1f} – {hi:.1f} MiB"
        else:
            lo, hi = min(r.times), max(r.times)
            entry.update(min=lo, max=hi, n=len(r.times))
            cells = f"{fmt_time(v):>14} {fmt_time(lo) + ' – ' + fmt_time(hi):>24}"
        ratio = f"{entry['ratio']:.2f}×" if entry["ratio"] else "—"
        line = f"  {r.impl:<10} {cells} {ratio:>12}"
        if ops:
            entry["per_op_us"] = v / ops * 1e6
            line += f" {entry['per_op_us']:>9.2f}"
        loss_txt = f"{r.loss:.8g}" if r.loss is not None else "—"
        if r.loss is not None and ref_loss is not None:
            rel = abs(r.loss - ref_loss) / max(abs(ref_loss), 1e-30)
            if not rel <= mod.LOSS_RTOL:
                loss_txt += "  <-- MISMATCH"
                res["mismatches"].append(
                    f"{mod.NAME}: {r.impl}'s first-step loss {r.loss:.10g} differs from "
                    f"{ref_name_loss}'s {ref_loss:.10g} (relative {rel:.2e} > {mod.LOSS_RTOL:g})"
                )
        ref_g = ref.gcheck if ref is not None else None
        if r.gcheck is not None and ref_g is not None:
            rel = abs(r.gcheck - ref_g) / max(abs(ref_g), 1e-30)
            if not rel <= mod.LOSS_RTOL * 10:
                loss_txt += "  <-- GRADIENT MISMATCH"
                res["mismatches"].append(
                    f"{mod.NAME}: {r.impl}'s gradient checksum {r.gcheck:.10g} differs from "
                    f"{ref_name}'s {ref_g:.10g} (relative {rel:.2e} > {mod.LOSS_RTOL * 10:g})"
                )
        if not memory:
            note = ", first step only: slower than the cap" if r.first_only else ""
            loss_txt += f"   (n={len(r.times)}{note})"
        out(line + "   " + loss_txt)
    if ops:
        out(f"  ({ops} ops per step)")
    for m in res["mismatches"]:
        out("  !!!!!!!! LOSS MISMATCH !!!!!!!! " + m)
    if not res["mismatches"]:
        checked = " and gradient checksums" if any(r.gcheck is not None for r in rows.values()) else ""
        out(f"  first-step losses{checked} agree (rtol {mod.LOSS_RTOL:g})")
    target = getattr(mod, "TARGET", None)
    if target:
        res["target"] = _check_target(target, res, out)
    return res


def _check_target(target: dict, res: dict, out: Any) -> dict:
    verdicts = {}
    for impl, entry in res["rows"].items():
        if not impl.startswith("ours"):
            continue
        if "value" not in entry:
            verdicts[impl] = "not measured"
            continue
        if target["metric"] == "per_op_us":
            got = entry.get("per_op_us")
            shown = f"{got:.2f} µs/op"
        else:
            vs = res["rows"].get(target.get("vs", res["reference"]), {})
            got = entry["value"] / vs["value"] if vs.get("value") else None
            shown = f"{got:.2f}× {target.get('vs', res['reference'])}" if got else "no reference"
        met = got is not None and got <= target["max"]
        verdicts[impl] = ("met" if met else "NOT met") + f" ({shown})"
    out(f"  target {target['text']}: " + "; ".join(f"{k} {v}" for k, v in verdicts.items()))
    return verdicts


def main_for(mod: ModuleType, argv: list[str] | None = None) -> int:
    """Command line of a single workload script (``python3 -m benchmarks.<name>``)."""
    import argparse

    p = argparse.ArgumentParser(description=f"benchmark {mod.NAME}: {mod.TITLE}")
    p.add_argument("--quick", action="store_true", help="fewer rounds and shorter batches")
    p.add_argument("--rounds", type=int, help="interleaved rounds (default 5, quick 3)")
    p.add_argument("--impls", help="comma-separated subset, e.g. numpy,ours,torch")
    p.add_argument("--json", help="also write the results to this file")
    add_threads_option(p)
    a = p.parse_args(argv)
    set_threads(a.threads)
    res = run_workload(mod, quick=a.quick, rounds=a.rounds,
                       impls=a.impls.split(",") if a.impls else None)
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))
    return 1 if res["mismatches"] else 0


def add_threads_option(p: Any) -> None:
    p.add_argument("--threads", type=int, default=0,
                   help="BLAS/OpenMP threads per worker (default 0: the libraries' defaults); "
                        "1 gives steadier ratios on a busy machine")


def set_threads(n: int) -> None:
    global THREADS
    THREADS = n
