"""Migration waves: an optimised schedule of the moves that keeps every wave rule of DESIGN.md.

Rules (hard)
    A move group (an app's production workloads, or its non-production ones) moves in one
    wave; its non-production group moves strictly before its production one (DESIGN's "no
    later", made strict because the two never share a wave); a wave holds only production or
    only non-production groups, at most its ramped-up workload count (`first_wave_max_workloads`
    growing by `growth_per_wave` to `max_workloads`) and `max_effort_hours`; the first
    `pilot_waves` hold no app with a high-criticality workload; a workload leaving a site that
    closes within the horizon moves in a wave that ends before the closing day. Added by
    issue 3 (rule id ``wave-order``): for a dependency `a -> b` whose two ends move in different
    groups, the target `b` never moves after its dependant `a`; and when `b` moving first would
    break the dependency's `max_latency_ms` (`a` still on its current site's zone, `b` already on
    its new one) the two groups move in the same wave. (The other interim state, `a` moved and
    `b` not yet, cannot occur because of the first rule.) And every wave ends inside the
    planning horizon, so at most ``horizon_days // length_days`` waves exist. Capacity between
    waves (rule ``wave-capacity``): after each wave, in date order, no site holds more of a resource
    (the workloads' full vCPU, memory and storage) than its capacity, unless it already held more
    before the wave and the wave brings it nothing.

Model
    Groups tied together by these rules are contracted first: the strongly connected
    components of the "no later than" graph must share one wave, so a component mixing
    production and non-production (or containing a non-production -> production edge) has no
    schedule, and is reported with the dependencies that tie it. Each remaining unit `g` gets a
    window `[lo_g, hi_g]` of waves (pilots, closing deadlines and the horizon, propagated along
    the order edges); an empty window, or a window of waves too small for the units that must
    move in it, is reported with its apps and reasons before any solving. The MILP has a binary
    `y[g,k]` per unit and wave of its window, one binary `z[k]` per wave (production or not),
    count and effort rows per wave and kind (``sum n_g y[g,k] <= cap_k z_k``), one order row per
    edge (``sum k y[u,k] + strict <= sum k y[v,k]``), and an exact cross-wave indicator per
    pair of units that share dependencies (``d_uv >= y[u,k] - y[v,k]``).

Objective (maximised; money in the scenario currency)
    * realised savings: a workload's monthly saving is its stay-put monthly run cost minus its
      planned monthly run cost (egress and one-time costs are left out: one-time costs are paid
      whenever it moves, egress depends on both ends). It counts from the day after its wave
      ends to the horizon end, in horizon months: ``horizon_months * days_left / horizon_days``
      (see :func:`months_after`). A negative saving (say, leaving a cheap closing site) pushes
      its group late, as late as its deadline allows;
    * minus ``CROSS_WAVE_DEPENDENCY_WEIGHT`` (1 currency unit) per dependency whose two ends move
      in different waves: a tie-breaker that keeps talking workloads together, never worth
      more than a unit of realised saving;
    * minus ``PEAK_WEIGHT`` (0.01) per workload in the busiest wave, and ``EARLY_WEIGHT``
      (0.0001) per workload and wave number: among equally good schedules, balanced waves, and
      groups without savings move early rather than anywhere.

Solving
    PuLP with HiGHS in-process (CBC when HiGHS is missing), within the scenario's gap and
    ``WAVE_MAX_NODES`` branch-and-bound nodes (a work limit, so the result does not depend on the
    machine's speed; ``WAVE_TIME_LIMIT_S`` is only a safety net), warm-started with the better of two
    first-fit schedules: deadline order (as before issue 3), and saving-per-workload order (a
    unit is as urgent as the richest unit it unlocks; money-losing units without order edges go
    as late as they fit). First-fit keeps every rule but not the objective. `status` says
    `optimal` (proved within the gap: the sample estate, 18 groups, in about 0.1 s), `feasible`
    (the node limit cut the search) or `first-fit` (the solver returned nothing in time).
    HiGHS is deterministic with one thread and a node limit, so the same inventory gives the
    same schedule. Estates with more than ``MILP_MAX_UNITS`` move groups (the 10k synthetic
    estate has about 350) keep the better first-fit schedule (`first-fit`), because the MILP's
    root node alone takes tens of seconds there and a clock-limited search is not reproducible.

Capacity between waves
    :class:`_Room` keeps, per capacity-limited site, resource and wave, the load after the wave and
    how many workloads it brings. First-fit places a unit only where no wave breaks the rule; a unit
    that finds no room waits, the units leaving its sites become as urgent as it (leavers first), a
    later-deadline arrival queues behind it, and waiting units that only fit together (a swap between
    full sites) move in one wave. The improvement passes check the same before every move, and may
    pull a leaver forward with a saver or swap a saver with a unit saving less in a full earlier wave.
    The MILP carries a load variable per site, resource and wave; its answer is checked against the
    exact rule. When no order is found, the problem names the site, the wave, the shortfall and the
    capacity (with dates) or delay that would let the unit move. Above ``MILP_MAX_UNITS`` the bound is
    also the linear relaxation of the model (every rule but integrality and the production /
    non-production split of waves; HiGHS simplex within ``LP_MAX_ITERATIONS``), when it is tighter.

Output
    Waves 1 to the last used one (empty ones included, so numbers map to dates), each with the
    half-year `phase` it starts in (`2027-H1`); the phases with their first and last day; the
    realised savings, the monthly savings once all has moved, and the cross-wave dependencies.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Mapping, Optional

import numpy as np

from planner.base.problem import Problem
from planner.domain.costs import NO_VM, monthly_run, run_arrays, workload_arrays
from planner.domain.estate import Estate
from planner.domain.model import Criticality, Workload
from planner.domain.rules import Rule
from planner.domain.workloads import CRITICALITIES, OSES

GroupKey = tuple[str, bool]  # (app, is_prod)

CROSS_WAVE_DEPENDENCY_WEIGHT = 1.0
PEAK_WEIGHT = 0.01
EARLY_WEIGHT = 0.0001
WAVE_TIME_LIMIT_S = 60.0  # a safety net only: the node limit below is what bounds the search
WAVE_MAX_NODES = 2000  # a work limit, not a clock, so the same inventory always gets the same schedule
MILP_MAX_UNITS = 200  # above this many move groups the MILP's root alone takes tens of seconds: first-fit
PULL_CANDIDATES = 8  # leavers tried per saver and wave when the saver needs their room (a work limit)
PULL_WAVES = 3  # earlier waves a saver tries pulling leavers into
JOINT_MAX = 64  # waiting leavers a waiting unit may move with in one wave (a swap between full sites)
LP_MAX_COLUMNS = 250_000  # the relaxation that tightens the bound of large schedules: at most this many (unit, wave)
LP_MAX_NONZEROS = 5_000_000
LP_MAX_ITERATIONS = 500_000  # a work limit: past it no bound is claimed from the relaxation


@dataclass(frozen=True)
class Wave:
    """One wave: its number, first and last day, the workloads it moves (sorted) and its phase."""

    number: int
    start: dt.date
    end: dt.date
    workloads: tuple[str, ...]
    phase: Optional[str] = None


@dataclass(frozen=True)
class Phase:
    """Consecutive waves starting in one half-year (`2027-H1`), from the first one's start to the last one's end."""

    phase: str
    start: dt.date
    end: dt.date
    waves: tuple[int, ...]


@dataclass
class Schedule:
    """Waves in order, the wave of every moving workload, what the schedule realises, and why it failed if it did."""

    waves: list[Wave] = field(default_factory=list)
    wave_of: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    status: str = "optimal"
    realised_savings: float = 0.0
    monthly_savings: float = 0.0
    cross_wave_dependencies: int = 0
    phases: list[Phase] = field(default_factory=list)
    upper_bound: Optional[float] = None  # no schedule realises more (a relaxation's optimum); None when not computed
    notes: list[str] = field(default_factory=list)  # why a run of waves moves nothing


def wave_dates(estate: Estate, number: int) -> tuple[dt.date, dt.date]:
    """First and last day of wave `number` (1-based): consecutive waves of `length_days` from the start."""
    length = estate.scenario.waves.length_days
    start = estate.scenario.start + dt.timedelta(days=(number - 1) * length)
    return start, start + dt.timedelta(days=length - 1)


def high_criticality_apps(estate: Estate) -> set[str]:
    """Apps with any high-criticality workload: they stay out of pilot waves."""
    t = estate.table
    codes = np.unique(t.app.codes[t.criticality == CRITICALITIES.index(Criticality.HIGH)])
    return {t.app.names[c] for c in codes.tolist()}


def last_wave_before(estate: Estate, closes: dt.date) -> int:
    """The last wave number whose end is before `closes` (0 when none is)."""
    length = estate.scenario.waves.length_days
    days = (closes - estate.scenario.start).days  # wave k ends on start + k*length - 1 < closes
    return max(0, days // length)


def last_wave_in_horizon(estate: Estate) -> int:
    """The last wave that ends inside the horizon (on or before the day before `horizon_end`)."""
    return last_wave_before(estate, estate.scenario.horizon_end)


def months_after(estate: Estate, number: int) -> float:
    """Horizon months left after wave `number` ends: `horizon_months * days_left / horizon_days`.

    Savings count from the day after the wave's last day; a month is one `horizon_months`-th of
    the horizon's days, so a move on day one would realise exactly `horizon_months` months.
    """
    scn = estate.scenario
    total = (scn.horizon_end - scn.start).days
    left = (scn.horizon_end - (wave_dates(estate, number)[1] + dt.timedelta(days=1))).days
    return scn.horizon_months * max(0, left) / total


def monthly_saving(estate: Estate, w: Workload, site_id: Optional[str]) -> float:
    """Stay-put monthly run cost of `w` minus its monthly run cost on `site_id` (0 when unknown)."""
    if site_id is None or site_id == w.current_site:
        return 0.0
    now = monthly_run(estate, w, estate.site_by_id[w.current_site])
    then = monthly_run(estate, w, estate.site_by_id[site_id])
    return (now.monthly if now is not None else 0.0) - (then.monthly if then is not None else 0.0)


def _savings(estate: Estate, cols: tuple[np.ndarray, ...], now_site: np.ndarray, new_site: np.ndarray) -> np.ndarray:
    """:func:`monthly_saving` of many workloads at once, the same floats: `cols` as :func:`planner.domain.costs.workload_arrays`
    gives them, today's and the planned site numbers (-1: unknown)."""
    moved = (new_site >= 0) & (new_site != now_site)
    now, then = np.zeros(len(now_site)), np.zeros(len(now_site))
    for out, site_no in ((now, now_site), (then, new_site)):
        for j in np.unique(site_no[moved]).tolist():
            on = np.nonzero(moved & (site_no == j))[0]
            col = run_arrays(estate, estate.sites[j], *(c[on] for c in cols))
            out[on] = np.where(col.sku == NO_VM, 0.0, col.monthly)  # no VM large enough: no cost, as monthly_saving counts it
    return np.where(moved, now - then, 0.0)


