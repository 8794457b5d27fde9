"""Placement: the cheapest assignment of workloads to sites under every hard rule.

Before any MILP, what cannot change the optimum goes, because HiGHS's presolve grows
faster than linearly in trivially separable columns (1M free binaries took 9 minutes to
presolve on the 2-core CI machine):

* a site's resource whose total candidate demand fits its capacity cannot bind;
* a workload with no active coupling (no latency-bound or egress-priced dependency, no
  anti-affinity group) only needs its cheapest non-binding site plus the binding sites
  that are strictly cheaper than it; with one such site left it is fixed outright.

The remaining core splits into islands (`components.py`) solved one at a time, priced
by column generation where they share a full site, and merged and solved exactly only
when pricing does not prove the gap (`_solve_islands`). HiGHS gets each model as one
row-wise sparse matrix (`passModel`); CBC is reached through PuLP. `bound` is always a
proven lower bound (the solver's, a Lagrangian one, or the islands' sum), so `optimal`
is only claimed when the scenario's gap is proven.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

import numpy as np

from .candidates import Candidates, Problem, build_candidates
from .estate import Estate
from .components import Groups, Split, connected_labels, split_core
from .core_model import CoreModel
from .island_pool import IslandPool
from .model import SolverSettings

RESOURCES = ("vcpu", "memory_gb", "storage_gb")


@dataclass
class Placement:
    """The solver's answer: a chosen candidate entry per workload (or problems), with honest bounds."""

    status: str  # optimal | feasible | infeasible
    backend: str
    choice: Optional[np.ndarray]  # index into the candidate arrays, per workload
    objective: Optional[float]
    bound: Optional[float]
    gap: Optional[float]
    seconds: float
    candidates: Candidates
    problems: list[Problem] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)


def solve(estate: Estate, settings: Optional[SolverSettings] = None, progress=None,  # noqa: ANN001
          baseline: Optional[Mapping[str, str]] = None) -> Placement:
    """Place every workload at the lowest horizon cost; infeasible estates come back with problems.

    `baseline` (workload id -> site id) asks, among plans no dearer than the best found, for the one
    with the fewest workloads off their baseline site.
    """
    settings = settings or estate.scenario.solver
    t0 = time.perf_counter()
    cands = build_candidates(estate)
    if cands.problems:
        return Placement("infeasible", settings.backend, None, None, None, None, time.perf_counter() - t0, cands, sorted(cands.problems))
    if progress:
        progress(f"{len(cands.site)} admissible placements for {len(estate.workloads)} workloads")
    binding = binding_resources(estate, cands)
    deps = active_dependencies(estate, cands)
    base_site = _baseline_sites(estate, baseline)
    fixed, model_entries = _reduce(estate, cands, binding, deps, base_site)
    core = build_core(estate, cands, model_entries, binding, deps)
    constant = float(cands.total[fixed[fixed >= 0]].sum())
    stats = {"candidates": float(len(cands.site)), "fixed_workloads": float((fixed >= 0).sum()),
             "core_columns": float(core.n_x + core.n_y), "core_rows": float(len(core.row_lower))}
    if progress:
        progress(f"core model: {core.n_x} placement columns, {len(core.row_lower)} rows ({int(stats['fixed_workloads'])} workloads fixed exactly)")
    choice = fixed.copy()
    if core.n_x == 0:
        obj = constant
        return Placement("optimal", settings.backend, choice, obj, obj, 0.0, time.perf_counter() - t0, cands, stats=stats)
    owner = cands.owners()
    outcome = _solve_islands(estate, cands, core, deps, settings, t0, progress, base_site)
    stats.update(outcome.stats)
    elapsed = time.perf_counter() - t0
    if outcome.status == "infeasible":
        from .diagnose import diagnose_core  # only on the failure path

        problems = diagnose_core(estate, cands, outcome.failed, settings)
        return Placement("infeasible", settings.backend, None, None, None, None, time.perf_counter() - t0, cands, problems, stats)
    if outcome.x is None:
        return Placement("unknown", settings.backend, None, None, None, None, elapsed, cands, [Problem(
            "time-limit", (), (), f"the solver found no plan within {settings.time_limit_s:g} s, and did not prove that none exists; "
            "raise solver.time_limit_s or --time-limit")], stats)
    xs = outcome.x[: core.n_x]
    # Per workload, the entry with the largest value (binary up to tolerance).
    order = np.lexsort((-xs, owner[core.entries]))
    ws = owner[core.entries][order]
    first = np.ones(len(ws), dtype=bool)
    first[1:] = ws[1:] != ws[:-1]
    choice[ws[first]] = core.entries[order][first]
    objective = float(core.cost @ outcome.x) + constant
    lower = min(outcome.bound + constant, objective)
    gap = max(0.0, (objective - lower) / abs(objective)) if objective else 0.0
    return Placement(outcome.status, settings.backend, choice, objective, lower, gap, elapsed, cands, stats=stats)


