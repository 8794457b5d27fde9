"""Placement: the cheapest assignment of workloads to sites under every hard rule, with a proven bound.

The stages, each in its own module:

1. `candidates` - every admissible (workload, site) pair and its cost, on columns; `latency`
   prunes sites a dependency's budget rules out (arc consistency over zones).
2. `reduce` - exact reductions: capacity that cannot bind, dependencies that cannot couple,
   workloads already decided (*fixed*), and *classes* of interchangeable uncoupled workloads
   (one integer count per class and site).
3. `core` - the coupled workloads' model, cut into *islands* that only capacity links,
   laid out so that an island's MILP is a slice.
4. `pool` - islands solved in batches (one LP, a MIP only where the LP is fractional) in
   worker processes; `solvers` is the one solver layer (HiGHS directly, or any solver PuLP knows),
   `matrices` the arrays it takes, `limits` every work limit.
5. `pricing` - column generation: capacity prices, island plans, and the Lagrangian bound
   that holds at every round; `master` is its master problem.
6. `finish` - the integer plan, and when the pricing bound does not prove the gap,
   reduced-cost fixing and an exact solve of what is left free.
7. `assign` - the plan back to workloads, every mapping checked; `stability` - with a baseline,
   among plans no dearer, the fewest moves.
8. `diagnose` - when there is no plan, which rules collide.

`bound` is always proven (the islands' own bounds, a Lagrangian bound or a MILP's), so
`optimal` is claimed only when the scenario's gap is proven. Every search is limited by work
(rounds, nodes); the clock only stops a run early, and then the status says `feasible`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

import numpy as np

from planner.base import memory
from planner.base.errors import SolverUnavailable
from planner.base.fmt import share
from planner.base.problem import Problem
from planner.base.progress import detail, proven
from planner.base.workers import default_workers
from planner.domain.estate import Estate
from planner.domain.model import SolverSettings
from planner.solve.assign import apply, class_columns
from planner.solve.candidates import Candidates, build_candidates
from planner.solve.core import Core, build_core
from planner.solve.emissions import check_cap
from planner.solve.finish import (
    Integer,
    choose_among_plans,
    fix_and_close,
    integer_master,
)
from planner.solve.guards import check_choice
from planner.solve.limits import Limits
from planner.solve.limits import current as current_limits
from planner.solve.limits import use as use_limits
from planner.solve.master import ClassColumns
from planner.solve.pool import IslandPool
from planner.solve.pricing import ColumnGeneration
from planner.solve.reduce import (
    Capacity,
    Reduced,
    active_dependencies,
    components,
    coupled_workloads,
    coupling_edges,
    reduce,
)
from planner.solve.restrict import initial_entries
from planner.solve.solvers import backend_problem
from planner.solve.stability import prefer_baseline

__all__ = ["Limits", "Placement", "solve"]

CHOICE_SHARE = 0.8  # of the scenario's gap, where the choice among priced plans may stop
PROOF_SHARE = 0.9  # of the scenario's gap: once the full-model proof reaches it, the islands not yet checked are left
NEIGHBOURHOOD_SHARE = 0.25  # of the scenario's gap: the reduced cost up to which the choice offers a plan



@dataclass
class Placement:
    """The solver's answer: a chosen candidate entry per workload (or problems), with honest bounds."""

    status: str  # optimal | feasible | infeasible | unknown
    backend: str
    choice: Optional[np.ndarray]  # index into the candidate arrays, per workload
    objective: Optional[float]
    bound: Optional[float]
    gap: Optional[float]
    seconds: float
    candidates: Candidates
    problems: list[Problem] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)


