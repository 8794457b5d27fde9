"""Migration waves: an optimised schedule of the moves that keeps every wave rule (docs/explanation/rules.md).

Rules (hard)
    A move group (an app's production workloads, or its non-production ones) moves in one
    wave; its non-production group moves strictly before its production one (the contract's "no
    later", made strict because the two never share a wave); a wave holds only production or
    only non-production groups, at most its ramped-up workload count (`first_wave_max_workloads`
    growing by `growth_per_wave` to `max_workloads`) and `max_effort_hours`; the first
    `pilot_waves` hold no app with a high-criticality workload; a workload leaving a site that
    closes within the horizon moves in a wave that ends before the closing day. The wave
    order (rule id ``wave-order``): for a dependency `a -> b` whose two ends move in different
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
    PuLP through the solver layer (:func:`planner.solve.solvers.for_pulp`: HiGHS in-process by default,
    or the scenario's `--backend`), within the scenario's gap and
    ``WAVE_MAX_NODES`` branch-and-bound nodes (a work limit, so the result does not depend on the
    machine's speed; ``WAVE_TIME_LIMIT_S`` is only a safety net, over every round), warm-started with the
    better of two first-fit schedules, each improved: deadline order, and saving-per-workload order (a
    unit is as urgent as the richest unit it unlocks; money-losing units without order edges go
    as late as they fit). First-fit keeps every rule but not the objective. The capacity rows enter in
    rounds (:func:`planner.schedule.milp._milp`: only the (site, resource) pairs an answer overfilled),
    and the last round answers what the full model would. `status` says
    `optimal` (proved within the gap: the sample estate, 18 groups, in about 0.1 s), `feasible`
    (the node limit cut the search) or `heuristic` (the solver returned nothing, or its incumbent
    realised less than the improved first-fit, which is then what is published).
    HiGHS is deterministic with one thread and a node limit, so the same inventory gives the
    same schedule. Estates with more than ``MILP_MAX_UNITS`` move groups (the 10k synthetic
    estate has about 350) keep the better first-fit schedule, improved (`heuristic`), because the MILP's
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
    also a Lagrangian relaxation (count, effort and capacity rows priced, one tree of order edges per
    component solved exactly; ``LAGRANGE_STEPS`` subgradient steps), whose units' waves order a second
    first-fit, kept when it realises more; and the linear relaxation of the model (every rule but integrality
    and the production / non-production split of waves; HiGHS simplex within ``LP_MAX_ITERATIONS``), when it
    is tighter and has at most ``LP_MAX_COLUMNS`` (group, wave) columns (past that it costs more than the plan).

Output
    Waves 1 to the last used one (empty ones included, so numbers map to dates), each with the
    half-year `phase` it starts in (`2027-H1`); the phases with their first and last day; the
    realised savings, the monthly savings once all has moved, and the cross-wave dependencies."""

from __future__ import annotations

from collections import defaultdict
from typing import Mapping, Optional

import numpy as np

from planner.base.problem import Problem
from planner.base.workers import beside, default_workers
from planner.domain.costs import workload_arrays
from planner.domain.estate import Estate
from planner.domain.model import SolverSettings, Workload
from planner.domain.rules import Rule
from planner.schedule.bounds import (
    _empty_runs,
    _lagrangian_bound,
    _lp_bound,
    _lp_built,
    _upper_bound,
    _value,
)
from planner.schedule.calendar import (
    high_criticality_apps,  # noqa: F401 - the schedule's public names
    last_wave_before,  # noqa: F401 - the schedule's public names
    last_wave_in_horizon,
    months_after,  # noqa: F401 - the schedule's public names
    phase_name,
    wave_dates,
)
from planner.schedule.capacity import (
    RESOURCE_WORDS,  # noqa: F401 - the schedule's public names
    RESOURCES,  # noqa: F401 - the schedule's public names
    _Room,
    interim_breaches,  # noqa: F401 - the schedule's public names
    site_capacities,  # noqa: F401 - the schedule's public names
)
from planner.schedule.groups import (
    _components,
    _order_edges,
    _topological,
    _units,
    _windows,
)
from planner.schedule.heuristic import (
    _first_fit,
    _improve,
)
from planner.schedule.measures import (
    _savings,
    cross_wave_dependencies,
    realised_savings,
)
from planner.schedule.milp import (
    _milp,
)
from planner.schedule.types import (
    GroupKey,
    Phase,  # noqa: F401 - the schedule's public names
    Schedule,
    ScheduleStatus,
    Wave,
    _Edge,
    _Unit,
    group_label,  # noqa: F401 - the schedule's public names
    phases_of,
)

MILP_MAX_UNITS = 200  # above this many move groups the MILP's root alone takes tens of seconds: first-fit


def _best_improved(estate: Estate, units: list[_Unit], edges: list[_Edge], room: _Room,
                   schedules: list[Optional[list[int]]]) -> Optional[list[int]]:
    """The schedule realising most among `schedules` (first-fits) each improved, the first on ties; None without any."""
    best: Optional[list[int]] = None
    for waves in schedules:
        if waves is not None:
            better = _improve(estate, units, edges, waves, room)
            if best is None or _value(estate, units, better) > _value(estate, units, best):
                best = better
    return best


