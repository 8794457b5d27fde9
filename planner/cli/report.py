"""`planner report PLAN`: render the executive summary, roadmap and compliance report again. Click wiring only.

The reports need the plan and the inventory it was made from (policies, site countries,
latency budgets); a plan whose `inventory_sha256` differs from the inventory's is refused
with exit code 2, as is any other bad input, a broken user template, or `--format pdf`
without Chromium.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

import click

from .common import EXIT_INPUT, Progress, catalog_option, default_inventory, load_estate, load_plan
from ..estate import Estate
from ..plan import Plan


def write_reports(plan: Plan, estate: Estate, out_dir: Path, template_dir: Optional[Path], formats: Sequence[str],
                  progress: Callable[[str], None]) -> list[Path]:
    """Render the reports of `plan` into `out_dir`; on a report error print it and exit 2."""
    from ..report import ReportError, render_reports

    t0 = time.perf_counter()
    try:
        written = render_reports(plan, estate, out_dir, template_dir, formats)
    except ReportError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    progress(f"wrote {len(written)} report file(s) into {out_dir} in {time.perf_counter() - t0:.1f}s")
    return written


@click.command("report")
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--inventory", "inventory", type=click.Path(path_type=Path),
              help="The inventory the plan was made from (default: the sample estate).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the reports (default: the plan's folder).")
@click.option("--templates", "template_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Your template folder: its files replace the built-in ones; extend those as default/NAME.")
@click.option("--format", "formats", type=click.Choice(["html", "md", "pdf"]), multiple=True,
              help="Output format; repeat for several (default: html and md). pdf needs Chromium.")
@catalog_option
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
def report_command(plan_path: Path, inventory: Optional[Path], out_dir: Optional[Path], template_dir: Optional[Path],
                   formats: tuple[str, ...], catalog_path: Optional[Path], quiet: bool) -> None:
    """Render the executive summary, roadmap and compliance report of PLAN (a plan.json) again.

    Writes executive, roadmap and compliance as .html and .md (and .pdf on request) into --out.
    Exit 0 written, 2 bad input (unreadable plan, an inventory the plan was not made from,
    a broken template, PDF without Chromium).
    """
    progress = Progress(quiet)
    if template_dir is not None and not template_dir.is_dir():
        click.echo(f"error: --templates {template_dir}: no such folder", err=True)
        sys.exit(EXIT_INPUT)
    plan = load_plan(plan_path)
    inv_path = inventory or default_inventory()
    inv, estate = load_estate(inv_path, catalog_path)
    if plan.inventory_sha256 != inv.sha256:
        click.echo(f"error: {plan_path} was made from a different inventory than {inv_path} "
                   f"(plan inventory_sha256 {plan.inventory_sha256[:16]}…, inventory {inv.sha256[:16]}…); "
                   f"pass the inventory it was made from with --inventory, or re-plan", err=True)
        sys.exit(EXIT_INPUT)
    if "pdf" in formats:
        from ..report import ChromiumMissing, find_chromium

        try:
            find_chromium()
        except ChromiumMissing as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INPUT)
    out = out_dir if out_dir is not None else plan_path.resolve().parent
    progress(f"rendering the reports of {plan_path} ({plan.status}, {len(plan.assignments)} workloads)")
    written = write_reports(plan, estate, out, template_dir, formats or ("html", "md"), progress)
    for path in written:
        click.echo(str(path))