@dataclass
class _Outcome:
    status: str  # optimal | feasible | infeasible | unknown
    x: Optional[np.ndarray]
    bound: float
    failed: Optional[CoreModel] = None  # the infeasible island group, for the diagnosis
    stats: dict[str, float] = field(default_factory=dict)


def _baseline_sites(estate: Estate, baseline: Optional[Mapping[str, str]]) -> Optional[np.ndarray]:
    """Per workload, the site index the baseline puts it on (-1: not in the baseline)."""
    if baseline is None:
        return None
    return np.array([estate.site_index.get(baseline.get(w.id, ""), -1) for w in estate.workloads], dtype=np.int64)


def _solve_islands(estate: Estate, cands: Candidates, core: CoreModel, deps: ActiveDeps, settings: SolverSettings,
                   t0: float, progress, base_site: Optional[np.ndarray]) -> _Outcome:  # noqa: ANN001
    """Solve each island of the core on its own, merging islands that overfill a shared site until none does.

    Each round solves a relaxation of the whole model (capacity rows restricted to the islands
    of a group), so the sum of the groups' bounds is a valid bound; a round whose solution keeps
    every capacity is therefore a solution of the whole model with that bound.
    """
    n_w = len(cands.ptr) - 1
    col_w = cands.owners()[core.entries]
    ea = [a for a, _, _, _ in deps]
    eb = [b for _, b, _, _ in deps]
    for m in estate.anti_affinity_groups.values():
        ea.extend(m[:-1])
        eb.extend(m[1:])
    labels = connected_labels(n_w, np.array(ea, dtype=np.int64), np.array(eb, dtype=np.int64))
    split = split_core(core, col_w, labels)
    groups = Groups(core, split, np.arange(n_w, dtype=np.int64))  # island label -> group (both are workload numbers)
    if progress:
        progress(f"{len(groups.ids)} independent islands to solve")
    run = run_highs if settings.backend == "highs" else _run_cbc
    pool = IslandPool(groups, settings, time.monotonic() + settings.time_limit_s - (time.perf_counter() - t0), run)
    try:
        return _rounds(estate, core, split, groups, pool, col_w, cands, base_site, settings, t0, run, progress)
    finally:
        pool.close()


