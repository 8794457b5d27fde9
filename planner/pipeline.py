"""From an inventory to a plan: the library entry point that the CLI and scripts call."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from typing import Callable, Optional

from .estate import Estate
from .model import Inventory, SolverSettings
from .plan import Plan, build_plan
from .solve import Placement, solve
from .waves import Schedule, schedule_waves


@dataclass
class PlanResult:
    """A plan with the estate and placement it came from (for reports, explain and verify)."""

    plan: Plan
    estate: Estate
    placement: Placement
    schedule: Optional[Schedule]


def make_plan(
    inventory: Inventory,
    settings: Optional[SolverSettings] = None,
    progress: Optional[Callable[[str], None]] = None,
    estate: Optional[Estate] = None,
    baseline: Optional[Plan] = None,
) -> PlanResult:
    """Place every workload, schedule the moves in waves, and assemble plan.json's content.

    With a `baseline` plan, among the plans no dearer than the best one found, the one with the
    fewest workloads on a different site from the baseline is chosen (stability for CI re-plans).
    """
    estate = estate or Estate.of(inventory)
    placement = solve(estate, settings, progress, baseline=baseline.site_of if baseline else None)
    schedule = None
    if placement.choice is not None:
        site_no = placement.candidates.site[placement.choice]
        site_ids = [estate.sites[j].id for j in site_no.tolist()]
        moving = [estate.table.workload(i) for i in np.nonzero(site_no != estate.table.current_site)[0].tolist()]
        if progress:
            progress(f"placed: {placement.status}, {len(moving):,} workloads move; scheduling waves")
        schedule = schedule_waves(estate, moving, dict(zip(estate.table.ids, site_ids)))
    return PlanResult(build_plan(estate, placement, schedule), estate, placement, schedule)
