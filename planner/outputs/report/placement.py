"""Where the workloads run, today and after the plan: by site kind, by country, per site, capacity over the programme, closing sites.

Counts and money are array sums over the plan's arrays (:mod:`.arrays`): a bincount per
grouping, never a loop over workloads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from planner.domain.estate import Estate
from planner.domain.model import Site, SiteKind
from planner.domain.workloads import KINDS
from planner.outputs.report.arrays import PlanArrays
from planner.schedule.waves import Wave

RESOURCES = (("vcpu", "vCPU"), ("memory_gb", "memory GB"), ("storage_gb", "storage GB"))
CAPACITY_WARN = 0.90  # a site resource this full after the plan is a risk
CLOSING_SLACK_WARN_DAYS = 60  # a DC exit finishing closer than this to the close date is a risk
OWN_KINDS = (SiteKind.ONPREM, SiteKind.EDGE)  # the sites whose capacity the operator owns


@dataclass(frozen=True)
class PlacementRow:
    key: str
    before: int
    after: int
    monthly_before: float  # run cost per month of the workloads there today
    monthly_after: float  # run cost per month of the workloads there after the plan


@dataclass(frozen=True)
class SiteRow:
    id: str
    name: str
    kind: str
    country: str
    zone: str
    before: int
    after: int
    monthly_before: float
    monthly_after: float
    peak_use: Optional[float]  # the fullest resource after the plan, as a fraction of capacity
    peak_resource: str
    closes: Optional[dt.date]


@dataclass(frozen=True)
class CapacityRisk:
    site: str
    site_name: str
    resource: str
    used: float
    capacity: float
    ratio: float


@dataclass(frozen=True)
class CapacityStep:
    """A point of the programme at which capacity use is measured: today, or the day after a wave ends."""

    label: str  # "today", "wave 3"
    day: dt.date
    wave: int  # 0 for today


@dataclass(frozen=True)
class CapacityTrack:
    """One own or edge site's fullest resource at each step of the programme (a fraction of its capacity)."""

    site: str
    name: str
    kind: str
    closes: Optional[dt.date]
    uses: tuple[float, ...]
    peak: float


@dataclass(frozen=True)
class ClosingSite:
    site: str
    name: str
    closes: dt.date
    in_horizon: bool
    workloads_today: int
    remaining: int
    last_wave: Optional[int]
    last_wave_end: Optional[dt.date]
    slack_days: Optional[int]
    at_risk: bool


def _site_name(site: Site) -> str:
    return site.name or site.id


def by_kind_and_country(estate: Estate, arr: PlanArrays, feasible: bool) -> tuple[list[PlacementRow], list[PlacementRow]]:
    """Workload counts and run cost per month by site kind and by the site's country, today and after the plan."""
    now = estate.table.current_site.astype(np.int64)
    countries = sorted({estate.site_country(s) for s in estate.sites})
    country_of = np.array([countries.index(estate.site_country(s)) for s in estate.sites], dtype=np.int64)
    rows: list[list[PlacementRow]] = []
    kind_of = np.array([KINDS.index(s.kind) for s in estate.sites], dtype=np.int64)
    for keys, of_site in (([k.value for k in KINDS], kind_of), (countries, country_of)):
        groups = len(keys)
        g_now, g_after = of_site[now], of_site[arr.site]
        before = np.bincount(g_now, minlength=groups)
        money_before = np.bincount(g_now, weights=arr.stay, minlength=groups)
        after = np.bincount(g_after, minlength=groups) if feasible else np.zeros(groups, dtype=np.int64)
        money_after = np.bincount(g_after, weights=arr.monthly, minlength=groups) if feasible else np.zeros(groups)
        rows.append([PlacementRow(keys[g], int(before[g]), int(after[g]), float(money_before[g]), float(money_after[g]))
                     for g in range(groups)])
    return rows[0], rows[1]


def loads(estate: Estate, site_no: np.ndarray) -> np.ndarray:
    """Per resource (RESOURCES order) and site, what the workloads on `site_no` use."""
    t = estate.table
    return np.stack([np.bincount(site_no, weights=getattr(t, res), minlength=len(estate.sites)) for res, _ in RESOURCES]) \
        if len(site_no) else np.zeros((len(RESOURCES), len(estate.sites)))


def capacities(estate: Estate) -> np.ndarray:
    """Per resource and site, its capacity (NaN: unlimited)."""
    return np.array([[getattr(s.capacity, res) if s.capacity is not None and getattr(s.capacity, res) is not None else np.nan
                      for s in estate.sites] for res, _ in RESOURCES], dtype=float)


def _use(load: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Share of each capacity used (NaN where unlimited; a zero capacity in use counts as full)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isnan(cap), np.nan, np.where(cap > 0, load / np.where(cap > 0, cap, 1.0), np.where(load > 0, 1.0, 0.0)))


