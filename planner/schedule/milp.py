"""The schedule's MILP (move groups at most a few hundred), warm-started from the heuristic, solved through the solver layer."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Optional

import numpy as np

from planner.domain.estate import Estate
from planner.domain.model import SolverSettings
from planner.schedule.calendar import months_after
from planner.schedule.capacity import RESOURCES, _Room, interim_breaches, over_capacity
from planner.schedule.types import ScheduleStatus, _Edge, _Unit
from planner.solve.solvers import for_pulp

CROSS_WAVE_DEPENDENCY_WEIGHT = 1.0


PEAK_WEIGHT = 0.01


EARLY_WEIGHT = 0.0001


WAVE_TIME_LIMIT_S = 60.0  # a safety net only: the node limit below is what bounds the search


WAVE_MAX_NODES = 2000  # a work limit, not a clock, so the same inventory always gets the same schedule


def _milp(estate: Estate, settings: SolverSettings, units: list[_Unit], edges: list[_Edge], pairs: dict[tuple[int, int], int],
          warm: Optional[list[int]], room: "_Room") -> tuple[Optional[list[int]], Optional[ScheduleStatus]]:
    """The MILP of the module docstring, warm-started: each unit's wave and `optimal`/`feasible`, or (None, why).

    Capacity between waves enters in rounds: a round solves the model with the load rows of the (site, resource)
    pairs found over capacity so far, and the next adds the pairs its answer overfills, until none is. Most pairs
    never bind, and each pair's rows make the search much harder; the last round's answer keeps every load row, so
    it is what the full model would answer. At most one round per pair that can overfill, each within the node limit.
    """
    import pulp

    candidates = _tight_pairs(units, room)
    kept: set[tuple[int, int]] = set()
    net = min(float(settings.time_limit_s), WAVE_TIME_LIMIT_S)
    began = time.perf_counter()  # the safety net covers every round together; the node limit is per round
    while True:
        prob, y, extra = _build(estate, units, edges, pairs, room, kept)
        left = max(1.0, net - (time.perf_counter() - began))
        prob.solve(for_pulp(settings.backend, left, float(settings.gap), WAVE_MAX_NODES, _start(units, y, extra, warm, room)))
        if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            return None, None
        wave = [0] * len(units)
        for (i, k), var in y.items():
            if (var.varValue or 0.0) > 0.5:
                wave[i] = k
        if any(k == 0 for k in wave):
            return None, None
        over = _overfilled(room.placed(wave), candidates) - kept
        if not over:  # every pair it overfills has its rows already (the model is looser than the exact rule there)
            return wave, ScheduleStatus.OPTIMAL if prob.sol_status == pulp.LpSolutionOptimal else ScheduleStatus.FEASIBLE
        kept |= over


def _start(units: list[_Unit], y: dict, extra: dict, warm: Optional[list[int]], room: "_Room") -> dict[str, float]:
    """The warm start's value of every variable, by name (empty without one)."""
    start: dict[str, float] = {}
    if warm is None:
        return start
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
    return start


def _tight_pairs(units: list[_Unit], room: "_Room") -> dict[tuple[int, int], list[int]]:
    """The (site column, resource) pairs that some set of arrivals could overfill, each with the units touching it."""
    touching: dict[int, list[int]] = defaultdict(list)
    for i, (cols, _, _) in enumerate(room.touch):
        for c in cols.tolist():
            touching[c].append(i)
    out: dict[tuple[int, int], list[int]] = {}
    for c in sorted(touching):
        for r in range(len(RESOURCES)):
            cap, today = float(room.cap[c, r]), float(room.today[c, r])
            grow = sum(max(0.0, float(room.touch[i][1][np.searchsorted(room.touch[i][0], c), r])) for i in touching[c])
            if np.isfinite(cap) and over_capacity(np.array(today + grow), np.array(cap)):
                out[c, r] = touching[c]
    return out


def _overfilled(room: "_Room", candidates: dict[tuple[int, int], list[int]]) -> set[tuple[int, int]]:
    """The candidate pairs where the placed schedule breaks capacity between waves after some wave."""
    bad = interim_breaches(room.load, room.adds, room.cap)
    return {(c, r) for c, r in zip(*(a.tolist() for a in np.nonzero(bad.any(axis=0)))) if (c, r) in candidates}


def _build(estate: Estate, units: list[_Unit], edges: list[_Edge], pairs: dict[tuple[int, int], int],  # noqa: ANN202
           room: "_Room", kept: Optional[set[tuple[int, int]]] = None):
    """The wave MILP: (problem, y by (unit, wave), {"z", "peak", "cross", "load"}), with the load rows of the
    (site, resource) pairs in `kept` (None: of every pair some arrivals could overfill)."""
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
    tight = _tight_pairs(units, room)
    load = _load_rows(prob, y, room, top, {p: us for p, us in tight.items() if kept is None or p in kept})
    return prob, y, {"z": z, "peak": peak, "cross": cross, "load": load}


def _load_rows(prob, y: dict, room: "_Room", top: int, tight: dict[tuple[int, int], list[int]]) -> dict:  # noqa: ANN001
    """Capacity between waves in the MILP: a load variable per (site, resource) pair of `tight` and wave, carried from
    wave to wave by the units placed in it and bounded by the capacity (a site over it today: by today's load, so it
    only shrinks; the exact rule is checked on the solution)."""
    import pulp

    load: dict[tuple[int, int, int], pulp.LpVariable] = {}
    for (c, r), touching in sorted(tight.items()):
        cap, today = float(room.cap[c, r]), float(room.today[c, r])
        limit = max(cap, today)
        previous: object = today
        for k in range(1, top + 1):
            terms = [(y[i, k], float(room.touch[i][1][np.searchsorted(room.touch[i][0], c), r]))
                     for i in touching if (i, k) in y]
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
