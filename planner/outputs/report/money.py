"""Money over the horizon as the waves land: the headline saving, months, years, and cost by site kind.

One convention (the *cash view*), used for the headline saving and every chart over time:

* staying put costs, every month, every workload's run cost on its current site plus the
  egress of today's placement;
* a moving workload costs its current site's rate until the end of its wave and its new
  site's rate from the day after (a month is prorated by days); egress follows the
  placement in force on each day;
* a move's one-time cost falls in the month its wave starts.

The optimiser's objective (plan.json's `horizon_cost`) instead prices the target placement
for the whole horizon, as if every move landed on day one; the reports show it only where
they explain the solver's proof, labelled as such.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from planner.domain.costs import egress_columns
from planner.domain.estate import Estate
from planner.domain.model import add_months
from planner.domain.workloads import KINDS
from planner.outputs.report.arrays import PlanArrays
from planner.schedule.waves import Wave

N_KINDS = len(KINDS)


@dataclass(frozen=True)
class WaveDelta:
    """What one wave's moves change, from the day after it ends: monthly run cost (in total and per site kind) and egress."""

    run: float
    egress: float
    run_by_kind: tuple[float, ...]


@dataclass(frozen=True)
class MonthRow:
    index: int  # 1-based month of the horizon
    start: dt.date
    stay_put: float
    planned: float  # run + egress under the placement in force, prorated by day
    planned_run: float
    planned_egress: float
    one_time: float
    saving: float  # stay_put - planned - one_time
    cumulative: float
    run_by_kind: tuple[float, ...]  # planned run cost per site kind (KINDS order)


@dataclass(frozen=True)
class YearRow:
    number: int
    start: dt.date
    end: dt.date  # last day
    months: int
    stay_put: float
    planned: float
    planned_run: float
    planned_egress: float
    one_time: float
    saving: float
    cumulative: float
    run_by_kind: tuple[float, ...]  # the plan's run cost per site kind in that year
    stay_run_by_kind: tuple[float, ...]  # staying put's run cost per site kind in that year
    stay_egress: float


@dataclass(frozen=True)
class BreakEven:
    month: int  # 1-based month of the horizon in which cumulative savings turn non-negative for good
    start: dt.date


@dataclass(frozen=True)
class Totals:
    """Money over the horizon and per month, before (staying put) and after (the plan).

    The headline is :attr:`saving`: staying put minus the plan as its waves land (the cash view),
    one-time costs included.
    """

    stay_put_horizon_cost: float  # horizon_months * (today's run + today's egress)
    plan_cost: float  # the plan as its waves land: run, egress and one-time cost over the horizon
    plan_run: float
    plan_egress: float
    saving: float  # THE saving: stay_put_horizon_cost - plan_cost
    saving_ratio: Optional[float]  # of staying put
    horizon_cost: float  # the optimiser's objective (plan.json): the target placement for the whole horizon + one-time
    target_saving: float  # stay_put_horizon_cost - horizon_cost: as if every move landed on day one
    monthly_run_before: float  # plan.json's stay_put_monthly_run_cost
    monthly_run_after: float  # plan.json's monthly_run_cost
    monthly_egress_before: float
    monthly_egress_after: float  # plan.json's monthly_egress_cost
    monthly_before: float
    monthly_after: float
    monthly_saving: float  # once every wave has landed
    one_time_cost: float  # plan.json's one_time_cost

    # The names earlier templates used.
    @property
    def phased_cost(self) -> float:
        return self.plan_cost

    @property
    def phased_savings(self) -> float:
        return self.saving

    @property
    def horizon_savings(self) -> float:
        return self.target_saving

    @property
    def horizon_savings_ratio(self) -> Optional[float]:
        s = self.stay_put_horizon_cost
        return self.target_saving / s if s > 0 else None


def _overlap_days(a0: dt.date, a1: dt.date, b0: dt.date, b1: dt.date) -> int:
    """Days in both half-open ranges [a0, a1) and [b0, b1)."""
    return max(0, (min(a1, b1) - max(a0, b0)).days)


def wave_deltas(estate: Estate, arr: PlanArrays, waves: Sequence[Wave]) -> dict[int, WaveDelta]:
    """Per wave: what its moves change in the monthly run cost (per site kind too) and the monthly egress."""
    site_no = estate.table.current_site.astype(np.int64).copy()
    egress = float(egress_columns(estate, site_no).sum())
    out: dict[int, WaveDelta] = {}
    for wv in sorted(waves, key=lambda w: w.number):
        m = arr.movers(wv.number)
        if not len(m):
            out[wv.number] = WaveDelta(0.0, 0.0, (0.0,) * N_KINDS)
            continue
        by_kind = np.bincount(arr.kind[m], weights=arr.monthly[m], minlength=N_KINDS) \
            - np.bincount(arr.kind_now[m], weights=arr.stay[m], minlength=N_KINDS)
        site_no[m] = arr.site[m]
        after = float(egress_columns(estate, site_no).sum())
        out[wv.number] = WaveDelta(float((arr.monthly[m] - arr.stay[m]).sum()), after - egress, tuple(float(x) for x in by_kind))
        egress = after
    return out