def solve(estate: Estate, settings: Optional[SolverSettings] = None, progress: Optional[Callable[[str], None]] = None,
          baseline: Optional[Mapping[str, str]] = None, limits: Optional[Limits] = None) -> Placement:
    """Place every workload at the lowest horizon cost; an estate with no plan comes back with its problems.

    `baseline` (workload id -> site id) asks, among plans no dearer than the best found, for the one
    with the fewest workloads off their baseline site. `limits` replaces the default work limits.
    """
    if limits is not None:
        with use_limits(limits):
            return solve(estate, settings, progress, baseline)
    settings = settings or estate.scenario.solver
    problem = backend_problem(settings.backend)
    if problem:
        raise SolverUnavailable(f"solver.backend: {problem}")
    t0 = time.perf_counter()
    deadline = time.monotonic() + settings.time_limit_s
    say = progress or (lambda _m: None)
    budget = memory.Budget.of(settings.memory_gb)
    n_w, n_s = len(estate.table), len(estate.sites)
    budget.ensure("the admissible placements", f"{n_w:,} workloads over {n_s:,} sites", n_w * n_s * memory.CANDIDATE_PAIR)
    say(f"finding the cheapest placement of {n_w:,} workloads on {n_s:,} sites, proving its cost within "
        f"{share(settings.gap)} of the best possible")
    full = build_candidates(estate, compact=True)
    if full.problems:
        return Placement("infeasible", settings.backend, None, None, None, None, time.perf_counter() - t0, full, sorted(full.problems))
    over_cap = check_cap(estate, full)
    if over_cap is not None:
        return Placement("infeasible", settings.backend, None, None, None, None, time.perf_counter() - t0, full, [over_cap])
    base_site = _baseline_sites(estate, baseline)
    deps_full = active_dependencies(estate, full)
    edges = coupling_edges(estate, deps_full)
    kept = initial_entries(estate, full, coupled_workloads(estate, deps_full), base_site,
                           components(len(estate.table), *edges), edges)
    if kept is None:
        full = full.exact(estate)  # small enough to model every admissible site: exact costs for all
    run = _Run(estate, settings, full, base_site, deps_full, deadline, say, budget)
    model, outcome = run.placed(kept)
    elapsed = time.perf_counter() - t0
    if outcome.problems:
        return Placement("infeasible", settings.backend, None, None, None, None, elapsed, model.cands, outcome.problems, model.stats)
    if outcome.plan is None:
        return Placement("unknown", settings.backend, None, None, None, None, elapsed, model.cands, [Problem(
            "time-limit", (), (), f"the solver found no plan within its limits ({settings.time_limit_s:g} s, and its pricing rounds and "
            "branch-and-bound nodes), and did not prove that none exists; raise solver.time_limit_s or --time-limit")], model.stats)
    cands, red, core, classes = model.cands, model.red, model.core, model.classes
    choice = red.fixed.copy()
    apply(core, cands, red, classes, outcome.plan, outcome.alone_cols, choice)
    if base_site is not None:
        prefer_baseline(estate, cands, core, classes, red, choice, base_site, settings, deadline)
    check_choice(cands, choice, "placement")
    objective = float(cands.total[choice].sum()) + _variable_egress(estate, cands, choice)
    bound = min(model.fixed_cost + outcome.bound, objective)
    gap = max(0.0, (objective - bound) / abs(objective)) if objective else 0.0
    status = "optimal" if gap <= settings.gap * (1 + 1e-9) + 1e-12 and not outcome.timed_out else "feasible"
    proven(say, gap)
    model.stats["seconds"] = time.perf_counter() - t0
    return Placement(status, settings.backend, choice, objective, bound, gap, time.perf_counter() - t0, cands, stats=model.stats)


@dataclass
class _Model:
    """One model of the placement: its candidate placements, reductions, coupled core and classes."""

    cands: Candidates
    red: Reduced
    core: Core
    classes: ClassColumns
    stats: dict[str, float]

    @property
    def fixed_cost(self) -> float:
        """What the workloads decided exactly cost (the same in every plan of this model)."""
        return float(self.cands.total[self.red.fixed[self.red.fixed >= 0]].sum())


