"""A plan turned into arrays once: one value per workload row of the estate's table.

Every part of the report context reads these instead of the plan's assignment objects or
per-workload dictionaries, so a million-workload plan costs a few array passes.
"""

from __future__ import annotations

import numpy as np

from planner.base.errors import PlannerError
from planner.domain.estate import Estate
from planner.plan.document import Plan
from planner.plan.money import PlanArrays, row_arrays, site_kinds


class ReportError(PlannerError):
    """A report that cannot be made from these inputs (e.g. plan and inventory do not match)."""


def plan_arrays(plan: Plan, estate: Estate, feasible: bool) -> PlanArrays:
    """The plan's assignments and waves as arrays over `estate.table`; :class:`ReportError` when they name what it lacks."""
    t = estate.table
    n = len(t)
    site = t.current_site.astype(np.int64).copy()
    monthly = np.full(n, np.nan)
    one_time = np.zeros(n)
    wave = np.zeros(n, dtype=np.int64)
    assignments = plan.assignments
    if assignments:
        rows = t.rows_of([a.workload for a in assignments])
        index = estate.site_index
        at = np.fromiter((index.get(a.site, -1) for a in assignments), dtype=np.int64, count=len(assignments))
        bad_rows = [assignments[i].workload for i in np.nonzero(rows < 0)[0][:5].tolist()]
        bad_sites = sorted({assignments[i].site for i in np.nonzero(at < 0)[0][:100].tolist()})[:5]
        if bad_rows or bad_sites:
            raise ReportError(f"the plan names what the inventory does not hold: {', '.join((bad_rows + bad_sites)[:5])}")
        if feasible:
            site[rows] = at
            monthly[rows] = np.fromiter((a.monthly_cost for a in assignments), dtype=float, count=len(assignments))
            one_time[rows] = np.fromiter((a.one_time_cost for a in assignments), dtype=float, count=len(assignments))
            # The wave each assignment names (the verifier checks it against the waves' lists).
            wave[rows] = np.fromiter((a.wave or 0 for a in assignments), dtype=np.int64, count=len(assignments))
    arr = row_arrays(estate, site, monthly, one_time, wave)
    unplaced = np.isnan(arr.monthly)  # where the plan places nothing: today's cost
    arr.monthly[unplaced] = arr.stay[unplaced]
    return arr


__all__ = ["PlanArrays", "ReportError", "plan_arrays", "site_kinds"]