def _rounds(estate: Estate, core: CoreModel, split: Split, groups: Groups, pool: IslandPool, col_w: np.ndarray,
            cands: Candidates, base_site: Optional[np.ndarray], settings: SolverSettings, t0: float, run,  # noqa: ANN001
            progress) -> _Outcome:  # noqa: ANN001
    """The rounds of `_solve_islands`: solve the pending groups, price or merge those that overfill a site, again."""
    n_w = len(cands.ptr) - 1
    x = np.zeros(core.n_x + core.n_y)
    objs: dict[int, float] = {}
    bounds: dict[int, float] = {}
    proven: dict[int, bool] = {}
    pending = groups.ids.tolist()
    budget: dict[int, float] = {}
    group_of = groups.group_of
    rounds = 0
    priced: Optional[tuple[np.ndarray, float]] = None  # the priced islands' plan and bound, kept if merging runs out of time

    def out_of_time() -> _Outcome:
        if priced is None:
            return _Outcome("unknown", None, -np.inf)
        x[:] = priced[0]
        return _finish(core, split, groups, x, col_w, cands, base_site, settings, t0, run, "feasible", priced[1],
                       {"islands": float(len(np.unique(split.x_label))), "rounds": float(rounds), "priced": 1.0})

    while True:
        rounds += 1
        tasks = []
        for g in pending:
            start = None
            if priced is not None:  # the priced plan keeps capacity: a good first incumbent for a merged group
                xcols, ycols = groups.columns(g)
                start = priced[0][np.concatenate([xcols, core.n_x + ycols])]
            tasks.append((g, None, budget.get(g, 0.0), start))
        for g, status, xs, obj, bound in pool.solve(tasks):
            xcols, ycols = groups.columns(g)
            sub_nx = len(xcols)
            if status == "infeasible":
                return _Outcome("infeasible", None, -np.inf, failed=groups.model(g)[0])
            if xs is None:
                return out_of_time()
            x[xcols] = xs[:sub_nx]
            x[core.n_x + ycols] = xs[sub_nx: sub_nx + len(ycols)]
            objs[g] = obj
            bounds[g] = bound
            proven[g] = status == "optimal"
        over = [r for r in split.capacity_rows
                if float(core.value[r] @ x[core.index[r]]) > core.row_upper[r] + 1e-6 * max(1.0, abs(core.row_upper[r]))]
        if progress:
            progress(f"round {rounds}: objective {sum(objs.values()):,.2f}, bound {sum(bounds.values()):,.2f}")
        if not over:
            break
        if rounds == 1 and settings.backend == "highs":
            priced_out = _price_islands(core, split, groups, pool, x, objs, bounds, settings, t0, progress)
            if priced_out is not None:
                x2, lower, full_rows = priced_out
                priced = (x2, lower)
                # Rows the prices found full bind in the end: merge their islands now, not a round later.
                over = sorted(set(over) | set(full_rows))
                cost = float(core.cost @ x2)
                if cost - lower <= settings.gap * abs(cost):
                    x[:] = x2
                    return _finish(core, split, groups, x, col_w, cands, base_site, settings, t0, run, "optimal", lower,
                                   {"islands": float(len(groups.ids)), "groups": float(len(groups.ids)), "rounds": 1.0, "priced": 1.0})
                if progress:
                    progress(f"priced islands: {cost:,.2f} against a bound of {lower:,.2f}, short of the gap; merging instead")
        # Merge, per overfilled site, the groups that put workloads on it; they are solved again together.
        ga, gb = [], []
        for r in over:
            cols = core.index[r]
            used = np.unique(group_of[split.x_label[cols[x[cols] > 0.5]]]).tolist()
            ga.extend(used[:-1])
            gb.extend(used[1:])
        merged = connected_labels(n_w, np.array(ga, dtype=np.int64), np.array(gb, dtype=np.int64))
        old_ids = groups.ids
        pending = sorted({int(merged[g]) for g in old_ids.tolist() if merged[g] != g})
        # The scenario's gap is relative to the whole estate: what the settled groups leave of it
        # may be spent on the merged ones, in proportion to their cost (this round's objective only
        # rises as groups merge, so the budget stays within the gap of the final one).
        total = sum(objs.values())
        merged_obj = {g: 0.0 for g in pending}
        for g in old_ids.tolist():
            if merged[g] != g or g in merged_obj:
                merged_obj[int(merged[g])] += objs.pop(g)
                bounds.pop(g, None)
                proven.pop(g, None)
        spare = settings.gap * total - sum(objs[g] - bounds[g] for g in objs)
        weight = sum(merged_obj.values()) or 1.0
        budget = {g: max(0.0, spare) * merged_obj[g] / weight for g in pending}
        group_of = merged[group_of]
        groups = Groups(core, split, group_of)
        pool.regroup(groups)
        if progress:
            full = sorted({estate.sites[core.row_tags[r][1]].id for r in over})
            progress(f"{', '.join(full)} overfilled by islands solved apart: solving {len(pending)} merged groups again "
                     f"({sum(len(groups.columns(g)[0]) for g in pending)} columns, round {rounds + 1})")
    status = "optimal" if all(proven.values()) else "feasible"
    lower = float(sum(bounds.values()))
    if priced is not None:
        lower = max(lower, priced[1])
        if float(core.cost @ priced[0]) < float(core.cost @ x):
            x[:] = priced[0]
    return _finish(core, split, groups, x, col_w, cands, base_site, settings, t0, run, status, lower,
                   {"islands": float(len(np.unique(split.x_label))), "groups": float(len(groups.ids)), "rounds": float(rounds)})


def _finish(core: CoreModel, split: Split, groups: Groups, x: np.ndarray, col_w: np.ndarray, cands: Candidates,
            base_site: Optional[np.ndarray], settings: SolverSettings, t0: float, run, status: str, bound: float,  # noqa: ANN001
            stats: dict[str, float]) -> _Outcome:
    if base_site is not None:
        _prefer_baseline(core, split, groups, x, col_w, cands, base_site, settings, t0, run)
    return _Outcome(status, x, bound, stats=stats)


class _Capacity:
    """The core's capacity rows, numbered 0..n-1, and how much of each a group's plan uses."""

    def __init__(self, core: CoreModel, split: Split):
        self.rows = list(split.capacity_rows)
        self.pos = {core.row_tags[r]: k for k, r in enumerate(self.rows)}
        self.cap = np.array([core.row_upper[r] for r in self.rows])

    def rows_of(self, sub: CoreModel) -> list[tuple[int, int]]:
        """(row in `sub`, capacity row number) of every capacity row of a group's model."""
        return [(k, self.pos[t]) for k, t in enumerate(sub.row_tags) if t[0] == "capacity"]

    def use(self, sub: CoreModel, rows: list[tuple[int, int]], xs: np.ndarray) -> np.ndarray:
        """What the plan `xs` of a group's model puts on every capacity row."""
        out = np.zeros(len(self.rows))
        for k, pos in rows:
            out[pos] += float(sub.value[k] @ xs[sub.index[k]])
        return out


