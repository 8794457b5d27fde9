"""Benchmark the reports: render every report of a plan and print seconds per step and the size of each file.

Usage: python bench/reports.py INVENTORY PLAN [--format html --format md ...] [--verify | --no-verify]

Plan a large estate first, e.g. `planner synth --workloads 1000000 --seed 1 --format parquet --out big/`
and `planner plan big/ --out big-plan/ --no-reports`. The table gives the seconds to load the
inventory and the plan, to build the view-model, to render each report and the evidence file, the
size of every file in MB, and the peak memory of this process (max RSS).
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inventory", type=Path)
    ap.add_argument("plan", type=Path)
    ap.add_argument("--format", dest="formats", action="append", choices=("html", "md"), help="default: html and md")
    ap.add_argument("--verify", dest="verify", action="store_true", default=None, help="run the verifier with the reports")
    ap.add_argument("--no-verify", dest="verify", action="store_false", help="do not run the verifier with the reports")
    args = ap.parse_args()

    from planner.domain.estate import Estate
    from planner.inputs.load import load_inventory
    from planner.outputs.report import build_context, render_text
    from planner.outputs.report.evidence import evidence_bytes
    from planner.plan.document import read_plan

    rows: list[tuple[str, float, float]] = []  # (step, seconds, MB)
    t = time.perf_counter()
    estate = Estate.of(load_inventory(args.inventory))
    rows.append(("load inventory", time.perf_counter() - t, 0.0))
    t = time.perf_counter()
    plan = read_plan(args.plan)
    rows.append(("read plan", time.perf_counter() - t, 0.0))
    t = time.perf_counter()
    ctx = build_context(plan, estate, verify=args.verify)
    rows.append((f"view-model ({'with' if ctx.compliance.verified else 'without'} verification)", time.perf_counter() - t, 0.0))
    for kind in args.formats or ("html", "md"):
        for name in ("executive", "roadmap", "compliance"):
            t = time.perf_counter()
            (out,) = render_text(ctx, (kind,), reports=(name,))
            rows.append((f"{name}.{kind}", time.perf_counter() - t, len(out.text.encode("utf-8")) / 1e6))
    t = time.perf_counter()
    file_name, data, count = evidence_bytes(estate, ctx.blocks)
    rows.append((f"{file_name} ({count:,} rows)", time.perf_counter() - t, len(data) / 1e6))
    print(f"{len(estate.table):,} workloads, {len(estate.sites)} sites, {ctx.moving:,} moves in {len(ctx.busy_waves)} waves")
    print("| step | seconds | MB |")
    print("|---|---:|---:|")
    for step, seconds, mb in rows:
        print(f"| {step} | {seconds:.2f} | {mb:.2f} |" if mb else f"| {step} | {seconds:.2f} | |")
    print(f"| total | {sum(r[1] for r in rows):.2f} | peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB |")


if __name__ == "__main__":
    main()
