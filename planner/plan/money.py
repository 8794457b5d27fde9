"""The board's money: one saving stream against staying put, and every figure made from it.

The *cash view*, month by month over the horizon (month m = 1..H, from `scenario.start`):

* staying put costs, every month, every workload's run cost on its current site plus the egress
  of today's placement (plan.json's `stay_put_monthly_run_cost` plus that egress);
* under the plan, a moving workload costs its current site's rate until its wave's last day and
  its target's rate from the day after (a month is prorated by days); egress follows the placement
  in force on each day; a move's one-time cost falls in the month its wave starts;
* the month's saving `s_m` is staying put minus the plan, one-time cost included.

From it: `saving = sum s_m` (plan.json `totals.saving`, against `totals.stay_put_cost`),
`npv = sum s_m / (1 + r)^(m/12)` at `scenario.discount_rate` r (each month's flow at its end),
`payback_month` the first m from which `sum_{k<=m} s_k` stays >= 0 (none when it never does or
nothing moves), and the programme years (12-month blocks from the start) as `cash_flow_by_year`.

The optimiser's objective (`totals.horizon_cost`) instead prices the target placement for the
whole horizon, as if every move landed on day one: a bound to prove, not a budget.
Estates reach a million workloads: everything is a few array passes per wave.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

from planner.base import fmt
from planner.domain.costs import NO_VM, egress_columns, egress_prices, stay_put_columns
from planner.domain.estate import Estate
from planner.domain.model import Scenario, add_months
from planner.domain.workloads import KINDS
from planner.schedule.types import Wave

N_KINDS = len(KINDS)
CENT = 0.005


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
    return np.array([KINDS.index(s.kind) for s in estate.sites], dtype=np.int64)


def row_arrays(estate: Estate, site: np.ndarray, monthly: np.ndarray, one_time: np.ndarray, wave: np.ndarray) -> PlanArrays:
    """:class:`PlanArrays` of a placement given per workload row (site number, monthly cost, one-time cost, wave or 0)."""
    now = estate.table.current_site.astype(np.int64)
    col = stay_put_columns(estate)
    stay = np.where(col.sku == NO_VM, 0.0, col.monthly)
    site = np.asarray(site, dtype=np.int64)
    kinds = site_kinds(estate)
    return PlanArrays(site=site, monthly=np.asarray(monthly, dtype=float), one_time=np.asarray(one_time, dtype=float),
                      moves=site != now, wave=np.asarray(wave, dtype=np.int64), stay=stay, kind=kinds[site], kind_now=kinds[now])


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
    discounted: float = 0.0  # saving / (1 + r)^(index/12)


@dataclass(frozen=True)
class YearRow:
    number: int  # programme year, 1-based: 12 months from the start (the last one shorter when the horizon is not whole years)
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
    discounted: float = 0.0  # the year's share of the net present value

    def flow(self) -> "YearFlow":
        """The year as plan.json states it (money in cents)."""
        return YearFlow(self.number, self.start, self.end, self.months, cents(self.stay_put), cents(self.planned),
                        cents(self.one_time), cents(self.saving), cents(self.cumulative), cents(self.discounted))


@dataclass(frozen=True)
class YearFlow:
    """One item of plan.json's `totals.cash_flow_by_year`: a programme year's money, in cents."""

    year: int
    start: dt.date
    end: dt.date  # last day
    months: int
    stay_put: float  # staying put's run and egress
    plan: float  # the plan's run and egress as its waves land
    one_time: float
    saving: float  # stay_put - plan - one_time
    cumulative_saving: float  # at the year's end
    discounted_saving: float  # the year's share of totals.npv

    def to_json(self) -> dict[str, Any]:
        return {"year": self.year, "start": self.start.isoformat(), "end": self.end.isoformat(), "months": self.months,
                "stay_put": self.stay_put, "plan": self.plan, "one_time": self.one_time, "saving": self.saving,
                "cumulative_saving": self.cumulative_saving, "discounted_saving": self.discounted_saving}


@dataclass(frozen=True)
class PlanMoney:
    """plan.json's totals that are not an amount of money: `payback_month` and `cash_flow_by_year`."""

    payback_month: Optional[int]
    years: tuple[YearFlow, ...] = ()

    def to_totals(self) -> dict[str, Any]:
        return {"payback_month": self.payback_month, "cash_flow_by_year": [y.to_json() for y in self.years]}


@dataclass(frozen=True)
class BreakEven:
    month: int  # 1-based month of the horizon from which the cumulative saving stays non-negative
    start: dt.date