def _prefer_baseline(core: CoreModel, split: Split, groups: Groups, x: np.ndarray, col_w: np.ndarray, cands: Candidates,
                     base_site: np.ndarray, settings: SolverSettings, t0: float, run) -> None:  # noqa: ANN001
    """Among plans no dearer than `x`, the one with the fewest workloads off their baseline site.

    Each group that moves anything off the baseline offers two more plans: the fewest moves at
    no extra cost within the group, and the nearest to the baseline at any cost. A last MIP
    picks one plan per group, fewest moves first, under every capacity row and a total cost
    no higher than `x`'s; that also finds swaps between groups sharing a full site.
    """
    off = (cands.site[core.entries] != base_site[col_w]) & (base_site[col_w] >= 0)
    capacity = _Capacity(core, split)
    plans: list[tuple[int, np.ndarray, float, np.ndarray]] = []
    where: list[np.ndarray] = []
    moves: list[float] = []
    total = 0.0
    alternatives = 0
    for g in groups.ids.tolist():
        sub, xcols, ycols = groups.model(g)
        glob = np.concatenate([xcols, core.n_x + ycols])
        cost = sub.cost.copy()
        caps = capacity.rows_of(sub)

        def add(xs: np.ndarray) -> None:
            plans.append((g, xs, float(cost @ xs), capacity.use(sub, caps, xs)))
            where.append(glob)
            moves.append(float((off[xcols] & (xs[: len(xcols)] > 0.5)).sum()))

        current = x[glob].copy()
        add(current)
        total += plans[-1][2]
        if moves[-1] == 0:
            continue
        # Fewest moves first, then cost; egress columns only need to sit at their exact value.
        weight = 1.0 / (2.0 * (float(np.abs(cost).sum()) + 1.0))
        sub.cost = np.concatenate([off[xcols].astype(float), np.zeros(len(ycols))]) + weight * cost
        for limit in (plans[-1][2] + 0.005, None):
            if limit is not None:
                sub.add_row(-np.inf, limit, np.arange(len(glob)), cost, ("cost",))
            left = settings.time_limit_s - (time.perf_counter() - t0)
            if left <= 0:
                return
            _, xs, _, _ = run(sub, settings.model_copy(update={"time_limit_s": left, "gap": 0.0}))
            if limit is not None:
                for rows in (sub.row_lower, sub.row_upper, sub.index, sub.value, sub.row_tags):
                    rows.pop()
            if xs is not None:
                add(np.round(xs[: len(glob)], 9))
                alternatives += 1
    if not alternatives:
        return
    chosen = _master(plans, groups.ids.tolist(), capacity.cap, relax=False, time_limit=settings.time_limit_s - (time.perf_counter() - t0),
                     objective=np.array(moves), budget=total + 0.005)
    if chosen is None:
        return
    for p in chosen:
        x[where[p]] = plans[p][1]


