"""Benchmark: ten what-if scenarios of a synthetic estate compared one after another, on local processes and on Dask.

Usage: python bench/compare.py [--workloads 10000] [--seed 1] [--workers 2] [--time-limit 600]

Synthesises the estate as a Parquet inventory folder, writes ten overlays (Azure pricing
options, hybrid benefit, a longer horizon, other migration costs, more headroom), then times
`planner compare` three ways: `--workers 1` (every scenario one after another), `--workers N`
(local processes) and `--scheduler` on a local Dask cluster of N single-threaded worker
processes. The target: parallel time <= 1.2 x (serial time / N). Prints one table, with the
machine's load average before each run (the machine may be shared), and checks that the three
runs wrote the same bytes (plan.json's wall-clock `solver.seconds` aside). `--time-limit` is
generous by default so every plan proves its gap: a plan stopped by its time limit depends on
the machine's speed, and so would the bytes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from planner.rerun import comparable_files

SCENARIOS = {
    "reserved-1y": "name: Azure 1-year reservations\nscenario:\n  pricing: {azure: reserved-1y}\n",
    "reserved-3y": "name: Azure 3-year reservations\nscenario:\n  pricing: {azure: reserved-3y}\n",
    "savings-plan-1y": "name: Azure 1-year savings plan\nscenario:\n  pricing: {azure: savings-plan-1y}\n",
    "savings-plan-3y": "name: Azure 3-year savings plan\nscenario:\n  pricing: {azure: savings-plan-3y}\n",
    "hybrid-benefit": "name: Bring our Windows licences (Azure Hybrid Benefit)\nscenario:\n  pricing: {hybrid_benefit: true}\n",
    "horizon-48": "name: A four-year horizon\nscenario:\n  horizon_months: 48\n",
    "migration-1200": "name: Moves cost 1,200 each\nscenario:\n  default_migration_cost: 1200\n",
    "migration-400": "name: Moves cost 400 each (migration factory)\nscenario:\n  default_migration_cost: 400\n",
    "comfort-1.5": "name: 50 % headroom when right-sizing\nscenario:\n  comfort_factor: 1.5\n",
    "reserved-3y-hb": "name: 3-year reservations and hybrid benefit\nscenario:\n  pricing: {azure: reserved-3y, hybrid_benefit: true}\n",
}


def _compare(inv: Path, scenarios: Path, out: Path, how: list[str]) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "planner", "compare", str(inv), "--scenarios", str(scenarios), "--out", str(out),
                           "--quiet", *how], capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"planner compare {' '.join(how)} failed:\n{proc.stderr}")
    return seconds, proc.stdout.splitlines()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--time-limit", type=float, default=600.0)
    args = ap.parse_args()
    limit = ["--time-limit", str(args.time_limit)]
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        inv = tmp / "estate"
        subprocess.run([sys.executable, "-m", "planner", "synth", "--workloads", str(args.workloads), "--seed", str(args.seed),
                        "--format", "parquet", "--out", str(inv)], check=True, capture_output=True)
        scenarios = tmp / "scenarios"
        scenarios.mkdir()
        for name, text in SCENARIOS.items():
            (scenarios / f"{name}.yaml").write_text(text, encoding="utf-8")
        rows = []
        load = os.getloadavg()[0]
        serial, summary = _compare(inv, scenarios, tmp / "serial", ["--workers", "1", *limit])
        rows.append(("--workers 1", 1, serial, load, summary))
        load = os.getloadavg()[0]
        local, _ = _compare(inv, scenarios, tmp / "local", ["--workers", str(args.workers), *limit])
        rows.append((f"--workers {args.workers}", args.workers, local, load, ""))
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None)
        try:
            load = os.getloadavg()[0]
            dask, _ = _compare(inv, scenarios, tmp / "dask", ["--scheduler", cluster.scheduler_address, *limit])
        finally:
            cluster.close()
        rows.append((f"Dask, {args.workers} workers", args.workers, dask, load, ""))
        runs = {name: comparable_files(tmp / name) for name in ("serial", "local", "dask")}
        differ = sorted(k for k in runs["serial"] if not runs["serial"][k] == runs["local"].get(k) == runs["dask"].get(k))
        import json

        doc = json.loads(runs["serial"]["comparison.json"])
        statuses = ", ".join(f"{s['id']} {s['status']}" for s in doc["scenarios"])
    print(f"{len(SCENARIOS)} scenarios + base of the {args.workloads:,}-workload synthetic estate (seed {args.seed}), "
          f"{os.cpu_count()} cores; {summary}")
    print("| run | seconds | x (serial / workers) | target <= 1.2 | load before |")
    print("|---|---|---|---|---|")
    for label, workers, seconds, load, _ in rows:
        ratio = seconds / (serial / workers)
        print(f"| {label} | {seconds:,.1f} | {ratio:.2f} | {'met' if workers == 1 or ratio <= 1.2 else 'MISSED'} | {load:.2f} |")
    print(f"statuses: {statuses}")
    print(f"same bytes in all three runs (solver.seconds aside): {not differ}" + (f"; differ: {', '.join(differ)}" if differ else ""))


if __name__ == "__main__":
    main()
