"""A genuine-shaped 1,048,575-row RVTools export imported end to end: wall, CPU and peak memory, and a check.

Usage: python bench/import_million.py [--rows N] [--keep DIR] [--yaml]

Builds the export with `bench/hostile.py`'s `million()` (vInfo of 60 columns with shared strings, vDisk,
vPartition), runs `planner import rvtools FILE --site '{datacenter}-{cluster}' --out workloads.parquet` under
`/usr/bin/time -v`, then `planner validate` on a folder holding the table and a topology declaring its sites.
With `--yaml` the same import to YAML is measured too. Prints one Markdown table; the check column says how
many workloads the table holds and whether the folder validates. A benchmark, not a test: numbers from a busy
machine are not comparable.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile import million

TIME = Path("/usr/bin/time")


def timed(argv: list[str], cwd: Path) -> tuple[int, float, float, float, str]:
    """(exit code, wall s, CPU s, peak RSS MB, last stderr line) of `python -m planner ARGV`."""
    report = cwd / "time.txt"
    cmd = [sys.executable, "-m", "planner", *argv]
    if TIME.exists():
        cmd = [str(TIME), "-v", "-o", str(report), *cmd]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    cpu = rss = 0.0
    if TIME.exists() and report.exists():
        text = report.read_text()
        user = re.search(r"User time \(seconds\): ([\d.]+)", text)
        system = re.search(r"System time \(seconds\): ([\d.]+)", text)
        peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        cpu = float(user.group(1)) + float(system.group(1)) if user and system else 0.0
        rss = int(peak.group(1)) / 1024 if peak else 0.0
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    return proc.returncode, wall, cpu, rss, lines[0] if lines else ""


def topology(sites: list[str]) -> str:
    """The smallest inventory around the imported table: one zone, every site it names, one Azure region."""
    out = ["zones:", "  - {id: here, country: ES}", "sites:"]
    for s in sites:
        out.append(f"  - {{id: {s}, kind: onprem, zone: here, cost: {{vcpu_month: 18.0, memory_gb_month: 2.5, "
                   "storage_gb_month: 0.04, egress_gb: 0.0}}")
    out.append("  - {id: az-we, kind: azure, region: westeurope, zone: here, cost: {vcpu_month: 12.0, "
               "memory_gb_month: 1.5, storage_gb_month: 0.05, egress_gb: 0.08}}")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_048_575)
    parser.add_argument("--keep", type=Path, default=None, help="build (or reuse) the export in this folder and keep it")
    parser.add_argument("--yaml", action="store_true", help="also import to YAML")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="planner-million-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        export = work / "rvtools-million.xlsx"
        if not export.exists():
            t0 = time.perf_counter()
            million(work, n=args.rows)
            print(f"(built the export in {time.perf_counter() - t0:.0f}s)", file=sys.stderr)
        site = "{datacenter}-{cluster}"
        estate = work / "estate"
        shutil.rmtree(estate, ignore_errors=True)
        estate.mkdir()
        rows = [("import to Parquet", ["import", "rvtools", str(export), "--site", site, "--out", str(estate / "workloads.parquet")])]
        if args.yaml:
            rows.append(("import to YAML", ["import", "rvtools", str(export), "--site", site, "--out", str(work / "million.yaml")]))
        print(f"| step ({args.rows:,} VMs, {export.stat().st_size >> 20} MB xlsx) | exit | wall s | CPU s | peak RSS MB | check |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, argv in rows:
            code, wall, cpu, rss, first = timed(argv, work)
            check = first
            if name == "import to Parquet" and code == 0:
                import pyarrow.parquet as pq

                table = pq.read_table(estate / "workloads.parquet", columns=["id", "current_site"])
                sites = sorted(set(table.column("current_site").to_pylist()))
                (estate / "topology.yaml").write_text(topology(sites))
                vcode, vwall, _, vrss, _ = timed(["validate", str(estate)], work)
                check = (f"{table.num_rows:,} workloads on {len(sites)} sites; `planner validate`: exit {vcode} "
                         f"({vwall:.0f} s, {vrss:.0f} MB)")
            print(f"| {name} | {code} | {wall:.1f} | {cpu:.1f} | {rss:.0f} | {check.replace('|', '/')} |")
        print("(load average after: {:.2f} {:.2f} {:.2f}; CPU s is the figure on a shared machine)".format(*os.getloadavg()))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