def _price_islands(core: CoreModel, split: Split, groups: Groups, pool: IslandPool, x: np.ndarray, objs: dict[int, float],
                   bounds: dict[int, float], settings: SolverSettings, t0: float,
                   progress) -> Optional[tuple[np.ndarray, float, list[int]]]:  # noqa: ANN001
    """A capacity-feasible solution and a lower bound, by Dantzig-Wolfe column generation over the islands.

    Capacity is the only link between islands. A master LP mixes, per island, the island plans
    found so far under every capacity row; its row prices make each island's cost
    `cost + price * use`, and the islands solved at those prices give new plans. At any prices
    the sum of the islands' priced optima minus `price * capacity` is a lower bound on the whole
    model (Lagrangian relaxation), and with many small islands it closes on the optimum. A last
    MIP picks one plan per island under capacity. Islands that never touch a capacity row
    keep the plan they have.
    """
    capacity = _Capacity(core, split)
    cap_rows, cap = capacity.rows, capacity.cap
    touched = sorted({int(g) for r in cap_rows for g in np.unique(groups.group_of[split.x_label[core.index[r]]]).tolist()})
    subs = {}
    plans: list[tuple[int, np.ndarray, float, np.ndarray]] = []  # (island, x over its columns, true cost, use per capacity row)
    seen: set[tuple[int, bytes]] = set()

    def model(g: int) -> tuple[CoreModel, np.ndarray, list[tuple[int, int]]]:
        if g not in subs:
            sub, xcols, ycols = groups.model(g)
            subs[g] = (sub, np.concatenate([xcols, core.n_x + ycols]), capacity.rows_of(sub), sub.cost.copy())
        return subs[g][0], subs[g][1], subs[g][2]

    def add_plan(g: int, xs: np.ndarray) -> None:
        sub, glob, caps = model(g)
        xs = np.round(xs[: len(glob)], 6)
        key = (g, xs.tobytes())
        if key in seen:
            return
        seen.add(key)
        plans.append((g, xs, float(subs[g][3] @ xs), capacity.use(sub, caps, xs)))

    for g in touched:
        add_plan(g, x[model(g)[1]])
    touched_set = set(touched)
    base_bound = sum(b for g, b in bounds.items() if g not in touched_set)
    base_cost = sum(o for g, o in objs.items() if g not in touched_set)
    price = np.zeros(len(cap_rows))
    # The islands' own bounds, capacity ignored, already bound the whole estate from below.
    best_lower = sum(bounds.values())
    for it in range(50):
        if settings.time_limit_s - (time.perf_counter() - t0) <= 0:
            break
        master = _master(plans, touched, cap, relax=True)
        if master is None:
            return None
        master_value, price, island_price = master
        # Price every island that can use a priced row; the others' priced optimum is their plain one.
        lower = base_bound - float(price @ cap)
        added = 0
        priced_rows = set(np.nonzero(price > 0)[0].tolist())
        tag_price = {core.row_tags[cap_rows[pos]]: float(price[pos]) for pos in priced_rows}
        tasks = []
        for g in touched:
            if any(pos in priced_rows for _, pos in model(g)[2]):
                tasks.append((g, tag_price, 0.0, None))
            else:
                lower += bounds[g]  # no priced row: its priced optimum is its plain one
        results = pool.solve(tasks)
        if any(xs is None for _, _, xs, _, _ in results):
            break  # out of time: this round's prices give no bound, but the plans found so far still count
        for g, status, xs, obj, bound in results:
            lower += bound
            if obj < island_price[g] - 1e-6 * max(1.0, abs(obj)):
                before = len(plans)
                add_plan(g, xs)
                added += len(plans) - before
        best_lower = max(best_lower, lower)
        if progress:
            progress(f"pricing round {it + 1}: master {master_value + base_cost:,.2f}, bound {best_lower:,.2f}, {added} new island plans")
        if added == 0 or master_value + base_cost - best_lower <= 0.1 * settings.gap * abs(master_value + base_cost):
            break
    # Picking one plan per island is quick; it may run a little past the time limit (a tenth of it,
    # 30 s at most) so that a long pricing still ends with a plan rather than none.
    grace = min(30.0, 0.1 * settings.time_limit_s)
    chosen = _master(plans, touched, cap, relax=False, time_limit=max(settings.time_limit_s - (time.perf_counter() - t0), grace))
    if chosen is None:
        return None
    x2 = x.copy()
    for p in chosen:
        g, xs, _, _ = plans[p]
        x2[model(g)[1]] = xs
    return x2, best_lower, [cap_rows[pos] for pos in np.nonzero(price > 0)[0].tolist()]


def _master(plans: list[tuple[int, np.ndarray, float, np.ndarray]], islands: list[int], cap: np.ndarray, relax: bool,
            time_limit: float = 60.0, objective: Optional[np.ndarray] = None, budget: Optional[float] = None):  # noqa: ANN202
    """The master problem: one plan per island (a mix of them when `relax`) under the capacity rows.

    Relaxed, returns (value, capacity row prices, per-island convexity price) with an
    overfill column per row at a prohibitive price so the LP is always feasible; otherwise
    returns the chosen plan numbers, or None when no choice keeps capacity. With `objective`
    (per plan) and `budget`, minimises that objective with the plans' total cost at most `budget`.
    """
    import highspy

    n_p = len(plans)
    n_r = len(cap)
    pos = {g: i for i, g in enumerate(islands)}
    cost = np.array([p[2] for p in plans])
    # An overfill unit must cost more than any plan could save with it, without wrecking the LP's scaling.
    use = np.array([p[3] for p in plans]).T if n_p else np.zeros((n_r, 0))  # rows x plans
    positive = use[use > 0]
    big = 10.0 * (float(np.abs(cost).max()) + 1.0) / (float(positive.min()) if len(positive) else 1.0)
    n_s = n_r if relax else 0
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("time_limit", max(1.0, float(time_limit)))
    n_b = 1 if budget is not None else 0
    lp = highspy.HighsLp()
    lp.num_col_ = n_p + n_s
    lp.num_row_ = len(islands) + n_r + n_b
    lp.col_cost_ = np.concatenate([cost if objective is None else objective, np.full(n_s, big)])
    lp.col_lower_ = np.zeros(n_p + n_s)
    lp.col_upper_ = np.concatenate([np.ones(n_p), np.full(n_s, np.inf)])
    lp.row_lower_ = np.concatenate([np.ones(len(islands)), np.full(n_r + n_b, -np.inf)])
    lp.row_upper_ = np.concatenate([np.ones(len(islands)), cap, [budget] if n_b else []])
    # Column-wise matrix: each plan sits in its island's convexity row, the capacity rows it uses
    # and the budget row.
    starts, index, value = [0], [], []
    for (g, _, c, u) in plans:
        nz = np.nonzero(u)[0]
        index.extend([pos[g]] + (len(islands) + nz).tolist() + ([len(islands) + n_r] if n_b else []))
        value.extend([1.0] + u[nz].tolist() + ([c] if n_b else []))
        starts.append(len(index))
    for k in range(n_s):
        index.append(len(islands) + k)
        value.append(-1.0)
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=float)
    if not relax:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n_p
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    if relax:
        if status != highspy.HighsModelStatus.kOptimal:
            if os.environ.get("PLANNER_SOLVER_LOG"):
                print(f"master LP: {h.modelStatusToString(status)}")
            return None
        sol = h.getSolution()
        duals = np.asarray(sol.row_dual)
        island_price = {g: float(duals[i]) for g, i in pos.items()}
        return float(h.getInfo().objective_function_value), np.maximum(0.0, -duals[len(islands):]), island_price
    if h.getInfo().primal_solution_status != 2:
        return None
    chosen = np.asarray(h.getSolution().col_value)[:n_p]
    return np.nonzero(chosen > 0.5)[0].tolist()


