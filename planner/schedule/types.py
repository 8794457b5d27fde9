"""The schedule's types: waves, phases, move groups (units) and the dependencies between them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from typing import Optional

from planner.base.problem import Problem
from planner.domain.model import Workload
from planner.schedule.calendar import phase_name

GroupKey = tuple[str, bool]  # (app, is_prod)


class ScheduleStatus(str, Enum):
    """How far the waves are proven: within the gap, cut by the node limit, or a first-fit schedule improved."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    HEURISTIC = "heuristic"


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
    status: ScheduleStatus = ScheduleStatus.OPTIMAL
    realised_savings: float = 0.0
    monthly_savings: float = 0.0
    cross_wave_dependencies: int = 0
    phases: list[Phase] = field(default_factory=list)
    upper_bound: Optional[float] = None  # no schedule realises more (a relaxation's optimum); None when not computed
    notes: list[str] = field(default_factory=list)  # why a run of waves moves nothing


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


def _short(text: str, limit: int = 120) -> str:
    """`text` cut to about `limit` characters, so a problem's sentence stays short."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"