@dataclass(frozen=True)
class CashFlow:
    """The one money story of a plan: the monthly saving stream and every total made from it."""

    months: tuple[MonthRow, ...]
    years: tuple[YearRow, ...]
    stay_put_cost: float  # horizon_months x (today's run + today's egress)
    plan_cost: float  # the plan as its waves land: run, egress and one-time cost over the horizon
    plan_run: float
    plan_egress: float
    one_time: float
    saving: float  # THE saving: stay_put_cost - plan_cost
    npv: float
    payback: Optional[BreakEven]
    discount_rate: float

    @property
    def saving_ratio(self) -> Optional[float]:
        """The saving as a fraction of staying put."""
        return self.saving / self.stay_put_cost if self.stay_put_cost > 0 else None

    @property
    def payback_month(self) -> Optional[int]:
        return self.payback.month if self.payback is not None else None

    def totals(self) -> dict[str, float]:
        """The amounts plan.json's `totals` gains from the cash view (in cents)."""
        return {"stay_put_cost": cents(self.stay_put_cost), "saving": cents(self.saving), "npv": cents(self.npv)}

    def plan_money(self) -> PlanMoney:
        """The rest of what plan.json's `totals` gains: the payback month and the programme years."""
        return PlanMoney(self.payback_month, tuple(y.flow() for y in self.years))


def cents(x: float) -> float:
    """Money rounded to cents (and -0.0 folded to 0.0 so the bytes are stable)."""
    return round(x, 2) + 0.0


def _overlap_days(a0: dt.date, a1: dt.date, b0: dt.date, b1: dt.date) -> int:
    """Days in both half-open ranges [a0, a1) and [b0, b1)."""
    return max(0, (min(a1, b1) - max(a0, b0)).days)


def today_egress(estate: Estate) -> float:
    """Monthly egress of today's placement."""
    return float(egress_columns(estate, estate.table.current_site.astype(np.int64)).sum())


def wave_deltas(estate: Estate, arr: PlanArrays, waves: Sequence[Wave]) -> dict[int, WaveDelta]:
    """Per wave: what its moves change in the monthly run cost (per site kind too) and the monthly egress.

    One pass over the workloads and one over the dependencies, whatever the number of waves: a dependency's
    egress changes at most twice, when the first of its ends moves and when the second does.
    """
    numbers = sorted({w.number for w in waves})
    if not numbers:
        return {}
    size = max(numbers) + 1
    moved = arr.moves & (arr.wave > 0)
    wave = np.where(moved, arr.wave, 0)
    m = np.nonzero(moved)[0]
    run = np.bincount(wave[m], weights=arr.monthly[m] - arr.stay[m], minlength=size)
    by_kind = (np.bincount(wave[m] * N_KINDS + arr.kind[m], weights=arr.monthly[m], minlength=size * N_KINDS)
               - np.bincount(wave[m] * N_KINDS + arr.kind_now[m], weights=arr.stay[m], minlength=size * N_KINDS)).reshape(size, N_KINDS)
    d = estate.table.deps
    now = estate.table.current_site.astype(np.int64)
    src, dst, gb = d.src, d.dst, d.traffic_gb_month
    price = egress_prices(estate)

    def egress(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.where(a != b, gb * price[a], 0.0)

    ws, wd = wave[src], wave[dst]
    first = np.where((ws > 0) & ((wd == 0) | (ws <= wd)), ws, wd)  # the wave the first end moves in (0: neither moves)
    second = np.where((ws > 0) & (wd > 0) & (ws != wd), np.maximum(ws, wd), 0)
    e0 = egress(now[src], now[dst])
    e1 = egress(np.where((ws > 0) & (ws == first), arr.site[src], now[src]), np.where((wd > 0) & (wd == first), arr.site[dst], now[dst]))
    e2 = egress(np.where(ws > 0, arr.site[src], now[src]), np.where(wd > 0, arr.site[dst], now[dst]))
    flow = np.bincount(first, weights=e1 - e0, minlength=size) + np.bincount(second, weights=e2 - e1, minlength=size)
    return {n: WaveDelta(float(run[n]), float(flow[n]), tuple(float(x) for x in by_kind[n])) for n in numbers}


def months(estate: Estate, arr: PlanArrays, waves: Sequence[Wave], deltas: dict[int, WaveDelta], stay_run: float,
           stay_egress: float) -> list[MonthRow]:
    """Every month of the horizon under the cash view; `stay_run` is plan.json's stay-put monthly run cost."""
    scn = estate.scenario
    rate = scn.discount_rate
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
    month_starts = [add_months(scn.start, k) for k in range(scn.horizon_months + 1)]
    one_by_month = np.zeros(scn.horizon_months)
    moved = np.nonzero(arr.moves & (arr.wave > 0))[0]
    one_by_wave = np.bincount(arr.wave[moved], weights=arr.one_time[moved], minlength=max([w.number for w in waves], default=0) + 1)
    firsts = np.array(month_starts, dtype="datetime64[D]")
    for wv in waves:
        k = int(np.searchsorted(firsts, np.datetime64(wv.start), side="right")) - 1
        if 0 <= k < scn.horizon_months:  # the verifier keeps every wave inside the horizon
            one_by_month[k] += float(one_by_wave[wv.number])
    rows: list[MonthRow] = []
    cumulative = 0.0
    stay_month = stay_run + stay_egress
    for k in range(scn.horizon_months):
        m0, m1 = month_starts[k], month_starts[k + 1]
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
                             tuple(float(x) for x in vec[:N_KINDS]), saving / (1.0 + rate) ** ((k + 1) / 12.0)))
    return rows


