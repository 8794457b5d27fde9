"""The roadmap's rows: waves with their move groups, phases, the runs of empty waves, and the moves listed.

Move groups are counted per wave with `np.unique` over (app, production) codes; a wave lists
its largest ``OutputLimits.listed_groups`` groups and says how many more there are, and the roadmap
lists the first ``OutputLimits.listed_moves`` moves (the work list, `planner export`, has them all).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

from planner.domain.estate import Estate
from planner.outputs import limits as output_limits
from planner.outputs.report.arrays import PlanArrays
from planner.outputs.report.money import WaveDelta
from planner.plan.document import Plan
from planner.schedule.waves import Wave, phase_name, phases_of


@dataclass(frozen=True)
class GroupMove:
    label: str
    app: str
    production: bool
    workloads: int
    from_sites: tuple[tuple[str, int], ...]  # (site, workloads), most first
    to_sites: tuple[tuple[str, int], ...]

    @property
    def from_text(self) -> str:
        return _count_text(self.from_sites)

    @property
    def to_text(self) -> str:
        return _count_text(self.to_sites)


@dataclass(frozen=True)
class WaveRow:
    number: int
    phase: str
    pilot: bool
    start: dt.date
    end: dt.date
    days: int
    workloads: int
    groups: tuple[GroupMove, ...]  # the largest OutputLimits.listed_groups
    group_count: int
    more_workloads: int  # workloads in the groups not listed
    effort_hours: float
    one_time: float
    monthly_saving: float  # what the wave's moves change the monthly run + egress cost by (positive saves)
    cumulative_monthly_saving: float

    @property
    def empty(self) -> bool:
        return self.workloads == 0


@dataclass(frozen=True)
class EmptyRun:
    """Consecutive waves that move nothing."""

    first: int
    last: int
    start: dt.date
    end: dt.date

    @property
    def count(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class PhaseRow:
    name: str
    start: dt.date
    end: dt.date
    waves: tuple[int, ...]
    workloads: int
    busy_waves: int  # waves of the phase that move something


@dataclass(frozen=True)
class MoveRow:
    workload: str
    app: str
    env: str
    wave: Optional[int]
    from_site: str
    to_site: str
    to_kind: str
    to_country: str
    one_time: float
    monthly_before: float
    monthly_after: float


def _count_text(pairs: Sequence[tuple[str, int]]) -> str:
    """`mad-dc1 ×3, bcn-dc1`."""
    return ", ".join(f"{sid} ×{n:,}" if n > 1 else sid for sid, n in pairs)


def _field(obj: Any, name: str) -> Any:
    """`obj.name` or `obj[name]`, None when absent (plan.json readers ignore what they do not know)."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _as_date(value: Any) -> Optional[dt.date]:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def phases(plan: Plan, waves: Sequence[Wave], busy: set[int]) -> tuple[dict[int, str], list[PhaseRow]]:
    """Each wave's phase, and the phases (plan.json's schedule block, else the half-years the waves start in)."""
    given = _field(_field(plan, "schedule"), "phases")
    phase_of: dict[int, str] = {wv.number: str(wv.phase) for wv in waves if _field(wv, "phase")}
    size = {wv.number: len(wv.workloads) for wv in waves}
    rows: list[PhaseRow] = []
    if isinstance(given, (list, tuple)) and given:
        for p in given:
            name, start, end = _field(p, "phase"), _as_date(_field(p, "start")), _as_date(_field(p, "end"))
            numbers = tuple(sorted(int(n) for n in (_field(p, "waves") or [])))
            if name is None or start is None or end is None:
                rows = []
                break
            for n in numbers:
                phase_of.setdefault(n, str(name))
            rows.append(PhaseRow(str(name), start, end, numbers, sum(size.get(n, 0) for n in numbers), sum(n in busy for n in numbers)))
    for wv in waves:
        phase_of.setdefault(wv.number, phase_name(wv.start))  # older plans name no phases
    if not rows:
        rows = [PhaseRow(p.phase, p.start, p.end, p.waves, sum(size.get(n, 0) for n in p.waves), sum(n in busy for n in p.waves))
                for p in phases_of(list(waves))]
    rows.sort(key=lambda r: (r.start, r.name))
    return phase_of, rows