@dataclass
class _Run:
    """One placement: a model of every admissible site, or of some (`kept`) grown until the proof allows."""

    estate: Estate
    settings: SolverSettings
    full: Candidates
    base_site: Optional[np.ndarray]
    deps_full: object
    deadline: float
    say: Callable[[str], None]
    budget: memory.Budget

    def placed(self, kept: Optional[np.ndarray]) -> "tuple[_Model, _Outcome]":
        """The final model and its outcome: restricted models are grown, proven over every site and solved again
        within the work limits; a restricted model with no plan grows, or gives way to the full model."""
        lim = current_limits()
        grows = resolves = 0
        carried: Optional[tuple[Capacity, np.ndarray]] = None  # the last model's capacity rows and final prices
        while True:
            model = self.model(kept)
            start = _carry_prices(*carried, model.red.capacity) if carried is not None else None
            outcome, pool = self.solve_model(model, restricted=kept is not None, start=start)
            try:
                if kept is not None and outcome.plan is None:
                    grow = _grow(self.estate, self.full, kept, model.cands, model.red, model.core, model.classes, pool, outcome,
                                 self.say) if outcome.infeasible else None
                    grows += 1
                    if grow is None or grows > lim.grows:
                        self.say("the cheapest sites alone cannot hold the estate: placing again on every site the rules allow")
                        kept = None
                    else:
                        kept[grow] = True
                    continue
            finally:
                pool.close()
            if kept is None or kept.all():  # grown to every admissible placement: its own bound is the full model's
                return model, outcome
            bound, add = _prove_full(self.estate, self.full, kept, model.red, model.core, model.classes, outcome,
                                     self.settings, self.deadline, self.say, model.fixed_cost)
            outcome.bound = bound
            resolves += 1
            total = model.fixed_cost + outcome.plan.cost + sum(float(model.core.cost[c].sum()) for c in outcome.alone_cols.values())
            within = total - bound - model.fixed_cost
            proven(self.say, max(0.0, within) / max(abs(total), 1.0))
            if len(add) == 0 or resolves > lim.restricted_solves or within <= self.settings.gap * abs(total):
                return model, outcome
            if len(add) > lim.growth * int(kept.sum()):
                # Solving again with that many more placements would take longer and more memory than the first
                # solve, and the proof would likely name as many again: the plan keeps the bound it proves.
                self.say(f"{len(add):,} placements left out of the model could still lower the cost: more than "
                         f"{lim.growth:.0%} of the model, so the plan keeps the bound proven over every site the rules allow")
                return model, outcome
            kept[add] = True
            if outcome.price is not None:
                carried = (model.red.capacity, outcome.price)
            self.say(f"{len(add):,} placements left out of the model could still lower the cost: placing again with them")
            detail(self.say, f"the plan was within {max(0.0, within) / max(abs(total), 1.0):.3%} of the bound over every "
                   "admissible site")

    def model(self, kept: Optional[np.ndarray]) -> _Model:
        """The model of every admissible site (`kept` None) or of the `kept` placements."""
        estate, full = self.estate, self.full
        if kept is None:
            cands = full.exact(estate) if full.compact else full
            red = reduce(estate, cands, self.base_site)
        else:
            cands = full.exact(estate, kept)
            red = reduce(estate, cands, self.base_site, deps=self.deps_full)
        n_w = len(estate.table)
        self.budget.ensure("the placement model", f"{len(cands.site):,} placements for {n_w:,} workloads",
                           len(cands.site) * memory.MODEL_ENTRY)
        core = build_core(estate, cands, red)
        classes = class_columns(estate, cands, red, core)
        stats = _stats(cands, red, core, classes)
        if kept is not None:
            stats["full_candidates"] = float(len(full.site))
        self.say(f"placing {n_w:,} workloads: {len(cands.site):,} placements on {len(estate.sites):,} sites keep every rule"
                 + (f" (the cheapest of {len(full.site):,} first)" if kept is not None else ""))
        detail(self.say, f"{int(stats['fixed_workloads']):,} workloads decided exactly, {len(classes.size):,} classes "
               f"of {int(classes.size.sum()):,} interchangeable workloads, {core.n_islands:,} islands of "
               f"{len(core.island_workloads):,} coupled ones; {int(stats['columns']):,} variables, {len(red.capacity)} shared "
               "capacity rows")
        return _Model(cands, red, core, classes, stats)

    def solve_model(self, model: _Model, restricted: bool, start: Optional[np.ndarray] = None) -> "tuple[_Outcome, IslandPool]":
        """Solve one model (pricing from `start` when given); the island pool stays open for the caller (who closes it)."""
        linked, alone = _linked(model.core)
        pool = IslandPool(model.core, self.settings.backend, self.settings.gap, self.deadline, default_workers(self.settings.threads))
        try:
            outcome = _solve_core(self.estate, model.cands, model.red, model.core, model.classes, linked, alone, pool,
                                  self.settings, self.deadline, self.say, model.stats, model.fixed_cost, restricted=restricted,
                                  start=start)
        except BaseException:
            pool.close()
            raise
        return outcome, pool


