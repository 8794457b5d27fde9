"""Emissions in the reports: staying put against the plan as its waves land, month by month, beside the money.

A workload emits at its current site until the last day of its wave and at its target site from the next day,
as the cash view counts its cost (:mod:`planner.plan.money`). plan.json's `emissions_tonnes` is the target
placement for the whole horizon (what a carbon price or cap in the objective counts, as `horizon_cost` is
for money); the trajectory here is the one to report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

from planner.domain.carbon import monthly_kg
from planner.domain.estate import Estate
from planner.domain.model import add_months
from planner.plan.money import PlanArrays
from planner.schedule.types import Wave


@dataclass(frozen=True)
class CarbonMonth:
    """One month's emissions in tCO2e: staying put and the plan as its waves land."""

    month: int
    start: dt.date
    stay_put: float
    planned: float


@dataclass(frozen=True)
class CarbonYear:
    number: int
    start: dt.date
    end: dt.date
    stay_put: float
    planned: float


@dataclass(frozen=True)
class CarbonStory:
    """The emissions view of a plan; every figure in tCO2e unless named otherwise."""

    stay_put: float  # today's placement for the whole horizon
    planned: float  # the plan as its waves land
    target: float  # plan.json's emissions_tonnes: the target placement for the whole horizon
    monthly_before: float  # tCO2e a month today
    monthly_after: float  # ... once every wave has landed
    months: tuple[CarbonMonth, ...]
    years: tuple[CarbonYear, ...]
    price_per_tonne: float
    carbon_cost: float  # plan.json's carbon_cost: the price times `target`
    cap_tonnes: Optional[float]

    @property
    def saving(self) -> float:
        return self.stay_put - self.planned

    @property
    def saving_ratio(self) -> Optional[float]:
        return self.saving / self.stay_put if self.stay_put > 0 else None


def carbon_story(estate: Estate, arr: Optional[PlanArrays], waves: Sequence[Wave], totals: dict[str, Any]) -> CarbonStory:
    """The plan's emissions over the horizon as its waves land (`arr` None: no plan, so staying put)."""
    scn = estate.scenario
    now = estate.table.current_site.astype(np.int64)
    before = monthly_kg(estate, now) / 1000.0
    after = monthly_kg(estate, arr.site) / 1000.0 if arr is not None else before
    level, days, levels = float(before.sum()), [scn.start], [float(before.sum())]
    for wv in sorted(waves, key=lambda w: w.number) if arr is not None else []:
        rows = arr.movers(wv.number)
        level += float((after[rows] - before[rows]).sum())
        days.append(wv.end + dt.timedelta(days=1))
        levels.append(level)
    bounds = days + [dt.date.max]
    starts = [add_months(scn.start, k) for k in range(scn.horizon_months + 1)]
    months = []
    for k in range(scn.horizon_months):
        m0, m1 = starts[k], starts[k + 1]
        share = [max(0, (min(m1, bounds[i + 1]) - max(m0, bounds[i])).days) / (m1 - m0).days for i in range(len(levels))]
        months.append(CarbonMonth(k + 1, m0, float(before.sum()), float(sum(s * v for s, v in zip(share, levels)))))
    years = []
    for y in range(0, scn.horizon_months, 12):
        part = months[y:y + 12]
        years.append(CarbonYear(y // 12 + 1, part[0].start, add_months(part[0].start, len(part)) - dt.timedelta(days=1),
                                sum(m.stay_put for m in part), sum(m.planned for m in part)))
    target = float(totals.get("emissions_tonnes", scn.horizon_months * after.sum()))
    return CarbonStory(scn.horizon_months * float(before.sum()), sum(m.planned for m in months), target, float(before.sum()),
                       level, tuple(months), tuple(years), scn.carbon.price_per_tonne, float(totals.get("carbon_cost", 0.0)),
                       scn.carbon.cap_tonnes)


__all__ = ["CarbonMonth", "CarbonStory", "CarbonYear", "carbon_story"]
