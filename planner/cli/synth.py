"""`planner synth`: a synthetic estate of any size. Click wiring only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from ..atomic_write import write_error
from .common import echo, fail


@click.command('synth')
@click.option("--workloads", type=click.IntRange(min=1, max=10_000_000), required=True, help="How many workloads.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: the same seed gives the same bytes.")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), help="Write here (default: stdout).")
def synth_command(workloads: int, seed: int, out_path: Optional[Path]) -> None:
    """Write a realistic synthetic estate of any size, for benchmarks and demos. Exit 0; 2 when --out cannot be written."""
    from ..synth import synth_to_file, synth_yaml
    if out_path is None:
        for chunk in synth_yaml(workloads, seed):
            sys.stdout.write(chunk)
    else:
        try:
            synth_to_file(out_path, workloads, seed)
        except OSError as exc:
            fail(write_error(out_path, exc))
        echo(f"wrote {out_path}: {workloads} workloads (seed {seed})", err=True)
