"""`planner synth`: a synthetic estate of any size, as one YAML file or an inventory folder with tables. Click wiring only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from planner.base.atomic_write import write_error
from planner.cli.common import echo, fail


@click.command("synth")
@click.option("--workloads", type=click.IntRange(min=1, max=10_000_000), required=True, help="How many workloads.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: the same seed gives the same bytes.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv", "parquet"]), default="yaml", show_default=True,
              help="One YAML file, or a folder: topology.yaml plus workloads, dependencies and users tables.")
@click.option("--out", "out_path", type=click.Path(path_type=Path),
              help="The YAML file (default: stdout), or the folder for csv and parquet (required for them).")
def synth_command(workloads: int, seed: int, fmt: str, out_path: Optional[Path]) -> None:
    """Write a realistic synthetic estate of any size, for benchmarks and demos. Exit 0; 2 when --out cannot be written."""
    from planner.inputs.synth import synth_tables, synth_to_file, synth_yaml

    if fmt != "yaml":
        if out_path is None:
            fail(f"--format {fmt} writes a folder: give it with --out DIR")
        if out_path.exists() and not out_path.is_dir():
            fail(f"--out {out_path}: not a folder (--format {fmt} writes topology.yaml and tables into one)")
        try:
            written = synth_tables(out_path, workloads, seed, fmt)
        except OSError as exc:
            fail(write_error(out_path, exc))
        echo(f"wrote {out_path}: {workloads} workloads (seed {seed}) in {', '.join(p.name for p in written)}", err=True)
        return
    if out_path is None:
        for chunk in synth_yaml(workloads, seed):
            sys.stdout.write(chunk)
    elif out_path.is_dir():
        fail(f"--out {out_path}: a folder; the YAML format writes one file (or use --format parquet)")
    else:
        try:
            synth_to_file(out_path, workloads, seed)
        except OSError as exc:
            fail(write_error(out_path, exc))
        echo(f"wrote {out_path}: {workloads} workloads (seed {seed})", err=True)
