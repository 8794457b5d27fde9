"""`planner diff` and `planner explain`: click wiring over :mod:`planner.analysis.diff` and :mod:`planner.analysis.explain`.

Both exit 0 when they could answer, 2 on an unreadable plan, a bad inventory or an
unknown workload. Results go to stdout; warnings (a stale plan) go to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from planner.base.untrusted import json_text
from planner.cli.common import (
    EXIT_OK,
    catalog_option,
    echo,
    fail,
    find_inventory,
    load_estate,
    load_plan,
)


def _dump(doc: dict) -> str:
    return json_text(doc, indent=2, sort_keys=True)


@click.command("diff")
@click.argument("old_path", metavar="OLD", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("new_path", metavar="NEW", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--inventory", "inventory", type=click.Path(path_type=Path),
              help="The NEW plan's inventory: explains each move and compares rule findings.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="For people, scripts or a pull-request comment.")
@catalog_option
def diff_command(old_path: Path, new_path: Path, inventory: Optional[Path], fmt: str, catalog_path: Optional[Path]) -> None:
    """What moved between plan files OLD and NEW, the cost deltas and the compliance findings gained or resolved. Exit 0; 2 on bad input."""
    from planner.analysis.diff import diff_plans, render_markdown, render_text

    old, new = load_plan(old_path), load_plan(new_path)
    estate = load_estate(inventory, catalog_path)[1] if inventory is not None else None
    d = diff_plans(old, new, estate)
    for note in d.notes:
        echo(f"warning: {note}", err=True)
    if fmt == "json":
        click.echo(_dump(d.to_json()))
    elif fmt == "markdown":
        click.echo(render_markdown(d), nl=False)
    else:
        click.echo(render_text(d))
    sys.exit(EXIT_OK)


@click.command("explain")
@click.argument("workload")
@click.option("--inventory", "inventory", type=click.Path(path_type=Path),
              help="The inventory the plan was made from (default: ./inventory if it exists, else the sample estate).")
@click.option("--plan", "plan_path", type=click.Path(path_type=Path, dir_okay=False), default=Path("reports/plan.json"),
              show_default=True, help="The plan to explain.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output for people or for scripts.")
@catalog_option
def explain_command(workload: str, inventory: Optional[Path], plan_path: Path, fmt: str, catalog_path: Optional[Path]) -> None:
    """Why WORKLOAD sits where the plan puts it, and what every other site would cost or which rules it would break. Exit 0; 2 on bad input or an unknown workload."""
    from planner.analysis.explain import ExplainError, explain_workload, render_text

    _, estate = load_estate(find_inventory(inventory), catalog_path)
    p = load_plan(plan_path)
    if p.inventory_sha256 != estate.inventory.sha256:
        echo(f"warning: {plan_path} was made from a different inventory (inventory_sha256 differs): it may be stale; "
             "explaining the sites it gives", err=True)
    try:
        e = explain_workload(estate, p, workload)
    except ExplainError as exc:
        fail(str(exc))
    click.echo(_dump(e.to_json()) if fmt == "json" else render_text(e))
    sys.exit(EXIT_OK)
