"""Benchmark: plan synthetic estates end to end and print one table (rerun it; it is not a test).

Usage: python bench/bench.py [N | planted:N ...] [--seed S] [--gap G] [--large-gap G] [--time-limit S] [--reports]
                             [--plain N | --plain INVENTORY]

Each size runs in its own process (peak memory is that size's alone): the estate is written as Parquet
tables (not timed), then timed stage by stage: load, build (candidates,
reductions, the core model), solve (placement), waves, verify (the pipeline's own check, which gates
publishing), write (plan.json) and reports (with --reports); `verified` is a second verify_plan call
from outside the pipeline, untimed. `waves_share` is what the wave schedule realises as a share of
`schedule.upper_bound` (no schedule realises more; `-` without waves or when the bound is not positive).

A size is `N` (the project's own `planner synth --format parquet` estate of N workloads) or `planted:N`
(bench/estates.py's planted estate of N workloads, same --seed, written as tables by its write_tables: tight
capacities, a hidden feasible placement, 24 sites from 500,000 workloads up); the `workloads` cell says which
(`1,000,000 planted`). The relative gap asked is --gap (default the scenario default 0.01%) below 500,000
workloads and --large-gap (default 0.1%) from there on; `gap_asked` prints it, `gap` the gap proven.

`--plain N` also plans an N-workload synth estate, `--plain INVENTORY` that inventory (a YAML file or folder,
e.g. /work/shared/cases/tight-3000.yaml), with one plain PuLP + HiGHS model of the same instance
(bench/plain_pulp.py) to --gap and prints both times, both objectives and the ratio. The machine's load
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
           "status", "gap_asked", "gap", "waves_share", "verified", "islands", "variables", "load_avg")
LARGE = 500_000  # from this many workloads, --large-gap


def parse_size(text: str) -> tuple[int, bool]:
    """`N` or `planted:N` (commas and underscores allowed in N) as (N, planted)."""
    kind, _, n = text.rpartition(":")
    if kind not in ("", "planted"):
        raise argparse.ArgumentTypeError(f"a size is N or planted:N, not {text!r}")
    try:
        value = int(n.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a size is N or planted:N, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"a size needs at least one workload, not {text!r}")
    return value, kind == "planted"


def size_label(n: int, planted: bool) -> str:
    return f"{n:,} planted" if planted else f"{n:,}"


def plain_source(text: str) -> "int | str":
    """--plain: a workload count (a synth estate) or the path of an inventory."""
    try:
        return int(text.replace(",", "").replace("_", ""))
    except ValueError:
        if not Path(text).exists():
            raise argparse.ArgumentTypeError(f"--plain takes a workload count or an inventory path; {text!r} is neither") from None
        return text


def write_estate(folder: Path, n: int, planted: bool, seed: int) -> None:
    """The estate of one row as a tables folder (Parquet): planner synth's, or bench/estates.py's planted one."""
    if planted:
        sys.path.insert(0, str(Path(__file__).parent))
        from estates import write_tables

        write_tables(folder, n, seed, fmt="parquet")
    else:
        from planner.inputs.synth import synth_tables

        synth_tables(folder, n, seed, "parquet")


def one(n: int, seed: int, gap: float, time_limit: float, reports: bool, planted: bool = False) -> dict:
    """Run one size in this process and return its measurements."""
    from planner.analysis.verify import verify_plan
    from planner.inputs.load import load_inventory
    from planner.pipeline import make_plan

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "estate"
        write_estate(folder, n, planted, seed)
        load_avg = os.getloadavg()[0]
        t0 = time.perf_counter()
        inv = load_inventory(folder)
        t_load = time.perf_counter()
        stamps: list[tuple[float, str]] = []
        settings = inv.scenario.solver.overridden(gap=gap, time_limit_s=time_limit)
        result = make_plan(inv, settings, lambda m: stamps.append((time.perf_counter(), m)))
        t_plan = time.perf_counter()
        # the pipeline's progress sentences mark the stages (older wordings kept, so old trees still time right)
        built = next((s for s, m in stamps if "admissible placements" in m or " placements on " in m), t_load)
        placed = next((s for s, m in stamps if m.startswith("placed:")), t_plan)
        checking = next((s for s, m in stamps if m.startswith(("verifying", "checking every rule"))), t_plan)
        text = result.plan.to_json()
        (Path(tmp) / "plan.json").write_text(text)
        t_write = time.perf_counter()
        t_reports = t_write
        if reports:
            from planner.outputs.report import render_reports

            render_reports(result.plan, result.estate, Path(tmp) / "out")
            t_reports = time.perf_counter()
        # make_plan verified the plan before returning it (the verify column); this second, untimed check is the
        # benchmark's own evidence, from outside the pipeline.
        problems = verify_plan(result.estate, result.plan)
    p, stats = result.plan, result.placement.stats
    sched = p.schedule
    # what the waves realise as a share of what no schedule could beat (schedule.upper_bound); None without waves
    share = (sched.realised_savings / sched.upper_bound if sched is not None and sched.upper_bound and sched.upper_bound > 0 else None)
    return {"workloads": size_label(n, planted), "gap_asked": gap, "load_s": t_load - t0, "build_s": built - t_load, "solve_s": placed - built, "waves_s": checking - placed,
            "verify_s": t_plan - checking, "write_s": t_write - t_plan, "reports_s": (t_reports - t_write) if reports else None,
            "total_s": t_reports - t0, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "status": p.status,
            "gap": p.solver["gap"], "islands": int(stats.get("islands", 0)), "variables": int(stats.get("columns", 0)),
            "load_avg": load_avg, "verified": not problems, "waves_share": share}


def _cell(name: str, value: object) -> str:
    if value is None:
        return "-"
    if name in ("gap", "gap_asked"):
        return f"{float(value):.4%}"
    if name == "waves_share":
        return f"{float(value):.2%}"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.1f}" if name != "load_avg" else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", nargs="*", type=parse_size, default=[(1000, False), (10000, False), (100000, False)],
                    help="N (a planner synth estate) or planted:N (a bench/estates.py planted estate)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gap", type=float, default=0.0001,
                    help=f"relative gap to prove below {LARGE:,} workloads (default the scenario default 0.01%%)")
    ap.add_argument("--large-gap", type=float, default=0.001, help=f"relative gap to prove from {LARGE:,} workloads (default 0.1%%)")
    ap.add_argument("--time-limit", type=float, default=1800.0)
    ap.add_argument("--reports", action="store_true", help="also render every report")
    ap.add_argument("--plain", type=plain_source, default=0,
                    help="compare with a plain PuLP model: a synth estate of this size (e.g. 3000) or an inventory path")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:  # one size, its gap already chosen by the parent
        n, planted = args.sizes[0]
        print(json.dumps(one(n, args.seed, args.gap, args.time_limit, args.reports, planted)))
        return
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for n, planted in args.sizes:
        gap = args.large_gap if n >= LARGE else args.gap
        cmd = [sys.executable, __file__, f"planted:{n}" if planted else str(n), "--one", "--seed", str(args.seed),
               "--gap", repr(gap), "--time-limit", str(args.time_limit)] + (["--reports"] if args.reports else [])
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            why = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode
            print(f"| {size_label(n, planted)} | failed: {why} |")
            continue
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print("| " + " | ".join(_cell(c, row[c]) for c in COLUMNS) + " |", flush=True)
    if args.plain:
        from plain_pulp import compare

        compare(args.plain, args.seed, args.gap)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