def realised_savings(estate: Estate, wave_of: Mapping[str, int], site_of: Mapping[str, str]) -> float:
    """What a schedule realises over the horizon: each moved workload's monthly saving times the months after its wave."""
    t = estate.table
    ids = sorted(wave_of)
    index, site_index = estate.workload_index, estate.site_index
    rows = np.array([index[wid] for wid in ids], dtype=np.int64)
    new = np.array([site_index[site_of[wid]] if wid in site_of else -1 for wid in ids], dtype=np.int64)
    cols = (t.vcpu[rows], t.memory_gb[rows], t.storage_gb[rows], t.cpu_util_p95[rows], t.mem_util_p95[rows],
            t.os[rows] == OSES.index("windows"))
    saving = _savings(estate, cols, t.current_site[rows].astype(np.int64), new)
    months = {k: months_after(estate, k) for k in set(wave_of.values())}
    total = 0.0
    for wid, s in zip(ids, saving.tolist()):  # one by one in id order: the same float as ever, not numpy's pairwise sum
        total += s * months[wave_of[wid]]
    return total


def cross_wave_dependencies(estate: Estate, wave_of: Mapping[str, int]) -> int:
    """Dependencies whose two ends both move, in different waves."""
    t = estate.table
    rows = t.rows_of(list(wave_of))
    known = rows >= 0
    scheduled = np.zeros(len(t), dtype=bool)
    scheduled[rows[known]] = True
    wave = np.zeros(len(t), dtype=np.int64)
    wave[rows[known]] = np.array(list(wave_of.values()), dtype=np.int64)[known]
    d = t.deps
    return int((scheduled[d.src] & scheduled[d.dst] & (wave[d.src] != wave[d.dst])).sum())


def target_first_breaks(estate: Estate, w: Workload, dep_workload: str, max_latency_ms: Optional[float],
                        site_of: Mapping[str, str]) -> bool:
    """Whether `w`'s dependency breaks its latency budget while its target has moved and `w` not yet.

    Unknown target sites count as breaking (the safe side: the two move together).
    """
    if max_latency_ms is None:
        return False
    new = site_of.get(dep_workload)
    if new is None:
        return True
    ms = estate.latency(estate.site_by_id[w.current_site].zone, estate.site_by_id[new].zone)
    return ms > max_latency_ms


def phase_name(day: dt.date) -> str:
    """The half-year a wave starting on `day` belongs to: `2027-H1`."""
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def phases_of(waves: list[Wave]) -> list[Phase]:
    """Waves grouped by the half-year they start in."""
    grouped: dict[str, list[Wave]] = {}
    for wave in sorted(waves, key=lambda w: w.number):
        grouped.setdefault(wave.phase or phase_name(wave.start), []).append(wave)
    return [Phase(name, min(w.start for w in ws), max(w.end for w in ws), tuple(w.number for w in ws))
            for name, ws in sorted(grouped.items(), key=lambda kv: kv[1][0].number)]


def group_label(key: GroupKey) -> str:
    """`crm production` / `crm non-production`."""
    return f"{key[0]} {'production' if key[1] else 'non-production'}"


def closing_deadline(estate: Estate, w: Workload) -> Optional[dt.date]:
    """The day `w`'s current site closes, if within the horizon."""
    site = estate.site_by_id[w.current_site]
    return site.closes if estate.closes_in_horizon(site) else None


# ----------------------------------------------------------------------------- scheduling


@dataclass
class _Edge:
    """wave(u) + strict <= wave(v), because of `reason`."""

    u: int
    v: int
    strict: int
    reason: str


@dataclass
class _Unit:
    """Move groups that must share a wave (usually one), with what the model needs about them."""

    keys: tuple[GroupKey, ...]
    members: list[Workload]
    is_prod: bool
    count: int
    effort: float
    saving: float
    lo: int = 1
    hi: int = 0
    lo_why: str = ""
    hi_why: str = ""
    sites: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return " + ".join(group_label(k) for k in self.keys)

    @property
    def apps(self) -> list[str]:
        return sorted({k[0] for k in self.keys})

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(sorted(w.id for w in self.members))


RESOURCES = ("vcpu", "memory_gb", "storage_gb")
RESOURCE_WORDS = {"vcpu": "vCPU", "memory_gb": "GB of memory", "storage_gb": "GB of storage"}


def site_capacities(estate: Estate) -> np.ndarray:
    """Per site and resource (RESOURCES order) its capacity; inf where none is given (unlimited)."""
    return np.array([[float(getattr(s.capacity, r)) if s.capacity is not None and getattr(s.capacity, r) is not None else np.inf
                      for r in RESOURCES] for s in estate.sites], dtype=float).reshape(len(estate.sites), len(RESOURCES))