def months(estate: Estate, arr: PlanArrays, waves: Sequence[Wave], deltas: dict[int, WaveDelta], stay_run: float,
           stay_egress: float, one_time_total: float) -> list[MonthRow]:
    """Every month of the horizon under the cash view; `stay_run` is plan.json's stay-put monthly run cost."""
    scn = estate.scenario
    waves = sorted(waves, key=lambda w: w.number)
    # Levels of (run per kind..., egress) in force from a day on; the first from the start, then the day after each wave.
    kind0 = np.bincount(arr.kind_now, weights=arr.stay, minlength=N_KINDS)
    level = np.concatenate([kind0, [stay_egress]])
    total = stay_run + stay_egress
    days = [scn.start]
    levels = [level.copy()]
    totals = [total]
    for wv in waves:
        d = deltas.get(wv.number, WaveDelta(0.0, 0.0, (0.0,) * N_KINDS))
        level = level + np.concatenate([d.run_by_kind, [d.egress]])
        total += d.run + d.egress
        days.append(wv.end + dt.timedelta(days=1))
        levels.append(level.copy())
        totals.append(total)
    bounds = days + [dt.date.max]
    one_by_month = np.zeros(scn.horizon_months)
    for wv in waves:
        m = arr.movers(wv.number)
        for k in range(scn.horizon_months):
            if add_months(scn.start, k) <= wv.start < add_months(scn.start, k + 1):
                one_by_month[k] += float(arr.one_time[m].sum())
                break
    rows: list[MonthRow] = []
    cumulative = 0.0
    stay_month = stay_run + stay_egress
    for k in range(scn.horizon_months):
        m0, m1 = add_months(scn.start, k), add_months(scn.start, k + 1)
        span = (m1 - m0).days
        vec = np.zeros(N_KINDS + 1)
        planned = 0.0
        for i in range(len(levels)):
            share = _overlap_days(m0, m1, bounds[i], bounds[i + 1]) / span
            if share:
                vec += levels[i] * share
                planned += totals[i] * share
        one = float(one_by_month[k])
        saving = stay_month - planned - one
        cumulative += saving
        egress = float(vec[N_KINDS])
        rows.append(MonthRow(k + 1, m0, stay_month, planned, planned - egress, egress, one, saving, cumulative,
                             tuple(float(x) for x in vec[:N_KINDS])))
    # One-time costs of waves starting outside the horizon are counted in its last month.
    missed = one_time_total - sum(r.one_time for r in rows)
    if rows and abs(missed) > 0.005:
        last = rows[-1]
        rows[-1] = MonthRow(last.index, last.start, last.stay_put, last.planned, last.planned_run, last.planned_egress,
                            last.one_time + missed, last.saving - missed, last.cumulative - missed, last.run_by_kind)
    return rows


def years(estate: Estate, arr: PlanArrays, month_rows: list[MonthRow], stay_egress: float) -> list[YearRow]:
    """The months in years of the horizon (the last one shorter when the horizon is not whole years)."""
    scn = estate.scenario
    kind0 = np.bincount(arr.kind_now, weights=arr.stay, minlength=N_KINDS)
    rows: list[YearRow] = []
    for y in range(0, len(month_rows), 12):
        chunk = month_rows[y:y + 12]
        end = add_months(scn.start, y + len(chunk)) - dt.timedelta(days=1)
        by_kind = tuple(float(sum(r.run_by_kind[k] for r in chunk)) for k in range(N_KINDS))
        rows.append(YearRow(y // 12 + 1, chunk[0].start, end, len(chunk), sum(r.stay_put for r in chunk), sum(r.planned for r in chunk),
                            sum(r.planned_run for r in chunk), sum(r.planned_egress for r in chunk), sum(r.one_time for r in chunk),
                            sum(r.saving for r in chunk), chunk[-1].cumulative, by_kind,
                            tuple(float(x) * len(chunk) for x in kind0), stay_egress * len(chunk)))
    return rows


def break_even(month_rows: list[MonthRow]) -> Optional[BreakEven]:
    """The first month from which cumulative savings stay non-negative, if any."""
    be: Optional[BreakEven] = None
    for r in month_rows:
        if r.cumulative >= -0.005:
            if be is None:
                be = BreakEven(r.index, r.start)
        else:
            be = None
    return be


__all__ = ["BreakEven", "MonthRow", "Totals", "WaveDelta", "YearRow", "break_even", "months", "wave_deltas", "years"]