def binding_resources(estate: Estate, cands: Candidates) -> dict[int, list[tuple[str, float]]]:
    """Per site index, the resources whose capacity total candidate demand could exceed."""
    sizes = _sizes(estate)
    out: dict[int, list[tuple[str, float]]] = {}
    owner = cands.owners()
    for j, s in enumerate(estate.sites):
        if s.capacity is None:
            continue
        on = cands.site == j
        for res in RESOURCES:
            cap = getattr(s.capacity, res)
            if cap is not None and sizes[res][owner[on]].sum() > cap + 1e-9:
                out.setdefault(j, []).append((res, cap))
    return out


def _sizes(estate: Estate) -> dict[str, np.ndarray]:
    wls = estate.workloads
    return {res: np.fromiter((getattr(w, res) for w in wls), float, len(wls)) for res in RESOURCES}


def active_dependencies(estate: Estate, cands: Candidates) -> list[tuple[int, int, Optional[float], float]]:
    """Dependencies (a, b, max_latency or None, traffic) that constrain or cost anything."""
    widx = estate.workload_index
    lat = estate.latency_matrix
    zone_of = estate.site_zone_index
    out = []
    for i, w in enumerate(estate.workloads):
        for d in w.depends_on:
            j = widx[d.workload]
            limit = d.max_latency_ms
            if limit is not None:
                za = np.unique(zone_of[cands.site[cands.of(i)]])
                zb = np.unique(zone_of[cands.site[cands.of(j)]])
                if lat[np.ix_(za, zb)].max() <= limit:
                    limit = None  # every admissible pair already meets it
            priced = d.traffic_gb_month > 0 and bool((cands.egress[cands.site[cands.of(i)]] > 0).any())
            if limit is not None or priced:
                out.append((i, j, limit, d.traffic_gb_month if priced else 0.0))
    return out


Binding = dict[int, list[tuple[str, float]]]
ActiveDeps = list[tuple[int, int, Optional[float], float]]


def _reduce(estate: Estate, cands: Candidates, binding: Binding, deps: ActiveDeps,
            base_site: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray]:
    """Fix uncoupled workloads whose best choice is certain; return (fixed entry or -1 per workload, entries kept for the model)."""
    n_w = len(cands.ptr) - 1
    coupled = np.zeros(n_w, dtype=bool)
    for a, b, _, _ in deps:
        coupled[a] = coupled[b] = True
    for members in estate.anti_affinity_groups.values():
        if len(members) > 1:
            coupled[list(members)] = True
    owner = cands.owners()
    is_binding_site = np.zeros(len(estate.sites), dtype=bool)
    is_binding_site[list(binding)] = True
    on_binding = is_binding_site[cands.site]
    cur = np.array([estate.site_index[w.current_site] for w in estate.workloads], dtype=np.int64)
    stays = cands.site == cur[owner]
    at_base = cands.site == base_site[owner] if base_site is not None else np.zeros(len(owner), dtype=bool)
    # Cheapest non-binding entry per workload; ties prefer the baseline site, staying, then the site id order.
    free_cost = np.where(on_binding, np.inf, cands.total)
    order = np.lexsort((cands.site, ~stays, ~at_base, free_cost, owner))
    first = np.ones(len(order), dtype=bool)
    first[1:] = owner[order][1:] != owner[order][:-1]
    best_free = np.full(n_w, -1, dtype=np.int64)
    heads = order[first]
    has_free = np.isfinite(free_cost[heads])
    best_free[owner[heads][has_free]] = heads[has_free]
    best_cost = np.full(n_w, np.inf)
    best_cost[best_free >= 0] = cands.total[best_free[best_free >= 0]]
    keep = coupled[owner] | (best_free[owner] < 0) | (on_binding & (cands.total < best_cost[owner] - 1e-9))
    keep[best_free[best_free >= 0]] = True
    kept_count = np.bincount(owner[keep], minlength=n_w)
    fixed = np.full(n_w, -1, dtype=np.int64)
    single = (~coupled) & (kept_count == 1) & (best_free >= 0)
    fixed[single] = best_free[single]
    model_entries = np.nonzero(keep & ~single[owner])[0]
    return fixed, model_entries