def over_capacity(load: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Where `load` exceeds `cap`, with room for the rounding of sums of sizes."""
    return load > cap * (1 + 1e-9) + 1e-6


def interim_breaches(load: np.ndarray, adds: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Per wave (row k >= 1 of `load`: after wave k; row 0: today), site and resource: whether capacity between waves
    is broken: over capacity after the wave, unless already over before it and the wave brought nothing there."""
    over = over_capacity(load, cap)
    return over[1:] & (~over[:-1] | (adds[1:] > 0))


class _Room:
    """What every capacity-limited site holds after each wave (row 0: today) and how many workloads each wave brings,
    as units are placed and removed; whether a unit fits a wave without breaking capacity between waves."""

    def __init__(self, estate: Estate, units: list[_Unit], site_of: Mapping[str, str], last: int):
        t = estate.table
        caps = site_capacities(estate)
        limited = np.nonzero(np.isfinite(caps).any(axis=1))[0]
        column = np.full(len(estate.sites), -1, dtype=np.int64)
        column[limited] = np.arange(len(limited))
        self.sites = limited
        self.cap = caps[limited]
        sizes = np.stack([getattr(t, r).astype(float) for r in RESOURCES], axis=1)
        today = np.zeros((len(limited), len(RESOURCES)))
        here = column[t.current_site.astype(np.int64)]
        np.add.at(today, here[here >= 0], sizes[here >= 0])
        self.today, self.last = today, last
        self.reset()
        site_index, index = estate.site_index, estate.workload_index
        self.touch: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # per unit: columns, net change, workloads arriving
        for u in units:
            rows = np.array([index[w.id] for w in u.members], dtype=np.int64)
            src = here[rows]
            dst = column[np.array([site_index.get(site_of.get(w.id, ""), -1) for w in u.members], dtype=np.int64)]
            dst = np.where(np.array([w.id in site_of for w in u.members]), dst, -1)
            cols = np.unique(np.concatenate([src[src >= 0], dst[dst >= 0]]))
            delta = np.zeros((len(cols), len(RESOURCES)))
            arrive = np.zeros((len(cols), len(RESOURCES)), dtype=np.int64)
            s, d = np.searchsorted(cols, src), np.searchsorted(cols, dst)
            np.subtract.at(delta, s[src >= 0], sizes[rows[src >= 0]])
            np.add.at(delta, d[dst >= 0], sizes[rows[dst >= 0]])
            np.add.at(arrive, d[dst >= 0], (sizes[rows[dst >= 0]] > 0).astype(np.int64))
            self.touch.append((cols, delta, arrive))

    def reset(self) -> None:
        """Nothing placed: every wave holds what the sites hold today."""
        self.load = np.repeat(self.today[None], self.last + 1, axis=0)
        self.adds = np.zeros(self.load.shape, dtype=np.int64)

    def placed(self, wave: list[int]) -> "_Room":
        """This room with unit `i` placed in `wave[i]`, every one."""
        self.reset()
        for i, k in enumerate(wave):
            self.place(i, k)
        return self

    @property
    def limited(self) -> bool:
        return len(self.sites) > 0

    def place(self, i: int, k: int, sign: int = 1) -> None:
        cols, delta, arrive = self.touch[i]
        if len(cols):
            self.load[k:, cols] += sign * delta
            self.adds[k, cols] += sign * arrive

    def remove(self, i: int, k: int) -> None:
        self.place(i, k, -1)

    def breaches(self, i: int, k: int) -> np.ndarray:
        """Per wave, touched site and resource, the breaches with unit `i` placed in wave `k` (it is not placed now)."""
        cols, delta, arrive = self.touch[i]
        load = self.load[:, cols].copy()
        load[k:] += delta
        adds = self.adds[:, cols].copy()
        adds[k] += arrive
        return interim_breaches(load, adds, self.cap[cols])

    def fits(self, i: int, k: int) -> bool:
        cols = self.touch[i][0]
        return not len(cols) or not self.breaches(i, k).any()

    def clean(self) -> bool:
        """Whether no wave breaks capacity between waves."""
        return not interim_breaches(self.load, self.adds, self.cap).any()

    def short(self, i: int, estate: Estate, units: list[_Unit]) -> Problem:
        """The problem of unit `i`, which finds no room in any wave it may move in: the site, the wave, the shortfall
        and the smallest change that would let it move at its deadline."""
        unit = units[i]
        k = unit.hi
        cols, delta, _ = self.touch[i]
        load = self.load[:, cols].copy()
        load[k:] += delta
        bad = self.breaches(i, k)  # rows: waves 1..last
        if not bad.any():  # room there, but the count, effort or order limits of the waves left none in time
            return Problem(Rule.WAVES.value, unit.ids, unit.sites,
                           f"{_short(unit.label, 80)} finds no wave by wave {k} with room for it under the count, effort and "
                           "order limits once the moves that free capacity go first; raise waves.max_workloads or "
                           "growth_per_wave, or start earlier")
        excess = np.where(bad, load[1:] - self.cap[cols], 0.0)
        row, c, r = np.unravel_index(int(np.argmax(excess)), excess.shape)
        site = estate.sites[int(self.sites[cols[c]])]
        over = np.nonzero(bad[:, c, r])[0] + 1
        first, worst = int(over.min()), int(row) + 1
        run_end = first
        while run_end + 1 <= self.last and bad[run_end, c, r]:  # the run of waves over capacity from the first one
            run_end += 1
        short = float(excess[:, c, r].max())
        word = RESOURCE_WORDS[RESOURCES[r]]
        a, _ = wave_dates(estate, first)
        _, b = wave_dates(estate, run_end)
        deadline = f"; it may not move later: {_short(unit.hi_why, 100)}" if unit.hi_why and unit.hi < self.last else ""
        return Problem(Rule.WAVE_CAPACITY.value, unit.ids, (site.id,),
                       f"{_short(unit.label, 80)} cannot move by wave {k}: after wave {worst} {site.id} would hold "
                       f"{load[worst, c, r]:,.0f} {word}, {short:,.0f} over its capacity of {self.cap[cols[c], r]:,.0f}, and no "
                       f"earlier move frees that room{deadline}; give {site.id} {short:,.0f} more {word} from {a} to {b}, "
                       f"or let {_short(unit.label, 60)} move after wave {k}")


def schedule_waves(estate: Estate, moving: list[Workload], site_of: Optional[Mapping[str, str]] = None) -> Schedule:
    """Assign every moving workload a wave, maximising realised savings, or explain which rule and apps collide.

    `site_of` maps workload ids to their planned sites; without it savings are unknown (zero)
    and every latency-bound dependency between moving groups moves in one wave.
    """
    site_of = dict(site_of or {})
    rules = estate.scenario.waves
    last = last_wave_in_horizon(estate)
    out = Schedule()
    groups: dict[GroupKey, list[Workload]] = {}
    for w in sorted(moving, key=lambda w: w.id):
        groups.setdefault(w.move_group, []).append(w)
    if not groups:
        return out
    if last < 1:
        ids = tuple(sorted(w.id for w in moving))
        out.problems.append(Problem(Rule.WAVES.value, ids, (), f"no wave of {rules.length_days} days ends within the "
                                    f"{estate.scenario.horizon_months}-month horizon (it ends {estate.scenario.horizon_end}); "
                                    "shorten waves.length_days or lengthen the horizon"))
        return out
    keys = sorted(groups)
    gidx = {k: i for i, k in enumerate(keys)}
    group_of = {w.id: gidx[w.move_group] for w in moving}
    edges = _order_edges(estate, groups, keys, group_of, site_of)
    comp = _components(len(keys), edges)
    # Every moving workload's monthly saving, priced on columns once (a call of monthly_saving each is seconds at 100k).
    site_index = estate.site_index
    savings = _savings(estate, workload_arrays(moving), np.array([site_index[w.current_site] for w in moving], dtype=np.int64),
                       np.array([site_index[site_of[w.id]] if w.id in site_of else -1 for w in moving], dtype=np.int64)).tolist()
    saving_of = dict(zip((w.id for w in moving), savings))
    units, problems = _units(estate, groups, keys, comp, edges, saving_of)
    if problems:
        out.problems = problems
        return out
    uedges: dict[tuple[int, int], _Edge] = {}
    for e in edges:
        u, v = comp[e.u], comp[e.v]
        if u != v and (uedges.get((u, v)) is None or e.strict > uedges[(u, v)].strict):
            uedges[(u, v)] = _Edge(u, v, e.strict, e.reason)
    order = _topological(len(units), list(uedges.values()))
    out.problems = _windows(estate, units, order, list(uedges.values()), last)
    if out.problems:
        return out
    pairs: dict[tuple[int, int], int] = defaultdict(int)
    unit_of = {wid: comp[g] for wid, g in group_of.items()}
    for w in moving:
        for d in w.depends_on:
            if d.workload in unit_of and unit_of[d.workload] != unit_of[w.id]:
                a, b = sorted((unit_of[w.id], unit_of[d.workload]))
                pairs[(a, b)] += 1
    room = _Room(estate, units, site_of, last)
    greedy, why = _first_fit(estate, units, list(uedges.values()), room)
    warm = greedy
    rich, _ = _first_fit(estate, units, list(uedges.values()), room, by_saving=True)
    if rich is not None and (warm is None or _value(estate, units, rich) > _value(estate, units, warm)):
        warm = rich
    wave_of_unit, status = None, ""
    if len(units) <= MILP_MAX_UNITS or warm is None:
        wave_of_unit, status = _milp(estate, units, list(uedges.values()), dict(pairs), warm, room)
        if wave_of_unit is not None and not room.placed(wave_of_unit).clean():
            wave_of_unit = None  # the model keeps over-full sites from growing, not the exact rule: keep the heuristic
    if wave_of_unit is None:
        if warm is None:
            out.problems.append(why or Problem(Rule.WAVES.value, tuple(sorted(w.id for w in moving)), (), "no schedule found"))
            return out
        wave_of_unit, status = _improve(estate, units, list(uedges.values()), warm, room), "heuristic"
    out.upper_bound = _upper_bound(estate, units, last)
    if status == "heuristic":
        # large estates: the linear relaxation bounds what any schedule could realise tighter than the greedy bound
        relaxed = _lp_bound(estate, units, list(uedges.values()), room)
        if relaxed is not None:
            tighter = relaxed
            value = _value(estate, units, wave_of_unit)
            if value - 1e-6 * abs(value) <= tighter < out.upper_bound:
                out.upper_bound = max(tighter, value)
    for i, unit in enumerate(units):
        for w in unit.members:
            out.wave_of[w.id] = wave_of_unit[i]
    out.status = status
    used = max(out.wave_of.values())
    members_of: dict[int, list[str]] = defaultdict(list)
    for wid, k in out.wave_of.items():
        members_of[k].append(wid)
    for k in range(1, used + 1):
        start, end = wave_dates(estate, k)
        out.waves.append(Wave(k, start, end, tuple(sorted(members_of.get(k, ()))), phase_name(start)))
    out.phases = phases_of(out.waves)
    out.notes = _empty_runs(estate, units, wave_of_unit, used)
    out.realised_savings = realised_savings(estate, out.wave_of, site_of)
    out.monthly_savings = sum(savings)
    out.cross_wave_dependencies = cross_wave_dependencies(estate, out.wave_of)
    return out


def _order_edges(estate: Estate, groups: dict[GroupKey, list[Workload]], keys: list[GroupKey],
                 group_of: dict[str, int], site_of: Mapping[str, str]) -> list[_Edge]:
    """The ordering rules between move groups as edges wave(u) + strict <= wave(v)."""
    edges: list[_Edge] = []
    position = {k: i for i, k in enumerate(keys)}
    for i, (app, is_prod) in enumerate(keys):
        if is_prod and (app, False) in groups:
            edges.append(_Edge(position[(app, False)], i, 1, f"{app} non-production moves before its production"))
    for key in keys:
        for w in groups[key]:
            for d in w.depends_on:
                if d.workload not in group_of or group_of[d.workload] == group_of[w.id]:
                    continue
                a, b = group_of[w.id], group_of[d.workload]
                edges.append(_Edge(b, a, 0, f"{w.id} depends on {d.workload}, which may not move after it"))
                if target_first_breaks(estate, w, d.workload, d.max_latency_ms, site_of):
                    new = site_of.get(d.workload)
                    where = (f"{d.workload} on {new} would be {estate.latency(estate.site_by_id[w.current_site].zone, estate.site_by_id[new].zone):g} ms "
                             f"from {w.id} still on {w.current_site}" if new else f"{d.workload}'s new site is unknown")
                    edges.append(_Edge(a, b, 0, f"{w.id} needs {d.workload} within {d.max_latency_ms:g} ms and {where}, so they move together"))
    return edges


def _components(n: int, edges: list[_Edge]) -> list[int]:
    """Strongly connected components of the order graph (iterative Kosaraju), numbered in first-member order."""
    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    for e in edges:
        succ[e.u].append(e.v)
        pred[e.v].append(e.u)
    seen = [False] * n
    finish: list[int] = []
    for root in range(n):
        if seen[root]:
            continue
        seen[root] = True
        stack = [(root, iter(succ[root]))]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                finish.append(node)
            elif not seen[nxt]:
                seen[nxt] = True
                stack.append((nxt, iter(succ[nxt])))
    label = [-1] * n
    raw = 0
    for root in reversed(finish):
        if label[root] >= 0:
            continue
        label[root] = raw
        todo = [root]
        while todo:
            node = todo.pop()
            for p in pred[node]:
                if label[p] < 0:
                    label[p] = raw
                    todo.append(p)
        raw += 1
    renumber: dict[int, int] = {}
    for g in range(n):
        renumber.setdefault(label[g], len(renumber))
    return [renumber[label[g]] for g in range(n)]


def _units(estate: Estate, groups: dict[GroupKey, list[Workload]], keys: list[GroupKey], comp: list[int],
           edges: list[_Edge], saving_of: Mapping[str, float]) -> tuple[list[_Unit], list[Problem]]:
    """Contract components into units (`saving_of`: each workload's monthly saving); a component that cannot share one
    wave is a problem."""
    members: dict[int, list[int]] = defaultdict(list)
    for g, c in enumerate(comp):
        members[c].append(g)
    reasons: dict[int, set[str]] = defaultdict(set)  # per component, the reasons of the edges inside it
    for e in edges:
        if comp[e.u] == comp[e.v]:
            reasons[comp[e.u]].add(e.reason)
    problems: list[Problem] = []
    units: list[_Unit] = []
    for c in range(len(members)):
        gs = members[c]
        ks = tuple(keys[g] for g in gs)
        wls = [w for k in ks for w in groups[k]]
        kinds = {k[1] for k in ks}
        inner = sorted(reasons[c])
        if len(kinds) > 1:
            label = " and ".join(group_label(k) for k in ks)
            problems.append(Problem(Rule.WAVE_ORDER.value, tuple(sorted(w.id for w in wls)), (),
                                    f"{label} would have to move in one wave ({'; '.join(inner[:6])}), but production and "
                                    "non-production never share a wave; relax the dependency's max_latency_ms, "
                                    "or change the placement or the apps' env"))
        units.append(_Unit(ks, wls, next(iter(kinds)), len(wls), sum(estate.effort_hours(w) for w in wls),
                           sum(saving_of[w.id] for w in wls)))
    rules = estate.scenario.waves
    ceiling = rules.max_workloads if rules.growth_per_wave > 0 else min(rules.max_workloads, rules.first_wave_max_workloads)
    for unit in units:
        if unit.count > ceiling:
            problems.append(Problem(Rule.WAVES.value, unit.ids, (), f"{unit.label} moves {unit.count} workloads in one wave, more than any wave may hold ({ceiling}); raise waves.max_workloads or split the app"))
        if unit.effort > rules.max_effort_hours + 1e-9:
            problems.append(Problem(Rule.WAVES.value, unit.ids, (), f"{unit.label} needs {unit.effort:g} effort hours in one wave, more than waves.max_effort_hours ({rules.max_effort_hours:g})"))
    return units, problems


def _topological(n: int, edges: list[_Edge]) -> list[int]:
    """Units in an order that respects every edge (smallest index first among the ready ones)."""
    indeg = [0] * n
    succ: list[list[int]] = [[] for _ in range(n)]
    for e in edges:
        succ[e.u].append(e.v)
        indeg[e.v] += 1
    ready = [i for i in range(n) if indeg[i] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for j in succ[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                heapq.heappush(ready, j)
    return order


def _windows(estate: Estate, units: list[_Unit], order: list[int], edges: list[_Edge], last: int) -> list[Problem]:
    """Each unit's window of waves; empty windows, and windows too small for what must move in them, are problems."""
    rules = estate.scenario.waves
    high = high_criticality_apps(estate)
    end = estate.scenario.horizon_end
    closes = {s.id: estate.closes_in_horizon(s) for s in estate.sites}
    for unit in units:
        hot = sorted({k[0] for k in unit.keys} & high)
        unit.lo, unit.lo_why = (rules.pilot_waves + 1, f"{hot[0]} is high-criticality and the first {rules.pilot_waves} waves are pilots") if hot and rules.pilot_waves else (1, "")
        unit.hi, unit.hi_why = last, f"the last wave ending within the horizon (before {end}) is wave {last}"
        closing = sorted({w.current_site for w in unit.members if closes[w.current_site]},
                         key=lambda s: (estate.site_by_id[s].closes, s))
        unit.sites = tuple(sorted(closing))
        if closing:
            site = estate.site_by_id[closing[0]]
            k = last_wave_before(estate, site.closes)  # type: ignore[arg-type]
            if k < unit.hi:
                unit.hi, unit.hi_why = k, f"it must leave {site.id}, which closes on {site.closes}, and wave {k} is the last to end before"
    out_edges: dict[int, list[_Edge]] = defaultdict(list)
    in_edges: dict[int, list[_Edge]] = defaultdict(list)
    for e in edges:
        out_edges[e.u].append(e)
        in_edges[e.v].append(e)
    for i in order:
        for e in out_edges[i]:
            if units[i].lo + e.strict > units[e.v].lo:
                units[e.v].lo = units[i].lo + e.strict
                units[e.v].lo_why = f"{e.reason}, and {units[i].label} cannot move before wave {units[i].lo}" + (f" ({units[i].lo_why})" if units[i].lo_why else "")
    for i in reversed(order):
        for e in in_edges[i]:
            if units[i].hi - e.strict < units[e.u].hi:
                units[e.u].hi = units[i].hi - e.strict
                units[e.u].hi_why = f"{e.reason}, and {units[i].label} must move by wave {units[i].hi} ({units[i].hi_why})"
    problems: list[Problem] = []
    for unit in units:
        if unit.lo > unit.hi:
            lo_why = f" ({unit.lo_why})" if unit.lo_why else ""
            problems.append(Problem(Rule.WAVES.value, unit.ids, unit.sites,
                                    f"{unit.label} cannot move before wave {unit.lo}{lo_why} but must move by wave {unit.hi} ({unit.hi_why}); "
                                    "no wave satisfies both"))
    if problems:
        return problems
    lo = np.array([u.lo for u in units])
    hi = np.array([u.hi for u in units])
    count = np.array([u.count for u in units], dtype=float)
    effort = np.array([u.effort for u in units])
    caps = np.array([0] + [rules.max_workloads_in(k) for k in range(1, last + 1)], dtype=float)
    cum = np.cumsum(caps)
    deadlines = sorted({(last_wave_before(estate, estate.site_by_id[s].closes), s) for u in units for s in u.sites})  # type: ignore[arg-type]
    spans = []  # (a, b, workloads, hours) that must move within waves a to b
    for b in sorted(set(hi.tolist())):
        for a in sorted(set(lo.tolist())):
            if a <= b:
                inside = (lo >= a) & (hi <= b)
                if inside.any():
                    spans.append((a, b, float(count[inside].sum()), float(effort[inside].sum())))
    for a, b, need, hours in spans:
        inside = (lo >= a) & (hi <= b)
        n_cap, n_hours = cum[b] - cum[a - 1], (b - a + 1) * rules.max_effort_hours
        if need <= n_cap and hours <= n_hours + 1e-6:
            continue
        chosen = [units[i] for i in np.flatnonzero(inside)]
        closing = [s for k, s in deadlines if k >= b and any(s in u.sites for u in chosen)]
        if closing:
            return [_deadline_problem(estate, units, s, a, b, last, lo, hi, spans) for s in closing]
        what = (f"{need:g} workloads, and those waves hold at most {n_cap:g}" if need > n_cap
                else f"{hours:g} effort hours, and those waves allow at most {n_hours:g}")
        whys = sorted({u.hi_why for u in chosen if u.hi < last} | {u.lo_why for u in chosen if u.lo_why and u.lo > 1})
        why = f" ({_short('; '.join(whys[:2]), 200)})" if whys else ""
        sites = tuple(sorted({s for u in chosen for s in u.sites}))
        return [Problem(Rule.WAVES.value, tuple(sorted(w for u in chosen for w in u.ids)), sites,
                        f"{len(chosen)} move group(s) must all move in waves {a} to {b} "
                        f"({wave_dates(estate, a)[0]} to {wave_dates(estate, b)[1]}){why}: {what}; "
                        "raise waves.max_workloads, first_wave_max_workloads, growth_per_wave or max_effort_hours, "
                        "or shorten waves.length_days", tuple(sorted(u.label for u in chosen)))]
    return []


def _capacity_by(rules, a: int, b: int, **change: int) -> float:  # noqa: ANN001
    """How many workloads waves `a` to `b` hold under the wave rules with `change` applied."""
    r = rules.model_copy(update=change)
    return float(sum(r.max_workloads_in(k) for k in range(a, b + 1)))


def _counts_fit(rules, spans: list[tuple[int, int, float, float]], **change: int) -> bool:  # noqa: ANN001
    """Whether every span's workloads fit its waves' counts under the wave rules with `change` applied."""
    r = rules.model_copy(update=change)
    top = max(b for _, b, _, _ in spans)
    cum = np.cumsum([0] + [r.max_workloads_in(k) for k in range(1, top + 1)])
    return all(need <= cum[b] - cum[a - 1] for a, b, need, _ in spans)


def _least(fits, low: int, high: int) -> Optional[int]:  # noqa: ANN001
    """The smallest value in [low, high] for which the monotone test `fits` holds (None when none does)."""
    if not fits(high):
        return None
    while low < high:
        mid = (low + high) // 2
        if fits(mid):
            high = mid
        else:
            low = mid + 1
    return low


def _deadline_problem(estate: Estate, units: list[_Unit], site_id: str, a: int, b: int, last: int,
                      lo: np.ndarray, hi: np.ndarray, spans: list[tuple[int, int, float, float]]) -> Problem:
    """One short problem for a closing site the waves cannot empty in time: its date, how many must leave, how many
    the waves can move by then, and the smallest setting that would fit; the move groups go in a field."""
    rules = estate.scenario.waves
    site = estate.site_by_id[site_id]
    inside = (lo >= a) & (hi <= b)
    chosen = [units[i] for i in np.flatnonzero(inside)]
    need = int(sum(u.count for u in chosen))
    hours = float(sum(u.effort for u in chosen))
    leaving = sum(1 for u in units for w in u.members if w.current_site == site_id)
    n_cap = _capacity_by(rules, a, b)
    n_hours = (b - a + 1) * rules.max_effort_hours
    end = wave_dates(estate, b)[1]
    closing_wave = last_wave_before(estate, site.closes)  # type: ignore[arg-type]
    lead = closing_wave - b  # the waves some groups need after theirs before the site is empty (production after non-production)
    fixes: list[str] = []
    if need > n_cap:
        # the smallest settings under which every span's workloads fit its waves (not just the one reported)
        g = _least(lambda g: _counts_fit(rules, spans, growth_per_wave=g), rules.growth_per_wave, 10_000_000)
        f = _least(lambda f: _counts_fit(rules, spans, first_wave_max_workloads=f), rules.first_wave_max_workloads,
                   rules.max_workloads)
        if g is not None:
            fixes.append(f"waves.growth_per_wave >= {g}")
        if f is not None:
            fixes.append(f"waves.first_wave_max_workloads >= {f}")
        if g is None and f is None:
            m = _least(lambda m: _counts_fit(rules, spans, max_workloads=m, first_wave_max_workloads=m), rules.max_workloads, 10_000_000)
            if m is not None:
                fixes.append(f"waves.max_workloads and first_wave_max_workloads >= {m}")
    # a later closing date moves every deadline it sets by as many waves: the smallest shift under which each span
    # it ends (from this one to the site's last wave) fits its waves
    tied = [(sa, sb, sn, sh) for sa, sb, sn, sh in spans if b <= sb <= closing_wave]
    cum = np.cumsum([0] + [rules.max_workloads_in(k) for k in range(1, last + 1)])
    shift = next((d for d in range(1, last - closing_wave + 1)
                  if all(sn <= cum[sb + d] - cum[sa - 1] and sh <= (sb + d - sa + 1) * rules.max_effort_hours + 1e-6
                         for sa, sb, sn, sh in tied)), None)
    later = closing_wave + shift if shift is not None else None
    if hours > n_hours + 1e-6:
        fixes.append(f"waves.max_effort_hours >= {math.ceil(hours / (b - a + 1))}")
    remedy = f"set {' or '.join(fixes)}" if fixes else "no wave setting fits"
    if later is not None:
        remedy += f"{', or' if fixes else ':'} close {site_id} on or after {wave_dates(estate, later)[1] + dt.timedelta(days=1)}"
    elif not fixes:
        remedy += " and no later closing date within the horizon does: plan a longer horizon"
    moved = (f"the waves can move {n_cap:,.0f}" if need > n_cap else
             f"they need {hours:,.0f} effort hours and the waves allow {n_hours:,.0f}")
    span = (f"waves {a} to {b}" if a > 1 else f"wave {b}") + (f", {lead} wave(s) before its last" if lead else "")
    return Problem(Rule.WAVES.value, tuple(sorted(w for u in chosen for w in u.ids)), (site_id,),
                   f"{site_id} closes on {site.closes}: {leaving:,} workloads must leave it, {need:,} in all must move by "
                   f"{span} (ends {end}), and {moved}; {remedy}",
                   tuple(sorted(u.label for u in chosen)))


def _first_fit(estate: Estate, units: list[_Unit], edges: list[_Edge], room: "_Room",
               by_saving: bool = False) -> tuple[Optional[list[int]], Optional[Problem]]:
    """First-fit in deadline order (or, `by_saving`, in order of monthly saving per workload), respecting every
    edge and capacity between waves (`room`, emptied first); None and the problem when a unit misses its window.

    A unit that finds no room waits until a unit leaving one of its sites is placed, so leavers free room before
    arrivals need it."""
    rules = estate.scenario.waves
    room.reset()
    preds: dict[int, list[_Edge]] = defaultdict(list)
    succ: dict[int, list[int]] = defaultdict(list)
    indeg = [0] * len(units)
    for e in edges:
        preds[e.v].append(e)
        succ[e.u].append(e.v)
        indeg[e.v] += 1

    # a unit is as urgent as the richest unit it unlocks (a production group waits for its non-production one)
    density = [u.saving / u.count for u in units]
    for i in reversed(_topological(len(units), edges)):
        density[i] = max([density[i]] + [density[j] for j in succ[i]])

    # A unit that frees room an arrival is waiting for is as urgent as that arrival, and so is what it waits for.
    urgent = [units[i].hi for i in range(len(units))]
    leavers: dict[int, list[int]] = defaultdict(list)  # site column -> units that take something off it
    for i, (cols, delta, _) in enumerate(room.touch):
        for c in cols[(delta < 0).any(axis=1)].tolist():
            leavers[c].append(i)

    waited: set[int] = set()

    def prio(i: int) -> tuple:
        if i in waited:  # room freed for units that waited goes to the one with the nearest deadline first
            return (0, units[i].hi, 0.0, units[i].keys, i)
        if by_saving:
            boosted = urgent[i] < units[i].hi
            return (1, 0 if boosted else 1, urgent[i] if boosted else -density[i], units[i].keys, i)
        return (1, urgent[i], float(units[i].is_prod), units[i].keys, i)

    def hurry(cols: list[int], by: int) -> None:
        todo = [j for c in cols for j in leavers.get(c, ()) if not wave[j] and urgent[j] > by]
        while todo:
            j = todo.pop()
            if wave[j] or urgent[j] <= by:
                continue
            urgent[j] = by
            late.discard(j)  # a money-losing leaver someone waits for goes when needed, not last
            if j in blocked:
                todo.extend(x for c in room.touch[j][0].tolist() for x in leavers.get(c, ()) if not wave[x] and urgent[x] > by)
            elif indeg[j] == 0:
                heapq.heappush(ready, prio(j))
            todo.extend(e.u for e in preds[j] if not wave[e.u] and urgent[e.u] > by)

    # with by_saving, units that lose money and touch no order edge wait, then go as late as they fit
    late = {i for i, u in enumerate(units) if by_saving and u.saving < 0 and not preds[i] and not succ[i]}
    ready = [prio(i) for i in range(len(units)) if indeg[i] == 0 and i not in late]
    heapq.heapify(ready)
    count: dict[int, int] = defaultdict(int)
    hours: dict[int, float] = defaultdict(float)
    kind: dict[int, bool] = {}
    wave: list[int] = [0] * len(units)
    waiting: dict[int, set[int]] = defaultdict(set)  # site column -> units waiting for room there
    blocked: set[int] = set()

    def put(i: int, k: int, placed: bool = False) -> None:
        unit = units[i]
        wave[i] = k
        kind[k] = unit.is_prod
        count[k] += unit.count
        hours[k] += unit.effort
        if not placed:
            room.place(i, k)
        cols, delta, _ = room.touch[i]
        for c in cols[(delta < 0).any(axis=1)].tolist():  # room freed there: who waited for it tries again
            for j in sorted(waiting.pop(c, ())):
                if j in blocked:
                    blocked.discard(j)
                    heapq.heappush(ready, prio(j))

    def arrivals(i: int) -> list[int]:
        cols, _, arrive = room.touch[i]
        return cols[(arrive > 0).any(axis=1)].tolist()

    def wait(i: int) -> None:
        blocked.add(i)
        waited.add(i)
        for c in arrivals(i) or room.touch[i][0].tolist():
            waiting[c].add(i)
        hurry(room.touch[i][0].tolist(), units[i].hi)

    def queued(i: int) -> bool:
        """Whether a unit with an earlier deadline waits for room on a site `i` would fill: `i` queues behind it."""
        return any(j in blocked and urgent[j] < urgent[i] for c in arrivals(i) for j in waiting.get(c, ()))

    def forward(i: int) -> int:
        unit = units[i]
        k = max([unit.lo] + [wave[e.u] + e.strict for e in preds[i]])
        while k <= unit.hi and not (_fits(rules, count, hours, kind, k, unit) and room.fits(i, k)):
            k += 1
        return k

    def retry(i: int) -> bool:
        """Place waiting unit `i` where it fits now, queue or not; whether it did."""
        if indeg[i] or max([units[i].lo] + [wave[e.u] + e.strict for e in preds[i]]) > units[i].hi:
            return False
        k = forward(i)
        if k > units[i].hi:
            return False
        blocked.discard(i)
        put(i, k)
        for v in succ[i]:
            indeg[v] -= 1
            if indeg[v] == 0:
                heapq.heappush(ready, prio(v))
        return True

    def together(i: int) -> bool:
        """Place waiting unit `i` in one wave with the waiting units that leave its sites (a swap no order can make
        one by one); whether it worked."""
        group, todo = [i], [i]
        while todo and len(group) < JOINT_MAX:  # the waiting leavers of its sites, theirs in turn, ...
            x = todo.pop(0)
            for j in sorted({j for c in arrivals(x) for j in leavers.get(c, ()) if j in blocked and j not in group
                             and units[j].is_prod == units[i].is_prod and indeg[j] == 0}):
                if len(group) < JOINT_MAX:
                    group.append(j)
                    todo.append(j)
        if len(group) < 2:
            return False
        lo = max(max([units[j].lo] + [wave[e.u] + e.strict for e in preds[j]]) for j in group)
        hi = min(units[j].hi for j in group)
        n, h = sum(units[j].count for j in group), sum(units[j].effort for j in group)
        cols = np.unique(np.concatenate([room.touch[j][0] for j in group]))
        for k in range(lo, hi + 1):
            if not (kind.get(k, units[i].is_prod) == units[i].is_prod and count[k] + n <= rules.max_workloads_in(k)
                    and hours[k] + h <= rules.max_effort_hours + 1e-9):
                continue
            for j in group:
                room.place(j, k)
            if not interim_breaches(room.load[:, cols], room.adds[:, cols], room.cap[cols]).any():
                for j in group:
                    blocked.discard(j)
                    put(j, k, placed=True)
                    for v in succ[j]:
                        indeg[v] -= 1
                        if indeg[v] == 0:
                            heapq.heappush(ready, prio(v))
                return True
            for j in group:
                room.remove(j, k)
        return False

    while True:
        if not ready and blocked:
            for i in sorted(blocked, key=lambda i: (units[i].hi, units[i].keys, i)):
                if i in blocked and together(i):
                    break
        while ready:
            i = heapq.heappop(ready)[-1]
            if wave[i] or i in blocked:
                continue  # a stale entry: placed already, or waiting for room
            unit = units[i]
            if room.limited and queued(i):
                wait(i)
                continue
            k = forward(i)
            if k > unit.hi:
                if room.limited and _earliest(rules, count, hours, kind, unit, max([unit.lo] + [wave[e.u] + e.strict for e in preds[i]])) <= unit.hi:
                    wait(i)
                    continue
                sites = f" leave {', '.join(unit.sites)} and" if unit.sites else ""
                return None, Problem(Rule.WAVES.value, unit.ids, unit.sites,
                                     f"first-fit could not{sites} place {_short(unit.label)} by wave {unit.hi} ({_short(unit.hi_why)}): "
                                     "earlier waves are full (count, effort, pilot, production/non-production or order limits), and "
                                     "the optimiser found no schedule either; raise waves.max_workloads/max_effort_hours or start earlier")
            put(i, k)
            for j in succ[i]:
                indeg[j] -= 1
                if indeg[j] == 0:
                    heapq.heappush(ready, prio(j))
        pending_late = sorted((i for i in late if not wave[i] and i not in blocked),
                              key=lambda i: (units[i].saving / units[i].count, units[i].keys))
        late.clear()
        if not pending_late:
            if blocked and any(together(i) for i in sorted(blocked, key=lambda i: (units[i].hi, units[i].keys, i)) if i in blocked):
                continue  # a swap went in: what waited behind it may go now
            if blocked and any(retry(i) for i in sorted(blocked, key=lambda i: (units[i].hi, units[i].keys, i)) if i in blocked):
                continue  # a unit that queued behind one that never fitted goes now
            break
        for i in pending_late:
            unit = units[i]
            k = unit.hi
            while k >= unit.lo and not (_fits(rules, count, hours, kind, k, unit) and room.fits(i, k)):
                k -= 1
            if k < unit.lo:
                k = forward(i)
                if k > unit.hi:
                    wait(i)
                    continue
            put(i, k)
    if blocked:
        return None, room.short(min(blocked, key=lambda i: (units[i].hi, units[i].keys)), estate, units)
    return wave, None


def _earliest(rules, count: dict, hours: dict, kind: dict, unit: "_Unit", k: int) -> int:  # noqa: ANN001
    """The first wave from `k` on whose count, effort and kind limits take `unit` (capacity aside)."""
    while k <= unit.hi and not _fits(rules, count, hours, kind, k, unit):
        k += 1
    return k


def _short(text: str, limit: int = 120) -> str:
    """`text` cut to about `limit` characters, so a problem's sentence stays short."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _fits(rules, count: dict, hours: dict, kind: dict, k: int, unit: "_Unit") -> bool:  # noqa: ANN001
    return (kind.get(k, unit.is_prod) == unit.is_prod and count[k] + unit.count <= rules.max_workloads_in(k)
            and hours[k] + unit.effort <= rules.max_effort_hours + 1e-9)


def _improve(estate: Estate, units: list[_Unit], edges: list[_Edge], waves: list[int], room: "_Room", passes: int = 4,
             pulls: int = PULL_CANDIDATES) -> list[int]:
    """A schedule improved by moving units one at a time: savers earlier, losers later, every rule kept.

    Each move keeps the unit's window, its order edges (against the waves its neighbours have now), its
    wave's kind, the count and effort limits and capacity between waves; a pass visits the units by saving
    per workload. A saver that finds no room in an earlier wave may pull a unit leaving that site forward
    with it, when the two together realise more. A fixed number of passes and pulls: work, not time.
    """
    rules = estate.scenario.waves
    wave = list(waves)
    room.placed(wave)
    count: dict[int, int] = defaultdict(int)
    hours: dict[int, float] = defaultdict(float)
    members: dict[int, int] = defaultdict(int)
    kind: dict[int, bool] = {}
    for i, u in enumerate(units):
        count[wave[i]] += u.count
        hours[wave[i]] += u.effort
        members[wave[i]] += 1
        kind[wave[i]] = u.is_prod
    preds: dict[int, list[_Edge]] = defaultdict(list)
    succs: dict[int, list[_Edge]] = defaultdict(list)
    for e in edges:
        preds[e.v].append(e)
        succs[e.u].append(e)
    leavers: dict[int, list[int]] = defaultdict(list)  # site column -> units taking something off it
    for j, (cols, delta, _) in enumerate(room.touch):
        for c in cols[(delta < 0).any(axis=1)].tolist():
            leavers[c].append(j)
    order = sorted(range(len(units)), key=lambda i: (-abs(units[i].saving) / units[i].count, units[i].keys, i))
    months = [0.0] + [months_after(estate, k) for k in range(1, max([u.hi for u in units] + [1]) + 1)]

    in_wave: dict[int, set[int]] = defaultdict(set)
    for i, k in enumerate(wave):
        in_wave[k].add(i)

    def take(i: int) -> int:
        k0 = wave[i]
        in_wave[k0].discard(i)
        count[k0] -= units[i].count
        hours[k0] -= units[i].effort
        members[k0] -= 1
        room.remove(i, k0)
        if members[k0] == 0:
            kind.pop(k0, None)
        return k0

    def put(i: int, k: int) -> None:
        wave[i] = k
        in_wave[k].add(i)
        room.place(i, k)
        count[k] += units[i].count
        hours[k] += units[i].effort
        members[k] += 1
        kind[k] = units[i].is_prod

    def pull(i: int, k: int, k0: int) -> bool:
        """Place saver `i` (taken out of wave `k0`) in wave `k` with a leaver of its sites moved to wave `k` or before."""
        gain = units[i].saving * (months[k] - months[k0])
        cols, delta, arrive = room.touch[i]
        full = cols[(arrive > 0).any(axis=1)].tolist()
        near = sorted({j for c in full for j in leavers.get(c, ()) if j != i and wave[j] > k},
                      key=lambda j: (-(units[j].saving * (months[k] - months[wave[j]])), units[j].keys, j))[:pulls]
        for j in near:
            kj = wave[j]
            lo_j = max([units[j].lo] + [wave[e.u] + e.strict for e in preds[j]])
            take(j)
            for kk in range(k, lo_j - 1, -1):
                if units[j].saving * (months[kk] - months[kj]) + gain <= 1e-9:
                    break  # later waves only lose more
                if not (_fits(rules, count, hours, kind, kk, units[j]) and room.fits(j, kk)):
                    continue
                put(j, kk)
                if _fits(rules, count, hours, kind, k, units[i]) and room.fits(i, k):
                    put(i, k)
                    return True
                take(j)
            put(j, kj)
        return False

    def swap(i: int, k: int, k0: int) -> bool:
        """Place saver `i` (taken out of wave `k0`) in the full wave `k`, sending a unit that saves less from `k` to `k0`."""
        u = units[i]
        cap_k, cap_k0 = rules.max_workloads_in(k), rules.max_workloads_in(k0)
        if kind.get(k, u.is_prod) != u.is_prod:
            return False
        near = sorted((j for j in in_wave[k] if units[j].saving < u.saving and units[j].is_prod == u.is_prod
                       and count[k] - units[j].count + u.count <= cap_k and count[k0] + units[j].count <= cap_k0
                       and units[j].lo <= k0 <= units[j].hi),
                      key=lambda j: (units[j].saving, units[j].keys, j))[:pulls]
        for j in near:
            if any(wave[e.v] - e.strict < k0 for e in succs[j]):
                continue
            take(j)
            if _fits(rules, count, hours, kind, k, u) and room.fits(i, k):
                put(i, k)
                if _fits(rules, count, hours, kind, k0, units[j]) and room.fits(j, k0):
                    put(j, k0)
                    return True
                take(i)
            put(j, k)
        return False

    for _ in range(passes):
        moved = False
        for i in order:
            u = units[i]
            if u.saving == 0:
                continue
            lo = max([u.lo] + [wave[e.u] + e.strict for e in preds[i]])
            hi = min([u.hi] + [wave[e.v] - e.strict for e in succs[i]])
            k0 = take(i)  # leave the current wave first, so the unit's own load does not block it
            candidates = range(lo, k0) if u.saving > 0 else range(hi, k0, -1)
            best, tries = k0, 0
            for k in candidates:
                if not months[k] * u.saving > months[best] * u.saving + 1e-9 or not _fits(rules, count, hours, kind, k, u):
                    continue
                if room.fits(i, k):
                    best = k
                    break  # waves are tried from the best end: the first that fits is the best
                if u.saving > 0 and tries < PULL_WAVES and pull(i, k, k0):
                    best = -k
                    break
                tries += 1
            if best == k0 and u.saving > 0:
                for k in range(lo, min(k0, lo + PULL_WAVES)):
                    if months[k] > months[k0] + 1e-12 and swap(i, k, k0):
                        best = -k
                        break
            if best < 0:
                moved = True
                continue
            put(i, best)
            moved |= best != k0
        if not moved:
            break
    return wave


def _upper_bound(estate: Estate, units: list[_Unit], last: int) -> float:
    """No schedule realises more: savers as early as the waves' workload counts allow, richest per workload first,
    no sooner than they may start; losers as late as they may. (The order, effort, kind and deadline rules dropped,
    and units split across waves: a relaxation, whose greedy solution is its optimum.)"""
    rules = estate.scenario.waves
    months = [0.0] + [months_after(estate, k) for k in range(1, last + 1)]
    total = sum(u.saving * months[min(u.hi, last)] for u in units if u.saving < 0)
    savers = sorted((i for i, u in enumerate(units) if u.saving > 0), key=lambda i: units[i].lo)
    ready: list[tuple[float, int, float]] = []  # (-saving per workload, unit, workloads left)
    nxt = 0
    for k in range(1, last + 1):
        while nxt < len(savers) and units[savers[nxt]].lo <= k:
            i = savers[nxt]
            heapq.heappush(ready, (-units[i].saving / units[i].count, i, float(units[i].count)))
            nxt += 1
        room = float(rules.max_workloads_in(k))
        while room > 0 and ready:
            density, i, left = heapq.heappop(ready)
            take = min(room, left)
            total += -density * take * months[k]
            room -= take
            if left - take > 0:
                heapq.heappush(ready, (density, i, left - take))
    return total


def _lp_bound(estate: Estate, units: list[_Unit], edges: list[_Edge], room: "_Room") -> Optional[float]:
    """A tighter bound than :func:`_upper_bound` for large estates: the linear relaxation of the wave model with every
    rule but the production/non-production split of waves and integrality (windows, order edges, count and effort
    limits, capacity between waves as load carried from wave to wave, bounded by the capacity or today's load when
    above it). None when the model is too large or HiGHS proves nothing within its iteration limit."""
    import highspy
    import scipy.sparse as sp

    rules = estate.scenario.waves
    top = max(u.hi for u in units)
    months = np.array([0.0] + [months_after(estate, k) for k in range(1, top + 1)])
    lo = np.array([u.lo for u in units], dtype=np.int64)
    hi = np.array([u.hi for u in units], dtype=np.int64)
    width = np.maximum(hi - lo + 1, 0)
    n_x = int(width.sum())
    if n_x == 0 or n_x > LP_MAX_COLUMNS:
        return None
    first = np.concatenate([[0], np.cumsum(width)[:-1]])  # column of (unit, its lo)
    unit_of = np.repeat(np.arange(len(units)), width)
    k_of = np.arange(n_x) - np.repeat(first, width) + np.repeat(lo, width)
    saving = np.array([u.saving for u in units])
    cnt = np.array([u.count for u in units], dtype=float)
    eff = np.array([u.effort for u in units])
    rows, cols, vals, r_lo, r_hi = [], [], [], [], []
    n_row = 0

    def add(r_cols: np.ndarray, r_vals: np.ndarray, r_rows: np.ndarray, low: np.ndarray, up: np.ndarray) -> None:
        nonlocal n_row
        rows.append(r_rows + n_row)
        cols.append(r_cols)
        vals.append(r_vals)
        r_lo.append(low)
        r_hi.append(up)
        n_row += len(low)

    x = np.arange(n_x)
    add(x, np.ones(n_x), unit_of, np.ones(len(units)), np.ones(len(units)))  # each unit in one wave
    caps = np.array([0.0] + [rules.max_workloads_in(k) for k in range(1, top + 1)])
    add(x, cnt[unit_of], k_of - 1, np.full(top, -np.inf), caps[1:])  # workload count per wave
    add(x, eff[unit_of], k_of - 1, np.full(top, -np.inf), np.full(top, rules.max_effort_hours + 1e-6))
    for n, e in enumerate(edges):  # wave(u) + strict <= wave(v)
        cu = first[e.u] + np.arange(width[e.u])
        cv = first[e.v] + np.arange(width[e.v])
        add(np.concatenate([cu, cv]), np.concatenate([k_of[cu], -k_of[cv]]).astype(float), np.zeros(len(cu) + len(cv), dtype=np.int64),
            np.array([-np.inf]), np.array([-float(e.strict)]))
    n_load = 0
    load_hi: list[float] = []
    touching: dict[int, list[int]] = defaultdict(list)
    for i, (c_cols, _, _) in enumerate(room.touch):
        for c in c_cols.tolist():
            touching[c].append(i)
    for c in sorted(touching):
        for r in range(len(RESOURCES)):
            cap, today = float(room.cap[c, r]), float(room.today[c, r])
            d = {i: float(room.touch[i][1][np.searchsorted(room.touch[i][0], c), r]) for i in touching[c]}
            if not np.isfinite(cap) or not over_capacity(np.array(today + sum(max(0.0, v) for v in d.values())), np.array(cap)):
                continue
            # load after wave k = today + sum over units placed by k of their change: one row per wave
            us = np.array([i for i in touching[c] if d[i] != 0.0], dtype=np.int64)
            if len(us) == 0:
                continue
            cs = np.concatenate([first[i] + np.arange(width[i]) for i in us.tolist()])
            dv = np.concatenate([np.full(width[i], d[i]) for i in us.tolist()])
            ks = k_of[cs]
            # x[i,k'] counts in every row k >= k': expand to (row k, column) pairs
            reps = top - ks + 1
            r_rows = np.repeat(np.arange(len(cs)), reps)
            row_k = ks[r_rows] + (np.arange(len(r_rows)) - np.repeat(np.cumsum(reps) - reps, reps))
            add(cs[r_rows], dv[r_rows], row_k - 1, np.full(top, -np.inf), np.full(top, max(cap, today) - today))
            n_load += 1
            if sum(len(a) for a in cols) > LP_MAX_NONZEROS:
                return None
    a = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_row, n_x))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_x, n_row
    lp.col_cost_ = -(saving[unit_of] * months[k_of])  # HiGHS minimises
    lp.col_lower_ = np.zeros(n_x)
    lp.col_upper_ = np.ones(n_x)
    lp.row_lower_ = np.concatenate(r_lo)
    lp.row_upper_ = np.concatenate(r_hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("simplex_iteration_limit", LP_MAX_ITERATIONS)
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    value = -h.getInfo().objective_function_value
    return value + 1e-7 * abs(value) + 0.01  # the solver's tolerances, on the safe side


def _empty_runs(estate: Estate, units: list[_Unit], wave: list[int], used: int) -> list[str]:
    """A sentence for each run of waves inside the programme that moves nothing, saying why."""
    busy = sorted(set(wave))
    notes = []
    for a, b in zip(busy, busy[1:]):
        if b - a < 2:
            continue
        later = [units[i] for i, k in enumerate(wave) if k == b]
        losers = sorted({k[0] for u in later if u.saving < 0 for k in u.keys})
        held = sorted({k[0] for u in later if u.saving >= 0 and u.lo >= b for k in u.keys})
        why = []
        if losers:
            why.append(f"the move groups of wave {b} cost more after their move than before ({', '.join(losers[:5])}"
                       f"{' and more' if len(losers) > 5 else ''}), so they go as late as their deadlines allow")
        if held:
            why.append(f"{', '.join(held[:5])} may not move before wave {b}")
        if not why:
            why.append("nothing that moves earlier would save more, and every rule holds")
        s, _ = wave_dates(estate, a + 1)
        _, e = wave_dates(estate, b - 1)
        notes.append(f"waves {a + 1} to {b - 1} ({s} to {e}) move nothing: {'; '.join(why)}")
    return notes


def _value(estate: Estate, units: list[_Unit], waves: list[int]) -> float:
    """Realised savings of a unit schedule (what the warm start is chosen by)."""
    return sum(u.saving * months_after(estate, waves[i]) for i, u in enumerate(units))


def _milp(estate: Estate, units: list[_Unit], edges: list[_Edge], pairs: dict[tuple[int, int], int],
          warm: Optional[list[int]], room: "_Room") -> tuple[Optional[list[int]], str]:
    """The MILP of the module docstring, warm-started: each unit's wave and `optimal`/`feasible`, or (None, why)."""
    import pulp

    prob, y, extra = _build(estate, units, edges, pairs, room)
    start: dict[str, float] = {}
    if warm is not None:
        for (i, k), var in y.items():
            start[var.name] = 1.0 if warm[i] == k else 0.0
        for k, var in extra["z"].items():
            start[var.name] = 1.0 if any(warm[i] == k and u.is_prod for i, u in enumerate(units)) else 0.0
        load: dict[int, int] = defaultdict(int)
        for i, u in enumerate(units):
            load[warm[i]] += u.count
        start[extra["peak"].name] = float(max(load.values()))
        for (a, b), var in extra["cross"].items():
            start[var.name] = 1.0 if warm[a] != warm[b] else 0.0
        if extra["load"]:
            room.placed(warm)
            for (c, r, k), var in extra["load"].items():
                start[var.name] = float(room.load[k, c, r])
    settings = estate.scenario.solver
    prob.solve(_solver(min(float(settings.time_limit_s), WAVE_TIME_LIMIT_S), float(settings.gap), start))
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return None, "infeasible" if prob.status == pulp.LpStatusInfeasible else "no solution in time"
    wave = [0] * len(units)
    for (i, k), var in y.items():
        if (var.varValue or 0.0) > 0.5:
            wave[i] = k
    if any(k == 0 for k in wave):
        return None, "no solution"
    return wave, "optimal" if prob.sol_status == pulp.LpSolutionOptimal else "feasible"


def _build(estate: Estate, units: list[_Unit], edges: list[_Edge], pairs: dict[tuple[int, int], int],  # noqa: ANN202
           room: "_Room"):
    """The wave MILP: (problem, y by (unit, wave), {"z", "peak", "cross", "load"})."""
    import pulp

    rules = estate.scenario.waves
    top = max(u.hi for u in units)
    months = [0.0] + [months_after(estate, k) for k in range(1, top + 1)]
    prob = pulp.LpProblem("waves", pulp.LpMaximize)
    y: dict[tuple[int, int], pulp.LpVariable] = {}
    for i, u in enumerate(units):
        for k in range(u.lo, u.hi + 1):
            y[i, k] = prob.add_variable(f"y_{i}_{k}", cat=pulp.LpBinary)
    z = {k: prob.add_variable(f"z_{k}", cat=pulp.LpBinary) for k in range(1, top + 1)}
    peak = prob.add_variable("peak", lowBound=0)
    cross = {p: prob.add_variable(f"d_{p[0]}_{p[1]}", lowBound=0, upBound=1) for p in sorted(pairs)}
    objective = [(var, units[i].saving * months[k] - EARLY_WEIGHT * units[i].count * k) for (i, k), var in y.items()]
    objective.append((peak, -PEAK_WEIGHT))
    objective.extend((cross[p], -CROSS_WAVE_DEPENDENCY_WEIGHT * c) for p, c in sorted(pairs.items()))
    prob += pulp.LpAffineExpression(objective)
    waves_of: dict[int, list[int]] = defaultdict(list)
    by_wave: dict[int, list[int]] = defaultdict(list)
    for (i, k) in y:
        waves_of[i].append(k)
        by_wave[k].append(i)
    for i in range(len(units)):
        prob += pulp.LpAffineExpression([(y[i, k], 1) for k in waves_of[i]]) == 1, f"one_{i}"
    for k in range(1, top + 1):
        if not by_wave[k]:
            continue
        cap, hours = rules.max_workloads_in(k), rules.max_effort_hours
        prods = [i for i in by_wave[k] if units[i].is_prod]
        nons = [i for i in by_wave[k] if not units[i].is_prod]
        if prods:
            prob += pulp.LpAffineExpression([(y[i, k], units[i].count) for i in prods] + [(z[k], -cap)]) <= 0, f"count_p_{k}"
            prob += pulp.LpAffineExpression([(y[i, k], units[i].effort) for i in prods] + [(z[k], -hours)]) <= 0, f"effort_p_{k}"
        if nons:
            prob += pulp.LpAffineExpression([(y[i, k], units[i].count) for i in nons] + [(z[k], cap)]) <= cap, f"count_n_{k}"
            prob += pulp.LpAffineExpression([(y[i, k], units[i].effort) for i in nons] + [(z[k], hours)]) <= hours, f"effort_n_{k}"
        prob += pulp.LpAffineExpression([(y[i, k], units[i].count) for i in by_wave[k]] + [(peak, -1)]) <= 0, f"peak_{k}"
    for n, e in enumerate(edges):
        terms = [(y[e.u, k], k) for k in waves_of[e.u]] + [(y[e.v, k], -k) for k in waves_of[e.v]]
        prob += pulp.LpAffineExpression(terms) <= -e.strict, f"order_{n}"
    for (a, b), var in cross.items():
        for k in sorted(set(waves_of[a]) | set(waves_of[b])):
            terms = [(var, -1)] + ([(y[a, k], 1)] if (a, k) in y else []) + ([(y[b, k], -1)] if (b, k) in y else [])
            prob += pulp.LpAffineExpression(terms) <= 0, f"cross_{a}_{b}_{k}"
    load = _load_rows(prob, units, y, waves_of, room, top)
    return prob, y, {"z": z, "peak": peak, "cross": cross, "load": load}


def _load_rows(prob, units: list[_Unit], y: dict, waves_of: dict[int, list[int]], room: "_Room", top: int) -> dict:  # noqa: ANN001
    """Capacity between waves in the MILP: a load variable per limited site, resource and wave, carried from wave to
    wave by the units placed in it and bounded by the capacity (a site over it today: by today's load, so it only
    shrinks; the exact rule is checked on the solution). Only where arrivals could ever overfill the site."""
    import pulp

    touching: dict[int, list[int]] = defaultdict(list)
    for i, (cols, _, _) in enumerate(room.touch):
        for c in cols.tolist():
            touching[c].append(i)
    load: dict[tuple[int, int, int], pulp.LpVariable] = {}
    for c in sorted(touching):
        for r in range(len(RESOURCES)):
            cap, today = float(room.cap[c, r]), float(room.today[c, r])
            grow = sum(max(0.0, float(room.touch[i][1][np.searchsorted(room.touch[i][0], c), r])) for i in touching[c])
            if not np.isfinite(cap) or not over_capacity(np.array(today + grow), np.array(cap)):
                continue
            limit = max(cap, today)
            previous: object = today
            for k in range(1, top + 1):
                terms = [(y[i, k], float(room.touch[i][1][np.searchsorted(room.touch[i][0], c), r]))
                         for i in touching[c] if (i, k) in y]
                var = prob.add_variable(f"l_{c}_{r}_{k}", lowBound=None, upBound=limit)
                load[c, r, k] = var
                expr = pulp.LpAffineExpression(terms + [(var, -1)])
                if isinstance(previous, pulp.LpVariable):
                    expr += previous
                    prob += expr == 0, f"load_{c}_{r}_{k}"
                else:
                    prob += expr == -float(previous), f"load_{c}_{r}_{k}"  # type: ignore[arg-type]
                previous = var
    return load


def _solver(time_limit: float, gap: float, start: dict[str, float]):  # noqa: ANN202 - a pulp solver
    """HiGHS in-process, warm-started from `start` (variable name -> value); CBC when HiGHS is missing."""
    import pulp

    if pulp.HiGHS().available():
        import highspy

        class WarmHiGHS(pulp.HiGHS):
            def callSolver(self, lp):  # noqa: ANN001, ANN202 - pulp's hook
                if start:
                    values = [0.0] * lp.solverModel.getNumCol()
                    for var in lp.variables():
                        values[var.index] = start.get(var.name, 0.0)
                    sol = highspy.HighsSolution()
                    sol.col_value = values
                    sol.value_valid = True
                    lp.solverModel.setSolution(sol)
                lp.solverModel.run()

            def findSolutionValues(self, lp):  # noqa: ANN001, ANN202 - pulp's hook
                try:
                    return super().findSolutionValues(lp)
                except KeyError:  # PuLP 3.3 has no status for the node limit (kSolutionLimit); the values are read by now
                    if lp.solverModel.getModelStatus() != highspy.HighsModelStatus.kSolutionLimit:
                        raise
                    if lp.solverModel.getSolution().value_valid:
                        return pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible
                    return pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound

        return WarmHiGHS(msg=False, timeLimit=time_limit, gapRel=gap, random_seed=0, threads=1, mip_max_nodes=WAVE_MAX_NODES)
    return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=gap)
