"""From the priced relaxation to one plan, and the proof of how good it is.

1. The integer master: islands and classes the relaxed master left integral keep their plan;
   for the few it left fractional (at most about as many as there are capacity rows) a choice
   among their priced plans, and only when that misses the rounding's allowance their full models
   in one MIP, under what capacity the others leave. Then a choice among every priced plan that
   could still beat it (by its reduced cost at the bound's prices), searched near its LP optimum,
   can only improve it.
2. When that plan is not yet within the scenario's gap of the Lagrangian bound, reduced-cost
   fixing (exact): with `D = plan - bound`, any better plan gives each island a plan whose
   priced cost exceeds the island's bound by at most D. An island none of whose other plans
   can be that cheap (a lower bound from its workloads' priced site costs says so) keeps its
   plan; the remaining *free* islands and classes are solved together, exactly, as one MILP
   under the capacity the fixed ones leave. Its optimum is then the estate's, and its bound
   a proof for the estate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np

from planner.solve import limits
from planner.solve.core import Core
from planner.solve.master import ClassColumns, solve_integer_master
from planner.solve.matrices import SubModel, ranges
from planner.solve.pricing import Priced
from planner.solve.solvers import solve_mip

if TYPE_CHECKING:
    from planner.solve.pool import IslandPool



@dataclass
class Integer:
    """One plan: per linked island its columns at 1, per class column its count; its cost and a proven bound."""

    island_cols: dict[int, np.ndarray]
    class_count: np.ndarray
    cost: float
    bound: float
    proven_by: str  # "pricing" | "fixing"


def integer_master(core: Core, linked: np.ndarray, classes: ClassColumns, limit: np.ndarray, cg: Priced,
                   time_limit: float, backend: str, threads: int, abs_gap: float = 0.0) -> Optional[Integer]:
    """Round the relaxed master: keep what it left integral; choose among their priced plans for the rest under the
    capacity the others leave (else solve their full models as one MILP, else choose again for every island)."""
    plans = cg.plans
    isl = np.array(plans.island, dtype=np.int64)
    x = cg.master_x if len(cg.master_x) == len(plans) else np.zeros(len(plans))
    pos = np.full(core.n_islands, -1, dtype=np.int64)
    pos[linked] = np.arange(len(linked))
    whole = x >= 1 - 1e-6
    integral = np.zeros(len(linked), dtype=bool)
    integral[pos[isl[whole]]] = True
    chosen = {int(isl[p]): p for p in np.nonzero(whole)[0].tolist()}
    cx = cg.class_x if len(cg.class_x) == len(classes) else np.zeros(len(classes))
    class_frac = np.zeros(len(classes.size), dtype=bool)
    np.logical_or.at(class_frac, classes.klass, np.abs(cx - np.round(cx)) > 1e-6)
    if len(cx) == 0 and len(classes):
        class_frac[:] = True
    used = np.zeros(len(limit))
    for k, p in chosen.items():
        used[plans.use_rows[p]] += plans.use_vals[p]
    fixed_class_cols = ~class_frac[classes.klass]
    counts = np.where(fixed_class_cols, np.round(cx), 0).astype(np.int64) if len(cx) else np.zeros(len(classes), np.int64)
    used += _class_use(classes, counts, len(limit))
    todo = [int(k) for k in linked[~integral].tolist()]
    free_cols = np.nonzero(~fixed_class_cols)[0]
    result = None
    overfilled = bool((used > limit + 1e-6 * np.maximum(1.0, np.abs(limit))).any())
    if overfilled:  # the relaxed master still leans on an overfill column: nothing it chose can be kept as it is
        todo, free_cols, result = [], np.zeros(0, np.int64), None
    if (todo or len(free_cols)) and not overfilled:
        # First a choice among the fractional islands' priced plans (a small MIP with the master's tight LP), stopping
        # at the first within the rounding's allowance; only when no choice fits are their full models solved together,
        # stopping at the first plan within the allowance (the bound is the pricing's either way).
        kept_cost = float(sum(plans.cost[p] for p in chosen.values())) + float(classes.cost @ counts)
        target = cg.bound + abs_gap - kept_cost
        todo_set = set(todo)
        ids = [p for p in range(len(plans)) if plans.island[p] in todo_set]
        result = solve_integer_master(plans, ids, todo, classes, free_cols, limit - used, limits.current().mip_nodes, time_limit,
                                      backend, abs_gap=abs_gap, target=target)
        if result is None:
            # No choice among their priced plans fits what the others leave: their full models, solved together. A
            # choice that fits but misses the rounding's target is kept as it is: the choice among every priced plan and
            # the fixing after it close that gap sooner, and to a plan no dearer, than solving these full models did.
            exact = _exact_rest(core, np.array(todo, dtype=np.int64), classes, free_cols, limit - used, time_limit, backend,
                                threads, abs_gap, target)
            if exact is not None:
                island_cols, free_counts, _ = exact
                cols = {k: plans.cols[p] for k, p in chosen.items()}
                cols.update(island_cols)
                counts[free_cols] = free_counts
                cost = float(sum(core.cost[c].sum() for c in cols.values())) + float(classes.cost @ counts)
                return Integer(cols, counts, cost, cg.bound, "pricing")
    if result is None and (todo or len(free_cols) or overfilled):
        # The fractional ones cannot fit what the others leave: choose for every island and class again.
        ids = list(range(len(plans)))
        result = solve_integer_master(plans, ids, [int(k) for k in linked.tolist()], classes, np.arange(len(classes)), limit,
                                      limits.current().mip_nodes, time_limit, backend)
        if result is None:
            return None
        chosen = {}
        counts = np.zeros(len(classes), dtype=np.int64)
        free_cols = np.arange(len(classes))
    if result is not None:
        picked, free_counts = result
        for p in picked:
            chosen[int(plans.island[p])] = p
        counts[free_cols] = free_counts
    cols = {k: plans.cols[p] for k, p in chosen.items()}
    cost = float(sum(plans.cost[p] for p in chosen.values())) + float(classes.cost @ counts)
    return Integer(cols, counts, cost, cg.bound, "pricing")


def choose_among_plans(core: Core, linked: np.ndarray, classes: ClassColumns, limit: np.ndarray, cg: Priced, plan: Integer,
                       time_limit: float, backend: str, allowance: float = 0.0, neighbourhood: Optional[float] = None) -> Integer:
    """A cheaper plan when the priced plans hold one: a MIP choosing one plan per island among those that could
    still beat `plan`, class counts among the class columns that could, the rest kept as they are.

    Any plan cheaper than `plan` has every island's priced cost within `plan.cost - bound` of its bound at
    the prices of the bound (each island's excess is >= 0 and they add up below that slack), so plans
    further out cannot be in it, and an island with one plan left keeps it. A restricted master:
    the bound does not change, only the plan; the current plan is its first incumbent, so it never gets dearer.
    The search stops at the first plan within `allowance` of the bound (a plan already there is kept as it is); with a
    `neighbourhood`, it only offers the plans and class columns within that reduced cost of the choice's LP optimum.
    """
    slack = plan.cost - cg.bound
    if slack <= max(0.0, allowance) or (not len(linked) and not len(classes)):
        return plan
    plans = cg.plans
    current = {k: plans.add(core, k, cols) for k, cols in plan.island_cols.items()}
    pos = np.full(core.n_islands, -1, dtype=np.int64)
    pos[linked] = np.arange(len(linked))
    isl = pos[np.array(plans.island, dtype=np.int64)]
    keep = plans.priced(cg.price) - cg.island_bound[isl] <= slack * (1 + 1e-9) + 1e-6
    keep[list(current.values())] = True
    free_island = np.bincount(isl[keep], minlength=len(linked)) > 1
    free_class, class_cols = _free_classes(classes, cg.price, slack, plan.class_count)
    ids = np.nonzero(keep & free_island[isl])[0]
    if (not len(ids) and not len(class_cols)) or len(ids) + len(class_cols) > limits.current().choice_columns:
        return plan
    free = linked[free_island]
    used = np.zeros(len(limit))
    for k in linked[~free_island].tolist():
        p = current[k]
        used[plans.use_rows[p]] += plans.use_vals[p]
    counts = np.where(free_class[classes.klass], 0, plan.class_count) if len(classes) else np.zeros(0, np.int64)
    used += _class_use(classes, counts, len(limit))
    start = ({current[k] for k in free.tolist()}, plan.class_count[class_cols])
    kept_cost = float(sum(plans.cost[current[k]] for k in linked[~free_island].tolist()))
    kept_cost += float(classes.cost @ counts) if len(classes) else 0.0
    target = cg.bound + allowance - kept_cost if allowance > 0 else None
    res = solve_integer_master(plans, ids.tolist(), free.tolist(), classes, class_cols, limit - used, limits.current().choice_nodes,
                               time_limit, backend, start=start, target=target, neighbourhood=neighbourhood)
    if os.environ.get("PLANNER_DEBUG"):
        print(f"choice: {len(free)} of {len(linked)} islands free, {len(ids)} plans, {len(class_cols)} class columns, "
              f"slack {slack:,.0f}: {'none' if res is None else 'found'}")
    if res is None:
        return plan
    picked, free_counts = res
    island_cols = dict(plan.island_cols)
    for p in picked:
        island_cols[int(plans.island[p])] = plans.cols[p]
    counts[class_cols] = free_counts
    cost = float(sum(core.cost[c].sum() for c in island_cols.values())) + (float(classes.cost @ counts) if len(classes) else 0.0)
    if cost >= plan.cost - 1e-9:
        return plan
    return Integer(island_cols, counts, cost, plan.bound, plan.proven_by)


def _free_classes(classes: ClassColumns, price: np.ndarray, slack: float, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The classes a plan cheaper by up to `slack` could still change, and their columns: those priced within the
    slack of their class's cheapest (or in use), in classes with two or more such columns."""
    if not len(classes):
        return np.zeros(len(classes.size), dtype=bool), np.zeros(0, dtype=np.int64)
    priced = classes.priced(price)
    best = np.full(len(classes.size), np.inf)
    np.minimum.at(best, classes.klass, priced)
    alive = (priced - best[classes.klass] <= slack * (1 + 1e-9) + 1e-6) | (count > 0)
    free = np.bincount(classes.klass[alive], minlength=len(classes.size)) > 1
    return free, np.nonzero(alive & free[classes.klass])[0]


def _exact_rest(core: Core, islands: np.ndarray, classes: ClassColumns, class_cols: np.ndarray, limit: np.ndarray,
                time_limit: float, backend: str, threads: int, abs_gap: float, target: Optional[float] = None,
                ) -> Optional[tuple[dict[int, np.ndarray], np.ndarray, float]]:
    """`islands` and the class columns `class_cols` solved together, within `abs_gap` (or at the first plan costing at
    most `target`), under `limit`: (island columns, class counts, cost), or None when they do not fit."""
    sub, glob = merged_model(core, islands, classes, class_cols, limit)
    res = solve_mip(sub, backend, 0.0, abs_gap=abs_gap, time_limit=time_limit, threads=threads, lp_first=False, target=target)
    if res.x is None:
        return None
    x = np.round(res.x)
    nxy = sub.n_x + sub.n_y
    on = glob[np.nonzero(x[:nxy] > 0.5)[0]]
    out = {}
    for k in islands.tolist():
        c0, c1 = int(core.col_ptr[k]), int(core.col_ptr[k + 1])
        out[k] = on[(on >= c0) & (on < c1)]
    counts = x[nxy:].astype(np.int64)
    cost = float(sum(core.cost[c].sum() for c in out.values())) + float(classes.cost[class_cols] @ counts)
    return out, counts, cost


def _class_use(classes: ClassColumns, counts: np.ndarray, n_rows: int) -> np.ndarray:
    use = np.zeros(n_rows)
    for j in range(classes.cap_row.shape[1]):
        rows = classes.cap_row[:, j]
        ok = rows >= 0
        np.add.at(use, rows[ok], (classes.cap_coef[:, j] * counts)[ok])
    return use


def fix_and_close(core: Core, linked: np.ndarray, classes: ClassColumns, limit: np.ndarray, cg: Priced, plan: Integer,
                  outside: float, target_gap: float, backend: str, time_limit: float, threads: int, pool: "IslandPool") -> Integer:
    """Reduced-cost fixing, then what is left free solved exactly together (see the module docstring).

    `outside` is the cost of everything not in the linked islands and classes (the same in every plan), so
    that the gap is judged on the whole estate.
    """
    total_cost = plan.cost + outside
    slack = plan.cost - cg.bound
    if slack <= target_gap * abs(total_cost) or (not len(linked) and not len(classes)):
        return plan
    priced = core.cost + core.price_part(cg.price)
    on = np.zeros(core.n_cols, dtype=bool)
    for cols in plan.island_cols.values():
        on[cols] = True
    alive = on.copy()
    fixed_islands = np.zeros(len(linked), dtype=bool)
    if len(linked):
        # A plan using column e of island i costs at least LP_i + d_e at these prices (d: the LP's reduced costs):
        # with d_e above the island's allowance, e is in no plan better than the current one.
        lp_value, duals = pool.lp(linked, priced)
        allow = slack + np.maximum(0.0, cg.island_bound - lp_value)
        xcols = ranges(core.col_ptr[linked], core.n_x_of[linked])
        isl = np.repeat(np.arange(len(linked)), core.n_x_of[linked])
        ok = np.isfinite(lp_value)[isl]
        alive[xcols] |= ~ok | (duals[xcols] <= allow[isl] * (1 + 1e-9) + 1e-6)
        extra = np.bincount(isl, weights=(alive[xcols] & ~on[xcols]).astype(float), minlength=len(linked))
        fixed_islands = extra == 0
    free_class, class_cols = _free_classes(classes, cg.price, slack, plan.class_count)
    free = linked[~fixed_islands]
    n_cols = int((core.col_ptr[free + 1] - core.col_ptr[free]).sum()) + len(class_cols)
    if os.environ.get("PLANNER_DEBUG"):
        print(f"fixing: {len(free)} of {len(linked)} islands free, {int(free_class.sum())} classes, {n_cols} columns, "
              f"{int(alive.sum())} alive, slack {slack:,.0f}")
    if len(free) == 0 and len(class_cols) == 0:
        return Integer(plan.island_cols, plan.class_count, plan.cost, plan.cost, "fixing")
    if n_cols > limits.current().free_columns:
        return plan
    used = np.zeros(len(limit))
    fixed_cost = 0.0
    free_set = set(free.tolist())
    for k, cols in plan.island_cols.items():
        if k not in free_set:
            rows, vals = core.use(cols)
            used[rows] += vals
            fixed_cost += float(core.cost[cols].sum())
    counts = np.where(free_class[classes.klass], 0, plan.class_count) if len(classes) else np.zeros(0, np.int64)
    used += _class_use(classes, counts, len(limit))
    fixed_cost += float(classes.cost @ counts) if len(classes) else 0.0
    sub, glob = merged_model(core, free, classes, class_cols, limit - used)
    sub.x_upper = alive[glob[: sub.n_x]].astype(float)
    start = _start(core, glob, plan, classes, class_cols, sub)
    res = solve_mip(sub, backend, 0.0, abs_gap=0.9 * target_gap * abs(total_cost), time_limit=time_limit, start=start,
                    threads=threads, lp_first=False)
    if res.x is None:
        if res.status == "infeasible":  # nothing better exists: the current plan is optimal
            return Integer(plan.island_cols, plan.class_count, plan.cost, plan.cost, "fixing")
        return plan
    bound = min(plan.cost, fixed_cost + res.bound)
    if fixed_cost + res.objective >= plan.cost - 1e-9:
        return Integer(plan.island_cols, plan.class_count, plan.cost, max(plan.bound, bound), "fixing")
    x = np.round(res.x)
    nxy = sub.n_x + sub.n_y
    chosen = {k: c for k, c in plan.island_cols.items() if k not in free_set}
    picked = glob[np.nonzero(x[:nxy] > 0.5)[0]]
    for k in free.tolist():
        c0, c1 = int(core.col_ptr[k]), int(core.col_ptr[k + 1])
        chosen[k] = picked[(picked >= c0) & (picked < c1)]
    new_counts = counts.copy()
    new_counts[class_cols] = x[nxy:].astype(np.int64)
    return Integer(chosen, new_counts, fixed_cost + res.objective, max(plan.bound, bound), "fixing")


def merged_model(core: Core, islands: np.ndarray, classes: ClassColumns, class_cols: np.ndarray, limit: np.ndarray) -> tuple[SubModel, np.ndarray]:
    """Islands and class columns as one MILP with the capacity rows (limits: what the fixed part leaves)."""
    sub, glob = core.islands_model(islands)
    nxy = sub.n_x + sub.n_y
    # Capacity rows over the islands' x columns and the class columns.
    xg = glob[: sub.n_x]
    rows_x = core.cap_table[core.col_site[xg]]
    vals_x = core.amounts(core.col_workload[xg], core.col_site[xg])
    n_res = rows_x.shape[1]
    trip_row = [rows_x.ravel()]
    trip_col = [np.repeat(np.arange(sub.n_x), n_res)]
    trip_val = [vals_x.ravel()]
    if len(class_cols):
        trip_row.append(classes.cap_row[class_cols].ravel())
        trip_col.append(nxy + np.repeat(np.arange(len(class_cols)), n_res))
        trip_val.append(classes.cap_coef[class_cols].ravel())
    r, c, v = np.concatenate(trip_row), np.concatenate(trip_col), np.concatenate(trip_val)
    keep = (r >= 0) & (v != 0)
    r, c, v = r[keep], c[keep], v[keep]
    order = np.lexsort((c, r))
    r, c, v = r[order], c[order], v[order]
    n_cap = len(limit)
    cap_start = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=n_cap))])
    # Class rows: each class's columns add up to its size.
    klass = classes.klass[class_cols]
    uniq, kinv = np.unique(klass, return_inverse=True)
    korder = np.argsort(kinv, kind="stable")
    k_start = np.concatenate([[0], np.cumsum(np.bincount(kinv, minlength=len(uniq)))])
    start = np.concatenate([sub.start, sub.start[-1] + cap_start[1:], sub.start[-1] + cap_start[-1] + k_start[1:]])
    index = np.concatenate([sub.index, c, nxy + korder])
    value = np.concatenate([sub.value, v, np.ones(len(korder))])
    lower = np.concatenate([sub.row_lower, np.full(n_cap, -np.inf), classes.size[uniq].astype(float)])
    upper = np.concatenate([sub.row_upper, limit, classes.size[uniq].astype(float)])
    cost = np.concatenate([sub.cost, classes.cost[class_cols]])
    merged = SubModel(sub.n_x, sub.n_y, cost, lower, upper, start.astype(np.int64), index.astype(np.int64), value,
                      classes.size[klass].astype(float))
    return merged, glob


def _start(core: Core, glob: np.ndarray, plan: Integer, classes: ClassColumns, class_cols: np.ndarray, sub: SubModel) -> Optional[np.ndarray]:
    """The current plan restricted to the merged model, as a first incumbent (when it fits the fixed part)."""
    x = np.zeros(sub.n_cols)
    on = np.zeros(core.n_cols, dtype=bool)
    for cols in plan.island_cols.values():
        on[cols] = True
    x[: len(glob)] = on[glob]
    x[len(glob):] = plan.class_count[class_cols]
    return x


__all__ = ["Integer", "choose_among_plans", "fix_and_close", "integer_master", "merged_model"]
