"""`planner validate` and `planner verify`: check an inventory, or a plan against its inventory. Click wiring only."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Optional

import click

from planner.base.errors import InventoryError
from planner.base.untrusted import json_text, one_line
from planner.cli.common import (
    EXIT_FAIL,
    EXIT_INPUT,
    EXIT_OK,
    catalog_option,
    echo,
    emit,
    format_option,
    load_estate,
    load_plan,
)
from planner.domain.catalog import CatalogError, load_catalog
from planner.domain.presets import stale_preset_warnings
from planner.inputs.load import load_inventory
from planner.inputs.load.placeholders import is_placeholder


@click.command('validate')
@click.argument("inventory", type=click.Path(path_type=Path))
@catalog_option
@format_option
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="The date residency presets are dated against: one more than a year older is warned about (default: today).")
def validate_command(inventory: Path, catalog_path: Optional[Path], fmt: str, today: Optional[dt.datetime]) -> None:
    """Check INVENTORY and report every problem at once, each with file:line and field. Exit 0 valid, 2 not."""
    try:
        inv = load_inventory(inventory, load_catalog(catalog_path))
    except (InventoryError, CatalogError) as exc:
        issues = exc.issues if isinstance(exc, InventoryError) else []
        if fmt == "json":
            click.echo(json_text({"valid": False, "issues": [vars(i) for i in issues] or [{"message": str(exc)}]}, indent=2, sort_keys=True))
        else:
            for issue in issues:
                echo(f"error: {one_line(issue)}", err=True)
            if not issues:
                echo(f"error: {one_line(exc)}", err=True)
            if issues and all(is_placeholder(i) for i in issues):
                echo(f"{len(issues)} placeholder(s) to fill in in {one_line(inventory)}", err=True)
            else:
                # A broken catalogue is a problem of that file, not of the inventory.
                source = catalog_path if isinstance(exc, CatalogError) and catalog_path is not None else inventory
                echo(f"{len(issues) or 1} problem(s) in {one_line(source)}", err=True)
        sys.exit(EXIT_INPUT)
    for warning in stale_preset_warnings(inv.policies, today.date() if today else dt.date.today()):
        echo(f"warning: {one_line(warning)}", err=True)
    summary = {"valid": True, "workloads": len(inv.workloads), "sites": len(inv.sites), "zones": len(inv.zones),
               "policies": len(inv.policies), "inventory_sha256": inv.sha256}
    emit(summary, fmt, f"valid: {len(inv.workloads):,} workloads, {len(inv.sites):,} sites, {len(inv.zones):,} zones, "
                        f"{len(inv.policies):,} policies")




@click.command('verify')
@click.argument("inventory", type=click.Path(path_type=Path))
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path, dir_okay=False))
@catalog_option
@format_option
def verify_command(inventory: Path, plan_path: Path, catalog_path: Optional[Path], fmt: str) -> None:
    """Check PLAN against INVENTORY without the solver: every hard rule, cost and total. Exit 0 holds, 1 broken, 2 bad input."""
    from planner.analysis.verify import verify_plan

    _, estate = load_estate(inventory, catalog_path)
    p = load_plan(plan_path)
    problems = verify_plan(estate, p)
    text = "\n".join(f"FAIL [{one_line(pr.rule)}] {one_line(pr.message)}" for pr in problems)
    text += ("\n" if text else "") + (f"{len(problems)} problem(s): the plan does not hold" if problems else
                                      f"ok: {len(p.assignments)} assignments and {len(p.waves)} waves keep every hard rule; totals match the cost model")
    emit({"ok": not problems, "problems": [pr.to_json() for pr in problems]}, fmt, text)
    sys.exit(EXIT_FAIL if problems else EXIT_OK)