@dataclass
class _Outcome:
    plan: Optional[Integer]
    bound: float  # proven, without the fixed workloads' constant
    alone_cols: dict[int, np.ndarray]
    problems: list[Problem] = field(default_factory=list)
    timed_out: bool = False
    price: Optional[np.ndarray] = None  # the capacity prices of the bound
    infeasible: list[int] = field(default_factory=list)  # restricted model: islands (or all linked) without a plan
    island_bound: Optional[np.ndarray] = None  # per island, a proven lower bound of its own problem at `price`


def _solve_core(estate: Estate, cands: Candidates, red: Reduced, core: Core, classes: ClassColumns, linked: np.ndarray,
                alone: np.ndarray, pool: IslandPool, settings: SolverSettings, deadline: float, say: Callable[[str], None],
                stats: dict, fixed_cost: float, restricted: bool = False, start: Optional[np.ndarray] = None) -> _Outcome:
    """Solve the islands and classes: a plan and its bound, or why there is none.

    `restricted` (a model of some sites only): no diagnosis, since a missing site may be all it lacks; the
    outcome says which island had no plan, or gives the prices when only capacity failed.
    """
    def no_plan(islands: list[int], price: Optional[np.ndarray] = None) -> _Outcome:
        if restricted:
            return _Outcome(None, -math.inf, {}, infeasible=islands, price=price)
        return _Outcome(None, -math.inf, {}, _diagnose(estate, cands, core, islands, red, settings))

    # Islands that touch no binding capacity: each solved once, exactly, at its own costs.
    alone_cols: dict[int, np.ndarray] = {}
    bound = 0.0
    island_bound = np.full(core.n_islands, -math.inf)
    alone_slack = 0.0
    if len(alone):
        answers = pool.solve(alone, core.cost)
        for a in answers:
            if a.status == "infeasible":
                return no_plan([a.island])
            if a.status == "no-solution":
                return _Outcome(None, -math.inf, {}, timed_out=True)
            alone_cols[a.island] = int(core.col_ptr[a.island]) + a.cols
            bound += a.bound
            alone_slack += max(0.0, a.objective - a.bound)
            island_bound[a.island] = a.bound
    limit = red.capacity.limit
    if len(linked) == 0 and len(classes) == 0:
        return _Outcome(Integer({}, np.zeros(0, np.int64), 0.0, 0.0, "pricing"), bound, alone_cols, island_bound=island_bound)
    cg = ColumnGeneration(core, linked, classes, limit, pool, settings.gap, deadline, say,
                          start if start is not None and len(start) == len(limit) else None).run()
    stats["rounds"] = float(cg.rounds)
    stats["plans"] = float(len(cg.plans))
    if cg.infeasible is not None:
        return no_plan([cg.infeasible])
    if not len(cg.plans) and len(linked):
        return _Outcome(None, -math.inf, {}, timed_out=True)
    grace = min(30.0, 0.1 * settings.time_limit_s)
    outside = fixed_cost + bound
    # The rounding may spend a share of the scenario's gap; the rest is left to the proof.
    rounding_gap = 0.3 * settings.gap * abs(cg.master_value + outside) if math.isfinite(cg.master_value) else 0.0
    plan = integer_master(core, linked, classes, limit, cg, max(deadline - time.monotonic(), grace), settings.backend,
                          settings.threads or 1, rounding_gap)
    if plan is None:
        return no_plan(linked.tolist(), cg.price)
    # The choice may stop once the plan is proven within most of the gap (what the alone islands' own gaps leave of it).
    allowance = CHOICE_SHARE * settings.gap * abs(plan.cost + outside) - alone_slack
    # It searches near its LP optimum only (HiGHS's root over every plan costs seconds); the fixing below proves the rest.
    plan = choose_among_plans(core, linked, classes, limit, cg, plan, max(deadline - time.monotonic(), grace), settings.backend,
                              allowance, NEIGHBOURHOOD_SHARE * settings.gap * abs(plan.cost + outside))
    detail(say, f"one plan chosen after {cg.rounds} pricing rounds: within "
           f"{max(0.0, plan.cost - cg.bound) / max(abs(plan.cost + outside), 1.0):.3%} of the linked islands' bound")
    if not cg.timed_out and time.monotonic() < deadline:
        plan = fix_and_close(core, linked, classes, limit, cg, plan, outside, settings.gap, settings.backend,
                             max(deadline - time.monotonic(), 1.0), settings.threads or 1, pool)
    if plan.proven_by == "fixing":
        detail(say, f"what could still change solved exactly: within "
               f"{max(0.0, plan.cost - plan.bound) / max(abs(plan.cost + outside), 1.0):.3%} of the linked islands' bound")
    island_bound[linked] = cg.island_bound
    return _Outcome(plan, bound + plan.bound, alone_cols, timed_out=cg.timed_out, price=cg.price, island_bound=island_bound)