def _part(state: tuple[Estate, list[_Unit], list[_Edge], _Room], task: tuple[str, object]) -> object:
    """One independent part of a large schedule's search: a first-fit (by saving or not), an improvement of a schedule,
    the steered first-fit improved, the linear relaxation's bound, or the Lagrangian bound towards a value; each leaves
    the room as any other part will find it."""
    estate, units, edges, room = state
    what, arg = task
    if what == "first-fit":
        return _first_fit(estate, units, edges, room, by_saving=bool(arg))
    if what == "improve":
        return _improve(estate, units, edges, list(arg), room)  # type: ignore[call-overload]
    if what == "steered":  # first-fit in the order of the Lagrangian guide's waves, improved
        steered, _ = _first_fit(estate, units, edges, room, by_saving=True, rank=arg)  # type: ignore[arg-type]
        return None if steered is None else _improve(estate, units, edges, steered, room)
    if what == "linear":
        return _lp_bound(estate, units, edges, room)
    return _lagrangian_bound(estate, units, edges, room, float(arg))  # type: ignore[arg-type]


def schedule_waves(estate: Estate, moving: list[Workload], site_of: Optional[Mapping[str, str]] = None,
                   settings: Optional[SolverSettings] = None) -> Schedule:
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
                                    f"{estate.scenario.horizon_months}-month horizon (its last day is {estate.scenario.last_day}); "
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
    large = len(units) > MILP_MAX_UNITS
    # Above the MILP's size the search's independent parts run side by side (a forked process beside this one); each
    # starts from the same room either way, so the schedule does not depend on how many cores ran it.
    state = (estate, units, list(uedges.values()), room)
    workers = default_workers((settings or estate.scenario.solver).threads) if large else 1
    (greedy, why), (rich, _) = beside(state, _part, ("first-fit", False), ("first-fit", True), workers)
    warm = greedy
    if rich is not None and (warm is None or _value(estate, units, rich) > _value(estate, units, warm)):
        warm = rich
    wave_of_unit: Optional[list[int]] = None
    status: Optional[ScheduleStatus] = None
    if len(units) <= MILP_MAX_UNITS or warm is None:
        # small estates: both first-fits improved, the better one warm-starts the MILP and is kept whenever the MILP
        # answers less (cut short by its node limit) or nothing, so the MILP can only add to what the heuristic realises
        best = _best_improved(estate, units, list(uedges.values()), room, [greedy, rich])
        wave_of_unit, status = _milp(estate, settings or estate.scenario.solver, units, list(uedges.values()), dict(pairs),
                                     best or warm, room)
        if wave_of_unit is not None and not room.placed(wave_of_unit).clean():
            wave_of_unit = None  # the model keeps over-full sites from growing, not the exact rule: keep the heuristic
        if best is not None and (wave_of_unit is None or (status is not ScheduleStatus.OPTIMAL
                                                           and _value(estate, units, best) > _value(estate, units, wave_of_unit))):
            wave_of_unit, status = best, ScheduleStatus.HEURISTIC
    bounded: Optional[tuple[float, list[int]]] = None
    if wave_of_unit is None:
        if warm is None:
            out.problems.append(why or Problem(Rule.WAVES.value, tuple(sorted(w.id for w in moving)), (), "no schedule found"))
            return out
        # large estates: the first-fit improved, and beside it the Lagrangian bound, whose steps aim at the first-fit's
        # value (any schedule's value will do)
        wave_of_unit, bounded = beside(state, _part, ("improve", warm), ("bound", _value(estate, units, warm)), workers)
        status = ScheduleStatus.HEURISTIC
    out.upper_bound = _upper_bound(estate, units, last)
    if status is ScheduleStatus.HEURISTIC:
        # the Lagrangian relaxation bounds what any schedule could realise, and the waves its units take there order a
        # second first-fit, improved and kept when it realises more; the linear relaxation, when small enough, may bound
        # tighter still
        value = _value(estate, units, wave_of_unit)
        relaxed, guide = bounded or _lagrangian_bound(estate, units, list(uedges.values()), room, value)
        # the linear relaxation, when it is built at all, is solved beside the steered first-fit and its improvement
        guided, linear = beside(state, _part, ("steered", guide), ("linear", None), workers if _lp_built(units) else 1)
        if guided is not None and _value(estate, units, guided) > value:
            wave_of_unit, value = guided, _value(estate, units, guided)
        for tighter in (relaxed, linear):
            if tighter is not None and value - 1e-6 * abs(value) <= tighter < out.upper_bound:
                out.upper_bound = max(tighter, value)
    for i, unit in enumerate(units):
        for w in unit.members:
            out.wave_of[w.id] = wave_of_unit[i]
    out.status = status or ScheduleStatus.HEURISTIC
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
