"""`planner plan`: validate, place, schedule, verify, write plan.json and the reports. Click wiring only.

Nothing is written until everything is ready: the user's templates are compiled before the
solve, every report is rendered in memory after it, and then plan.json and its reports are
published together (:func:`planner.outputs.publish.publish`: reports first, plan.json last, stale
reports of an older plan removed), so DIR never holds a plan.json beside another plan's reports.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from planner.base.errors import CannotPlanHere, PlannerFault
from planner.base.fmt import share
from planner.base.untrusted import one_line
from planner.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    Progress,
    backend_option,
    catalog_option,
    emit,
    exit_fault,
    fail,
    find_inventory,
    format_option,
    load_estate,
    verbose_option,
)
from planner.cli.report import check_footer, footer_option
from planner.outputs.publish import PLAN_FILE, REPORT_FILES, PublishError, publish
from planner.plan.money import money_headline
from planner.rerun import same_plan


def preflight(out_dir: Path, template_dir: Optional[Path]) -> None:
    """Refuse, before the solve, an output folder that cannot take plan.json or user templates that do not compile."""
    existing = next((p for p in (out_dir, *out_dir.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        fail(f"--out {out_dir}: {existing} is a file, not a folder")
    for name in (PLAN_FILE, *REPORT_FILES):
        if (out_dir / name).is_dir() and not (out_dir / name).is_symlink():
            fail(f"cannot write {out_dir / name}: it is a folder; move it away or choose another --out")
    if template_dir is not None:
        from planner.outputs.report import ReportError, check_templates

        try:
            check_templates(template_dir)
        except ReportError as exc:
            fail(str(exc))


@click.command('plan')
@click.argument("inventory", required=False, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("reports"), show_default=True,
              help="Folder for plan.json and the reports.")
@click.option("--backend", callback=backend_option, help="MILP solver: highs, cbc or any solver PuLP has installed (default: scenario.solver.backend).")
@click.option("--time-limit", type=click.FloatRange(min=0.1), help="Solver time limit in seconds.")
@click.option("--gap", type=click.FloatRange(min=0, max=1, max_open=True), help="Relative optimality gap to prove, e.g. 0.0001.")
@click.option("--threads", type=click.IntRange(min=1), help="Solver threads.")
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
@verbose_option
@click.option("--templates", "template_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Your report template folder (see planner report).")
@click.option("--no-reports", is_flag=True, help="Write plan.json only, no reports (and remove an older plan's reports from --out).")
@click.option("--scenario", "overlays", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="A what-if overlay (YAML file or folder) laid over INVENTORY, as planner compare does (repeatable, in order).")
@footer_option
@catalog_option
@format_option
def plan_command(inventory: Optional[Path], out_dir: Path, backend: Optional[str], time_limit: Optional[float], gap: Optional[float],
         threads: Optional[int], quiet: bool, verbose: bool, catalog_path: Optional[Path], fmt: str,
         template_dir: Optional[Path] = None, no_reports: bool = False, footer: str = "",
         overlays: tuple[Path, ...] = ()) -> None:
    """Validate INVENTORY (default: ./inventory if it exists, else the sample estate), place every workload,
    schedule waves, write OUT/plan.json and its reports.
    Exit 0 when a plan is found, 1 when none exists (plan.json then says why), 2 on bad input or when OUT cannot be written,
    3 on a fault of the planner (its own verifier rejects the plan it made): nothing is written, a bug report goes to the temporary folder.
    """
    from planner.pipeline import make_plan
    progress = Progress(quiet, verbose=verbose)
    check_footer(footer)
    path = find_inventory(inventory, quiet)
    preflight(out_dir, None if no_reports else template_dir)
    inv, estate = load_estate(path, catalog_path, overlays)
    progress(f"loaded {len(inv.workloads):,} workloads, {len(inv.sites):,} sites from {path}")
    settings = inv.scenario.solver.overridden(backend, time_limit, gap, threads)
    try:
        result = make_plan(inv, settings, progress, estate)
    except PlannerFault as exc:
        exit_fault(exc, f"nothing was written to {out_dir}")
    except CannotPlanHere as exc:
        fail(str(exc))
    p = result.plan
    files: dict[str, bytes] = {}
    if not no_reports:  # beside plan.json; an infeasible plan's reports say why no plan exists
        from planner.outputs.report import ReportError, render_files

        try:
            files = render_files(p, estate, template_dir, ("html", "md"), footer=footer, progress=progress,
                                 findings=result.findings)
        except ReportError as exc:
            fail(f"{exc}; nothing was written")
    files[PLAN_FILE] = p.to_json().encode("utf-8")
    kept = same_plan(out_dir / PLAN_FILE, files[PLAN_FILE])  # the same plan as the one there: keep its bytes (and seconds)
    if kept is not None:
        files[PLAN_FILE] = kept
    try:
        written = publish(out_dir, files, last=PLAN_FILE, remove=REPORT_FILES, skip_unchanged=kept is not None)
    except PublishError as exc:
        fail(str(exc))
    if not written:
        progress(f"{out_dir / PLAN_FILE} already holds this plan (solver.seconds aside) and its reports are current: "
                 f"left {out_dir} as it is")
    else:
        progress(f"wrote {out_dir / PLAN_FILE}" + (f" and {len(files) - 1} report file(s)" if len(files) > 1 else "")
                 + (" (the same plan as before: its solver.seconds kept)" if kept is not None else ""))
    moves = sum(a.moves for a in p.assignments)
    if not p.has_plan:
        text = "\n".join(f"no plan: [{one_line(pr.rule)}] {one_line(pr.message)}" for pr in p.problems)
    else:
        text = (f"{p.status}: {len(p.assignments)} workloads, {moves} move in {len(p.waves)} waves; "
                f"{money_headline(p, inv.scenario)} (solver gap {share(p.solver['gap'])})")
    if not written:
        text += f"; {out_dir / PLAN_FILE} unchanged"
    emit({"status": p.status, "totals": p.all_totals(), "solver": p.solver, "moves": moves, "waves": len(p.waves),
           "problems": [pr.to_json() for pr in p.problems], "plan": str(out_dir / PLAN_FILE), "unchanged": not written}, fmt, text)
    sys.exit(EXIT_OK if p.has_plan else EXIT_FAIL)
