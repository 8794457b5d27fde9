"""Migration waves: which moving workloads go when, keeping every wave rule of DESIGN.md.

A move group (an app's production workloads, or its non-production ones) moves in one
wave; non-production strictly before production (they never share a wave); no wave
exceeds its ramped-up workload count or its effort hours; the first `pilot_waves` hold
no high-criticality app; leavers of a closing site move in a wave that ends before it
closes. This schedule is first-fit in deadline order, which keeps every rule but does not
optimise when savings arrive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from .candidates import Problem
from .estate import Estate
from .model import Criticality, Workload
from .rules import Rule

GroupKey = tuple[str, bool]  # (app, is_prod)


@dataclass(frozen=True)
class Wave:
    """One wave: its number, first and last day, and the workloads it moves (sorted)."""

    number: int
    start: dt.date
    end: dt.date
    workloads: tuple[str, ...]


@dataclass
class Schedule:
    """Waves in order, the wave of every moving workload, and why scheduling failed if it did."""

    waves: list[Wave] = field(default_factory=list)
    wave_of: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def wave_dates(estate: Estate, number: int) -> tuple[dt.date, dt.date]:
    """First and last day of wave `number` (1-based): consecutive waves of `length_days` from the start."""
    length = estate.scenario.waves.length_days
    start = estate.scenario.start + dt.timedelta(days=(number - 1) * length)
    return start, start + dt.timedelta(days=length - 1)


def high_criticality_apps(estate: Estate) -> set[str]:
    """Apps with any high-criticality workload: they stay out of pilot waves."""
    return {w.app for w in estate.inventory.workloads if w.criticality is Criticality.HIGH}


def last_wave_before(estate: Estate, closes: dt.date) -> int:
    """The last wave number whose end is before `closes` (0 when none is)."""
    length = estate.scenario.waves.length_days
    days = (closes - estate.scenario.start).days  # wave k ends on start + k*length - 1 < closes
    return max(0, days // length)


def schedule_waves(estate: Estate, moving: list[Workload]) -> Schedule:
    """Assign every moving workload a wave, or explain which rule and which apps collide."""
    rules = estate.scenario.waves
    groups: dict[GroupKey, list[Workload]] = {}
    for w in sorted(moving, key=lambda w: w.id):
        groups.setdefault(w.move_group, []).append(w)
    high = high_criticality_apps(estate)
    deadline: dict[GroupKey, int] = {}
    for key, members in groups.items():
        limits = [
            last_wave_before(estate, estate.site_by_id[w.current_site].closes)  # type: ignore[arg-type]
            for w in members
            if estate.closes_in_horizon(estate.site_by_id[w.current_site])
        ]
        deadline[key] = min(limits) if limits else 10**9
    for (app, is_prod), limit in list(deadline.items()):
        if is_prod and (app, False) in deadline:
            deadline[(app, False)] = min(deadline[(app, False)], limit - 1)
    out = Schedule()
    for key, members in sorted(groups.items()):
        effort = sum(estate.effort_hours(w) for w in members)
        label = group_label(key)
        ceiling = rules.max_workloads if rules.growth_per_wave > 0 else min(rules.max_workloads, rules.first_wave_max_workloads)
        if len(members) > ceiling:
            out.problems.append(Problem(Rule.WAVES.value, tuple(w.id for w in members), (), f"{label} moves {len(members)} workloads in one wave, more than any wave may hold ({ceiling}); raise waves.max_workloads or split the app"))
        if effort > rules.max_effort_hours:
            out.problems.append(Problem(Rule.WAVES.value, tuple(w.id for w in members), (), f"{label} needs {effort:g} effort hours in one wave, more than waves.max_effort_hours ({rules.max_effort_hours:g})"))
    if out.problems:
        return out
    count: dict[int, int] = {}
    hours: dict[int, float] = {}
    kind: dict[int, bool] = {}
    placed: dict[GroupKey, int] = {}
    order = sorted(groups, key=lambda k: (deadline[k], k[1], k[0]))
    for key in order:
        members = groups[key]
        app, is_prod = key
        effort = sum(estate.effort_hours(w) for w in members)
        k = rules.pilot_waves + 1 if app in high else 1
        if is_prod and (app, False) in placed:
            k = max(k, placed[(app, False)] + 1)
        while not (
            kind.get(k, is_prod) == is_prod
            and count.get(k, 0) + len(members) <= rules.max_workloads_in(k)
            and hours.get(k, 0.0) + effort <= rules.max_effort_hours + 1e-9
        ):
            k += 1
        if k > deadline[key]:
            site = sorted({w.current_site for w in members if estate.closes_in_horizon(estate.site_by_id[w.current_site])})
            closes = min(estate.site_by_id[s].closes for s in site) if site else None  # type: ignore[type-var]
            out.problems.append(Problem(Rule.WAVES.value, tuple(w.id for w in members), tuple(site),
                f"{group_label(key)} must leave {', '.join(site) or 'its site'} in a wave ending before "
                f"{closes}, but earlier waves are full (count, effort, pilot or production-order limits); "
                "raise waves.max_workloads/max_effort_hours or start earlier"))
            continue
        placed[key] = k
        kind[k] = is_prod
        count[k] = count.get(k, 0) + len(members)
        hours[k] = hours.get(k, 0.0) + effort
        for w in members:
            out.wave_of[w.id] = k
    if out.problems:
        out.wave_of.clear()
        return out
    last = max(out.wave_of.values(), default=0)
    members_of: dict[int, list[str]] = {}
    for wid, k in out.wave_of.items():
        members_of.setdefault(k, []).append(wid)
    for k in range(1, last + 1):
        start, end = wave_dates(estate, k)
        out.waves.append(Wave(k, start, end, tuple(sorted(members_of.get(k, ())))))
    return out


def group_label(key: GroupKey) -> str:
    """`crm production` / `crm non-production`."""
    return f"{key[0]} {'production' if key[1] else 'non-production'}"


def closing_deadline(estate: Estate, w: Workload) -> Optional[dt.date]:
    """The day `w`'s current site closes, if within the horizon."""
    site = estate.site_by_id[w.current_site]
    return site.closes if estate.closes_in_horizon(site) else None
