"""Benchmark: synthesise estates with `planner synth`, plan them, print a table.

Usage: python bench/bench.py [N ...] [--seed S] [--time-limit S] [--gap G]
Each size runs in its own process so peak memory (max RSS) is that size's alone.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one(n: int, seed: int, time_limit: float, gap: float) -> dict:
    """Run one size in this process and return its measurements."""
    from planner.estate import Estate
    from planner.load import load_inventory
    from planner.model import SolverSettings
    from planner.pipeline import make_plan
    from planner.atomic_write import write_atomic
    from planner.synth import synth_to_file

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "estate.yaml"
        t = time.perf_counter()
        synth_to_file(path, n, seed)
        t_synth = time.perf_counter() - t
        t = time.perf_counter()
        inv = load_inventory(path)
        t_load = time.perf_counter() - t
        stamps: list[tuple[float, str]] = []
        t = time.perf_counter()
        result = make_plan(inv, SolverSettings(time_limit_s=time_limit, gap=gap), lambda m: stamps.append((time.perf_counter(), m)),
                           Estate.of(inv))
        t_plan = time.perf_counter() - t
        built = next((s for s, m in stamps if m.startswith("core model")), t)
        t_build = built - t
        t = time.perf_counter()
        write_atomic(Path(tmp) / "plan.json", result.plan.to_json())
        t_write = time.perf_counter() - t
    p = result.plan
    return {"workloads": n, "synth_s": t_synth, "load_s": t_load, "build_s": t_build, "solve_s": t_plan - t_build,
            "write_s": t_write, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "status": p.status, "objective": p.solver["objective"], "bound": p.solver["bound"], "gap": p.solver["gap"],
            "core_cols": result.placement.stats.get("core_columns", 0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("sizes", nargs="*", type=int, default=[1000, 10000, 100000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--gap", type=float, default=0.0001)
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.sizes[0], args.seed, args.time_limit, args.gap)))
        return
    cols = ["workloads", "synth_s", "load_s", "build_s", "solve_s", "write_s", "peak_mb", "status", "objective", "bound", "gap", "core_cols"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, str(n), "--one", "--seed", str(args.seed), "--time-limit", str(args.time_limit),
                              "--gap", str(args.gap)], capture_output=True, text=True)
        if out.returncode != 0:
            print(f"| {n} | failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode} |")
            continue
        row = json.loads(out.stdout.strip().splitlines()[-1])
        cells = [f"{row[c]:.2f}" if isinstance(row[c], float) and c != "gap" else (f"{row[c]:.6f}" if c == "gap" and row[c] is not None else str(row[c])) for c in cols]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
