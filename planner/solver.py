"""Placement: the cheapest assignment of workloads to sites under every hard rule.

The MILP is exact, but before building it we remove what cannot change the optimum,
because HiGHS's presolve grows faster than linearly in trivially separable columns
(1M free binaries took 9 minutes to presolve on the 2-core CI machine):

* a site's resource whose total candidate demand fits its capacity cannot bind;
* a workload with no active coupling (no latency-bound or egress-priced dependency, no
  anti-affinity group) only needs its cheapest non-binding site plus the binding sites
  that are strictly cheaper than it; with one such site left it is fixed outright.

The remaining core goes to HiGHS as one row-wise sparse matrix (`passModel`), or to CBC
through PuLP. `bound` and `gap` are the solver's, shifted by the fixed workloads' cost,
so `optimal` is only claimed when the solver proved the scenario's gap.
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


@dataclass
class CoreModel:
    """The MILP over the coupled core, as arrays (row-wise sparse matrix)."""

    n_x: int
    n_y: int
    cost: np.ndarray
    row_lower: list[float]
    row_upper: list[float]
    start: list[int]
    index: list[np.ndarray]
    value: list[np.ndarray]
    entries: np.ndarray  # candidate entry of each x column
    n_z: int = 0  # binary columns after the y columns (used by the infeasibility diagnosis)
    row_tags: list[tuple] = field(default_factory=list)  # what each non-assignment row stands for

    def add_row(self, lower: float, upper: float, cols: np.ndarray, vals: np.ndarray, tag: tuple) -> None:
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        self.index.append(np.asarray(cols, dtype=np.int32))
        self.value.append(np.asarray(vals, dtype=float))
        self.row_tags.append(tag)


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
    fixed, model_entries = _reduce(estate, cands, binding, deps)
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
    run = run_highs if settings.backend == "highs" else _run_cbc
    status, x, obj, bound = run(core, settings)
    if status == "infeasible":
        from .diagnose import diagnose_core  # only on the failure path

        problems = diagnose_core(estate, cands, core, settings)
        return Placement("infeasible", settings.backend, None, None, None, None, time.perf_counter() - t0, cands, problems, stats)
    if x is None:
        return Placement("infeasible", settings.backend, None, None, None, None, time.perf_counter() - t0, cands, [Problem(
            "time-limit", (), (), f"the solver found no plan within {settings.time_limit_s:g} s; raise solver.time_limit_s or --time-limit")], stats)
    owner = np.repeat(np.arange(len(cands.ptr) - 1), np.diff(cands.ptr))
    xs = np.asarray(x[: core.n_x])
    # Per workload, the entry with the largest value (binary up to tolerance).
    order = np.lexsort((-xs, owner[core.entries]))
    ws = owner[core.entries][order]
    first = np.ones(len(ws), dtype=bool)
    first[1:] = ws[1:] != ws[:-1]
    choice[ws[first]] = core.entries[order][first]
    objective = obj + constant
    lower = bound + constant
    gap = max(0.0, (objective - lower) / abs(objective)) if objective else 0.0
    return Placement(status, settings.backend, choice, objective, lower, gap, time.perf_counter() - t0, cands, stats=stats)


def binding_resources(estate: Estate, cands: Candidates) -> dict[int, list[tuple[str, float]]]:
    """Per site index, the resources whose capacity total candidate demand could exceed."""
    sizes = _sizes(estate)
    out: dict[int, list[tuple[str, float]]] = {}
    owner = np.repeat(np.arange(len(cands.ptr) - 1), np.diff(cands.ptr))
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


def _reduce(estate: Estate, cands: Candidates, binding: Binding, deps: ActiveDeps) -> tuple[np.ndarray, np.ndarray]:
    """Fix uncoupled workloads whose best choice is certain; return (fixed entry or -1 per workload, entries kept for the model)."""
    n_w = len(cands.ptr) - 1
    coupled = np.zeros(n_w, dtype=bool)
    for a, b, _, _ in deps:
        coupled[a] = coupled[b] = True
    groups: dict[str, list[int]] = {}
    for i, w in enumerate(estate.workloads):
        if w.anti_affinity is not None:
            groups.setdefault(w.anti_affinity, []).append(i)
    for members in groups.values():
        if len(members) > 1:
            coupled[members] = True
    owner = np.repeat(np.arange(n_w), np.diff(cands.ptr))
    is_binding_site = np.zeros(len(estate.sites), dtype=bool)
    is_binding_site[list(binding)] = True
    on_binding = is_binding_site[cands.site]
    cur = np.array([estate.site_index[w.current_site] for w in estate.workloads], dtype=np.int64)
    stays = cands.site == cur[owner]
    # Cheapest non-binding entry per workload; ties prefer staying, then the site id order.
    free_cost = np.where(on_binding, np.inf, cands.total)
    order = np.lexsort((cands.site, ~stays, free_cost, owner))
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
    owner_all = np.repeat(np.arange(n_w), np.diff(cands.ptr))
    owner = owner_all[entries]
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
    groups: dict[str, list[int]] = {}
    for i, w in enumerate(estate.workloads):
        if w.anti_affinity is not None:
            groups.setdefault(w.anti_affinity, []).append(i)
    in_model = np.zeros(n_w, dtype=bool)
    in_model[model_ws] = True
    for name, members in sorted(groups.items()):
        if len(members) < 2:
            continue
        member_mask = np.zeros(n_w, dtype=bool)
        member_mask[members] = True
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


def run_highs(core: CoreModel, settings: SolverSettings) -> tuple[str, Optional[np.ndarray], float, float]:
    import highspy

    n = core.n_x + core.n_y + core.n_z
    start, index, value = _csr(core)
    h = highspy.Highs()
    # PLANNER_SOLVER_LOG=1 shows HiGHS's own log on stdout, for tuning a large estate.
    h.setOptionValue("output_flag", os.environ.get("PLANNER_SOLVER_LOG", "") not in ("", "0"))
    h.setOptionValue("time_limit", float(settings.time_limit_s))
    h.setOptionValue("mip_rel_gap", float(settings.gap))
    h.setOptionValue("random_seed", 0)
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
    lp.integrality_ = [kinds.kInteger] * core.n_x + [kinds.kContinuous] * core.n_y + [kinds.kInteger] * core.n_z
    h.passModel(lp)
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


def _run_cbc(core: CoreModel, settings: SolverSettings) -> tuple[str, Optional[np.ndarray], float, float]:
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
        cmd = pulp.PULP_CBC_CMD(msg=False, timeLimit=settings.time_limit_s, gapRel=settings.gap,
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
