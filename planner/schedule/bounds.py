"""How good a schedule is: its value, upper bounds on any schedule's, and the empty runs of waves explained."""

from __future__ import annotations

import heapq
from collections import defaultdict
from typing import Optional

import numpy as np

from planner.domain.estate import Estate
from planner.schedule.calendar import months_after, wave_dates
from planner.schedule.capacity import RESOURCES, _Room, capacity_limit, over_capacity
from planner.schedule.types import _Edge, _Unit
from planner.solve.matrices import Columns
from planner.solve.solvers import relaxed_value

# The relaxation that tightens the bound of a schedule is solved up to this many (unit, wave) columns: past it, it
# costs more than the rest of the schedule (the 20,000-workload synthetic estate: 19,472 columns, 0.6 s; the
# 100,000 one: 98,081 columns, 10 s, for a bound 0.04% below the Lagrangian one), and the Lagrangian bound is
# reported instead.
LP_MAX_COLUMNS = 30_000
LP_MAX_NONZEROS = 5_000_000
LP_MAX_ITERATIONS = 500_000  # a work limit: past it no bound is claimed from the relaxation
LAGRANGE_STEPS = 400  # subgradient steps of the Lagrangian bound: a work limit (every step's value is a bound)
LAGRANGE_PATIENCE = 20  # steps without a lower value before the step size halves


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


def _lp_built(units: list[_Unit]) -> bool:
    """Whether :func:`_lp_bound` builds its relaxation for these units: one column per unit and wave of its window, at
    most ``LP_MAX_COLUMNS`` of them."""
    return 0 < sum(max(u.hi - u.lo + 1, 0) for u in units) <= LP_MAX_COLUMNS


def _lp_bound(estate: Estate, units: list[_Unit], edges: list[_Edge], room: "_Room") -> Optional[float]:
    """A tighter bound than :func:`_upper_bound` for large estates: the linear relaxation of the wave model with every
    rule but the production/non-production split of waves and integrality (windows, order edges, count and effort
    limits, capacity between waves as the room left carried from wave to wave: one column per site, resource and wave,
    at least 0, so each column of a unit's wave sits in one row per site, not in every later wave's). None when the
    model is too large or HiGHS proves nothing within its iteration limit."""
    if not _lp_built(units):
        return None
    import scipy.sparse as sp

    rules = estate.scenario.waves
    top = max(u.hi for u in units)
    months = np.array([0.0] + [months_after(estate, k) for k in range(1, top + 1)])
    lo = np.array([u.lo for u in units], dtype=np.int64)
    hi = np.array([u.hi for u in units], dtype=np.int64)
    width = np.maximum(hi - lo + 1, 0)
    n_x = int(width.sum())
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
    n_room = 0  # room columns, after the x columns
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
            # room left after wave k = room after wave k - 1 - what wave k brings (today's room before wave 1): one
            # row and one room column (>= 0, which is the capacity row) per wave
            us = np.array([i for i in touching[c] if d[i] != 0.0], dtype=np.int64)
            if len(us) == 0:
                continue
            cs = np.concatenate([first[i] + np.arange(width[i]) for i in us.tolist()])
            dv = np.concatenate([np.full(width[i], d[i]) for i in us.tolist()])
            left = n_x + n_room + np.arange(top)  # room left after waves 1..top
            equals = np.concatenate([[max(capacity_limit(cap), today) - today], np.zeros(top - 1)])
            add(np.concatenate([cs, left, left[:-1]]), np.concatenate([dv, np.ones(top), -np.ones(top - 1)]),
                np.concatenate([k_of[cs] - 1, np.arange(top), np.arange(1, top)]), equals, equals)
            n_room += top
            if sum(len(a) for a in cols) > LP_MAX_NONZEROS:
                return None
    n = n_x + n_room
    a = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_row, n))
    cost = np.concatenate([-(saving[unit_of] * months[k_of]), np.zeros(n_room)])  # minimised: the savings negated
    model = Columns(cost, np.concatenate([np.ones(n_x), np.full(n_room, np.inf)]), a.indptr.astype(np.int64),
                    a.indices.astype(np.int64), a.data.astype(float), np.concatenate(r_lo), np.concatenate(r_hi))
    low = relaxed_value(model, LP_MAX_ITERATIONS)
    if low is None:
        return None
    value = -low
    return value + 1e-7 * abs(value) + 0.01  # the solver's tolerances, on the safe side


