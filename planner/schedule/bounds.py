"""How good a schedule is: its value, upper bounds on any schedule's, and the empty runs of waves explained."""

from __future__ import annotations

import heapq
from collections import defaultdict
from typing import Optional

import numpy as np

from planner.domain.estate import Estate
from planner.schedule.calendar import months_after, wave_dates
from planner.schedule.capacity import RESOURCES, _Room, over_capacity
from planner.schedule.types import _Edge, _Unit
from planner.solve.matrices import Columns
from planner.solve.solvers import relaxed_value

# The relaxation that tightens the bound of a schedule is solved up to this many (unit, wave) columns: past it, it
# costs more than the whole plan (43 s of a 77 s plan at 100,000 workloads, for a figure in the report), and the
# greedy bound is reported instead.
LP_MAX_COLUMNS = 60_000
LP_MAX_NONZEROS = 5_000_000
LP_MAX_ITERATIONS = 500_000  # a work limit: past it no bound is claimed from the relaxation


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
    model = Columns(-(saving[unit_of] * months[k_of]), np.ones(n_x), a.indptr.astype(np.int64), a.indices.astype(np.int64),
                    a.data.astype(float), np.concatenate(r_lo), np.concatenate(r_hi))  # minimised: the savings negated
    low = relaxed_value(model, LP_MAX_ITERATIONS)
    if low is None:
        return None
    value = -low
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