def build_core(estate: Estate, cands: Candidates, entries: np.ndarray, binding: Binding, deps: ActiveDeps) -> CoreModel:
    """The MILP over `entries`: assignment, capacity, anti-affinity, dependency latency and egress rows."""
    horizon = estate.scenario.horizon_months
    n_w = len(cands.ptr) - 1
    owner = cands.owners()[entries]
    site = cands.site[entries]
    cost = cands.total[entries].astype(float).copy()
    col_of_entry = np.full(len(cands.site), -1, dtype=np.int64)
    col_of_entry[entries] = np.arange(len(entries))
    core = CoreModel(len(entries), 0, cost, [], [], [], [], [], entries)
    # Assignment rows: entries are sorted by workload, so each workload's columns are contiguous.
    model_ws, starts = np.unique(owner, return_index=True)
    bounds = np.append(starts, len(owner))
    for k in range(len(model_ws)):
        cols = np.arange(bounds[k], bounds[k + 1])
        core.add_row(1.0, 1.0, cols, np.ones(len(cols)), ("assign", int(model_ws[k])))
    sizes = _sizes(estate)
    for j, resources in sorted(binding.items()):
        cols = np.nonzero(site == j)[0]
        for res, cap in resources:
            fixed_load = 0.0  # fixed workloads never sit on binding sites (see _reduce)
            core.add_row(-np.inf, cap - fixed_load, cols, sizes[res][owner[cols]], ("capacity", j, res))
    for name, members in sorted(estate.anti_affinity_groups.items()):
        if len(members) < 2:
            continue
        member_mask = np.zeros(n_w, dtype=bool)
        member_mask[list(members)] = True
        cols_all = np.nonzero(member_mask[owner])[0]
        for j in np.unique(site[cols_all]).tolist():
            cols = cols_all[site[cols_all] == j]
            if len(np.unique(owner[cols])) > 1:
                core.add_row(-np.inf, 1.0, cols, np.ones(len(cols)), ("anti-affinity", name, j))
    lat = estate.latency_matrix
    zone_of = estate.site_zone_index
    y_cost: list[float] = []
    for a, b, limit, traffic in deps:
        ea = col_of_entry[cands.of(a)]
        eb = col_of_entry[cands.of(b)]
        ea, eb = ea[ea >= 0], eb[eb >= 0]
        if limit is not None:
            zb = zone_of[site[eb]]
            for z in np.unique(zone_of[site[ea]]).tolist():
                ok_b = lat[z, zb] <= limit
                if ok_b.all():
                    continue
                cols_a = ea[zone_of[site[ea]] == z]
                cols_b = eb[ok_b]
                core.add_row(-np.inf, 0.0, np.concatenate([cols_a, cols_b]),
                             np.concatenate([np.ones(len(cols_a)), -np.ones(len(cols_b))]), ("dependency", a, b, z))
        if traffic > 0:
            b_col_at_site = {int(site[c]): int(c) for c in eb}
            for c in ea.tolist():
                price = horizon * traffic * float(cands.egress[site[c]])
                if price <= 0:
                    continue
                partner = b_col_at_site.get(int(site[c]))
                if partner is None:
                    core.cost[c] += price  # b can never share this site: a here always pays egress
                else:
                    y = core.n_x + len(y_cost)
                    y_cost.append(price)
                    core.add_row(0.0, np.inf, np.array([y, c, partner]), np.array([1.0, -1.0, 1.0]), ("egress", a, b))
    core.n_y = len(y_cost)
    core.cost = np.concatenate([core.cost, np.array(y_cost)])
    return core


def _csr(core: CoreModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lengths = np.fromiter((len(i) for i in core.index), np.int64, len(core.index))
    start = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=start[1:])
    index = np.concatenate(core.index).astype(np.int32) if core.index else np.zeros(0, np.int32)
    value = np.concatenate(core.value) if core.value else np.zeros(0)
    return start, index, value


