"""The `planner` command line: click wiring over the library, nothing more.

Exit codes (DESIGN.md): 0 success, 1 no plan / a check failed, 2 bad input or usage.
Results go to stdout or files, progress to stderr; written files appear whole or not at all.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import click

from .atomic_write import write_atomic
from .catalog import CatalogError, load_catalog
from .cli_common import EXIT_FAIL, EXIT_INPUT, EXIT_OK, Progress, catalog_option, default_inventory, load_estate, load_plan
from .costs import stay_put_horizon
from .errors import InventoryError
from .loader import load_inventory

# Re-exported: scripts and tests use planner.cli.default_inventory.
__all__ = ["default_inventory", "main"]


def _emit(data: Any, fmt: str, text: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
    else:
        click.echo(text)


format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                             help="Output for people or for scripts.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hybrid-migration-planner")
def main() -> None:
    """Plan the cheapest legal, latency-safe move of an estate into own DCs, Azure and edge sites."""


@main.command()
@click.argument("inventory", required=False, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("reports"), show_default=True,
              help="Folder for plan.json and the reports.")
@click.option("--backend", type=click.Choice(["highs", "cbc"]), help="MILP solver (default: scenario.solver.backend).")
@click.option("--time-limit", type=click.FloatRange(min=0.1), help="Solver time limit in seconds.")
@click.option("--gap", type=click.FloatRange(min=0, max=1, max_open=True), help="Relative optimality gap to prove, e.g. 0.0001.")
@click.option("--threads", type=click.IntRange(min=1), help="Solver threads.")
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
@click.option("--templates", "template_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Your report template folder (see planner report).")
@click.option("--no-reports", is_flag=True, help="Write plan.json only, no reports.")
@catalog_option
@format_option
def plan(inventory: Optional[Path], out_dir: Path, backend: Optional[str], time_limit: Optional[float], gap: Optional[float],
         threads: Optional[int], quiet: bool, catalog_path: Optional[Path], fmt: str,
         template_dir: Optional[Path] = None, no_reports: bool = False) -> None:
    """Validate INVENTORY (default: the sample estate), place every workload, schedule waves, write OUT/plan.json.

    Exit 0 when a plan is found, 1 when none exists (plan.json then says why), 2 on bad input.
    """
    from .pipeline import make_plan

    progress = Progress(quiet)
    path = inventory or default_inventory()
    inv, estate = load_estate(path, catalog_path)
    progress(f"loaded {len(inv.workloads)} workloads, {len(inv.sites)} sites from {path}")
    settings = inv.scenario.solver.overridden(backend, time_limit, gap, threads)
    result = make_plan(inv, settings, progress, estate)
    p = result.plan
    write_atomic(out_dir / "plan.json", p.to_json())
    progress(f"wrote {out_dir / 'plan.json'}")
    if not no_reports:  # beside plan.json; an infeasible plan's reports say why no plan exists
        from .cli_report import write_reports

        write_reports(p, estate, out_dir, template_dir, ("html", "md"), progress)
    moves = sum(a.moves for a in p.assignments)
    if not p.has_plan:
        text = "\n".join(f"no plan: [{pr.rule}] {pr.message}" for pr in p.problems)
    else:
        t = p.totals
        stay = stay_put_horizon(estate, t["stay_put_monthly_run_cost"])  # run and egress, as the horizon cost and the reports count them
        text = (f"{p.status}: {len(p.assignments)} workloads, {moves} move in {len(p.waves)} waves; "
                f"horizon cost {t['horizon_cost']:,.2f} {inv.scenario.currency} vs {stay:,.2f} staying put "
                f"(gap {p.solver['gap']:.4%})")
    _emit({"status": p.status, "totals": p.totals, "solver": p.solver, "moves": moves, "waves": len(p.waves),
           "problems": [pr.to_json() for pr in p.problems], "plan": str(out_dir / "plan.json")}, fmt, text)
    sys.exit(EXIT_OK if p.has_plan else EXIT_FAIL)


@main.command()
@click.argument("inventory", type=click.Path(path_type=Path))
@catalog_option
@format_option
def validate(inventory: Path, catalog_path: Optional[Path], fmt: str) -> None:
    """Check INVENTORY and report every problem at once, each with file:line and field. Exit 0 valid, 2 not."""
    try:
        inv = load_inventory(inventory, load_catalog(catalog_path))
    except (InventoryError, CatalogError) as exc:
        issues = exc.issues if isinstance(exc, InventoryError) else []
        if fmt == "json":
            click.echo(json.dumps({"valid": False, "issues": [vars(i) for i in issues] or [{"message": str(exc)}]}, indent=2, sort_keys=True))
        else:
            for issue in issues:
                click.echo(f"error: {issue}", err=True)
            if not issues:
                click.echo(f"error: {exc}", err=True)
            click.echo(f"{len(issues) or 1} problem(s) in {inventory}", err=True)
        sys.exit(EXIT_INPUT)
    summary = {"valid": True, "workloads": len(inv.workloads), "sites": len(inv.sites), "zones": len(inv.zones),
               "policies": len(inv.policies), "inventory_sha256": inv.sha256}
    _emit(summary, fmt, f"valid: {len(inv.workloads)} workloads, {len(inv.sites)} sites, {len(inv.zones)} zones, {len(inv.policies)} policies")


@main.command()
@click.argument("inventory", type=click.Path(path_type=Path))
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path, dir_okay=False))
@catalog_option
@format_option
def verify(inventory: Path, plan_path: Path, catalog_path: Optional[Path], fmt: str) -> None:
    """Check PLAN against INVENTORY without the solver: every hard rule, cost and total. Exit 0 holds, 1 broken, 2 bad input."""
    from .verify import verify_plan

    _, estate = load_estate(inventory, catalog_path)
    p = load_plan(plan_path)
    problems = verify_plan(estate, p)
    text = "\n".join(f"FAIL [{pr.rule}] {pr.message}" for pr in problems)
    text += ("\n" if text else "") + (f"{len(problems)} problem(s): the plan does not hold" if problems else
                                      f"ok: {len(p.assignments)} assignments and {len(p.waves)} waves keep every hard rule; totals match the cost model")
    _emit({"ok": not problems, "problems": [pr.to_json() for pr in problems]}, fmt, text)
    sys.exit(EXIT_FAIL if problems else EXIT_OK)


from .cli_import import catalog_group, import_group  # noqa: E402 - registered after main exists

main.add_command(import_group)
main.add_command(catalog_group)
from .cli_report import report_command  # noqa: E402 - registered after main exists
main.add_command(report_command)

from .cli_diff import diff_command, explain_command  # noqa: E402 - registered after main exists

main.add_command(diff_command)
main.add_command(explain_command)

from .cli_check import check_command  # noqa: E402 - registered after main exists

main.add_command(check_command)


@main.command()
@click.option("--workloads", type=click.IntRange(min=1, max=10_000_000), required=True, help="How many workloads.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: the same seed gives the same bytes.")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), help="Write here (default: stdout).")
def synth(workloads: int, seed: int, out_path: Optional[Path]) -> None:
    """Write a realistic synthetic estate of any size, for benchmarks and demos."""
    from .synth import synth_to_file, synth_yaml

    if out_path is None:
        for chunk in synth_yaml(workloads, seed):
            sys.stdout.write(chunk)
    else:
        synth_to_file(out_path, workloads, seed)
        click.echo(f"wrote {out_path}: {workloads} workloads (seed {seed})", err=True)