def wave_rows(estate: Estate, arr: PlanArrays, waves: Sequence[Wave], deltas: dict[int, WaveDelta], phase_of: dict[int, str]) -> list[WaveRow]:
    """Every wave (empty ones too) with its move groups, effort, one-time cost and what it saves a month."""
    t = estate.table
    n_apps = len(t.app.names)
    out: list[WaveRow] = []
    cumulative = 0.0
    effort = estate.effort
    site_ids = [s.id for s in estate.sites]
    for wv in sorted(waves, key=lambda w: w.number):
        members = np.nonzero(arr.wave == wv.number)[0]
        gkey = t.app.codes[members].astype(np.int64) * 2 + t.is_prod[members].astype(np.int64)
        distinct, inverse, counts = np.unique(gkey, return_inverse=True, return_counts=True)
        inverse = inverse.ravel()
        order = np.lexsort((distinct, -counts))  # largest first, then by app
        groups = []
        for g in order[:output_limits.current().listed_groups].tolist():
            rows = members[inverse == g]
            app = t.app.names[int(distinct[g]) // 2] if n_apps else ""
            prod = bool(int(distinct[g]) % 2)
            groups.append(GroupMove(f"{app} {'production' if prod else 'non-production'}", app, prod, int(counts[g]),
                                    _site_counts(t.current_site[rows], site_ids), _site_counts(arr.site[rows], site_ids)))
        d = deltas.get(wv.number)
        saving = -(d.run + d.egress) if d is not None else 0.0
        cumulative += saving
        listed = sum(g.workloads for g in groups)
        out.append(WaveRow(wv.number, phase_of[wv.number], wv.number <= estate.scenario.waves.pilot_waves, wv.start, wv.end,
                           (wv.end - wv.start).days + 1, len(wv.workloads), tuple(groups), len(distinct), len(members) - listed,
                           float(effort[members].sum()), float(arr.one_time[members].sum()), saving, cumulative))
    return out


def _site_counts(site_no: np.ndarray, site_ids: Sequence[str]) -> tuple[tuple[str, int], ...]:
    counts = Counter(np.asarray(site_no).tolist())
    return tuple((site_ids[j], n) for j, n in sorted(counts.items(), key=lambda kv: (-kv[1], site_ids[kv[0]])))


def empty_runs(rows: Sequence[WaveRow]) -> list[EmptyRun]:
    """Runs of consecutive waves that move nothing."""
    out: list[EmptyRun] = []
    for w in rows:
        if not w.empty:
            continue
        if out and out[-1].last == w.number - 1:
            prev = out[-1]
            out[-1] = EmptyRun(prev.first, w.number, prev.start, w.end)
        else:
            out.append(EmptyRun(w.number, w.number, w.start, w.end))
    return out


def moves(estate: Estate, arr: PlanArrays) -> tuple[list[MoveRow], int]:
    """The first `OutputLimits.listed_moves` moves by wave, app and workload, and how many moves there are."""
    t = estate.table
    rows = np.nonzero(arr.moves)[0]
    wave = np.where(arr.wave[rows] > 0, arr.wave[rows], np.iinfo(np.int64).max)
    app_rank = np.argsort(np.argsort(np.array(t.app.names, dtype=object))) if len(t.app.names) else np.zeros(0, dtype=np.int64)
    order = np.lexsort((rows, app_rank[t.app.codes[rows]] if len(rows) else rows, wave))
    out = []
    for i in rows[order][:output_limits.current().listed_moves].tolist():
        s = estate.sites[int(arr.site[i])]
        out.append(MoveRow(t.ids[i], t.app.names[int(t.app.codes[i])], t.env.names[int(t.env.codes[i])],
                           int(arr.wave[i]) or None, t.site_ids[int(t.current_site[i])], s.id, s.kind.value, estate.site_country(s),
                           float(arr.one_time[i]), float(arr.stay[i]), float(arr.monthly[i])))
    return out, len(rows)


__all__ = ["EmptyRun", "GroupMove", "MoveRow", "PhaseRow", "WaveRow", "empty_runs", "moves",
           "phases", "wave_rows"]
