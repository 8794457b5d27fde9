"""Benchmark: plan synthetic estates end to end and print one table (rerun it; it is not a test).

Usage: python bench/bench.py [N ...] [--seed S] [--gap G] [--time-limit S] [--reports] [--plain N]

Each size runs in its own process (peak memory is that size's alone): the estate is written with
`planner synth --format parquet` (not timed), then timed stage by stage: load, build (candidates,
reductions, the core model), solve (placement), waves, verify (the pipeline's own check, which gates
publishing), write (plan.json) and reports (with --reports); `verified` is a second verify_plan call
from outside the pipeline, untimed. `--plain N` also plans an N-workload estate with one plain PuLP + HiGHS model of the
same instance (bench/plain_pulp.py) to the same gap and prints the ratio. The machine's load
average is printed beside each row: numbers from a busy machine are not comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLUMNS = ("workloads", "load_s", "build_s", "solve_s", "waves_s", "verify_s", "write_s", "reports_s", "total_s", "peak_mb",
           "status", "gap", "verified", "islands", "variables", "load_avg")


def one(n: int, seed: int, gap: float, time_limit: float, reports: bool) -> dict:
    """Run one size in this process and return its measurements."""
    from planner.load import load_inventory
    from planner.model import SolverSettings
    from planner.pipeline import make_plan
    from planner.synth import synth_tables
    from planner.verify import verify_plan

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "estate"
        synth_tables(folder, n, seed, "parquet")
        load_avg = os.getloadavg()[0]
        t0 = time.perf_counter()
        inv = load_inventory(folder)
        t_load = time.perf_counter()
        stamps: list[tuple[float, str]] = []
        settings = inv.scenario.solver.overridden(gap=gap, time_limit_s=time_limit)
        result = make_plan(inv, settings, lambda m: stamps.append((time.perf_counter(), m)))
        t_plan = time.perf_counter()
        built = next((s for s, m in stamps if "admissible placements" in m), t_load)
        placed = next((s for s, m in stamps if m.startswith("placed:")), t_plan)
        checking = next((s for s, m in stamps if m.startswith("verifying")), t_plan)
        text = result.plan.to_json()
        (Path(tmp) / "plan.json").write_text(text)
        t_write = time.perf_counter()
        t_reports = t_write
        if reports:
            from planner.report import render_reports

            render_reports(result.plan, result.estate, Path(tmp) / "out")
            t_reports = time.perf_counter()
        # make_plan verified the plan before returning it (the verify column); this second, untimed check is the
        # benchmark's own evidence, from outside the pipeline.
        problems = verify_plan(result.estate, result.plan)
    p, stats = result.plan, result.placement.stats
    return {"workloads": n, "load_s": t_load - t0, "build_s": built - t_load, "solve_s": placed - built, "waves_s": checking - placed,
            "verify_s": t_plan - checking, "write_s": t_write - t_plan, "reports_s": (t_reports - t_write) if reports else None,
            "total_s": t_reports - t0, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "status": p.status,
            "gap": p.solver["gap"], "islands": int(stats.get("islands", 0)), "variables": int(stats.get("columns", 0)),
            "load_avg": load_avg, "verified": not problems}


def _cell(name: str, value: object) -> str:
    if value is None:
        return "-"
    if name == "gap":
        return f"{float(value):.4%}"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.1f}" if name != "load_avg" else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", nargs="*", type=int, default=[1000, 10000, 100000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gap", type=float, default=0.0001, help="relative gap to prove (default the scenario default 0.01%%)")
    ap.add_argument("--time-limit", type=float, default=1800.0)
    ap.add_argument("--reports", action="store_true", help="also render every report")
    ap.add_argument("--plain", type=int, default=0, help="compare with a plain PuLP model at this size (e.g. 3000)")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.sizes[0], args.seed, args.gap, args.time_limit, args.reports)))
        return
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for n in args.sizes:
        cmd = [sys.executable, __file__, str(n), "--one", "--seed", str(args.seed), "--gap", str(args.gap),
               "--time-limit", str(args.time_limit)] + (["--reports"] if args.reports else [])
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            print(f"| {n:,} | failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode} |")
            continue
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print("| " + " | ".join(_cell(c, row[c]) for c in COLUMNS) + " |", flush=True)
    if args.plain:
        from plain_pulp import compare

        compare(args.plain, args.seed, args.gap)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