def years(estate: Estate, arr: PlanArrays, month_rows: Sequence[MonthRow], stay_egress: float) -> list[YearRow]:
    """The months in programme years (12 months from the start; the last one shorter when the horizon is not whole years)."""
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
                            tuple(float(x) * len(chunk) for x in kind0), stay_egress * len(chunk),
                            sum(r.discounted for r in chunk)))
    return rows


def payback(month_rows: Sequence[MonthRow], moves: bool = True) -> Optional[BreakEven]:
    """The first month from which the cumulative saving stays non-negative; None when it never does or nothing moves."""
    if not moves:
        return None
    be: Optional[BreakEven] = None
    for r in month_rows:
        if r.cumulative >= -CENT:
            if be is None:
                be = BreakEven(r.index, r.start)
        else:
            be = None
    return be


def cash_flow(estate: Estate, arr: Optional[PlanArrays], waves: Sequence[Wave], stay_run: float) -> CashFlow:
    """The plan's money over the horizon as its waves land (see the module docstring for the definitions).

    `arr` is None for a plan that places nothing (the plan is then staying put); `stay_run` is plan.json's
    `stay_put_monthly_run_cost`, so every reader of a plan.json gets the same cents.
    """
    scn = estate.scenario
    egress0 = today_egress(estate)
    stay_total = scn.horizon_months * (stay_run + egress0)
    if arr is None:
        return CashFlow((), (), stay_total, stay_total, scn.horizon_months * stay_run, scn.horizon_months * egress0, 0.0, 0.0, 0.0,
                        None, scn.discount_rate)
    rows = months(estate, arr, waves, wave_deltas(estate, arr, waves), stay_run, egress0)
    run = sum(r.planned_run for r in rows)
    egress = sum(r.planned_egress for r in rows)
    one = sum(r.one_time for r in rows)
    plan_cost = run + egress + one
    listed = np.zeros(max([w.number for w in waves], default=0) + 1, dtype=bool)
    listed[[w.number for w in waves]] = True
    moving = bool((arr.moves & listed[np.where((arr.wave > 0) & (arr.wave < len(listed)), arr.wave, 0)]).any())
    return CashFlow(tuple(rows), tuple(years(estate, arr, rows, egress0)), stay_total, plan_cost, run, egress, one,
                    stay_total - plan_cost, float(sum(r.discounted for r in rows)), payback(rows, moving), scn.discount_rate)


def money_headline(plan: Any, scenario: Scenario) -> str:
    """The plan's money in one line, worded the same by every command: the saving, the horizon, NPV and payback.

    `plan` is a :class:`planner.plan.document.Plan`; the figures are the ones its plan.json states.
    """
    t = plan.totals
    cur = scenario.currency
    span = fmt.horizon(scenario.start, scenario.last_day, scenario.horizon_months)
    if "saving" not in t or "stay_put_cost" not in t:  # a plan written before these totals
        return f"horizon cost {fmt.money(t['horizon_cost'], cur)} over {span}"
    ratio = t["saving"] / t["stay_put_cost"] if t["stay_put_cost"] > 0 else None
    text = f"saving {fmt.saving(t['saving'], ratio, cur)} over {span}"
    if "npv" in t:
        text += f"; net present value {fmt.money(t['npv'], cur, signed=True)} at {fmt.percent(scenario.discount_rate)} a year"
    month = plan.money.payback_month if plan.money is not None else None
    if plan.money is not None:
        text += (f"; pays back in month {month} ({fmt.month_label(add_months(scenario.start, month - 1))})" if month is not None
                 else "; nothing to pay back" if t["saving"] >= -CENT else "; does not pay back within the horizon")
    return text


MONEY_TOTALS = ("stay_put_cost", "saving", "npv")  # the amounts among them; `payback_month`, `cash_flow_by_year` are PlanMoney


__all__ = ["BreakEven", "CashFlow", "MONEY_TOTALS", "MonthRow", "PlanArrays", "PlanMoney", "WaveDelta", "YearFlow", "YearRow", "cash_flow", "money_headline", "months", "payback",
           "row_arrays", "site_kinds", "today_egress", "wave_deltas", "years"]
