"""Run every workload (or some) and print a summary table: ``python3 -m benchmarks [--quick]``.

Each workload prints its own table as it finishes; the summary at the end is a Markdown table of
ratios (each workload's reference = 1.00×) with the reference's absolute figure, and whether our
engine meets the project's target. Exit status 1 if any implementations disagree on a loss.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time

from benchmarks import _harness

WORKLOADS = ["tensor_mlp", "scalar_mlp", "scalar_graph", "op_overhead", "op_overhead_256",
             "deep_chain", "cnn", "memory", "jvp", "checkpoint"]
COLUMNS = ["ours", "ours_nn", "compiled", "compiled_nn", "numpy", "torch", "autograd", "mygrad",
           "micrograd", "double_reverse"]


def _cell(entry: dict | None, per_op: bool) -> str:
    if entry is None:
        return ""
    if entry["status"] == "unavailable":
        return "n/a"
    if entry["status"] != "ready" or "value" not in entry:
        return "fails" if "Recursion" not in entry.get("msg", "") else "RecursionError"
    txt = f"{entry['ratio']:.2f}×" if entry.get("ratio") else "—"
    if per_op:
        txt += f" ({entry['per_op_us']:.2f} µs/op)"
    return txt


def summary(results: list[dict]) -> str:
    cols = [c for c in COLUMNS if any(c in r["rows"] for r in results)]
    lines = ["| workload | reference = 1.00× | " + " | ".join(cols) + " | target (ours) |",
             "|---" * (len(cols) + 3) + "|"]
    for r in results:
        ref = r["rows"].get(r["reference"], {})
        if "value" in ref:
            absval = f"{ref['value']:.1f} MiB" if r["memory"] else _harness.fmt_time(ref["value"])
        else:
            absval = "not measured"
        per_op = bool(r["ops_per_step"]) and r["workload"] in ("scalar_graph", "op_overhead", "deep_chain")
        cells = [_cell(r["rows"].get(c), per_op) for c in cols]
        target = "; ".join(f"{k}: {v}" for k, v in r.get("target", {}).items())
        lines.append(f"| {r['workload']} | {r['reference']} {absval} | " + " | ".join(cells)
                     + f" | {target} |")
    return "\n".join(lines)


def machine() -> str:
    import numpy as np

    return (f"{platform.machine()}, nproc {os.cpu_count()}, Python {platform.python_version()}, "
            f"NumPy {np.__version__}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("workloads", nargs="*", help=f"subset of {', '.join(WORKLOADS)} (default: all)")
    p.add_argument("--quick", action="store_true", help="about a minute: fewer rounds, slow peers skipped")
    p.add_argument("--impls", help="comma-separated subset of implementations, e.g. numpy,ours,torch")
    p.add_argument("--json", help="also write all results to this file")
    _harness.add_threads_option(p)
    a = p.parse_args(argv)
    _harness.set_threads(a.threads)
    names = a.workloads or WORKLOADS
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        p.error(f"unknown workload(s) {unknown}; choose from {WORKLOADS}")
    threads = a.threads or "library defaults"
    print(f"# {machine()}; threads per worker: {threads}; {'quick' if a.quick else 'full'} run")
    t0 = time.perf_counter()
    results = []
    for n in names:
        mod = importlib.import_module(f"benchmarks.{n}")
        results.append(_harness.run_workload(mod, quick=a.quick,
                                             impls=a.impls.split(",") if a.impls else None))
    print(f"\n## Summary ({time.perf_counter() - t0:.0f} s; ratios of medians to each workload's "
          "reference, measured interleaved in this run)\n")
    print(summary(results))
    mismatches = [m for r in results for m in r["mismatches"]]
    if mismatches:
        print("\n!!!!!!!! LOSS MISMATCHES !!!!!!!!")
        for m in mismatches:
            print("  " + m)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": machine(), "threads": a.threads, "results": results}, f, indent=1)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
