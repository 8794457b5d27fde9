"""Why an estate has no plan as a whole: the fewest rules that must give.

Each coupling rule of the failing part (a site's capacity in one resource, an anti-affinity
group on one site, one dependency's latency budget from one zone) gets a 0/1 "give" column
that relaxes it; minimising how many give finds a smallest set of rules that cannot hold
together, which is then named in inventory terms.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional

import numpy as np

from planner.base.problem import Problem
from planner.domain.estate import Estate
from planner.domain.model import SolverSettings
from planner.domain.rules import RESOURCES, Rule
from planner.solve.assign import class_columns
from planner.solve.candidates import Candidates
from planner.solve.core import ANTI_AFFINITY, DEPENDENCY, Core
from planner.solve.emissions import cap_problem, least_tonnes
from planner.solve.finish import merged_model
from planner.solve.matrices import SubModel
from planner.solve.reduce import Reduced
from planner.solve.solvers import solver

_LISTED = 12


def diagnose(estate: Estate, cands: Candidates, core: Core, islands: np.ndarray, red: Reduced, settings: SolverSettings) -> list[Problem]:
    """Problems naming a smallest set of coupling rules whose relaxation makes `islands` (with the classes) placeable;
    empty when the search could not prove that any rule must give (then no plan was found, but one may exist)."""
    classes = class_columns(estate, cands, red, core)
    sub, glob = merged_model(core, islands, classes, np.arange(len(classes)), red.capacity.limit)
    rows = core.island_rows(islands)
    n_island_rows = len(rows)
    kinds = np.concatenate([core.row_kind[rows], np.full(len(red.capacity), 9), np.full(len(sub.row_lower) - n_island_rows - len(red.capacity), 8)])
    relax = np.nonzero((kinds == ANTI_AFFINITY) | (kinds == DEPENDENCY) | (kinds == 9))[0]
    base = sub.n_cols
    start, index, value = [0], [], []
    give_of_row = {int(r): k for k, r in enumerate(relax.tolist())}
    for r in range(len(sub.row_lower)):
        a, b = int(sub.start[r]), int(sub.start[r + 1])
        index.extend(sub.index[a:b].tolist())
        value.extend(sub.value[a:b].tolist())
        if r in give_of_row:
            index.append(base + give_of_row[r])
            value.append(-(float(np.abs(sub.value[a:b]).sum()) + 1.0))  # enough to switch the row off
        start.append(len(index))
    n_int = len(sub.int_upper)
    # Gives are binaries after the class counts; the model keeps its own columns' costs at 0.
    elastic = SubModel(sub.n_x, sub.n_y, np.concatenate([np.zeros(base), np.ones(len(relax))]), sub.row_lower, sub.row_upper,
                       np.array(start, dtype=np.int64), np.array(index, dtype=np.int64), np.array(value),
                       np.concatenate([sub.int_upper, np.ones(len(relax))]))
    res = solver(settings.backend).mip(elastic, 0.0, time_limit=max(10.0, settings.time_limit_s))
    if res.x is None:
        return [Problem(Rule.CAPACITY.value, (), (), "the estate has no plan, and finding which rules collide did not finish in time; "
                        "raise solver.time_limit_s to get a precise explanation")]
    if res.bound < 0.5:
        # Not one give is proven necessary: the search stopped early, so the estate may well have a plan.
        # Saying "no plan" here would be a claim without proof; the caller reports that none was found.
        return []
    xs = res.x
    chosen_x = glob[np.nonzero(xs[: sub.n_x] > 0.5)[0]]
    ids = estate.table.ids
    problems: list[Problem] = []
    size = core.size
    for k, r in enumerate(relax.tolist()):
        if xs[base + k] < 0.5:
            continue
        if kinds[r] == 9:
            cap_k = r - n_island_rows
            j, res_k = int(red.capacity.site[cap_k]), int(red.capacity.res[cap_k])
            if j < 0:  # the carbon cap: say the least the other rules let a plan emit
                problems.append(cap_problem(estate, least_tonnes(estate, cands),
                                            _least_emissions(sub, n_island_rows + cap_k, settings)))
                continue
            s = estate.sites[j]
            on = chosen_x[core.col_site[chosen_x] == j]
            ws = core.col_workload[on]
            counts = np.zeros(0)
            need = float(size[ws, res_k].sum())
            cls_cols = np.nonzero(xs[sub.n_x + sub.n_y: base] > 0.5)[0]
            for c in cls_cols.tolist():
                if int(cands.site[classes.entry[c]]) == j:
                    need += float(classes.cap_coef[c][classes.cap_row[c] == cap_k].sum()) * xs[sub.n_x + sub.n_y + c]
            cap = float(red.capacity.limit[cap_k])
            names = _names(ids, ws, size[:, res_k])
            res_name = RESOURCES[res_k]
            problems.append(Problem(Rule.CAPACITY.value, tuple(sorted(ids[i] for i in ws.tolist())), (s.id,),
                f"{s.id} has {cap:g} {res_name}, but the workloads that can only go there or to other full sites need "
                f"{need:g} ({need - cap:g} over): {names}. Add capacity, or allow those workloads elsewhere"))
            del counts
            continue
        g = rows[r]
        if core.row_kind[g] == ANTI_AFFINITY:
            group = estate.table.anti_affinity.names[int(core.row_ref[g])]
            j = int(core.row_site[g])
            members = set(estate.anti_affinity_groups[group])
            on = chosen_x[core.col_site[chosen_x] == j]
            ws = sorted({ids[i] for i in core.col_workload[on].tolist() if i in members})
            problems.append(Problem(Rule.ANTI_AFFINITY.value, tuple(ws), (estate.sites[j].id,),
                f"anti-affinity group {group} needs its workloads on different sites, but {', '.join(ws)} "
                f"have no admissible sites left apart from {estate.sites[j].id}"))
        else:
            dep = int(core.row_ref[g])
            d = estate.table.deps
            a, b = int(d.src[dep]), int(d.dst[dep])
            limit = float(d.max_latency_ms[dep])
            on = chosen_x[np.isin(core.col_workload[chosen_x], [a, b])]
            sites = sorted({estate.sites[int(j)].id for j in core.col_site[on].tolist()})
            problems.append(Problem(Rule.DEPENDENCY_LATENCY.value, tuple(sorted((ids[a], ids[b]))), tuple(sites),
                f"{ids[a]} must reach {ids[b]} within {limit:g} ms, which cannot hold together with the estate's other rules "
                f"(capacity, anti-affinity, other dependencies); closest plan puts them on {', '.join(sites)}"))
    if not problems:
        problems.append(Problem(Rule.CAPACITY.value, (), (), "the solver reports no plan, but no single rule family explains it; "
                                "check capacities and dependency budgets together"))
    del n_int
    return sorted(set(problems))


def _names(ids: tuple[str, ...], ws: np.ndarray, size: np.ndarray) -> str:
    order = sorted(ws.tolist(), key=lambda i: (-size[i], ids[i]))
    shown = ", ".join(f"{ids[i]} ({size[i]:g})" for i in order[:_LISTED])
    return shown + (f" and {len(order) - _LISTED} more" if len(order) > _LISTED else "")


def _least_emissions(sub: SubModel, row: int, settings: SolverSettings) -> Optional[float]:
    """The least a plan of `sub` emits with its carbon row (`row`) lifted: the row's entries become the costs.
    None when that solve does not finish."""
    cost = np.zeros(sub.n_cols)
    a, b = int(sub.start[row]), int(sub.start[row + 1])
    np.add.at(cost, sub.index[a:b], sub.value[a:b])
    upper = sub.row_upper.copy()
    upper[row] = np.inf
    model = dataclasses.replace(sub, cost=cost, row_upper=upper)
    res = solver(settings.backend).mip(model, 1e-6, time_limit=max(10.0, settings.time_limit_s))
    return float(res.bound) if res.x is not None and math.isfinite(res.bound) else None