def sites_after(estate: Estate, arr: PlanArrays, feasible: bool) -> tuple[list[SiteRow], list[CapacityRisk]]:
    """Every site with its workloads and run cost today and after, its fullest resource, and the resources at CAPACITY_WARN or more."""
    now = estate.table.current_site.astype(np.int64)
    n_s = len(estate.sites)
    before = np.bincount(now, minlength=n_s)
    money_before = np.bincount(now, weights=arr.stay, minlength=n_s)
    after = np.bincount(arr.site, minlength=n_s) if feasible else np.zeros(n_s, dtype=np.int64)
    money_after = np.bincount(arr.site, weights=arr.monthly, minlength=n_s) if feasible else np.zeros(n_s)
    load = loads(estate, arr.site)
    cap = capacities(estate)
    use = _use(load, cap)
    rows: list[SiteRow] = []
    risks: list[CapacityRisk] = []
    for j, s in enumerate(estate.sites):
        peak: Optional[float] = None
        peak_res = ""
        if feasible:
            for r, (_, label) in enumerate(RESOURCES):
                if np.isnan(use[r, j]):
                    continue
                ratio = float(use[r, j])
                if peak is None or ratio > peak:
                    peak, peak_res = ratio, label
                if ratio >= CAPACITY_WARN:
                    risks.append(CapacityRisk(s.id, _site_name(s), label, float(load[r, j]), float(cap[r, j]), ratio))
        rows.append(SiteRow(s.id, _site_name(s), s.kind.value, estate.site_country(s), s.zone, int(before[j]), int(after[j]),
                            float(money_before[j]), float(money_after[j]), peak, peak_res, s.closes))
    risks.sort(key=lambda r: (-r.ratio, r.site, r.resource))
    return rows, risks


def capacity_over_time(estate: Estate, arr: PlanArrays, waves: Sequence[Wave]) -> tuple[tuple[CapacityStep, ...], tuple[CapacityTrack, ...]]:
    """The fullest resource of each own and edge site with a capacity: today, then the day after each wave that moves something."""
    own = [j for j, s in enumerate(estate.sites) if s.kind in OWN_KINDS and s.capacity is not None
           and any(getattr(s.capacity, res) is not None for res, _ in RESOURCES)]
    if not own:
        return (), ()
    t = estate.table
    now = t.current_site.astype(np.int64)
    cap = capacities(estate)
    load = loads(estate, now)
    steps = [CapacityStep("today", estate.scenario.start, 0)]
    uses = [np.nanmax(_use(load, cap)[:, own], axis=0)]
    for wv in sorted(waves, key=lambda w: w.number):
        m = arr.movers(wv.number)
        if not len(m):
            continue
        for r, (res, _) in enumerate(RESOURCES):
            size = getattr(t, res)[m]
            load[r] -= np.bincount(now[m], weights=size, minlength=len(estate.sites))
            load[r] += np.bincount(arr.site[m], weights=size, minlength=len(estate.sites))
        steps.append(CapacityStep(f"wave {wv.number}", wv.end + dt.timedelta(days=1), wv.number))
        uses.append(np.nanmax(_use(np.maximum(load, 0.0), cap)[:, own], axis=0))
    table = np.stack(uses, axis=1)  # site x step
    tracks = tuple(CapacityTrack(estate.sites[j].id, _site_name(estate.sites[j]), estate.sites[j].kind.value, estate.sites[j].closes,
                                 tuple(float(round(x, 6)) for x in table[i]), float(round(table[i].max(), 6)))
                   for i, j in enumerate(own))
    return tuple(steps), tracks


def closing_sites(estate: Estate, arr: PlanArrays, waves: Sequence[Wave], feasible: bool) -> list[ClosingSite]:
    """Every site with a closing date: what runs there today, what is left after the plan, and the last wave out."""
    now = estate.table.current_site.astype(np.int64)
    wave_end = {wv.number: wv.end for wv in waves}
    out: list[ClosingSite] = []
    for j, s in enumerate(estate.sites):
        if s.closes is None:
            continue
        here = now == j
        today = int(here.sum())
        remaining = int((here & (arr.site == j)).sum()) if feasible else today
        leaving = arr.wave[here & (arr.wave > 0)]
        last = int(leaving.max()) if len(leaving) else None
        last_end = wave_end.get(last) if last is not None else None
        slack = (s.closes - last_end).days if last_end is not None else None
        in_horizon = estate.closes_in_horizon(s)
        at_risk = in_horizon and (remaining > 0 or (slack is not None and slack < CLOSING_SLACK_WARN_DAYS))
        out.append(ClosingSite(s.id, _site_name(s), s.closes, in_horizon, today, remaining, last, last_end, slack, at_risk))
    return out


__all__ = ["CAPACITY_WARN", "CLOSING_SLACK_WARN_DAYS", "OWN_KINDS", "RESOURCES", "CapacityRisk", "CapacityStep", "CapacityTrack",
           "ClosingSite", "PlacementRow", "SiteRow", "by_kind_and_country", "capacity_over_time", "closing_sites", "sites_after"]