def _highs(core: CoreModel, settings: SolverSettings, abs_gap: float = 0.0, relax: bool = False):  # noqa: ANN202
    """A HiGHS instance holding `core` (as an LP when `relax`), options set from the scenario."""
    import highspy

    n = core.n_x + core.n_y + core.n_z
    start, index, value = _csr(core)
    h = highspy.Highs()
    # PLANNER_SOLVER_LOG=1 shows HiGHS's own log on stdout, for tuning a large estate.
    h.setOptionValue("output_flag", os.environ.get("PLANNER_SOLVER_LOG", "") not in ("", "0"))
    h.setOptionValue("time_limit", float(settings.time_limit_s))
    h.setOptionValue("mip_rel_gap", float(settings.gap))
    if abs_gap > 0:
        h.setOptionValue("mip_abs_gap", float(abs_gap))
    h.setOptionValue("random_seed", 0)
    if core.n_x + core.n_y >= 5000:
        # Probing and enumeration are most of presolve's time on a large merged group, for little gain.
        h.setOptionValue("presolve_rule_off", 32768 + 65536)
    else:
        # Islands are small and mostly solved at the root: presolve and the feasibility-jump heuristic
        # cost more than they save there (1.7 s instead of 9 s for the 1,186 islands of a 10k estate).
        h.setOptionValue("presolve", "off")
        h.setOptionValue("mip_heuristic_run_feasibility_jump", False)
    if settings.threads:
        h.setOptionValue("threads", int(settings.threads))
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = len(core.row_lower)
    lp.col_cost_ = core.cost
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.ones(n)
    lp.row_lower_ = np.array(core.row_lower, dtype=float)
    lp.row_upper_ = np.array(core.row_upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    kinds = highspy.HighsVarType
    if not relax:
        lp.integrality_ = [kinds.kInteger] * core.n_x + [kinds.kContinuous] * core.n_y + [kinds.kInteger] * core.n_z
    h.passModel(lp)
    return h


def run_highs(core: CoreModel, settings: SolverSettings, abs_gap: float = 0.0,
              start: Optional[np.ndarray] = None) -> tuple[str, Optional[np.ndarray], float, float]:
    import highspy

    h = _highs(core, settings, abs_gap)
    if start is not None:
        known = highspy.HighsSolution()
        known.col_value = np.asarray(start, dtype=float)
        known.value_valid = True
        h.setSolution(known)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    S = highspy.HighsModelStatus
    if status in (S.kInfeasible, S.kUnboundedOrInfeasible):
        return "infeasible", None, 0.0, 0.0
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if not has_solution:
        return "no-solution", None, 0.0, 0.0
    x = np.asarray(h.getSolution().col_value)
    obj = float(info.objective_function_value)
    bound = float(info.mip_dual_bound)
    if not np.isfinite(bound):
        bound = -np.inf
    return ("optimal" if status == S.kOptimal else "feasible"), x, obj, bound


def _run_cbc(core: CoreModel, settings: SolverSettings, abs_gap: float = 0.0,
             start: Optional[np.ndarray] = None) -> tuple[str, Optional[np.ndarray], float, float]:
    import pulp

    n = core.n_x + core.n_y
    prob = pulp.LpProblem("placement", pulp.LpMinimize)
    xs = [pulp.LpVariable(f"x{k:08d}", 0, 1, cat=pulp.LpBinary if k < core.n_x else pulp.LpContinuous) for k in range(n)]
    prob += pulp.LpAffineExpression(zip(xs, core.cost.tolist()))
    for r, (lo, up, cols, vals) in enumerate(zip(core.row_lower, core.row_upper, core.index, core.value)):
        expr = pulp.LpAffineExpression(zip((xs[c] for c in cols.tolist()), vals.tolist()))
        if lo == up:
            prob += (expr == lo, f"r{r}")
        elif np.isfinite(up):
            prob += (expr <= up, f"r{r}")
        else:
            prob += (expr >= lo, f"r{r}")
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "cbc.log"
        cmd = pulp.PULP_CBC_CMD(msg=False, timeLimit=settings.time_limit_s, gapRel=settings.gap, gapAbs=abs_gap or None,
                                threads=settings.threads, logPath=str(log))
        prob.solve(cmd)
        text = log.read_text(errors="replace") if log.exists() else ""
    if prob.status == pulp.LpStatusInfeasible:
        return "infeasible", None, 0.0, 0.0
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return "no-solution", None, 0.0, 0.0
    x = np.array([v.varValue or 0.0 for v in xs])
    obj = float(np.dot(core.cost, x))
    proven = prob.sol_status == pulp.LpSolutionOptimal
    bound = _cbc_bound(text, obj, proven, settings.gap)
    return ("optimal" if proven else "feasible"), x, obj, bound


def _cbc_bound(log: str, obj: float, proven: bool, gap: float) -> float:
    """CBC's best bound from its log; when it only reports 'optimal', what its gap tolerance proves."""
    found = re.findall(r"(?:Lower bound|Best possible)[:\s]+(-?[0-9.eE+]+)", log)
    if found:
        return min(float(found[-1]), obj)
    if proven:
        return obj - gap * abs(obj)
    return -np.inf
