"""`planner plan`: validate, place, schedule, write plan.json and the reports. Click wiring only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from ..atomic_write import write_atomic
from ..costs import stay_put_horizon
from .common import EXIT_FAIL, EXIT_OK, Progress, catalog_option, default_inventory, emit, format_option, load_estate

@click.command('plan')
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
def plan_command(inventory: Optional[Path], out_dir: Path, backend: Optional[str], time_limit: Optional[float], gap: Optional[float],
         threads: Optional[int], quiet: bool, catalog_path: Optional[Path], fmt: str,
         template_dir: Optional[Path] = None, no_reports: bool = False) -> None:
    """Validate INVENTORY (default: the sample estate), place every workload, schedule waves, write OUT/plan.json.

    Exit 0 when a plan is found, 1 when none exists (plan.json then says why), 2 on bad input.
    """
    from ..pipeline import make_plan

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
        from .report import write_reports

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
    emit({"status": p.status, "totals": p.totals, "solver": p.solver, "moves": moves, "waves": len(p.waves),
           "problems": [pr.to_json() for pr in p.problems], "plan": str(out_dir / "plan.json")}, fmt, text)
    sys.exit(EXIT_OK if p.has_plan else EXIT_FAIL)
