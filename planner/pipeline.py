"""From an inventory to a plan: the library entry point that the CLI and scripts call.

Every plan that places workloads passes the independent verifier (:func:`planner.analysis.verify.verify_plan`)
before it is returned: one it rejects is the planner's own fault, raised as :class:`PlanRejected`
with a bug report, and never reaches plan.json or a report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from planner.analysis.verify import verify_plan
from planner.base import memory
from planner.base.errors import EstateTooLarge, PlanRejected
from planner.base.problem import Problem
from planner.domain.estate import Estate
from planner.domain.inventory import Inventory
from planner.domain.model import SolverSettings
from planner.plan.document import Plan, build_plan
from planner.schedule.waves import Schedule, schedule_waves
from planner.solve import Placement, solve

STATUS_RULE = "status"  # the rule id of a status word the plan's own numbers do not back
_GAP_ROUNDING = 5e-9  # plan.json rounds solver.gap to 8 decimals


@dataclass
class PlanResult:
    """A plan with the estate and placement it came from (for reports, explain and verify)."""

    plan: Plan
    estate: Estate
    placement: Placement
    schedule: Optional[Schedule]

    @property
    def findings(self) -> tuple[Problem, ...]:
        """The independent verifier's findings on `plan`: none, since a plan it rejects is never returned."""
        return ()


def make_plan(
    inventory: Inventory,
    settings: Optional[SolverSettings] = None,
    progress: Optional[Callable[[str], None]] = None,
    estate: Optional[Estate] = None,
    baseline: Optional[Plan] = None,
) -> PlanResult:
    """Place every workload, schedule the moves in waves, assemble plan.json's content and verify it.

    With a `baseline` plan, among the plans no dearer than the best one found, the one with the
    fewest workloads on a different site from the baseline is chosen (stability for CI re-plans).
    Raises :class:`PlanRejected` (after writing its bug report) for a plan the verifier rejects.
    """
    estate = estate or Estate.of(inventory)
    settings = settings or estate.scenario.solver
    try:
        return _make_plan(estate, settings, progress, baseline)
    except MemoryError:
        # The estimates of planner.base.memory stop the known large stages first; this is the net under the rest.
        raise EstateTooLarge("a stage of the plan", f"{len(estate.table):,} workloads", memory.resident_bytes(),
                             memory.Budget.of(settings.memory_gb).limit, "what the machine could give") from None


def _make_plan(estate: Estate, settings: SolverSettings, progress: Optional[Callable[[str], None]],
               baseline: Optional[Plan]) -> PlanResult:
    placement = solve(estate, settings, progress, baseline=baseline.site_of if baseline else None)
    schedule = None
    if placement.choice is not None:
        site_no = placement.candidates.site[placement.choice]
        site_ids = [estate.sites[j].id for j in site_no.tolist()]
        moving = [estate.table.workload(i) for i in np.nonzero(site_no != estate.table.current_site)[0].tolist()]
        if progress:
            progress(f"placed: {len(moving):,} workloads move; scheduling them into waves")
        schedule = schedule_waves(estate, moving, dict(zip(estate.table.ids, site_ids)), settings)
    n_w = len(estate.table)
    memory.Budget.of(settings.memory_gb).ensure("the plan", f"{n_w:,} assignments", n_w * memory.PLAN_WORKLOAD)
    plan = build_plan(estate, placement, schedule)
    if plan.assignments:
        if progress:
            progress(f"checking every rule of the plan independently ({len(plan.assignments):,} assignments)")
        findings = sorted(set(verify_plan(estate, plan) + status_findings(plan, settings)))
        if findings:
            raise rejected(plan, findings)
    return PlanResult(plan, estate, placement, schedule)


def status_findings(plan: Plan, settings: SolverSettings) -> list[Problem]:
    """`optimal` claims the gap asked for is proven: a problem when the plan's own solver.gap says otherwise."""
    gap = plan.solver.get("gap")
    if plan.status != "optimal" or (gap is not None and gap <= settings.gap * (1 + 1e-9) + _GAP_ROUNDING):
        return []
    shown = "not proven" if gap is None else f"{gap:.6%}"
    return [Problem(STATUS_RULE, (), (), f"the plan says optimal, but its gap ({shown}) is not within the {settings.gap:.6%} "
                                         "it was asked to prove; it is feasible at best")]


def rejected(plan: Plan, findings: list[Problem]) -> PlanRejected:
    """The fault for a plan the verifier rejects, with its bug report written (or why it could not be)."""
    from planner.bugreport import write_bundle

    try:
        return PlanRejected(findings, str(write_bundle(plan, findings)), plan=plan)
    except OSError as exc:
        return PlanRejected(findings, None, f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""), plan=plan)
