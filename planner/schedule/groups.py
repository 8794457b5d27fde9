"""Move groups, their dependency order and their windows: when each may move, and why a deadline cannot be met."""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections import defaultdict
from typing import Mapping, Optional

import numpy as np

from planner.base.problem import Problem
from planner.domain.estate import Estate
from planner.domain.model import Workload
from planner.domain.rules import Rule
from planner.schedule.calendar import (
    high_criticality_apps,
    last_wave_before,
    wave_dates,
)
from planner.schedule.measures import target_first_breaks
from planner.schedule.types import GroupKey, _Edge, _short, _Unit, group_label


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
