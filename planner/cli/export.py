"""`planner export PLAN`: the migration team's work list as xlsx or CSV. Click wiring over planner.outputs.export only.

Exit 0 written; 2 bad input: an unreadable plan, a plan made from another inventory than
--inventory, a plan with nothing to export (infeasible or unknown), an --out that cannot be
written, is the plan itself, or whose extension contradicts --format. Nothing is half-written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from planner.cli.common import (
    Progress,
    catalog_option,
    echo,
    fail,
    find_inventory,
    load_estate,
    load_plan,
)
from planner.outputs.export import (
    EXPORT_FORMATS,
    ExportError,
    InventoryMismatch,
    build_worklist,
    write_csv,
    write_xlsx,
)
from planner.outputs.handoff import HANDOFF_FORMATS, write_handoff

_OUT_NAMES = {"azure-waves": "waves.arm.json", "tracker": "tracker.csv"}


def _format_of(fmt: Optional[str], out: Optional[Path]) -> str:
    """--format, else what --out's extension says, else xlsx; exit 2 when the two disagree."""
    suffix = out.suffix.lower().lstrip(".") if out is not None else ""
    if fmt is None:
        return suffix if suffix in EXPORT_FORMATS else "xlsx"
    if suffix in EXPORT_FORMATS and suffix != fmt and fmt not in HANDOFF_FORMATS:
        fail(f"--out {out} ends in .{suffix} but --format is {fmt}; make them agree")
    return fmt


@click.command("export")
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--inventory", "inventory", type=click.Path(path_type=Path),
              help="The inventory the plan was made from (default: ./inventory if it exists, else the sample estate).")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS + HANDOFF_FORMATS),
              help="xlsx (work list and waves sheets) or csv (the work list); azure-waves (an ARM template of Azure Migrate "
                   "waves) or tracker (a CSV of move groups per wave, for Jira); default: --out's extension, else xlsx.")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False),
              help="File to write (default: worklist.xlsx or worklist.csv in the plan's folder).")
@catalog_option
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
def export_command(plan_path: Path, inventory: Optional[Path], fmt: Optional[str], out_path: Optional[Path],
                   catalog_path: Optional[Path], quiet: bool) -> None:
    """Write the migration team's work list of PLAN (a plan.json): one row per workload, sorted by wave.

    Exit 0 written, 2 bad input (unreadable plan, an inventory the plan was not made from,
    an infeasible plan, an unwritable --out).
    """
    progress = Progress(quiet)
    fmt = _format_of(fmt, out_path)
    plan = load_plan(plan_path, consistent=True)
    inv_path = find_inventory(inventory, quiet)
    _, estate = load_estate(inv_path, catalog_path)
    if fmt in HANDOFF_FORMATS:
        _handoff(plan, estate, plan_path, inv_path, fmt, out_path, progress)
        return
    try:
        worklist = build_worklist(plan, estate)
    except ExportError as exc:
        hint = "; pass the inventory it was made from with --inventory, or re-plan" if isinstance(exc, InventoryMismatch) else ""
        fail(f"{plan_path} with inventory {inv_path}: {exc}{hint}; nothing written")
    out = out_path if out_path is not None else plan_path.resolve().parent / f"worklist.{fmt}"
    if out.resolve() == plan_path.resolve():
        fail(f"--out {out} is the plan itself; choose another file")
    progress(f"writing the work list of {len(worklist.rows)} workloads and {len(worklist.waves)} waves as {fmt}")
    try:
        (write_xlsx if fmt == "xlsx" else write_csv)(worklist, out)
    except (OSError, ExportError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        fail(f"cannot write {out}: {reason}; nothing written")
    progress(f"wrote {out}")
    echo(str(out))


def _handoff(plan, estate, plan_path: Path, inv_path: Path, fmt: str, out_path: Optional[Path], progress: Progress) -> None:  # noqa: ANN001
    """Write the waves for the team's tools (planner.outputs.handoff); exit 2 on a plan without waves or an unwritable --out."""
    out = out_path if out_path is not None else plan_path.resolve().parent / _OUT_NAMES[fmt]
    if out.resolve() == plan_path.resolve():
        fail(f"--out {out} is the plan itself; choose another file")
    try:
        n = write_handoff(plan, estate, out, fmt)
    except ExportError as exc:
        hint = "; pass the inventory it was made from with --inventory, or re-plan" if isinstance(exc, InventoryMismatch) else ""
        fail(f"{plan_path} with inventory {inv_path}: {exc}{hint}; nothing written")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}; nothing written")
    progress(f"wrote {out}: {n} {'wave resource(s)' if fmt == 'azure-waves' else 'move group row(s)'}")
    echo(str(out))
