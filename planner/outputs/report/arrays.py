"""A plan turned into arrays once: one value per workload row of the estate's table.

Every part of the report context reads these instead of the plan's assignment objects or
per-workload dictionaries, so a million-workload plan costs a few array passes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.base.errors import PlannerError
from planner.domain.costs import NO_VM, stay_put_columns
from planner.domain.estate import Estate
from planner.plan.document import Plan


class ReportError(PlannerError):
    """A report that cannot be made from these inputs (e.g. plan and inventory do not match)."""


@dataclass(frozen=True)
class PlanArrays:
    """Per workload row: where it runs after the plan, what it costs then and today, whether and in which wave it moves."""

    site: np.ndarray  # int64 site number after the plan (today's site where the plan places nothing)
    monthly: np.ndarray  # run cost per month after the plan (plan.json's monthly_cost; today's where not placed)
    one_time: np.ndarray  # the plan's one-time cost
    moves: np.ndarray  # bool
    wave: np.ndarray  # int64 wave number, 0 when in no wave
    stay: np.ndarray  # today's run cost per month, from the cost model (0 where no VM fits)
    kind: np.ndarray  # int64 site kind code (planner.domain.workloads.KINDS order) of `site`
    kind_now: np.ndarray  # ... of today's site

    def movers(self, wave: int) -> np.ndarray:
        """Rows that move in wave `wave`."""
        return np.nonzero((self.wave == wave) & self.moves)[0]


def site_kinds(estate: Estate) -> np.ndarray:
    """Per site (in `estate.sites` order), its kind's position in KINDS (onprem 0, azure 1, edge 2)."""
    from planner.domain.workloads import KINDS

    return np.array([KINDS.index(s.kind) for s in estate.sites], dtype=np.int64)


def plan_arrays(plan: Plan, estate: Estate, feasible: bool) -> PlanArrays:
    """The plan's assignments and waves as arrays over `estate.table`; :class:`ReportError` when they name what it lacks."""
    t = estate.table
    n = len(t)
    now = t.current_site.astype(np.int64)
    stay_col = stay_put_columns(estate)
    stay = np.where(stay_col.sku == NO_VM, 0.0, stay_col.monthly)
    site = now.copy()
    monthly = stay.copy()
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
    kinds = site_kinds(estate)
    return PlanArrays(site=site, monthly=monthly, one_time=one_time, moves=site != now, wave=wave, stay=stay,
                      kind=kinds[site], kind_now=kinds[now])


__all__ = ["PlanArrays", "ReportError", "plan_arrays", "site_kinds"]
