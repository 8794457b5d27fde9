"""`planner report PLAN`: render the executive summary, roadmap and compliance report again. Click wiring only.

The reports need the plan and the inventory it was made from (policies, site countries,
latency budgets); a plan whose `inventory_sha256` differs from the inventory's is refused
with exit code 2, as is any other bad input, a broken user template, `--format pdf` without
Chromium, an output folder that holds another plan's plan.json, or one that cannot be written.
Every report renders in memory before the first one is written.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Optional, Sequence

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
from planner.domain.estate import Estate
from planner.inputs.load.files import read_bounded
from planner.outputs.publish import EVIDENCE_FILES, PLAN_FILE, PublishError, publish
from planner.plan.document import Plan

FOOTER_MAX = 200  # characters: one line at the foot of a printed page

footer_option = click.option(
    "--footer", default="", metavar="TEXT",
    help="Your organisation's line on every page of the reports (printed with the page number and the plan's date), "
         f"e.g. 'ACME Telecom · Confidential'; at most {FOOTER_MAX} characters.")


def check_footer(footer: str) -> str:
    """The --footer text, or exit 2 when it would not fit one line."""
    if len(footer) > FOOTER_MAX:
        fail(f"--footer is {len(footer)} characters long; at most {FOOTER_MAX} fit the foot of a page")
    return footer


def write_reports(plan: Plan, estate: Estate, out_dir: Path, template_dir: Optional[Path], formats: Sequence[str],
                  progress: Callable[[str], None], footer: str = "") -> list[Path]:
    """Render the reports of `plan`, then publish them into `out_dir`; on any error print one line and exit 2."""
    from planner.outputs.report import ReportError, render_files

    t0 = time.perf_counter()
    try:
        files = render_files(plan, estate, template_dir, formats, footer=footer, progress=progress)
    except ReportError as exc:
        fail(f"{exc}; nothing was written")
    try:
        publish(out_dir, files, remove=EVIDENCE_FILES)  # no other plan's evidence is left beside these reports
    except PublishError as exc:
        fail(str(exc))
    written = [out_dir / name for name in files]  # html, md, then pdf, as rendered
    progress(f"wrote {len(written)} report file(s) into {out_dir} in {time.perf_counter() - t0:.1f}s")
    return written


def other_plan_beside(plan_path: Path, out_dir: Path) -> bool:
    """Whether `out_dir` holds a plan.json that is not the plan being rendered (its reports would sit beside the wrong plan)."""
    there = out_dir / PLAN_FILE
    if not there.is_file():
        return False
    try:
        if there.samefile(plan_path):
            return False
        if there.stat().st_size != plan_path.stat().st_size:
            return True
        limit = there.stat().st_size
        return read_bounded(there, limit) != read_bounded(plan_path, limit)
    except OSError:
        return True


@click.command("report")
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--inventory", "inventory", type=click.Path(path_type=Path),
              help="The inventory the plan was made from (default: ./inventory if it exists, else the sample estate).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the reports (default: the plan's folder).")
@click.option("--templates", "template_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Your template folder: its files replace the built-in ones; extend those as default/NAME.")
@click.option("--format", "formats", type=click.Choice(["html", "md", "pdf"]), multiple=True,
              help="Output format; repeat for several (default: html and md). pdf needs Chromium.")
@footer_option
@catalog_option
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
def report_command(plan_path: Path, inventory: Optional[Path], out_dir: Optional[Path], template_dir: Optional[Path],
                   formats: tuple[str, ...], footer: str, catalog_path: Optional[Path], quiet: bool) -> None:
    """Render the executive summary, roadmap and compliance report of PLAN (a plan.json) again.

    Writes executive, roadmap and compliance as .html and .md (and .pdf on request) into --out,
    with the compliance evidence file (compliance-evidence.csv, or .parquet for millions of checks).
    Exit 0 written, 2 bad input (unreadable plan, an inventory the plan was not made from,
    a broken template, PDF without Chromium, an --out holding another plan.json or not writable).
    """
    progress = Progress(quiet)
    check_footer(footer)
    if template_dir is not None and not template_dir.is_dir():
        fail(f"--templates {template_dir}: no such folder")
    plan = load_plan(plan_path, consistent=True)
    inv_path = find_inventory(inventory, quiet)
    inv, estate = load_estate(inv_path, catalog_path)
    if plan.inventory_sha256 != inv.sha256:
        fail(f"{plan_path} was made from a different inventory than {inv_path} "
             f"(plan inventory_sha256 {plan.inventory_sha256[:16]}…, inventory {inv.sha256[:16]}…); "
             f"pass the inventory it was made from with --inventory, or re-plan")
    if "pdf" in formats:
        from planner.outputs.report import ChromiumMissing, find_chromium
        try:
            find_chromium()
        except ChromiumMissing as exc:
            fail(str(exc))
    out = out_dir if out_dir is not None else plan_path.resolve().parent
    if other_plan_beside(plan_path, out):
        fail(f"{out / PLAN_FILE} is another plan than {plan_path}: its reports would sit beside the wrong plan; "
             f"choose another --out (or re-plan into that folder)")
    progress(f"rendering the reports of {plan_path} ({plan.status}, {len(plan.assignments)} workloads)")
    for path in write_reports(plan, estate, out, template_dir, formats or ("html", "md"), progress, footer):
        echo(str(path))