def _stats(cands: Candidates, red: Reduced, core: Core, classes: ClassColumns) -> dict[str, float]:
    return {"candidates": float(len(cands.site)), "fixed_workloads": float((red.fixed >= 0).sum()),
            "classes": float(len(classes.size)), "class_workloads": float(classes.size.sum()), "islands": float(core.n_islands),
            "island_workloads": float(len(core.island_workloads)), "columns": float(core.n_cols + len(classes)),
            "rows": float(len(core.row_lower) + len(red.capacity)), "capacity_rows": float(len(red.capacity))}


def _linked(core: Core) -> tuple[np.ndarray, np.ndarray]:
    """Islands with a column on a binding site (priced together), and the others (each solved once)."""
    linked_mask = np.zeros(core.n_islands, dtype=bool)
    if core.n_cols:
        binding_col = (core.col_site >= 0) & (core.cap_table[np.maximum(core.col_site, 0)] >= 0).any(axis=1)
        isl = np.repeat(np.arange(core.n_islands), np.diff(core.col_ptr))
        linked_mask[np.unique(isl[binding_col])] = True
    return np.nonzero(linked_mask)[0], np.nonzero(~linked_mask)[0]


def _price_out(estate: Estate, full: Candidates, kept: np.ndarray, cands: Candidates, red: Reduced, core: Core,
               classes: ClassColumns, pool: IslandPool, outcome: "_Outcome", say: Callable[[str], None]) -> tuple[float, np.ndarray]:
    """A lower bound of the full model (every admissible site) and the left-out entries that could improve on the plan."""
    from planner.solve.restrict import price_out

    price = outcome.price if outcome.price is not None else np.zeros(len(red.capacity))
    islands = np.arange(core.n_islands)
    lp_value, col_duals = pool.lp(islands, core.cost + core.price_part(price))
    res = price_out(estate, full, kept, cands, core, islands, price, lp_value, pool.row_duals, col_duals)
    constant = float(cands.total[red.fixed[red.fixed >= 0]].sum())
    bound = constant + float(res.bound.sum()) + classes.lagrangian(price) - float(price @ red.capacity.limit)
    detail(say, f"every left-out site priced out: {len(res.add):,} placements could still help")
    return bound - constant, res.add


def _priced_plan(core: Core, outcome: "_Outcome", price: np.ndarray) -> np.ndarray:
    """Per island, what the plan's columns for it cost at capacity prices `price`."""
    parts = list(outcome.plan.island_cols.items()) + list(outcome.alone_cols.items())
    value = np.zeros(core.n_islands)
    if not parts:
        return value
    cols = np.concatenate([np.asarray(c, dtype=np.int64) for _, c in parts])
    isl = np.repeat(np.array([k for k, _ in parts], dtype=np.int64), [len(c) for _, c in parts])
    priced = core.cost[cols] + core.price_part(price, cols)
    return np.bincount(isl, weights=priced, minlength=core.n_islands)