def _forest(n: int, edges: list[_Edge]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A spanning forest of the order edges, rooted: per unit its parent (-1 for a root), whether it moves before its
    parent, the edge's `strict` and its depth. An edge closing an undirected cycle is left out (a relaxation)."""
    adj: list[list[tuple[int, int, bool]]] = [[] for _ in range(n)]
    for e in edges:
        adj[e.u].append((e.v, e.strict, False))  # (neighbour, strict, whether the neighbour moves first)
        adj[e.v].append((e.u, e.strict, True))
    parent = np.full(n, -1, dtype=np.int64)
    first = np.zeros(n, dtype=bool)
    strict = np.zeros(n, dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    seen = np.zeros(n, dtype=bool)
    for r in range(n):
        if seen[r]:
            continue
        seen[r] = True
        stack = [r]
        while stack:
            x = stack.pop()
            for y, s, y_first in sorted(adj[x]):
                if not seen[y]:
                    seen[y] = True
                    parent[y], strict[y], first[y], depth[y] = x, s, y_first, depth[x] + 1
                    stack.append(y)
    return parent, first, strict, depth


def _sibling_ranks(par: np.ndarray) -> list[np.ndarray]:
    """Positions of `par` split by occurrence: those holding each value's first occurrence, then its second, ...

    ``for at in ranks: f[par[at]] += x[at]`` adds in the order ``np.add.at(f, par, x)`` does (each target's
    entries in array order), so every float is the same, at the cost of a plain indexed addition per rank."""
    order = np.argsort(par, kind="stable")
    start = np.searchsorted(par[order], par[order], side="left")
    rank = np.empty(len(par), dtype=np.int64)
    rank[order] = np.arange(len(par)) - start
    return [np.nonzero(rank == r)[0] for r in range(int(rank.max()) + 1)] if len(par) else []


def _lagrangian_bound(estate: Estate, units: list[_Unit], edges: list[_Edge], room: "_Room",
                      floor: float) -> tuple[float, list[int]]:
    """An upper bound on the savings of any schedule, by Lagrangian relaxation, and the wave each unit takes in it.

    Why it is a bound: the wave-count, effort and capacity-between-waves rows (capacity as the load after each wave,
    at most the capacity or today's load when above it, which the exact rule implies) are moved into the objective
    with prices >= 0: L(prices) = max over assignments of savings - sum(price * (row's use - its limit)). Any
    schedule keeping the rows makes each priced term >= 0, so L(prices) >= its savings for every price vector. What is
    left maximised keeps each unit's window and the order edges of a spanning forest of them (the rest, and the
    production/non-production split, dropped), and splits into one tree per component, solved exactly by dynamic
    programming over the waves. The prices follow subgradient steps (Polyak's, towards `floor`, any schedule's
    value) for ``LAGRANGE_STEPS`` steps; the least L seen is returned, padded for rounding."""
    import scipy.sparse as sp

    rules = estate.scenario.waves
    n_u = len(units)
    top = max(u.hi for u in units)
    ks = np.arange(1, top + 1)
    months = np.array([months_after(estate, k) for k in range(1, top + 1)])
    lo = np.array([u.lo for u in units], dtype=np.int64)
    hi = np.array([u.hi for u in units], dtype=np.int64)
    cnt = np.array([u.count for u in units], dtype=float)
    eff = np.array([u.effort for u in units], dtype=float)
    inside = (ks[None, :] >= lo[:, None]) & (ks[None, :] <= hi[:, None])
    base = np.where(inside, np.array([u.saving for u in units])[:, None] * months[None, :], -np.inf)
    caps = np.array([float(rules.max_workloads_in(k)) for k in range(1, top + 1)])
    hours = float(rules.max_effort_hours) + 1e-6  # as first-fit allows, and a little more
    parent, first, strict, depth = _forest(n_u, edges)
    levels = [np.nonzero(depth == d)[0] for d in range(int(depth.max()) + 1)]
    roots = levels[0]
    ranks = [_sibling_ranks(parent[lv]) for lv in levels[1:]]
    # per level (popped leaves up): the positions of units that move before their parent, after it, and of those
    # that do so in a strictly earlier or later wave
    level_sides = [(np.nonzero(first[lv])[0], np.nonzero(first[lv] & (strict[lv] == 1))[0],
                    np.nonzero(~first[lv] & (strict[lv] == 1))[0]) for lv in levels[1:]]
    # capacity rows: the (site, resource) pairs that some set of arrivals could push over capacity
    r_unit: list[int] = []
    r_row: list[int] = []
    r_val: list[float] = []
    slack: list[float] = []
    scale: list[float] = []
    touching: dict[int, list[tuple[int, np.ndarray]]] = defaultdict(list)
    for i, (cols, delta, _) in enumerate(room.touch):
        for j, c in enumerate(cols.tolist()):
            touching[c].append((i, delta[j]))
    for c in sorted(touching):
        for r in range(len(RESOURCES)):
            cap, today = float(room.cap[c, r]), float(room.today[c, r])
            d = [(i, float(v[r])) for i, v in touching[c] if v[r] != 0.0]
            if not np.isfinite(cap) or not d or not over_capacity(np.array(today + sum(max(0.0, v) for _, v in d)), np.array(cap)):
                continue
            for i, v in d:
                r_unit.append(i)
                r_row.append(len(slack))
                r_val.append(v)
            slack.append(max(capacity_limit(cap), today) - today)  # the exact rule's own rounding room
            scale.append(max(cap, today, 1.0))
    n_r = len(slack)
    use = sp.csr_matrix((np.array(r_val, dtype=float), (np.array(r_unit, dtype=np.int64), np.array(r_row, dtype=np.int64))),
                        shape=(n_u, n_r))
    use_t = use.T.tocsr()
    room_left, room_scale = np.array(slack, dtype=float), np.array(scale, dtype=float)
    lam, mu, pi = np.zeros(top), np.zeros(top), np.zeros((n_r, top))  # prices: count, effort, capacity rows
    best, theta, since = np.inf, 2.0, 0
    guide = np.zeros(n_u, dtype=np.int64)
    col = np.arange(top)[None, :]
    f, scratch = np.empty((n_u, top)), np.empty((n_u, top))  # reused: two (unit, wave) arrays fewer per step
    for _ in range(LAGRANGE_STEPS):
        np.multiply(cnt[:, None], lam[None, :], out=scratch)  # base - cnt * lam - eff * mu, in that order
        np.subtract(base, scratch, out=f)
        np.multiply(eff[:, None], mu[None, :], out=scratch)
        f -= scratch
        if n_r:
            f -= use @ np.cumsum(pi[:, ::-1], axis=1)[:, ::-1]  # a unit placed by wave k uses the rows of k and after
        sides, subs = list(level_sides), []
        for lv, by_rank in zip(reversed(levels[1:]), reversed(ranks)):  # leaves up: a subtree's best value for each wave of its root
            sub = f[lv]
            subs.append(sub)  # its rows of f stay as they are now: only the levels above still change
            b, one_b, one_a = sides.pop()
            msg = np.maximum.accumulate(sub[:, ::-1], axis=1)[:, ::-1]  # moves after its parent: best wave at or after k
            if len(b):
                msg[b] = np.maximum.accumulate(sub[b], axis=1)  # moves first (few do): at or before k
            shifted, early, late = msg, msg[one_b], msg[one_a]
            shifted[one_b, 1:], shifted[one_b, 0] = early[:, :-1], -np.inf  # by wave k - 1 when its parent moves in k
            shifted[one_a, :-1], shifted[one_a, -1] = late[:, 1:], -np.inf  # from wave k + 1
            for at in by_rank:
                f[parent[lv[at]]] += shifted[at]
        ch = np.zeros(n_u, dtype=np.int64)
        at_roots = f[roots]
        ch[roots] = np.argmax(at_roots, axis=1)
        value = float(at_roots[np.arange(len(roots)), ch[roots]].sum() + lam @ caps + mu.sum() * hours
                      + (pi * room_left[:, None]).sum())
        if not np.isfinite(value):
            return np.inf, [u.lo for u in units]  # a tree without a wave for every unit: the windows say why first
        for lv, sub, (b, _, _) in zip(levels[1:], reversed(subs), level_sides):  # root down: each unit's best wave given its parent's
            kp, s = ch[parent[lv]][:, None], strict[lv][:, None]
            ok = col >= kp + s
            ok[b] = col <= kp[b] - s[b]
            ch[lv] = np.argmax(np.where(ok, sub, -np.inf), axis=1)
        if value < best:
            best, since, guide = value, 0, ch
        else:
            since += 1
            if since >= LAGRANGE_PATIENCE:
                theta, since = theta / 2, 0
        # subgradients, each row scaled by its limit; a zero price whose row is slack stays zero
        gc = (np.bincount(ch, cnt, top) - caps) / caps
        ge = (np.bincount(ch, eff, top) - hours) / hours
        gc[(lam <= 0) & (gc < 0)] = 0.0
        ge[(mu <= 0) & (ge < 0)] = 0.0
        gp = np.zeros((n_r, top))
        if n_r:
            placed = sp.csr_matrix((np.ones(n_u), (np.arange(n_u), ch)), shape=(n_u, top))
            gp = (np.cumsum((use_t @ placed).toarray(), axis=1) - room_left[:, None]) / room_scale[:, None]
            gp[(pi <= 0) & (gp < 0)] = 0.0
        norm = float(gc @ gc + ge @ ge + (gp * gp).sum())
        if norm == 0.0 or value <= floor:
            break  # the relaxation's answer keeps every priced row: no lower price vector helps
        step = theta * (value - floor) / norm
        lam = np.maximum(0.0, lam + step * gc / caps)
        mu = np.maximum(0.0, mu + step * ge / hours)
        pi = np.maximum(0.0, pi + step * gp / room_scale[:, None]) if n_r else pi
    return best + 1e-7 * abs(best) + 0.01, (guide + 1).tolist()  # rounding of sums, on the safe side


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
