"""Stability against a baseline: among plans no dearer than the one found, the fewest moves off the baseline.

Every island that moves anything off its baseline sites offers two more plans: the fewest
moves at no extra cost within the island, and the nearest to the baseline at any cost. Classes
offer their sites. A last MIP picks one plan per island and a count per class site, fewest
moves first, under every capacity row and a total cost no higher than the plan found, so it
also finds swaps between islands that share a full site. The cost never rises and every rule
still holds.
"""

from __future__ import annotations

import time
from typing import Optional

import numpy as np

from planner.domain.estate import Estate
from planner.domain.model import SolverSettings
from planner.solve.assign import assign_classes, class_counts
from planner.solve.candidates import Candidates
from planner.solve.core import Core
from planner.solve.guards import check_island_plans
from planner.solve.master import ClassColumns, columns_of_classes, joined
from planner.solve.matrices import Columns, SubModel
from planner.solve.reduce import Reduced
from planner.solve.solvers import solve_mip, solver


def prefer_baseline(estate: Estate, cands: Candidates, core: Core, classes: ClassColumns, red: Reduced, choice: np.ndarray,
                    base_site: np.ndarray, settings: SolverSettings, deadline: float) -> None:
    """Rewrite `choice` (entries per workload) to the fewest baseline moves at no higher cost, when one exists."""
    off_col = np.zeros(core.n_cols)
    x = core.entry >= 0
    off_col[x] = ((core.col_site[x] != base_site[core.col_workload[x]]) & (base_site[core.col_workload[x]] >= 0)).astype(float)
    on = np.zeros(core.n_cols, dtype=bool)
    chosen_entry = np.zeros(len(cands.site), dtype=bool)
    chosen_entry[choice] = True
    on[x] = chosen_entry[core.entry[x]]
    on[~x] = _y_values(core, on)
    plans: list[tuple[int, np.ndarray, float, float]] = []  # (island, columns at 1, cost, moves)
    current_cost = 0.0
    alternatives = 0
    for k in range(core.n_islands):
        c0, c1 = int(core.col_ptr[k]), int(core.col_ptr[k + 1])
        cols = c0 + np.nonzero(on[c0:c1])[0]
        cost = float(core.cost[cols].sum())
        current_cost += cost
        moves = float(off_col[cols].sum())
        plans.append((k, cols, cost, moves))
        if moves == 0:
            continue
        sub = core.island(k)
        weight = 1.0 / (2.0 * (float(np.abs(sub.cost).sum()) + 1.0))
        for limit in (cost + 0.005, None):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            probe = SubModel(sub.n_x, sub.n_y, off_col[c0:c1] + weight * sub.cost, sub.row_lower, sub.row_upper, sub.start,
                             sub.index, sub.value)
            if limit is not None:
                probe = _with_row(probe, sub.cost, limit)
            res = solve_mip(probe, settings.backend, 0.0, time_limit=left, lp_first=False)
            if res.x is not None:
                alt = c0 + np.nonzero(np.round(res.x[: c1 - c0]) > 0.5)[0]
                plans.append((k, alt, float(core.cost[alt].sum()), float(off_col[alt].sum())))
                alternatives += 1
    class_moves = np.zeros(len(classes))
    if len(classes):
        members = red.class_rep[classes.klass]
        class_moves = ((cands.site[classes.entry] != base_site[members]) & (base_site[members] >= 0)).astype(float)
        counts = class_counts(cands, red, classes, choice)
        current_cost += float(classes.cost @ counts)
        if not alternatives and not (class_moves * counts).any():
            return
    elif not alternatives:
        return
    picked = _pick(core, plans, classes, class_moves, red.capacity.limit, current_cost + 0.005, max(deadline - time.monotonic(), 1.0),
                   settings.backend)
    if picked is None:
        return
    chosen_plans, class_count = picked
    check_island_plans(core, {plans[p][0]: plans[p][1] for p in chosen_plans}, "stability")
    for p in chosen_plans:
        cols = plans[p][1]
        xs = cols[core.entry[cols] >= 0]
        choice[core.col_workload[xs]] = core.entry[xs]
    if len(classes):
        assign_classes(cands, red, classes, class_count, choice)


def _y_values(core: Core, on: np.ndarray) -> np.ndarray:
    """Each y column's value under the x values `on`: 1 where its dependant sits on its site and the target not."""
    y = np.nonzero(core.entry < 0)[0]
    out = np.zeros(len(y), dtype=bool)
    if len(y) == 0:
        return out
    # Egress rows are the rows holding a y column: y - x[a,s] + x[b,s] >= 0.
    from planner.solve.core import EGRESS

    rows = np.nonzero(core.row_kind == EGRESS)[0]
    trip = core.start[rows][:, None] + np.arange(3)  # an egress row holds exactly y, x[a,s] (-1) and x[b,s] (+1)
    cols, vals = core.index[trip], core.value[trip]
    is_y = core.entry[cols] < 0
    ycol = cols[is_y]
    xa = cols[~is_y & (vals < 0)]
    xb = cols[~is_y & (vals > 0)]
    val = on[xa] & ~on[xb]
    pos = np.searchsorted(y, ycol)
    out[pos] = val
    return out


def _with_row(sub: SubModel, coef: np.ndarray, upper: float) -> SubModel:
    n = sub.n_cols
    return SubModel(sub.n_x, sub.n_y, sub.cost, np.append(sub.row_lower, -np.inf), np.append(sub.row_upper, upper),
                    np.append(sub.start, sub.start[-1] + n), np.concatenate([sub.index, np.arange(n)]), np.concatenate([sub.value, coef]),
                    sub.int_upper)


def _pick(core: Core, plans: list, classes: ClassColumns, class_moves: np.ndarray, limit: np.ndarray, budget: float,
          time_limit: float, backend: str) -> Optional[tuple[list[int], np.ndarray]]:
    """One plan per island and counts per class column: fewest moves, capacity kept, total cost within `budget`."""
    n_isl = core.n_islands
    n_k = len(classes.size)
    n_r = len(limit)
    lower = np.concatenate([np.ones(n_isl), classes.size.astype(float), np.full(n_r + 1, -np.inf)])
    upper = np.concatenate([np.ones(n_isl), classes.size.astype(float), limit, [budget]])
    cap0, budget_row = n_isl + n_k, n_isl + n_k + n_r
    entries = []
    for k, cols, cost, moves in plans:
        rows, vals = core.use(cols)
        entries.append((moves, 1.0, np.concatenate([[k], cap0 + rows, [budget_row]]), np.concatenate([[1.0], vals, [cost]])))
    model = Columns.build(entries, lower, upper)
    if len(classes):
        model = joined(model, columns_of_classes(classes, np.arange(len(classes)), n_isl, cap0, lower, upper, extra=classes.cost))
        model.cost[len(plans):] = class_moves
    res = solver(backend).mip(model, time_limit=time_limit)
    if res.x is None:
        return None
    chosen = [p for p in range(len(plans)) if res.x[p] > 0.5]
    return chosen, np.round(res.x[len(plans):]).astype(np.int64)