def _prove_full(estate: Estate, full: Candidates, kept: np.ndarray, red: Reduced, core: Core, classes: ClassColumns,
                outcome: "_Outcome", settings: SolverSettings, deadline: float, say: Callable[[str], None],
                fixed_cost: float = 0.0) -> tuple[float, np.ndarray]:
    """A lower bound of the full model (every admissible site, at the plan's capacity prices; without the fixed
    workloads' constant) and the left-out entries its islands' plans use."""
    from planner.solve.proof import full_bound

    price = outcome.price if outcome.price is not None else np.zeros(len(red.capacity))
    step = max(1, core.n_islands // 10)
    shown = [0]
    count = getattr(say, "count", None)

    def tick(done: int, total: int) -> None:
        if count is not None:
            count("proving over every admissible site (islands)", done, total)
        if done - shown[0] >= step or done == total:
            shown[0] = done
            say(f"proving the cost over every site the rules allow: {done:,} of {total:,} groups of linked workloads checked")

    known = outcome.island_bound if outcome.island_bound is not None else np.full(core.n_islands, -math.inf)
    # The islands' bounds that prove the scenario's gap (with a margin for rounding): the proof stops there.
    total = outcome.plan.cost + sum(float(core.cost[c].sum()) for c in outcome.alone_cols.values())
    need = (total - PROOF_SHARE * settings.gap * abs(total + fixed_cost) - classes.lagrangian(price)
            + float(price @ red.capacity.limit))
    fb = full_bound(estate, full, kept, red, core, price, known, settings.backend, settings.gap, deadline,
                    default_workers(settings.threads), tick, _priced_plan(core, outcome, price), need)
    if fb.skipped:
        detail(say, f"the gap was proven before {fb.skipped:,} groups of linked workloads were checked: they keep "
               "their floor")
    bound = float(fb.island_bound.sum()) + classes.lagrangian(price) - float(price @ red.capacity.limit)
    detail(say, f"{'admissible sites' if fb.skipped else 'every admissible site'} checked ({fb.entries:,} placements, "
           f"{fb.dominated:,} more never better): {len(fb.add):,} left-out placements could still help")
    return bound, fb.add


def _grow(estate: Estate, full: Candidates, kept: np.ndarray, cands: Candidates, red: Reduced, core: Core,
          classes: ClassColumns, pool: IslandPool, outcome: "_Outcome", say: Callable[[str], None]) -> Optional[np.ndarray]:
    """Entries to add when the restricted model has no plan: every site of an island that had none on its own, or
    (only capacity failed) the left-out placements its prices say could help; None when that adds nothing."""
    if outcome.price is None:  # an island with no plan over its kept sites: give it all of them
        members = core.island_workloads[np.concatenate([np.arange(core.island_wptr[k], core.island_wptr[k + 1])
                                                        for k in outcome.infeasible])]
        entries = np.concatenate([np.arange(full.ptr[w], full.ptr[w + 1]) for w in members.tolist()])
    else:
        entries = _price_out(estate, full, kept, cands, red, core, classes, pool, outcome, say)[1]
    entries = entries[~kept[entries]]
    if len(entries) == 0:
        return None
    say(f"the cheapest sites alone cannot hold the estate: adding {len(entries):,} more placements")
    return entries


def _carry_prices(before: Capacity, price: np.ndarray, after: Capacity) -> np.ndarray:
    """`price` on the rows of `before`, carried to the rows of `after` (same site and resource; 0 for a new row)."""
    if price.shape != (len(before),):
        raise ValueError(f"carried prices: {price.shape} prices for {len(before)} capacity rows")
    known = {(int(s), int(r)): float(p) for s, r, p in zip(before.site, before.res, price)}
    return np.array([known.get((int(s), int(r)), 0.0) for s, r in zip(after.site, after.res)], dtype=float)


def _variable_egress(estate: Estate, cands: Candidates, choice: np.ndarray) -> float:
    """Horizon egress of a placement not already in its entries' costs: every priced dependency whose ends sit apart."""
    from planner.domain.costs import egress_columns

    site = cands.site[choice].astype(np.int64)
    return estate.scenario.horizon_months * float(egress_columns(estate, site).sum())


def _baseline_sites(estate: Estate, baseline: Optional[Mapping[str, str]]) -> Optional[np.ndarray]:
    """Per workload, the site number the baseline puts it on (-1: not in the baseline)."""
    if baseline is None:
        return None
    return np.array([estate.site_index.get(baseline.get(w, ""), -1) for w in estate.table.ids], dtype=np.int64)


def _diagnose(estate: Estate, cands: Candidates, core: Core, islands: list[int], red: Reduced, settings: SolverSettings) -> list[Problem]:
    from planner.solve.diagnose import diagnose

    return diagnose(estate, cands, core, np.asarray(islands, dtype=np.int64), red, settings)
